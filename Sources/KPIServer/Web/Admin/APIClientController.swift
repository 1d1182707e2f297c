import Fluent
import Foundation
import KPICore
import Vapor

/// Ứng dụng kết nối (issue 20, item 2): the page where a system administrator creates API clients,
/// issues, rotates and revokes their tokens, locks a client and reads its recent calls.
enum APIClientController {
    static let base = "/cai-dat/ung-dung"

    static func register(_ r: any RoutesBuilder) {
        r.get("cai-dat", "ung-dung", use: list).reads(.notice)
        r.post("cai-dat", "ung-dung", use: create).reads(
            .text("ten_dang_nhap", max: 50, "Tên tài khoản", in: .form), .text("ten", max: 120, "Tên ứng dụng", in: .form),
            .text("lien_he", max: 255, "Liên hệ", in: .form), .text("don_vi", max: 50, "Phạm vi", in: .form),
            .int("gioi_han", APITokenRules.ratePerMinuteRange, "Số lần gọi mỗi phút", in: .form))
        r.get("cai-dat", "ung-dung", ":id", use: show).reads(.notice)
        r.post("cai-dat", "ung-dung", ":id", "khoa-truy-cap", use: issue).reads(
            [.text("nhan", max: 80, "Tên khóa", in: .form), .int("so_ngay", 1...APITokenRules.maxDays, "Hiệu lực (ngày)", in: .form),
             .flag("thay_the", "Thay thế khóa cũ", in: .form)]
                + APIScope.allCases.map { .flag(field($0), $0.rawValue, in: .form) })
        r.post("cai-dat", "ung-dung", ":id", "khoa-truy-cap", ":token", "thu-hoi", use: revoke)
        r.post("cai-dat", "ung-dung", ":id", "trang-thai", use: setActive).reads(.flag("hoat_dong", "Hoạt động", in: .form))
        r.post("cai-dat", "ung-dung", ":id", "su-kien", ":mid", "gui-lai", use: redeliver)
        r.post("cai-dat", "ung-dung", "chung-thu", use: addCertificate)
            .reads(.text("pem", max: EdXMLTrust.maxPEM, "Chứng thư", in: .form))
        r.post("cai-dat", "ung-dung", "chung-thu", ":cid", "go", use: removeCertificate)
    }

    static func field(_ s: APIScope) -> String {
        "quyen_" + s.rawValue.replacingOccurrences(of: ":", with: "_").replacingOccurrences(of: "-", with: "_")
    }

