import Foundation
import Fluent
import FluentPostgresDriver
import SQLKit
import KPICore
import Vapor

/// The signed-in user of a request, with their role grants.
struct Principal: Sendable {
    var userID: UUID
    var username: String
    var displayName: String
    var personID: UUID?
    var scopePath: String
    var grants: [Grant]
    var mustChangePassword: Bool
    /// Two-step sign-in is on for this account, or this session's sign-in at the identity provider
    /// asserted a second factor the province accepts (`KPI_OIDC_ACR`, `KPI_OIDC_AMR`).
    var mfaEnabled = false
    /// The personal-data notice (Nghị định 13/2023) was acknowledged; until then every page shows it.
    var privacyAcknowledged = true
    var sessionID: UUID?
    var csrfToken: String
    /// Unread notices (thông báo chưa đọc), shown in the header.
    var unread = 0
    /// The tree's agencies as of this request: the evaluator chain (who decides on whose records)
    /// follows them (`AgencyMap.evaluatorScope`).
    var agencies = AgencyMap([])
    /// Ủy quyền: what the user holds today on a head's behalf (their lãnh đạo grant on the unit, also
    /// in `grants`), and what they have handed to a deputy for today.
    var acting: [Delegation] = []
    var delegatedGrants: [Grant] = []
    var givenAway: [Delegation] = []
    /// Which delegation an authorization of this request relied on (shared by every copy of the
    /// principal, read by the audit trail to write «thay mặt»).
    let delegationUse = DelegationUse()

    /// The grants the user holds in their own right.
    var ownGrants: [Grant] {
        guard !delegatedGrants.isEmpty else { return grants }
        var own = grants
        for g in delegatedGrants { if let i = own.lastIndex(of: g) { own.remove(at: i) } }
        return own
    }

    /// A connected system signed in with an API token (issue 20): no person, only `api-client` grants
    /// (a session never carries that role).
    var isAPIClient: Bool { personID == nil && !grants.isEmpty && grants.allSatisfy { $0.role == .apiClient } }

    /// The name an action at `scopePath` is recorded under: with «thay mặt» the head's name when
    /// this request's authorization relied on their delegation.
    func name(actingAt scopePath: String) -> String {
        guard !acting.isEmpty, let d = delegationUse.covering(scopePath) else { return displayName }
        return "\(displayName) (thay mặt \(d.delegatorName))"
    }

    /// With the delegations of `day` from `index` applied.
    func applying(_ index: DelegationIndex, on day: DateOnly) -> Principal {
        guard !index.all.isEmpty else { return self }
        var p = self
        p.acting = index.acting(userID, on: day)
        p.givenAway = index.given(userID, on: day)
        p.delegatedGrants = p.acting.map { Grant(role: .leader, scopePath: $0.scopePath) }
        p.grants += p.delegatedGrants
        return p
    }

    /// The unit whose leaders evaluate a person and decide on their records (DOMAIN.md §1).
    func evaluatorScope(of unitPath: String, isLeader: Bool) -> String {
        agencies.evaluatorScope(unitPath: unitPath, isLeader: isLeader)
    }

    func can(_ action: Action, at path: String) -> Bool {
        guard AccessPolicy.allows(grants, action, at: path) else { return false }
        if !acting.isEmpty, !AccessPolicy.allows(ownGrants, action, at: path),
           let d = DelegationIndex.onBehalf(at: path, acting: acting, ownLeaderScopes: []) {
            delegationUse.note(d)
        }
        return true
    }

    func canAnywhere(_ action: Action) -> Bool {
        AccessPolicy.allowsAnywhere(grants, action)
    }

    /// Throws 403 with a Vietnamese reason when the action is not allowed at `path`.
    func require(_ action: Action, at path: String) throws {
        guard can(action, at: path) else { throw Abort(.forbidden, reason: Principal.refusal) }
    }

