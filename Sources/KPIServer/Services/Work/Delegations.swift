import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Ủy quyền (issue 18, item 8; `KPICore.Delegation`): a head hands the lãnh đạo powers of a unit
/// they lead to a deputy of that unit for some days. Each request of the deputy holds the head's grant
/// on those days (`Principal.applying(_:on:)`); what it authorizes is written to the audit trail as
/// done on the head's behalf (thay mặt), and every page the deputy opens says so.
struct DelegationService {
    let store: Store
    let principal: Principal
    let actor: Actor

    /// The units whose lãnh đạo powers the user may hand on: their own grants, never one they hold
    /// by delegation.
    var delegableScopes: [String] {
        Array(Set(principal.ownGrants.filter { $0.role == .leader }.map(\.scopePath))).sorted()
    }

    /// Whether the user may take back `d`: its head, or an administrator of its unit's accounts.
    func mayRevoke(delegatorUserID: UUID, scopePath: String) -> Bool {
        delegatorUserID == principal.userID || principal.can(.manageRoles, at: scopePath)
    }

    /// Those who may stand in for the user in `scopes`: the active accounts of people working there,
    /// by name (for the form's list; at most 500).
    func candidates(in scopes: [String]) async throws -> [(username: String, name: String, code: String)] {
        guard !scopes.isEmpty else { return [] }
        return try await store.db.rows("""
            SELECT u.username, p.full_name, p.code FROM users u JOIN people p ON p.id = u.person_id
            WHERE u.active = \(bind: true) AND p.active = \(bind: true) AND u.id <> \(bind: principal.userID)
              AND \(ScoreGathering.within("p.scope_path", scopes))
            ORDER BY p.full_name, u.username LIMIT 500
            """) { c in (username: try c.next(String.self), name: try c.next(String.self), code: try c.next(String.self)) }
    }

    /// Records a delegation from the user to the deputy named in `draft` (username or personnel code).
    func create(_ draft: DelegationDraft) async throws -> UUID {
        var problems: [TaskProblem] = []
        let scope = draft.scope
        if !delegableScopes.contains(scope) {
            problems.append(.init("pham_vi",
                "Vui lòng chọn đơn vị bạn là lãnh đạo (chỉ ủy quyền quyền của chính mình)."))
        }
        let who = TextNormalizer.clean(draft.deputy)
        var deputy: User?
        if who.isEmpty {
            problems.append(.init("nguoi_duoc_uy_quyen", "Vui lòng chọn người được ủy quyền."))
        } else if who.count <= 100 {
            deputy = try await User.query(on: store.db).filter(\.$username == who.lowercased()).first()
            if deputy == nil, let person = try await Person.query(on: store.db).filter(\.$code == who).first() {
                deputy = try await User.query(on: store.db).filter(\.$personID == person.requireID()).filter(\.$active == true).first()
            }
        }
        var deputyPerson: Person?
        if let d = deputy, let pid = d.personID { deputyPerson = try await Person.find(pid, on: store.db) }
        if !who.isEmpty {
            if let d = deputy, d.id == principal.userID {
                problems.append(.init("nguoi_duoc_uy_quyen", "Không tự ủy quyền cho chính mình."))
            } else if let d = deputy, d.active, let person = deputyPerson, person.active, OrgPath.contains(scope, person.scopePath) {
                let grants = try await RoleGrant.query(on: store.db).filter(\.$userID == d.requireID())
                    .filter(\.$role == Role.leader.rawValue).all()
                if grants.contains(where: { OrgPath.contains($0.scopePath, scope) }) {
                    problems.append(.init("nguoi_duoc_uy_quyen",
                        "\(person.fullName) đã là lãnh đạo của đơn vị này, không cần ủy quyền."))
                }
            } else {
                problems.append(.init("nguoi_duoc_uy_quyen", """
                    Không có tài khoản đang hoạt động «\(who.prefix(100))» của người làm việc trong đơn vị đã \
                    chọn: \
                    người được ủy quyền phải là cán bộ của đơn vị đó (thường là cấp phó).
                    """))
            }
        }
        var checked: DelegationDraft.Checked?
        switch draft.check(today: store.today) {
        case let .success(c): checked = c
        case let .failure(p): problems += p.list
        }
        guard problems.isEmpty, let deputy, let c = checked else { throw WorkService.Invalid(problems) }
        let (principal, actor, postgres, deputyID) = (principal, actor, store.isPostgres, try deputy.requireID())
        let name = deputyPerson?.fullName ?? deputy.username
        return try await store.write { db in
            // One writer per head at a time, so two tabs cannot both hand the same unit to two deputies.
            if postgres { try await db.sql.raw("SELECT id FROM users WHERE id = \(bind: principal.userID) FOR UPDATE").run() }
            let open = try await DelegationRecord.query(on: db).filter(\.$delegatorUserID == principal.userID)
                .filter(\.$scopePath == scope).filter(\.$revokedAt == nil)
                .filter(\.$endsOn >= c.from.iso).filter(\.$startsOn <= c.to.iso).first()
            if let open {
                throw WorkService.Invalid("tu_ngay", """
                    Bạn đã ủy quyền đơn vị này từ \(WorkViews.date(open.startsOn)) đến hết \
                    \(WorkViews.date(open.endsOn)); \
                    mỗi lúc chỉ một người được ủy quyền. Thu hồi ủy quyền đó trước nếu cần đổi người.
                    """)
            }
            let r = DelegationRecord()
            r.delegatorUserID = principal.userID
            r.deputyUserID = deputyID
            r.scopePath = scope
            r.startsOn = c.from.iso
            r.endsOn = c.to.iso
            r.reason = c.reason
            r.createdBy = principal.username
            r.createdAt = actor.at
            r.revokedBy = ""
            try await r.create(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "delegation.create", entityType: "delegation",
                                      entityID: r.id!.uuidString, scopePath: scope,
                                      after: ["nguoi_uy_quyen": principal.username, "nguoi_duoc_uy_quyen": deputy.username,
                                              "ten_nguoi_duoc_uy_quyen": name, "tu_ngay": r.startsOn, "den_ngay": r.endsOn,
                                              "ly_do": r.reason])
            return r.id!
        }
    }