    static func service(_ req: Request) throws -> APIClientService {
        APIClientService(store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    static let crumbs = [("Tổng quan", "/"), ("Cài đặt", "/cai-dat")]

    @Sendable static func list(_ req: Request, problems: [String] = [], status: HTTPStatus = .ok, pem: String? = nil) async throws
        -> Response {
        let clients = try await service(req).clients()
        let rows = clients.map { c -> HTML in
            let valid = c.tokens.filter { $0.revokedAt == nil && $0.expiresAt > req.now }.count
            return """
                <tr><td data-label="Ứng dụng"><a href="\(base)/\(c.id.uuidString)">\(c.name)</a></td>
                <td data-label="Tài khoản"><code>\(c.username)</code></td><td data-label="Phạm vi">\(c.organization)</td>
                <td data-label="Khóa còn hiệu lực" class="num">\(valid)</td>
                <td data-label="Trạng thái">\(c.active ? "Hoạt động" : "Đang khóa")</td></tr>
                """
        }
        let form = req.input.form()
        let body: HTML = """
            <p>Phần mềm quản lý văn bản và điều hành, các nền tảng dùng chung gọi hệ thống qua API \
            (<a href="/api/v1">tài liệu API</a>) bằng khóa truy cập của một ứng dụng kết nối. \
            Mỗi ứng dụng chỉ thấy cây đơn vị được giao, mỗi \
            khóa chỉ làm được các việc có trong quyền của khóa; mọi lần gọi đều được ghi lại.</p>
            \(clients.isEmpty ? HTML("<p class=\"empty\">Chưa có ứng dụng kết nối nào.</p>") : """
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Ứng dụng</th><th scope="col">Tài khoản</th>\
            <th scope="col">Phạm vi</th><th scope="col" class="num">Khóa còn hiệu lực</th><th scope="col">Trạng thái</th></tr>\
            </thead><tbody>\(rows)</tbody></table></div>
            """)
            <h2>Thêm ứng dụng kết nối</h2>\(Widgets.problems(pem == nil ? problems : []))
            <form method="post" action="\(base)" class="filters" data-busy="Đang tạo…">\(req.csrfField)
            \(FormField("ten", "Tên ứng dụng", value: form["ten"], required: true, maxLength: 120,
                        placeholder: "Phần mềm QLVB&ĐH tỉnh", width: .grow).html)
            \(FormField("ten_dang_nhap", "Tên tài khoản", value: form["ten_dang_nhap"], required: true,
                        hint: "chữ không dấu, số và . _ -", maxLength: 50, placeholder: "qlvb-tinh").html)
            \(FormField("don_vi", "Phạm vi: mã đơn vị (để trống: toàn tỉnh)", value: form["don_vi"], maxLength: 50).html)
            \(FormField("gioi_han", "Số lần gọi mỗi phút", value: form["gioi_han"] ?? String(APITokenRules.defaultRatePerMinute),
                        .text(.number), min: APITokenRules.ratePerMinuteRange.lowerBound,
                        max: APITokenRules.ratePerMinuteRange.upperBound).html)
            \(FormField("lien_he", "Liên hệ kỹ thuật", value: form["lien_he"], maxLength: 255, width: .grow).html)
            <div class="field"><button class="primary">Thêm ứng dụng</button></div></form>
            \(try await certificateSection(req, problems: pem == nil ? [] : problems, pem: pem ?? ""))
            """
        // (Also answered to a refused POST, which declares no notice.)
        let flash = req.method != .GET ? nil : ["chung-thu": "Đã thêm chứng thư tin cậy.",
                                                "go-chung-thu": "Đã gỡ chứng thư khỏi danh sách tin cậy."][req.input.text("tb")]
        return req.page(Page(title: "Ứng dụng kết nối (API)", breadcrumbs: crumbs, flash: flash, body: body), status: status)
    }

    @Sendable static func list(_ req: Request) async throws -> Response { try await list(req, problems: []) }

    @Sendable static func create(_ req: Request) async throws -> Response {
        let svc = try service(req)
        guard AccessPolicy.mayGrantAnywhere(svc.principal.grants, role: .apiClient) else { throw Abort(.forbidden) }
        let f = req.input.form()
        let hash = try await req.password.async.hash(SessionMiddleware.newToken())
        do {
            let id = try await svc.create(username: f["ten_dang_nhap"] ?? "", name: f["ten"] ?? "", contact: f["lien_he"] ?? "",
                                          orgCode: (f["don_vi"] ?? "").trimmingCharacters(in: .whitespaces),
                                          ratePerMinute: Int((f["gioi_han"] ?? "").trimmingCharacters(in: .whitespaces)),
                                          passwordHash: hash)
            return req.redirect(to: "\(base)/\(id.uuidString)?tb=tao")
        } catch let p as CatalogProblems {
            return try await list(req, problems: p.problems.map(\.sentence), status: .unprocessableEntity)
        }
    }

    static func clientID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw Abort(.notFound) }
        return id
    }

    @Sendable static func show(_ req: Request) async throws -> Response {
        try await show(req, id: try clientID(req))
    }