    func scopes(_ action: Action) -> [String] {
        AccessPolicy.scopes(grants, action)
    }

    func actor(at: Date) -> Actor { Actor(name: username, ip: "", at: at, delegationUse: acting.isEmpty ? nil : delegationUse) }

    static let refusal = "Bạn không có quyền thực hiện thao tác này trong phạm vi được giao."

    /// A session found by its token's hash, with its signed-in principal (nil when the user is
    /// inactive). One query: session, user, person's name, role grants (one row each) and the
    /// unread count; this runs on every signed-in request.
    struct SessionFound: Sendable {
        var sessionID: UUID
        var createdAt: Date
        var lastSeenAt: Date
        var principal: Principal?
    }

    /// One row of the session query: the session and user repeat on each of the user's grants.
    typealias SessionRow = (sessionID: UUID, csrfToken: String, createdAt: Date, lastSeenAt: Date, userID: UUID, username: String,
                            personID: UUID?, scopePath: String, mustChangePassword: Bool, active: Bool, fullName: String?,
                            role: String?, grantScope: String?, unread: Int, mfaOn: Int, privacyAck: Int)

    /// The session query. On PostgreSQL it runs as a prepared statement (planning it on every
    /// request was a third of PostgreSQL's time per page in the load test).
    struct SessionLookup: PostgresPreparedStatement {
        /// The query up to its one parameter, the token's hash (`$1` on PostgreSQL, a bind on SQLite).
        static let select = """
            SELECT s.id AS session_id, s.csrf_token, s.created_at, s.last_seen_at, u.id AS user_id, u.username, u.person_id,
                   u.scope_path, u.must_change_password, u.active, p.full_name, g.role, g.scope_path AS grant_scope,
                   (SELECT COUNT(*) FROM notices n WHERE n.user_id = u.id AND n.read_at IS NULL) AS unread,
                   CASE WHEN u.mfa_enabled_at IS NULL AND s.second_factor IS NULL THEN 0 ELSE 1 END AS mfa_on,
                   CASE WHEN u.privacy_ack_at IS NULL THEN 0 ELSE 1 END AS privacy_ack
            FROM web_sessions s JOIN users u ON u.id = s.user_id
            LEFT JOIN people p ON p.id = u.person_id LEFT JOIN role_grants g ON g.user_id = u.id
            WHERE s.token_hash =\u{20}
            """
        static let sql = select + "$1"
        typealias Row = SessionRow
        var hash: String

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings()
            b.append(hash)
            return b
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            var c = RowCells(row)
            let value = try Self.read(&c)
            return try c.finish(value)
        }