    /// Takes a delegation back from today (thu hồi): it stops at once; what the deputy did stays.
    func revoke(_ id: UUID) async throws {
        guard let r = try await DelegationRecord.find(id, on: store.db), visible(r) else {
            throw Abort(.notFound, reason: "Không tìm thấy ủy quyền này trong phạm vi của bạn.")
        }
        guard mayRevoke(delegatorUserID: r.delegatorUserID, scopePath: r.scopePath) else {
            throw WorkService.Refused(message: "Chỉ người ủy quyền hoặc quản trị đơn vị mới thu hồi được.",
                                      forbidden: true)
        }
        let (actor, today) = (actor, store.today)
        try await store.write { db in
            guard let r = try await DelegationRecord.find(id, on: db), r.revokedAt == nil,
                  let end = DateOnly(parsing: r.endsOn), today <= end else {
                throw WorkService.Refused(message: "Ủy quyền này đã hết hạn hoặc đã được thu hồi.")
            }
            r.revokedAt = actor.at
            r.revokedBy = actor.name
            try await r.update(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "delegation.revoke", entityType: "delegation",
                                      entityID: id.uuidString, scopePath: r.scopePath,
                                      before: ["tu_ngay": r.startsOn, "den_ngay": r.endsOn], after: ["thu_hoi": today.iso])
        }
    }

    /// Who sees a delegation: its head and deputy, the administrators of its unit's accounts, the
    /// inspectors of its scope.
    func visible(_ r: DelegationRecord) -> Bool {
        r.delegatorUserID == principal.userID || r.deputyUserID == principal.userID
            || principal.can(.manageRoles, at: r.scopePath) || principal.can(.viewAudit, at: r.scopePath)
    }

    struct Query {
        var q = ""
        var state = ""
        var page = 1
    }

    struct Row {
        var record: Delegation
        var state: DelegationState
        var createdBy: String
        var revokedBy: String
    }

    /// The delegations the user may see, newest first, with the list's search and state filter.
    func list(_ q: Query, limit: Int = 50) async throws -> (rows: [Row], total: Int) {
        let scopes = Array(Set(principal.scopes(.manageRoles) + principal.scopes(.viewAudit))).sorted()
        var condition: SQLQueryString = "(d.delegator_user_id = \(bind: principal.userID) OR d.deputy_user_id = \(bind: principal.userID)"
        if !scopes.isEmpty {
            condition = condition + " OR " + ScoreGathering.within("d.scope_path", scopes)
        }
        condition = condition + ")"
        let today = store.today.iso
        switch DelegationState(rawValue: q.state) {
        case .upcoming: condition = condition + " AND d.revoked_at IS NULL AND d.starts_on > \(bind: today)"
        case .active: condition = condition + " AND d.revoked_at IS NULL AND d.starts_on <= \(bind: today) AND d.ends_on >= \(bind: today)"
        case .ended: condition = condition + " AND d.revoked_at IS NULL AND d.ends_on < \(bind: today)"
        case .revoked: condition = condition + " AND d.revoked_at IS NOT NULL"
        case nil: break
        }
        let search = TextNormalizer.fold(TextNormalizer.clean(q.q))
        if !search.isEmpty {
            let like = "%" + search.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "") + "%"
            condition = condition + """
                 AND (pa.search_text LIKE \(bind: like) OR pb.search_text LIKE \(bind: like)
                      OR ua.username LIKE \(bind: like) OR ub.username LIKE \(bind: like))
                """
        }
        let from: SQLQueryString = Delegations.from + " WHERE "
        let total = try await store.db.value("SELECT COUNT(*)" + from + condition, as: Int.self) ?? 0
        let page = min(max(q.page, 1), 100_000)
        let rows = try await store.db.rows(Delegations.columns + """
            , d.created_by, d.revoked_by, CASE WHEN d.revoked_at IS NULL THEN 0 ELSE 1 END AS revoked
            """ + from + condition + """
             ORDER BY d.starts_on DESC, d.created_at DESC LIMIT \(bind: limit) OFFSET \(bind: (page - 1) * limit)
            """) { c in
            (delegation: try Delegations.read(&c), createdBy: try c.next(String.self), revokedBy: try c.next(String.self),
             revoked: try c.next(Int.self))
        }
        let day = store.today
        return (rows.compactMap { r in
            r.delegation.map { d in
                Row(record: d, state: .of(from: d.from, to: d.to, revoked: r.revoked != 0, on: day), createdBy: r.createdBy,
                    revokedBy: r.revokedBy)
            }
        }, total)
    }
}