    static func show(_ req: Request, id: UUID, issued: APIClientService.Issued? = nil, problems: [String] = [],
                     status: HTTPStatus = .ok) async throws -> Response {
        let svc = try service(req)
        let (record, user) = try await svc.client(id)
        let c = try await svc.row(record, user, refs: try await RefIndex.load(on: req.db))
        // This process's calls of the last second too (the rest's are at most a second behind).
        try? await req.application.apiCalls.flush(req.store)
        let calls = try await APICallRecord.query(on: req.db).filter(\.$userID == record.userID).sort(\.$at, .descending)
            .limit(50).all()
        let webhooks = try await webhookSection(req, clientID: id, userID: record.userID)
        let tokenRows = c.tokens.map { t -> HTML in
            let state = t.revokedAt != nil ? "Đã thu hồi" : (t.expiresAt <= req.now ? "Hết hạn" : "Còn hiệu lực")
            let action: HTML = t.revokedAt == nil && t.expiresAt > req.now ? """
                <form method="post" action="\(base)/\(id.uuidString)/khoa-truy-cap/\(t.id.uuidString)/thu-hoi" \
                data-confirm="Thu hồi khóa \(t.hint)…? Ứng dụng dùng khóa này sẽ bị từ chối ngay.">\(req.csrfField)\
                <button class="link">Thu hồi</button></form>
                """ : .empty
            return """
                <tr><td data-label="Tên khóa">\(t.label)</td><td data-label="Mã gợi ý"><code>\(t.hint)…</code></td>
                <td data-label="Quyền">\(t.scopes)</td>
                <td data-label="Tạo">\(DateFormatting.dateTime(t.createdAt)) (\(t.createdBy))</td>
                <td data-label="Hết hạn">\(DateFormatting.dateTime(t.expiresAt))</td>
                <td data-label="Dùng lần cuối">\(t.lastUsedAt.map(DateFormatting.dateTime) ?? "chưa dùng")</td>
                <td data-label="Trạng thái">\(state)</td><td data-label="">\(action)</td></tr>
                """
        }
        let callRows = calls.map { k -> HTML in
            """
            <tr><td data-label="Lúc">\(DateFormatting.dateTime(k.at))</td>
            <td data-label="Thao tác"><code>\(k.method) \(k.path)</code></td>
            <td data-label="Kết quả" class="num">\(k.status)</td><td data-label="Thời gian (ms)" class="num">\(k.milliseconds)</td>
            <td data-label="Địa chỉ">\(k.ip)</td></tr>
            """
        }
        let shown: HTML = issued.map { i in """
            <div class="flash" role="status"><p><strong>Khóa truy cập mới (chỉ hiển thị một lần, hãy sao chép và \
            trao cho \
            người quản trị ứng dụng theo kênh an toàn):</strong></p><p><code class="secret">\(i.token)</code></p>
            <p>Hết hạn \(DateFormatting.dateTime(i.expiresAt)). Hệ thống chỉ lưu mã băm của khóa: mất khóa thì cấp \
            khóa mới.</p></div>
            """ } ?? .empty
        let scopeBoxes = APIScope.allCases.map { s -> HTML in
            """
            <label class="check"><input type="checkbox" name="\(field(s))" value="1"> \
            <span><code>\(s.rawValue)</code> — \(s.label)</span></label>
            """
        }
        let body: HTML = """
            \(shown)
            <dl class="facts"><dt>Tài khoản</dt><dd><code>\(c.username)</code></dd><dt>Phạm vi</dt><dd>\(c.organization)</dd>
            <dt>Giới hạn</dt><dd>\(VNNumber.format(c.ratePerMinute)) lần gọi mỗi phút</dd>
            <dt>Liên hệ</dt><dd>\(c.contact)</dd>
            <dt>Trạng thái</dt><dd>\(user.active ? "Hoạt động" : "Đang khóa: mọi khóa truy cập bị từ chối")</dd></dl>
            <form method="post" action="\(base)/\(id.uuidString)/trang-thai" data-confirm="\(user.active
                ? "Khóa ứng dụng này? Mọi lần gọi bằng khóa của ứng dụng sẽ bị từ chối ngay."
                : "Mở lại ứng dụng này?")">\
            \(req.csrfField)<input type="hidden" name="hoat_dong" value="\(user.active ? "0" : "1")">
            <button>\(user.active ? "Khóa ứng dụng" : "Mở lại ứng dụng")</button></form>
            <h2>Khóa truy cập</h2>
            \(c.tokens.isEmpty ? HTML("<p class=\"empty\">Chưa cấp khóa nào.</p>") : """
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Tên khóa</th><th scope="col">Mã gợi ý</th>\
            <th scope="col">Quyền</th><th scope="col">Tạo</th><th scope="col">Hết hạn</th><th scope="col">Dùng lần cuối</th>\
            <th scope="col">Trạng thái</th><th scope="col"></th></tr></thead><tbody>\(tokenRows)</tbody></table></div>
            """)
            <h3>Cấp khóa mới</h3>\(Widgets.problems(problems))
            <form method="post" action="\(base)/\(id.uuidString)/khoa-truy-cap" data-busy="Đang cấp…">\(req.csrfField)
            \(FormField("nhan", "Tên khóa", required: true, maxLength: 80, placeholder: "khóa máy chủ 2027").html)
            \(FormField("so_ngay", "Hiệu lực (ngày)", value: String(APITokenRules.defaultDays), .text(.number), min: 1,
                        max: APITokenRules.maxDays).html)
            <fieldset class="check-list"><legend>Quyền của khóa</legend>\(scopeBoxes)</fieldset>
            <label class="check"><input type="checkbox" name="thay_the" value="1"> Thay thế các khóa đang dùng: khóa cũ còn \
            hiệu lực thêm \(APITokenRules.rotationGraceDays) ngày để ứng dụng kịp chuyển</label>
            <div class="field"><button class="primary">Cấp khóa</button></div></form>
            \(webhooks)
            <h2>Các lần gọi gần đây</h2>
            \(calls.isEmpty ? HTML("<p class=\"empty\">Chưa có lần gọi nào.</p>") : """
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Lúc</th><th scope="col">Thao tác</th>\
            <th scope="col" class="num">Kết quả</th><th scope="col" class="num">Thời gian (ms)</th><th scope="col">Địa chỉ</th>\
            </tr></thead><tbody>\(callRows)</tbody></table></div>
            """)
            """
        let flash = ["tao": "Đã tạo ứng dụng kết nối; hãy cấp khóa truy cập.", "thu-hoi": "Đã thu hồi khóa.",
                     "gui-lai": "Đã đưa sự kiện vào hàng gửi lại; hệ thống gửi trong ít phút."][req.input.text("tb")]
        return req.page(Page(title: c.name, breadcrumbs: crumbs + [("Ứng dụng kết nối", base)], flash: flash, body: body),
                        status: status)
    }

