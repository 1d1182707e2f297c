import Crypto
import Fluent
import Foundation
import KPICore
import Vapor

/// Subscriptions and deliveries (issue 20, item 4): a client subscribes through the API (its own
/// subscriptions only); a system administrator sees every client's deliveries on its page and sends
/// a parked or failed one again. Every change is audited.
struct WebhookService {
    let store: Store
    let actor: Actor
    let box: SecretBox
    let policy: WebhookAddressPolicy

    static let secretPrefix = "whsec_"

    /// The receiver address, checked before anything is written: http(s), a host, no user or
    /// fragment, and none of its addresses inside the network unless allow-listed.
    func check(url text: String) async throws -> String {
        let text = text.trimmingCharacters(in: .whitespaces)
        guard text.count <= WebhookRules.maxURLLength, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              ["https", "http"].contains(scheme), let host = url.host, !host.isEmpty, url.user == nil, url.fragment == nil else {
            throw Self.invalid("địa chỉ nhận phải là https://… (hoặc http:// trong mạng nội bộ được cho phép), "
                                + "tối đa 500 ký tự")
        }
        switch await WebhookChannel.resolve(host) {
        case .failure(let why): throw Self.invalid(why)
        case .success(let addresses):
            if let refusal = addresses.lazy.compactMap({ policy.refusal($0) }).first { throw Self.invalid(refusal) }
            if scheme == "http", !addresses.allSatisfy({ a in policy.allowed.contains { $0.contains(a) } }) {
                throw Self.invalid("chỉ địa chỉ nội bộ được cho phép mới nhận qua http://; địa chỉ công khai "
                                    + "phải dùng https://")
            }
        }
        return text
    }

    static func invalid(_ message: String) -> APIProblem {
        APIProblem(.unprocessableEntity, "invalid-fields", "«url» không dùng được: \(message).",
                   errors: [(field: "url", message: message)])
    }

    /// A new subscription and its secret (shown once).
    func subscribe(client: APIClientContext, url: String, events: [WebhookEvent]) async throws -> (WebhookSubscription, String) {
        let url = try await check(url: url)
        let secret = Self.secretPrefix + AuditLog.hex(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
        let s = WebhookSubscription()
        s.id = UUID()
        s.userID = client.userID
        s.url = url
        s.events = WebhookEvent.allCases.filter(events.contains).map(\.rawValue).joined(separator: " ")
        s.secret = try box.seal(Array(secret.utf8), for: s.id!)
        s.active = true
        s.createdBy = actor.name
        s.createdAt = actor.at
        let actor = actor
        try await store.write { db in
            try await s.create(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "webhook.create", entityType: "webhook", entityID: s.id!.uuidString,
                                      scopePath: "/", after: ["ung_dung": client.username, "dia_chi": s.url, "su_kien": s.events])
        }
        return (s, secret)
    }

    func subscriptions(of userID: UUID) async throws -> [WebhookSubscription] {
        try await WebhookSubscription.query(on: store.db).filter(\.$userID == userID).filter(\.$active == true).sort(\.$createdAt).all()
    }

    /// Ends a subscription of `userID`; what was waiting for it is not sent.
    func unsubscribe(_ id: UUID, of userID: UUID) async throws {
        guard let s = try await WebhookSubscription.find(id, on: store.db), s.userID == userID, s.active else {
            throw APIProblem(.notFound, "webhook-not-found", "Không có đăng ký nhận sự kiện này của ứng dụng.")
        }
        let actor = actor
        try await store.write { db in
            s.active = false
            try await s.save(on: db)
            try await OutboxMessage.query(on: db).filter(\.$channel == Webhooks.channel).filter(\.$recipient == id.uuidString)
                .filter(\.$state == OutboxMessage.waiting).set(\.$state, to: OutboxMessage.failed)
                .set(\.$lastError, to: "Đăng ký đã bị hủy.").update()
            try await AuditLog.append(on: db, actor: actor, action: "webhook.delete", entityType: "webhook", entityID: id.uuidString,
                                      scopePath: "/", before: ["dia_chi": s.url, "su_kien": s.events])
        }
    }

    /// The latest deliveries to the subscriptions of `userID`.
    func deliveries(of userID: UUID, limit: Int = 50) async throws -> [(OutboxMessage, WebhookSubscription)] {
        let subs = try await WebhookSubscription.query(on: store.db).filter(\.$userID == userID).all()
        let byID = Dictionary(uniqueKeysWithValues: subs.compactMap { s in s.id.map { ($0.uuidString, s) } })
        guard !byID.isEmpty else { return [] }
        let rows = try await OutboxMessage.query(on: store.db).filter(\.$channel == Webhooks.channel)
            .filter(\.$recipient ~~ Array(byID.keys)).sort(\.$createdAt, .descending).limit(limit).all()
        return rows.compactMap { m in byID[m.recipient].map { (m, $0) } }
    }

    /// Gửi lại: a delivery of `userID`'s subscriptions queued again now, with its same event id.
    func redeliver(_ messageID: UUID, of userID: UUID) async throws {
        guard let m = try await OutboxMessage.find(messageID, on: store.db), m.channel == Webhooks.channel,
              let subID = UUID(uuidString: m.recipient), let s = try await WebhookSubscription.find(subID, on: store.db),
              s.userID == userID else {
            throw Abort(.notFound, reason: "Không có lần gửi sự kiện này.")
        }
        guard s.active else {
            throw Abort(.conflict, reason: "Đăng ký nhận sự kiện này đã bị hủy; không gửi lại được.")
        }
        let (actor, now) = (actor, actor.at)
        try await store.write { db in
            m.state = OutboxMessage.waiting
            m.nextAttemptAt = now
            m.createdAt = now
            try await m.save(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "webhook.redeliver", entityType: "webhook", entityID: subID.uuidString,
                                      scopePath: "/", after: ["su_kien": m.altBody, "loai": m.subject])
        }
    }
}

extension KPIAPI {
    func webhookService(_ req: Request) -> WebhookService {
        WebhookService(store: req.store, actor: req.actor, box: req.application.secretBox,
                       policy: req.application.settings.webhookAddressPolicy)
    }