        /// A row of the query, read in the order of its SELECT list (on both databases).
        static func read(_ c: inout RowCells) throws -> SessionRow {
            // Each cell's type spelled out: inferring fifteen generic reads into a labelled tuple takes
            // the type checker minutes.
            (sessionID: try c.next(UUID.self), csrfToken: try c.next(String.self), createdAt: try c.next(Date.self),
             lastSeenAt: try c.next(Date.self), userID: try c.next(UUID.self), username: try c.next(String.self),
             personID: try c.next(UUID?.self), scopePath: try c.next(String.self), mustChangePassword: try c.next(Bool.self),
             active: try c.next(Bool.self), fullName: try c.next(String?.self), role: try c.next(String?.self),
             grantScope: try c.next(String?.self), unread: try c.next(Int.self), mfaOn: try c.next(Int.self),
             privacyAck: try c.next(Int.self))
        }
    }

    static func load(sessionTokenHash hash: String, on db: any Database) async throws -> SessionFound? {
        if let pg = db as? any PostgresDatabase {
            return try found(try await ConnectionGuard.rows(SessionLookup(hash: hash), on: pg, logger: db.logger))
        }
        return try found(await db.rows(SQLQueryString(SessionLookup.select) + "\(bind: hash)", SessionLookup.read))
    }

    static func found(_ rows: [SessionRow]) throws -> SessionFound? {
        guard let first = rows.first else { return nil }
        var found = SessionFound(sessionID: first.sessionID, createdAt: first.createdAt, lastSeenAt: first.lastSeenAt)
        guard first.active else { return found }
        // A session never carries the api-client role: it is an application's, used through the API only.
        let grants = rows.compactMap { r in r.role.flatMap(Role.init(rawValue:)).map { Grant(role: $0, scopePath: r.grantScope ?? "") } }
            .filter { $0.role != .apiClient }
        found.principal = Principal(userID: first.userID, username: first.username, displayName: first.fullName ?? first.username,
                                    personID: first.personID, scopePath: first.scopePath, grants: grants,
                                    mustChangePassword: first.mustChangePassword, sessionID: first.sessionID,
                                    csrfToken: first.csrfToken, unread: first.unread)
        found.principal?.mfaEnabled = first.mfaOn != 0
        found.principal?.privacyAcknowledged = first.privacyAck != 0
        return found
    }

    static func load(user: User, on db: any Database, session: WebSession?) async throws -> Principal {
        let grants = try await RoleGrant.query(on: db).filter(\.$userID == user.requireID()).all()
            .compactMap { g in Role(rawValue: g.role).map { Grant(role: $0, scopePath: g.scopePath) } }
        var name = user.username
        if let pid = user.personID, let person = try await Person.find(pid, on: db) {
            name = person.fullName
        }
        return Principal(userID: try user.requireID(), username: user.username, displayName: name,
                         personID: user.personID, scopePath: user.scopePath, grants: grants,
                         mustChangePassword: user.mustChangePassword, mfaEnabled: user.mfaEnabledAt != nil,
                         privacyAcknowledged: user.privacyAckAt != nil, sessionID: session?.id, csrfToken: session?.csrfToken ?? "",
                         unread: try await Notices.unread(user.requireID(), on: db),
                         agencies: try await Agencies.map(on: db))
    }
}

/// The delegations an authorization of one request relied on (`Principal.can`), for the audit trail.
final class DelegationUse: @unchecked Sendable {
    private let lock = NSLock()
    private var used: [Delegation] = []

    func note(_ d: Delegation) {
        lock.withLock { if !used.contains(where: { $0.id == d.id }) { used.append(d) } }
    }

    /// An action on one's own record or work (one's own task, evidence, self-assessment, complaint)
    /// is never done on another's behalf, whatever the request asked along the way.
    func forget() { lock.withLock { used.removeAll() } }

    /// The delegation relied on whose unit holds `scopePath` (the nearest), if any.
    func covering(_ scopePath: String) -> Delegation? {
        lock.withLock { used.filter { OrgPath.contains($0.scopePath, scopePath) }.max { $0.scopePath.count < $1.scopePath.count } }
    }
}

struct PrincipalKey: StorageKey { typealias Value = Principal }
struct SessionExpiredKey: StorageKey { typealias Value = Bool }

extension Request {
    var principal: Principal? {
        get { storage[PrincipalKey.self] }
        set { storage[PrincipalKey.self] = newValue }
    }

    /// The principal, or 401 for routes that sit behind `RequireSignIn` anyway.
    func requirePrincipal() throws -> Principal {
        guard let p = principal else { throw Abort(.unauthorized, reason: "Vui lòng đăng nhập.") }
        return p
    }

    /// Client address: the first X-Forwarded-For hop when behind a proxy, else the peer.
    /// The actor written into audit entries.
    var actor: Actor {
        // An API client is named with its application's name (the account name alone says little).
        let name = apiClient.map { "\($0.username) (API: \($0.name))" } ?? principal?.username ?? "anonymous"
        return Actor(name: name, ip: clientIP, at: now,
              delegationUse: principal.flatMap { $0.acting.isEmpty ? nil : $0.delegationUse })
    }
}
