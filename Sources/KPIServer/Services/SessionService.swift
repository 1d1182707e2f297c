import Fluent
import Foundation
import Vapor

/// Phiên đăng nhập: a user's own active sessions, which they can end; an administrator ends another
/// account's sessions through `RoleService.endSessions`. Every ending is audited.
struct SessionService {
    let store: Store
    let principal: Principal
    let actor: Actor

    struct Row: Sendable {
        var id: UUID
        var createdAt: Date
        var lastSeenAt: Date
        var ip: String
        var current: Bool
    }

    /// The user's sessions that have not timed out, the current one first, then the most recent.
    func mine(idleMinutes: Int) async throws -> [Row] {
        let cutoff = store.now.addingTimeInterval(-TimeInterval(idleMinutes * 60))
        return try await WebSession.query(on: store.db).filter(\.$userID == principal.userID).filter(\.$lastSeenAt >= cutoff).all()
            .map { Row(id: $0.id!, createdAt: $0.createdAt, lastSeenAt: $0.lastSeenAt, ip: $0.ip, current: $0.id == principal.sessionID) }
            .sorted { ($0.current ? 1 : 0, $0.lastSeenAt) > ($1.current ? 1 : 0, $1.lastSeenAt) }
    }

    /// Ends one of the user's own sessions (404 for anyone else's).
    func end(_ id: UUID) async throws {
        let (userID, actor, scope) = (principal.userID, actor, principal.scopePath)
        try await store.write(reach: nil) { db in
            guard try await WebSession.query(on: db).filter(\.$id == id).filter(\.$userID == userID).count() == 1 else {
                throw Abort(.notFound, reason: "Không có phiên đăng nhập này.")
            }
            try await WebSession.query(on: db).filter(\.$id == id).delete()
            try await AuditLog.append(on: db, actor: actor, action: "session.end", entityType: "user", entityID: userID.uuidString,
                                      scopePath: scope, after: ["phien": String(id.uuidString.prefix(8))])
        }
    }

    /// Ends every session of the user but the current one; returns how many.
    func endOthers() async throws -> Int {
        let (userID, current, actor, scope) = (principal.userID, principal.sessionID ?? UUID(), actor, principal.scopePath)
        return try await store.write(reach: nil) { db in
            let others = try await WebSession.query(on: db).filter(\.$userID == userID).filter(\.$id != current).count()
            try await WebSession.query(on: db).filter(\.$userID == userID).filter(\.$id != current).delete()
            try await AuditLog.append(on: db, actor: actor, action: "session.end-others", entityType: "user", entityID: userID.uuidString,
                                      scopePath: scope, after: ["so_phien": String(others)])
            return others
        }
    }
}
