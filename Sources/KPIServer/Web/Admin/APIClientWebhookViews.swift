import Fluent
import Foundation
import KPICore
import Vapor

/// The webhook part of a client's page (issue 20, item 4): its subscriptions, the latest deliveries
/// with their state, and «Gửi lại» for a delivery that failed or was parked after a day of retries.
extension APIClientController {
    static func webhookService(_ req: Request) -> WebhookService {
        WebhookService(store: req.store, actor: req.actor, box: req.application.secretBox,
                       policy: req.application.settings.webhookAddressPolicy)
    }

    static func stateLabel(_ m: OutboxMessage) -> String {
        switch m.state {
        case OutboxMessage.sent: "Đã nhận"
        case OutboxMessage.failed: "Dừng gửi"
        default: m.attempts == 0 ? "Chờ gửi" : "Chờ gửi lại (\(m.attempts) lần chưa được)"
        }
    }

    static func webhookSection(_ req: Request, clientID: UUID, userID: UUID) async throws -> HTML {
        let svc = webhookService(req)
        let subs = try await svc.subscriptions(of: userID)
        let deliveries = try await svc.deliveries(of: userID)
        let subRows = subs.map { s -> HTML in
            """
            <tr><td data-label="Địa chỉ nhận"><code>\(s.url)</code></td>
            <td data-label="Sự kiện">\(s.events.split(separator: " ").map { WebhookEvent(rawValue: String($0))?.label ?? String($0) }
                .joined(separator: "; "))</td>
            <td data-label="Đăng ký lúc">\(DateFormatting.dateTime(s.createdAt)) (\(s.createdBy))</td></tr>
            """
        }
        let rows = deliveries.map { m, s -> HTML in
            let again: HTML = m.state == OutboxMessage.sent || !s.active ? .empty : """
                <form method="post" action="\(base)/\(clientID.uuidString)/su-kien/\(m.id!.uuidString)/gui-lai">\(req.csrfField)\
                <button class="link">Gửi lại</button></form>
                """
            return """
                <tr><td data-label="Lúc">\(DateFormatting.dateTime(m.createdAt))</td>
                <td data-label="Sự kiện">\(WebhookEvent(rawValue: m.subject)?.label ?? m.subject)<br><code>\(m.altBody)</code></td>
                <td data-label="Địa chỉ nhận"><code>\(s.url)</code></td><td data-label="Trạng thái">\(stateLabel(m))</td>
                <td data-label="Lỗi gần nhất">\(m.lastError ?? "")</td><td data-label="">\(again)</td></tr>
                """
        }
        return """
            <h2>Đăng ký nhận sự kiện</h2>
            <p class="hint">Ứng dụng tự đăng ký qua API (quyền <code>webhooks:manage</code>). Địa chỉ trong mạng nội \
            bộ chỉ \
            nhận được khi có trong <a href="/cai-dat">Cài đặt → Địa chỉ nội bộ được nhận sự kiện</a>.</p>
            \(subs.isEmpty ? HTML("<p class=\"empty\">Chưa đăng ký nhận sự kiện nào.</p>") : """
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Địa chỉ nhận</th><th scope="col">Sự kiện</th>\
            <th scope="col">Đăng ký lúc</th></tr></thead><tbody>\(subRows)</tbody></table></div>
            """)
            <h2>Sự kiện gửi gần đây</h2>
            \(deliveries.isEmpty ? HTML("<p class=\"empty\">Chưa có sự kiện nào.</p>") : """
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Lúc</th><th scope="col">Sự kiện</th>\
            <th scope="col">Địa chỉ nhận</th><th scope="col">Trạng thái</th><th scope="col">Lỗi gần nhất</th>\
            <th scope="col"></th>\
            </tr></thead><tbody>\(rows)</tbody></table></div>
            """)
            """
    }

    @Sendable static func redeliver(_ req: Request) async throws -> Response {
        let id = try clientID(req)
        let (record, _) = try await service(req).client(id)
        guard let mid = req.parameters.get("mid").flatMap(UUID.init(uuidString:)) else { throw Abort(.notFound) }
        try await webhookService(req).redeliver(mid, of: record.userID)
        return req.redirect(to: "\(base)/\(id.uuidString)?tb=gui-lai")
    }
}
