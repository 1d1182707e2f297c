import Foundation
import Fluent
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
    var sessionID: UUID?
    var csrfToken: String
    /// Unread notices (thông báo chưa đọc), shown in the header.
    var unread = 0

    func can(_ action: Action, at path: String) -> Bool {
        AccessPolicy.allows(grants, action, at: path)
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

    var actor: Actor { Actor(name: username, ip: "") }

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

    static func load(sessionTokenHash hash: String, on sql: any SQLDatabase) async throws -> SessionFound? {
        let rows = try await sql.raw("""
            SELECT s.id AS session_id, s.csrf_token, s.created_at, s.last_seen_at, u.id AS user_id, u.username, u.person_id,
                   u.scope_path, u.must_change_password, u.active, p.full_name, g.role, g.scope_path AS grant_scope,
                   (SELECT COUNT(*) FROM notices n WHERE n.user_id = u.id AND n.read_at IS NULL) AS unread
            FROM web_sessions s JOIN users u ON u.id = s.user_id
            LEFT JOIN people p ON p.id = u.person_id LEFT JOIN role_grants g ON g.user_id = u.id
            WHERE s.token_hash = \(bind: hash)
            """).all()
        guard let first = rows.first else { return nil }
        var found = SessionFound(sessionID: try first.decode(column: "session_id", as: UUID.self),
                                 createdAt: try first.decode(column: "created_at", as: Date.self),
                                 lastSeenAt: try first.decode(column: "last_seen_at", as: Date.self))
        guard try first.decode(column: "active", as: Bool.self) else { return found }
        let grants = try rows.compactMap { r -> Grant? in
            guard let role = try r.decode(column: "role", as: String?.self).flatMap(Role.init(rawValue:)) else { return nil }
            return Grant(role: role, scopePath: try r.decode(column: "grant_scope", as: String.self))
        }
        let username = try first.decode(column: "username", as: String.self)
        found.principal = Principal(userID: try first.decode(column: "user_id", as: UUID.self), username: username,
                                    displayName: try first.decode(column: "full_name", as: String?.self) ?? username,
                                    personID: try first.decode(column: "person_id", as: UUID?.self),
                                    scopePath: try first.decode(column: "scope_path", as: String.self), grants: grants,
                                    mustChangePassword: try first.decode(column: "must_change_password", as: Bool.self),
                                    sessionID: found.sessionID, csrfToken: try first.decode(column: "csrf_token", as: String.self),
                                    unread: try first.decode(column: "unread", as: Int.self))
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
                         mustChangePassword: user.mustChangePassword, sessionID: session?.id,
                         csrfToken: session?.csrfToken ?? "",
                         unread: try await Notices.unread(user.requireID(), on: db))
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
    var clientIP: String {
        if let fwd = headers.first(name: "X-Forwarded-For")?.split(separator: ",").first {
            return fwd.trimmingCharacters(in: .whitespaces)
        }
        return remoteAddress?.ipAddress ?? "-"
    }

    /// The actor written into audit entries.
    var actor: Actor {
        Actor(name: principal?.username ?? "anonymous", ip: clientIP)
    }
}
