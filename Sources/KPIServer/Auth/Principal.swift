import Foundation
import Fluent
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
