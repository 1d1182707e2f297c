import Foundation
import KPICore
import Vapor

/// Chứng thư số tin cậy on the «Ứng dụng kết nối» page (issue 20, item 5): the certificates edXML signatures
/// are checked against; a system administrator adds one by pasting its PEM text, and removes one.
extension APIClientController {
    static func trust(_ req: Request) throws -> EdXMLTrust {
        EdXMLTrust(store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    static func certificateSection(_ req: Request, problems: [String] = [], pem: String = "") async throws -> HTML {
        let rows = try await trust(req).list().map { c -> HTML in
            let expired = c.notAfter <= req.now
            return """
                <tr><td data-label="Chứng thư">\(c.subject)</td><td data-label="Cấp bởi">\(c.issuer)</td>
                <td data-label="Hiệu lực đến">\(DateFormatting.dateTime(c.notAfter))\(expired ? " (đã hết hạn)" : "")</td>
                <td data-label="SHA-256"><code>\(String(c.fingerprint.prefix(16)))…</code></td>
                <td data-label="Thêm bởi">\(c.addedBy)</td>
                <td data-label=""><form method="post" action="\(base)/chung-thu/\(c.id!.uuidString)/go" \
                data-confirm="Gỡ chứng thư «\(c.subject)» khỏi danh sách tin cậy? Văn bản ký bằng chứng thư này \
                sẽ không còn được coi là có chữ ký hợp lệ.">\(req.csrfField)<button class="link">Gỡ</button></form>\
                </td></tr>
                """
        }
        let empty: HTML = """
            <p class="empty">Chưa có chứng thư tin cậy nào: mọi chữ ký số đều ghi «chưa tin cậy».</p>
            """
        return """
            <h2 id="chung-thu">Chứng thư số tin cậy (văn bản edXML)</h2>
            <p>Chữ ký số XML-DSig của gói văn bản edXML được kiểm tra với các chứng thư dưới đây: chứng \
            thư của người ký, hoặc chứng thư của tổ chức cấp chứng thư (khi đó mọi chứng thư do tổ chức \
            này cấp đều được tin cậy). Kết quả kiểm tra ghi trên nhiệm vụ; cơ quan chỉ nhận văn bản có ký \
            số đặt trong \
            <a href="/cai-dat">Cài đặt</a>.</p>
            \(rows.isEmpty ? empty : """
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Chứng thư</th><th scope="col">Cấp bởi</th>\
            <th scope="col">Hiệu lực đến</th><th scope="col">SHA-256</th><th scope="col">Thêm bởi</th>\
            <th scope="col"><span class="visually-hidden">Thao tác</span></th></tr></thead><tbody>\(rows)</tbody></table></div>
            """)
            \(Widgets.problems(problems))
            <form method="post" action="\(base)/chung-thu" class="record-form" data-busy="Đang thêm…">\(req.csrfField)
            \(FormField("pem", "Thêm chứng thư (dán nội dung tệp .pem hoặc .crt dạng văn bản)", value: pem,
                        .textarea(rows: 6), required: true, placeholder: "-----BEGIN CERTIFICATE-----").html)
            <div class="actions"><button class="primary">Thêm chứng thư</button></div></form>
            """
    }

    @Sendable static func addCertificate(_ req: Request) async throws -> Response {
        let pem = req.input.form()["pem"] ?? ""
        do {
            try await trust(req).add(pem: pem)
            return req.redirect(to: "\(base)?tb=chung-thu#chung-thu")
        } catch let e as EdXMLTrust.Refused {
            return try await list(req, problems: [e.message], status: .unprocessableEntity, pem: pem)
        }
    }

    @Sendable static func removeCertificate(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("cid").flatMap(UUID.init(uuidString:)) else { throw Abort(.notFound) }
        try await trust(req).remove(id)
        return req.redirect(to: "\(base)?tb=go-chung-thu#chung-thu")
    }
}
