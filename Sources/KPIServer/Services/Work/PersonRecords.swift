import Fluent
import Foundation
import KPICore
import Vapor

/// A record about a person that feeds the evaluation and is voided with a reason, never deleted
/// (kỷ luật, nghỉ theo chế độ): one rule for who sees it and how it is voided.
protocol PersonRecord: Model where IDValue == UUID {
    var personID: UUID { get }
    var scopePath: String { get }
    var voided: Bool { get set }
    var voidReason: String { get set }
    /// The audit trail's entity type ("discipline", "leave"); actions are "<type>.void" and so on.
    static var auditType: String { get }
}

extension DisciplineRecord: PersonRecord { static let auditType = "discipline" }
extension LeaveRecord: PersonRecord { static let auditType = "leave" }

enum PersonRecords {
    /// A list's filters: name or code, kind, a date range (dd/MM/yyyy or ISO; empty = open), page.
    struct Query: Sendable {
        var q = ""
        var kind = ""
        var from = ""
        var to = ""
        var page = 1
    }

    /// Voids record `id` with `reason` when `mayEnter` its scope; the person's open periods are
    /// marked stale (their scores follow); atomic and audited.
    static func void<M: PersonRecord>(_ type: M.Type, _ id: UUID, reason: String, store: Store, actor: Actor, by principal: Principal,
                                      mayEnter: @escaping @Sendable (String) -> Bool,
                                      mayDecide: @escaping @Sendable (Person) -> Bool) async throws {
        // Who may void is settled before the reason is read: outside one's scope, 404; a leader's
        // record by someone who does not stand above them (the evaluator chain), 403.
        guard let found = try await M.find(id, on: store.db), mayEnter(found.scopePath) else { throw Abort(.notFound) }
        if let person = try await Person.find(found.personID, on: store.db), person.id != principal.personID, !mayDecide(person) {
            throw Abort(.forbidden, reason: SeparationOfDuties.leaderRecord)
        }
        let why = TextNormalizer.clean(reason)
        guard !why.isEmpty else { throw WorkService.Invalid("ly_do", "Vui lòng ghi lý do hủy ghi nhận.") }
        try await store.write { db in
            guard let r = try await M.find(id, on: db), mayEnter(r.scopePath) else { throw Abort(.notFound) }
            guard !r.voided else { throw WorkService.Refused(message: "Ghi nhận này đã được hủy trước đó.") }
            guard r.personID != principal.personID else { throw Abort(.forbidden, reason: SeparationOfDuties.ownRecord) }
            r.voided = true
            r.voidReason = why
            try await r.save(on: db)
            try await EvaluationService.markDirty(db, scopePath: r.scopePath)
            try await AuditLog.append(on: db, actor: actor, action: "\(M.auditType).void", entityType: M.auditType, entityID: id.uuidString,
                                      scopePath: r.scopePath, after: ["ly_do": why])
        }
    }

    /// `query` (joined with the people) narrowed to what `principal` may see: the records under
    /// `scopes` and their own, searched by name or code when `search` is given.
    static func visible<M: PersonRecord>(_ query: QueryBuilder<M>, scopes: Set<String>, principal: Principal, search: String) {
        query.group(.or) { g in
            for s in scopes { g.filter("scope_path", .custom("LIKE"), s + "%") }
            if let me = principal.personID { g.filter("person_id", .equal, me) }
            if scopes.isEmpty && principal.personID == nil { g.filter("scope_path", .equal, "-") }
        }
        let folded = TextNormalizer.fold(search)
        if !folded.isEmpty { query.filter(Person.self, \.$searchText, .custom("LIKE"), "%\(folded)%") }
    }

    /// The form post that voids a record, with the list page to return to.
    static func voidHandler(_ req: Request, back: String, _ void: (UUID, String) async throws -> Void) async throws -> Response {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw Abort(.notFound) }
        let v = (try? req.content.decode([String: String].self)) ?? [:]
        do {
            try await void(id, v["ly_do"] ?? "")
            return req.redirect(to: back + "?tb=huy")
        } catch let e as WorkService.Invalid {
            throw Abort(.unprocessableEntity, reason: e.problems.map(\.message).joined(separator: " "))
        } catch let e as WorkService.Refused {
            throw Abort(.conflict, reason: e.message)
        }
    }
}

extension Person {
    /// Giữ chức vụ lãnh đạo (cấp trưởng or cấp phó of their unit).
    var isLeader: Bool { !leadershipRank.isEmpty && leadershipRank != "khong" }
}
