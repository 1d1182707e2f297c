import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Webhooks (issue 20, item 4): an event is written into the outbox in the transaction of the change
/// that raised it, once for each subscription whose client's subtree holds the record, and delivered
/// later by the outbox job (`WebhookChannel`): a slow or dead receiver never slows a user's request.
enum Webhooks {
    static let channel = "webhook"

    /// Queues `event` about a record at `scopePath` for every active subscription to it. `data` is
    /// the event's own facts (codes and states, nothing a client could not read through the API).
    /// `once`: a key of the occurrence, for an event a periodic scan raises (queued once per subscription).
    static func emit(_ db: any Database, _ event: WebhookEvent, scopePath: String, data: [String: Any], at now: Date,
                     once: String? = nil) async throws {
        try await emit(db, event, scopePath: scopePath, facts: { data }, at: now, once: once)
    }

    /// `emit`, with facts that cost reads gathered only when someone subscribed (usually nobody has).
    static func emit(_ db: any Database, _ event: WebhookEvent, scopePath: String, facts: () async throws -> [String: Any],
                     at now: Date, once: String? = nil, group: WriteGroup? = nil) async throws {
        let subscribers = try await subscribers(db, event, scopePath: scopePath, group: group)
        guard !subscribers.isEmpty else { return }
        let data = try await facts()
        for sub in subscribers {
            let eventID = UUID()
            let payload: [String: Any] = ["id": eventID.uuidString.lowercased(), "type": event.rawValue,
                                          "occurredAt": ISO8601DateFormatter().string(from: now), "data": data]
            let body = String(decoding: try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys]), as: UTF8.self)
            try await Outbox.enqueue(on: db, channel: channel, recipient: sub.uuidString, subject: event.rawValue, body: body,
                                     altBody: eventID.uuidString.lowercased(),
                                     key: "webhook:\(once ?? eventID.uuidString):\(sub.uuidString)", at: now)
        }
    }

    /// An active subscription of an active client: its events (separated by spaces) and the scope of one of the client's
    /// grants.
    struct Subscription: Sendable {
        var id: UUID
        var events: String
        var grantScope: String
    }

    /// The subscriptions that hear of `event` at `scopePath`: every active subscription of an active client is read
    /// (a province has a handful) and chosen here; in a group of creations (`WriteGroup`) read once for the group.
    static func subscribers(_ db: any Database, _ event: WebhookEvent, scopePath: String, group: WriteGroup?) async throws -> [UUID] {
        let all: [Subscription]
        if let kept = group?.subscriptions { all = kept } else {
            all = try await subscriptions(db)
            group?.subscriptions = all
        }
        var seen = Set<UUID>()
        return all.filter { s in
            s.events.split(separator: " ").contains(Substring(event.rawValue)) && OrgPath.contains(s.grantScope, scopePath)
                && seen.insert(s.id).inserted
        }.map(\.id)
    }

    /// Every active subscription of an active client, with the scope of the client's grant.
    static func subscriptions(_ db: any Database) async throws -> [Subscription] {
        try await db.rows("""
            SELECT s.id, s.events, g.scope_path FROM webhook_subscriptions s
            JOIN users u ON u.id = s.user_id AND u.active = \(bind: true)
            JOIN role_grants g ON g.user_id = s.user_id AND g.role = \(bind: Role.apiClient.rawValue)
            WHERE s.active = \(bind: true)
            """) { c in
            Subscription(id: try c.next(UUID.self), events: try c.next(String.self), grantScope: try c.next(String.self))
        }
    }

    /// The facts of a task an event carries.
    static func taskData(_ t: WorkTask, on db: any Database) async throws -> [String: Any] {
        var d: [String: Any] = ["code": t.code, "state": t.state, "title": t.title, "due": t.due, "version": t.version]
        if let a = t.assigneeID, let p = try await Person.find(a, on: db) { d["assigneeCode"] = p.code }
        if let o = try await Organization.find(t.organizationID, on: db) { d["unitCode"] = o.code }
        if !t.documentID.isEmpty { d["documentId"] = t.documentID }
        if !t.verdict.isEmpty { d["verdict"] = t.verdict }
        return d
    }

    /// A period's step (published, locked): the period's facts, never a score.
    static func period(_ db: any Database, _ p: EvaluationPeriod, _ event: WebhookEvent, at now: Date) async throws {
        let org = try await Organization.find(p.organizationID, on: db)
        try await emit(db, event, scopePath: p.scopePath, data: ["id": try p.requireID().uuidString, "code": p.code, "kind": p.kind,
                                                                 "organizationCode": org?.code ?? ""], at: now)
    }

    /// The event of a task's timeline line, queued with it (`WorkService.timeline`).
    static func task(_ db: any Database, _ t: WorkTask, kind: String, at now: Date, group: WriteGroup? = nil) async throws {
        try await EdXMLStatuses.announce(db, t, kind: kind, toState: t.state, at: now)
        guard let event = WebhookEvent.forTask(kind: kind) else { return }
        try await emit(db, event, scopePath: t.scopePath, facts: { try await taskData(t, on: db) }, at: now, group: group)
    }
}
