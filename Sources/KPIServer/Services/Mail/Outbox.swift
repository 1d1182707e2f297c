import Fluent
import Foundation
import KPICore
import NIOCore
import Vapor

/// What a channel made of one message.
enum DeliveryResult: Sendable, Equatable {
    case sent
    /// Not now (the server down, a 4xx answer): tried again after `RetrySchedule`, never dropped.
    case retry(String)
    /// Refused for good by the receiving side (a mailbox that does not exist): kept with the reason.
    case failed(String)
}

/// Kênh gửi: one way out of the outbox. Mail is the first; SMS or Zalo is a type that conforms to
/// this (its `name`, whether it is configured, how it sends a batch), added to `DeliveryChannels.all`,
/// and messages queued with its name (`Outbox.enqueue`). The outbox keeps the retries, the order
/// and the record of what was sent; a channel only sends.
protocol DeliveryChannel: Sendable {
    var name: String { get }
    var isConfigured: Bool { get }
    /// The result of each message, in order.
    func deliver(_ messages: [OutboxMessage]) async -> [DeliveryResult]
    /// How long to wait before trying a message again after `n` attempts.
    func retryDelay(afterAttempts n: Int) -> TimeInterval
}

extension DeliveryChannel {
    func retryDelay(afterAttempts n: Int) -> TimeInterval { RetrySchedule.delay(afterAttempts: n) }
}

enum DeliveryChannels {
    /// The channels of these settings: mail, and the API's webhooks.
    static func all(_ app: Application, settings: Settings) -> [any DeliveryChannel] {
        [EmailChannel(settings: settings, group: app.eventLoopGroup),
         WebhookChannel(store: app.store, client: app.client, box: app.secretBox, policy: settings.webhookAddressPolicy)]
    }
}

/// Thư điện tử through the relay of the settings.
struct EmailChannel: DeliveryChannel {
    static let name = "email"
    var name: String { Self.name }
    let settings: Settings
    let group: any EventLoopGroup

    var isConfigured: Bool { !settings.smtpHost.isEmpty }

    var client: SMTPClient {
        SMTPClient(config: .init(host: settings.smtpHost, port: settings.smtpPort,
                                 requireTLS: settings.smtpSecurity != SettingsCatalog.plain, username: settings.smtpUsername,
                                 password: settings.smtpPassword, caFile: settings.smtpCAFile), group: group)
    }

    func rendered(_ m: OutboxMessage) -> String {
        let domain = settings.smtpFrom.split(separator: "@").last.map(String.init) ?? "kpi.local"
        return MailMessage(from: settings.smtpFrom, fromName: settings.smtpFromName, to: m.recipient, subject: m.subject,
                           text: m.body, html: m.altBody, date: m.createdAt, messageID: "\(m.id!.uuidString.lowercased())@\(domain)")
            .rendered()
    }

    func deliver(_ messages: [OutboxMessage]) async -> [DeliveryResult] {
        do {
            let outcomes = try await client.send(messages.map { (settings.smtpFrom, $0.recipient, rendered($0)) })
            return outcomes.map {
                switch $0 {
                case .sent: .sent
                case .refused(let why): .failed("Máy chủ thư từ chối địa chỉ hoặc thư: \(why)")
                case .deferred(let why): .retry("Máy chủ thư tạm hoãn: \(why)")
                }
            }
        } catch {
            let why = String(describing: error)
            return messages.map { _ in .retry(why) }
        }
    }
}

/// Hộp thư đi: messages are written here in the transaction of what caused them (or by the mail
/// router) and sent by the mail job; a request never waits for a mail server.
enum Outbox {
    /// Messages whose key starts so carry a secret (a link that sets a password): their text is
    /// erased once sent, so the outbox does not keep a usable link.
    static let secretPrefix = "bi-mat:"

    /// Queues a message unless one with the same key is already there (then returns false).
    @discardableResult
    static func enqueue(on db: any Database, channel: String, recipient: String, subject: String, body: String, altBody: String,
                        key: String, at now: Date) async throws -> Bool {
        guard try await OutboxMessage.query(on: db).filter(\.$dedupeKey == key).count() == 0 else { return false }
        let m = OutboxMessage()
        m.channel = channel; m.recipient = recipient; m.subject = subject; m.body = body; m.altBody = altBody
        m.dedupeKey = key; m.state = OutboxMessage.waiting; m.attempts = 0; m.nextAttemptAt = now; m.createdAt = now
        try await m.create(on: db)
        return true
    }

    struct Sent: Sendable, Equatable {
        var sent = 0
        var retried = 0
        var failed = 0
    }

    /// Sends what is due on the configured channels, `batch` at a time, until nothing is due or four
    /// minutes have gone (the next run goes on; the job's lease lasts ten).
    static func deliverDue(store: Store, channels: [any DeliveryChannel], batch: Int = 50,
                           budget: Duration = .seconds(240)) async throws -> Sent {
        var total = Sent()
        let started = ContinuousClock.now
        for channel in channels where channel.isConfigured {
            var seen = Set<UUID>()
            while ContinuousClock.now - started < budget {
                let now = store.now
                let due = try await OutboxMessage.query(on: store.db).filter(\.$channel == channel.name)
                    .filter(\.$state == OutboxMessage.waiting).filter(\.$nextAttemptAt <= now)
                    .sort(\.$nextAttemptAt).sort(\.$id).limit(batch).all().filter { !seen.contains($0.id!) }
                guard !due.isEmpty else { break }
                seen.formUnion(due.map { $0.id! })
                let results = await channel.deliver(due)
                let at = store.now
                try await store.write(reach: nil) { db in
                    for (m, r) in zip(due, results) {
                        m.attempts += 1
                        switch r {
                        case .sent:
                            m.state = OutboxMessage.sent; m.sentAt = at; m.lastError = nil
                            if m.dedupeKey.hasPrefix(secretPrefix) { m.body = "(nội dung đã xóa sau khi gửi)"; m.altBody = "" }
                        case .failed(let why): m.state = OutboxMessage.failed; m.lastError = String(why.prefix(500))
                        case .retry(let why):
                            m.lastError = String(why.prefix(500))
                            m.nextAttemptAt = at.addingTimeInterval(channel.retryDelay(afterAttempts: m.attempts))
                        }
                        try await m.save(on: db)
                    }
                }
                for r in results {
                    switch r {
                    case .sent: total.sent += 1
                    case .retry: total.retried += 1
                    case .failed: total.failed += 1
                    }
                }
                // A server that is down fails the whole batch: wait for the next run rather than hammer it.
                if results.allSatisfy({ if case .retry = $0 { true } else { false } }) { break }
            }
        }
        return total
    }
}
