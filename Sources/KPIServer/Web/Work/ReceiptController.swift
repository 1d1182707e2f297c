import Foundation
import KPICore
import Vapor

/// Mã biên nhận của đánh giá công khai: each agency's choice of how citizens prove they were served,
/// and the list of receipt numbers it imports (leaders and administrators of the agency).
enum ReceiptController {
    static let path = "/danh-gia-cong-khai"

    static func register(_ r: any RoutesBuilder) {
        r.get("danh-gia-cong-khai", use: page).reads(.notice)
        r.post("danh-gia-cong-khai", "che-do", use: setMode)
            .reads(.text("co_quan", max: 50, "Cơ quan", in: .form),
                   .choice("che_do", ReceiptMode.allCases.map(\.rawValue), "Cách nhận mã", in: .form))
        r.post("danh-gia-cong-khai", "nhap", use: importCodes)
            .reads(.text("co_quan", max: 50, "Cơ quan", in: .form), .text("danh_sach", max: 600_000, "Danh sách mã biên nhận",
                                                                          in: .form))
    }

    static func service(_ req: Request) throws -> ReceiptService {
        ReceiptService(store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    static func render(_ req: Request, problem: String? = nil, values: [String: String] = [:],
                       status: HTTPStatus = .ok) async throws -> Response {
        let rows = try await service(req).agencies()
        let notice: String? = switch req.input.text("tb") {
        case "che-do": "Đã lưu cách nhận mã biên nhận."
        case let t where t.hasPrefix("nhap-"):
            "Đã nhập danh sách: \(t.dropFirst(5).replacingOccurrences(of: "-", with: " mã mới, ")) mã đã có."
        default: nil
        }
        let table = rows.map { r -> HTML in
            let code = r.agency.code
            return HTML("""
                <tr><td data-label="Cơ quan">\(r.agency.name) (\(code))</td>
                <td data-label="Cách nhận mã"><form method="post" action="\(path)/che-do" class="inline">\(req.csrfField)
                <input type="hidden" name="co_quan" value="\(code)">
                \(FormField("che_do", "Cách nhận mã của \(r.agency.name)", value: r.mode.rawValue,
                            .select(ReceiptMode.allCases.map { .init($0.rawValue, $0.label) }), id: "che_do_\(code)").bare()) \
                <button>Lưu</button></form></td>
                <td data-label="Mã chưa dùng" class="num">\(VNNumber.format(r.unused))</td>
                <td data-label="Đã dùng" class="num">\(VNNumber.format(r.used))</td></tr>
                """)
        }
        let explain = ReceiptMode.allCases.map { HTML("<li><strong>\($0.label)</strong>: \($0.explanation)</li>") }
        return req.page(Page(title: "Mã biên nhận của đánh giá công khai", breadcrumbs: [("Tổng quan", "/")],
                             flash: problem ?? notice, flashIsError: problem != nil, body: """
            <p>Người dân đánh giá mức độ hài lòng qua liên kết hoặc mã QR của nhiệm vụ, không cần đăng \
            nhập.
            Để chống đánh giá bằng mã bịa, cơ quan chọn cách chứng minh đã được phục vụ:</p>
            <ul>\(explain)</ul>
            <p>Các lựa chọn khác của cơ quan (hình thức công khai kết quả): \
            <a href="\(PublicationController.settingsPath)">Cài đặt của cơ quan</a>.</p>
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Cơ quan</th><th scope="col">Cách nhận mã</th>
            <th scope="col">Mã chưa dùng</th><th scope="col">Đã dùng</th></tr></thead>
            <tbody>\(table)</tbody></table></div>
            <h2>Nhập danh sách mã biên nhận</h2>
            <form method="post" action="\(path)/nhap" class="record-form">\(req.csrfField)
            \(FormField("co_quan", "Cơ quan", value: values["co_quan"], .select(rows.map { .init($0.agency.code, $0.agency.name) })).html)
            \(FormField("danh_sach", """
                Mã biên nhận (mỗi dòng một mã; có thể dán cột số biên nhận từ Excel)
                """, value: values["danh_sach"],
                        .textarea(rows: 8), required: true, hint: """
                            Tối đa \(VNNumber.format(ReceiptRules.maxPerImport)) mã mỗi lần, mỗi mã tối đa \
                            \(ReceiptRules.maxLength) ký tự; \
                            mã đã có được giữ nguyên. Phần mềm một cửa có thể gửi danh sách qua API (sắp có).
                            """).html)
            <div class="actions"><button class="primary">Nhập danh sách</button></div></form>
            """), status: status)
    }

    @Sendable static func page(_ req: Request) async throws -> Response {
        try await render(req)
    }

    @Sendable static func setMode(_ req: Request) async throws -> Response {
        let svc = try service(req)
        try svc.principal.requireAnywhere(.leadWork, or: .manageCatalog)
        guard let mode = ReceiptMode(rawValue: req.input.formText("che_do")) else {
            throw Abort(.badRequest, reason: "Cách nhận mã không hợp lệ.")
        }
        try await svc.setMode(agencyCode: req.input.formText("co_quan"), mode: mode)
        return req.redirect(to: path + "?tb=che-do")
    }

    @Sendable static func importCodes(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let (agency, text) = (req.input.formText("co_quan"), req.input.formText("danh_sach"))
        do {
            let (added, known) = try await svc.importCodes(agencyCode: agency, text: text)
            return req.redirect(to: path + "?tb=nhap-\(added)-\(known)")
        } catch let e as WorkService.Invalid {
            return try await render(req, problem: e.problems.map(\.message).joined(separator: " "),
                                    values: ["co_quan": agency, "danh_sach": text], status: .unprocessableEntity)
        }
    }
}