    static func render(_ s: WebhookSubscription) -> Components.Schemas.Webhook {
        .init(id: s.id!.uuidString, url: s.url, events: s.events.split(separator: " ").compactMap {
            Components.Schemas.WebhookEvent(rawValue: String($0))
        }, active: s.active, createdAt: s.createdAt)
    }

    func listWebhooks(_ input: Operations.ListWebhooks.Input) async throws -> Operations.ListWebhooks.Output {
        let (req, client, _) = try APIContext.require(.webhooksManage)
        let subs = try await webhookService(req).subscriptions(of: client.userID)
        return .ok(.init(body: .json(.init(items: subs.map(Self.render)))))
    }

    func createWebhook(_ input: Operations.CreateWebhook.Input) async throws -> Operations.CreateWebhook.Output {
        let (req, client, _) = try APIContext.require(.webhooksManage)
        guard case .json(let b) = input.body else { throw APIProblem.notJSON }
        guard (1...WebhookEvent.allCases.count).contains(b.events.count) else {
            throw APIValidate.fail("events", "chọn 1–\(WebhookEvent.allCases.count) loại sự kiện")
        }
        try APIValidate.length(b.url, "url", max: WebhookRules.maxURLLength, min: 1)
        let events = b.events.compactMap { WebhookEvent(rawValue: $0.rawValue) }
        let (s, secret) = try await webhookService(req).subscribe(client: client, url: b.url, events: events)
        return .created(.init(body: .json(.init(webhook: Self.render(s), secret: secret))))
    }

    func deleteWebhook(_ input: Operations.DeleteWebhook.Input) async throws -> Operations.DeleteWebhook.Output {
        let (req, client, _) = try APIContext.require(.webhooksManage)
        guard let id = try APIResults.uuid(input.path.id, "id") else { throw APIValidate.fail("id", "là một mã định danh UUID") }
        try await webhookService(req).unsubscribe(id, of: client.userID)
        return .noContent(.init())
    }
}