    @Sendable static func issue(_ req: Request) async throws -> Response {
        let id = try clientID(req)
        let svc = try service(req)
        _ = try await svc.client(id)
        let f = req.input.form()
        let scopes = APIScope.allCases.filter { f[field($0)] == "1" }
        do {
            let issued = try await svc.issue(client: id, label: f["nhan"] ?? "", scopes: scopes,
                                             days: Int((f["so_ngay"] ?? "").trimmingCharacters(in: .whitespaces)),
                                             rotating: f["thay_the"] == "1")
            return try await show(req, id: id, issued: issued)
        } catch let p as CatalogProblems {
            return try await show(req, id: id, problems: p.problems.map(\.sentence), status: .unprocessableEntity)
        }
    }

    @Sendable static func revoke(_ req: Request) async throws -> Response {
        let id = try clientID(req)
        guard let token = req.parameters.get("token").flatMap(UUID.init(uuidString:)) else { throw Abort(.notFound) }
        try await service(req).revoke(client: id, token: token)
        return req.redirect(to: "\(base)/\(id.uuidString)?tb=thu-hoi")
    }

    @Sendable static func setActive(_ req: Request) async throws -> Response {
        let id = try clientID(req)
        try await service(req).setActive(client: id, req.input.form()["hoat_dong"] == "1")
        return req.redirect(to: "\(base)/\(id.uuidString)")
    }
}