/// The delegations as requests and notices read them.
enum Delegations {
    /// The delegations in force on `day` or later (a day's margin for the cache), whose head still holds
    /// the grant they delegated and whose two accounts are active: a grant withdrawn from the head
    /// ends its delegation with it.
    static func index(on db: any Database, today: DateOnly) async throws -> DelegationIndex {
        let rows = try await db.rows(columns + from + """
             WHERE ua.active = \(bind: true) AND ub.active = \(bind: true)
              AND d.revoked_at IS NULL AND d.ends_on >= \(bind: today.adding(days: -1).iso)
              AND EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = d.delegator_user_id AND g.role = \(bind: Role.leader.rawValue)
                          AND g.scope_path = d.scope_path)
            """) { c in try read(&c) }
        return DelegationIndex(rows.compactMap { $0 })
    }

    /// What a `Delegation` is read from, with `from`'s joins: its head (ua, pa), deputy (ub, pb) and unit (o).
    static let columns: SQLQueryString = """
        SELECT d.id, d.delegator_user_id, COALESCE(pa.full_name, ua.username) AS delegator_name, ua.username AS delegator_username,
               d.deputy_user_id, COALESCE(pb.full_name, ub.username) AS deputy_name, d.scope_path,
               COALESCE(o.name, d.scope_path) AS scope_name, d.starts_on, d.ends_on, d.reason
        """
    static let from: SQLQueryString = """
         FROM delegations d JOIN users ua ON ua.id = d.delegator_user_id JOIN users ub ON ub.id = d.deputy_user_id
         LEFT JOIN people pa ON pa.id = ua.person_id LEFT JOIN people pb ON pb.id = ub.person_id
         LEFT JOIN organizations o ON o.path = d.scope_path
        """

    /// A delegation read in `columns`' order (nil for a malformed date).
    static func read(_ c: inout RowCells) throws -> Delegation? {
        let (id, delegator, delegatorName) = (try c.next(UUID.self), try c.next(UUID.self), try c.next(String.self))
        let (delegatorUsername, deputy, deputyName) = (try c.next(String.self), try c.next(UUID.self), try c.next(String.self))
        let (scope, scopeName) = (try c.next(String.self), try c.next(String.self))
        let (from, to) = (try c.next(String.self), try c.next(String.self))
        let reason = try c.next(String.self)
        guard let from = DateOnly(parsing: from), let to = DateOnly(parsing: to) else { return nil }
        return Delegation(id: id, delegatorUserID: delegator, delegatorName: delegatorName, delegatorUsername: delegatorUsername,
                          deputyUserID: deputy, deputyName: deputyName, scopePath: scope, scopeName: scopeName, from: from, to: to,
                          reason: reason)
    }

    /// The lãnh đạo powers held by delegation on `day`, as (scope, deputy's account) pairs like
    /// `Notices.leaderGrants`: the deputy hears what waits for the head while they stand in.
    static func leaderGrants(covering scopePath: String?, on db: any Database, day: DateOnly) async throws -> [(String, UUID)] {
        var scope: SQLQueryString = ""
        if let scopePath {
            let ancestors = OrgPath.ancestors(scopePath)
            scope.appendInterpolation(unsafeRaw: " AND d.scope_path IN (")
            for (i, a) in ancestors.enumerated() {
                if i > 0 { scope.appendInterpolation(unsafeRaw: ", ") }
                scope.appendInterpolation(bind: a)
            }
            scope.appendInterpolation(unsafeRaw: ")")
        }
        return try await db.rows("""
            SELECT d.scope_path, d.deputy_user_id FROM delegations d
            JOIN users ub ON ub.id = d.deputy_user_id AND ub.active = \(bind: true)
            WHERE d.revoked_at IS NULL AND d.starts_on <= \(bind: day.iso) AND d.ends_on >= \(bind: day.iso)
              AND EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = d.delegator_user_id AND g.role = \(bind: Role.leader.rawValue)
                          AND g.scope_path = d.scope_path)
            """ + scope) { c in (try c.next(String.self), try c.next(UUID.self)) }
    }
}
