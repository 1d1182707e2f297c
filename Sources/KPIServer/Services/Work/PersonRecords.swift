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
    /// marked stale (their scores follow); atomic and audited. About a leader nobody stands above,
    /// the voiding is proposed and waits for a second person (`confirming` is that confirmation).
    static func void<M: PersonRecord>(_ type: M.Type, _ id: UUID, reason: String, store: Store, actor: Actor, by principal: Principal,
                                      confirming: PendingRecordDecision? = nil,
                                      mayEnter: @escaping @Sendable (String) -> Bool,
                                      mayDecide: @escaping @Sendable (Person) -> Bool) async throws -> Outcome {
        // Who may void is settled before the reason is read: outside one's scope, 404; a leader's
        // record by someone who does not stand above them (the evaluator chain), 403.
        guard let found = try await M.find(id, on: store.db), mayEnter(found.scopePath) else { throw Abort(.notFound) }
        let person = try await Person.find(found.personID, on: store.db)
        if let person, person.id != principal.personID, !mayDecide(person) {
            throw Abort(.forbidden, reason: SeparationOfDuties.leaderRecord)
        }
        let why = TextNormalizer.clean(reason)
        guard !why.isEmpty else { throw WorkService.Invalid("ly_do", "Vui lòng ghi lý do hủy ghi nhận.") }
        guard why.count <= 500 else { throw WorkService.Invalid("ly_do", "Lý do dài quá 500 ký tự.") }
        if confirming == nil, let person, person.id != principal.personID, needsSecondPerson(person, agencies: principal.agencies) {
            guard !found.voided else { throw WorkService.Refused(message: "Ghi nhận này đã được hủy trước đó.") }
            try await propose(M.auditType, action: "void", person: person, recordID: id, form: ["ly_do": why],
                              summary: "Hủy ghi nhận: \(why)", store: store, principal: principal, actor: actor)
            return .proposed
        }
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
            if let confirming { try await settle(confirming, on: db, actor: actor, entityID: id) }
        }
        return .done(id)
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
    static func voidHandler(_ req: Request, back: String, _ void: (UUID, String) async throws -> Outcome) async throws -> Response {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw Abort(.notFound) }
        return try await answer(req, back: back, done: "huy") {
            let v = (try? req.content.decode([String: String].self)) ?? [:]
            return try await void(id, v["ly_do"] ?? "")
        }
    }

    /// A form post's answer: back to the list with a notice (`de-nghi` when it waits for a second
    /// person), or the refusal as an error page that says what to do.
    static func answer(_ req: Request, back: String, done: String, _ work: () async throws -> Outcome) async throws -> Response {
        do {
            let outcome = try await work()
            return req.redirect(to: back + "?tb=" + (outcome == .proposed ? "de-nghi" : done))
        } catch let e as WorkService.Invalid {
            throw Abort(.unprocessableEntity, reason: e.problems.map(\.message).joined(separator: " "))
        } catch let e as WorkService.Refused {
            throw Abort(e.forbidden ? .forbidden : .conflict, reason: e.message)
        }
    }
}

extension Person {
    /// Giữ chức vụ lãnh đạo (cấp trưởng or cấp phó of their unit).
    var isLeader: Bool { !leadershipRank.isEmpty && leadershipRank != "khong" }
}
