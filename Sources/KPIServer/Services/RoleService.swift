import Foundation
import Fluent
import KPICore
import Vapor

/// Granting and revoking roles (phân quyền), and resetting a user's password.
struct RoleService {
    let store: Store
    let principal: Principal
    let actor: Actor

    struct GrantRow {
        var id: UUID
        var role: Role
        var scopePath: String
        var scopeName: String
        var grantedBy: String
        var createdAt: Date?
    }

    /// The account, if the principal may manage accounts at its place in the tree (else 404) and
    /// may act on this account (else 403, saying who must act: `AccountRules`).
    func user(_ id: UUID) async throws -> User {
        guard let u = try await User.find(id, on: store.db), principal.can(.manageUsers, at: u.scopePath) else {
            throw Abort(.notFound, reason: "Không tìm thấy tài khoản hoặc tài khoản ngoài phạm vi của bạn.")
        }
        if let refusal = try await refusal(for: id) { throw Abort(.forbidden, reason: refusal) }
        return u
    }

    /// Why the principal may not act on this account; nil when they may.
    func refusal(for id: UUID) async throws -> String? {
        try await Self.refusal(principal: principal, target: id, db: store.db)
    }

    static func refusal(principal: Principal, target id: UUID, db: any Database) async throws -> String? {
        let held = try await RoleGrant.query(on: db).filter(\.$userID == id).all()
            .compactMap { g in Role(rawValue: g.role).map { Grant(role: $0, scopePath: g.scopePath) } }
        return AccountRules.refusal(actor: principal.userID, actorGrants: principal.grants, target: id, targetGrants: held)
    }

    func grants(of userID: UUID, refs: RefIndex) async throws -> [GrantRow] {
        try await RoleGrant.query(on: store.db).filter(\.$userID == userID).sort(\.$createdAt).all().compactMap { g in
            guard let role = Role(rawValue: g.role) else { return nil }
            let name = g.organizationID.map { refs.orgName($0) } ?? "Toàn hệ thống"
            return GrantRow(id: try g.requireID(), role: role, scopePath: g.scopePath, scopeName: name,
                            grantedBy: g.grantedBy, createdAt: g.createdAt)
        }
    }

    /// Grants `role` on the organization with `orgCode` (empty: the whole system).
    func grant(userID: UUID, role: Role, orgCode: String) async throws {
        // The api-client role belongs to application accounts, made on their own page; a person's account
        // holding it would lead work on the pages without being anyone's leader.
        guard role != .apiClient else {
            throw CatalogProblems("vai_tro", "Vai trò",
                                  "vai trò «\(Role.apiClient.label)» chỉ cấp cho ứng dụng kết nối, tại "
                                    + "Cài đặt → Ứng dụng kết nối (API)")
        }
        let user = try await user(userID)
        let refs = try await RefIndex.load(on: store.db)
        var org: RefIndex.Org?
        if !orgCode.isEmpty {
            guard let o = refs.org(code: orgCode), principal.can(.viewCatalog, at: o.path) else {
                throw CatalogProblems("don_vi", "Phạm vi",
                                      "mã đơn vị «\(orgCode)» không tồn tại hoặc ngoài phạm vi của bạn")
            }
            org = o
        }
        let scope = org?.path ?? "/"
        guard AccessPolicy.mayGrant(principal.grants, role: role, at: scope) else {
            throw CatalogProblems("vai_tro", "Vai trò", "bạn không được cấp vai trò «\(role.label)» tại phạm vi này")
        }
        let exists = try await RoleGrant.query(on: store.db).filter(\.$userID == userID)
            .filter(\.$role == role.rawValue).filter(\.$scopePath == scope).count() > 0
        if exists { throw CatalogProblems("vai_tro", "Vai trò", "tài khoản đã có vai trò này tại phạm vi này") }
        let (actor, granter, target) = (actor, principal.username, org)
        try await store.write { db in
            let g = RoleGrant()
            g.userID = userID
            g.role = role.rawValue
            g.organizationID = target?.id
            g.scopePath = scope
            g.grantedBy = granter
            try await g.create(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "role.grant", entityType: "user",
                                      entityID: userID.uuidString, scopePath: user.scopePath,
                                      after: ["role": role.rawValue, "scope": target?.code ?? "/"])
        }
    }

    func revoke(userID: UUID, grantID: UUID) async throws {
        let user = try await user(userID)
        guard let g = try await RoleGrant.find(grantID, on: store.db), g.userID == userID,
              let role = Role(rawValue: g.role) else {
            throw Abort(.notFound, reason: "Không tìm thấy quyền này.")
        }
        guard AccessPolicy.mayGrant(principal.grants, role: role, at: g.scopePath) else {
            throw Abort(.forbidden, reason: "Bạn không được thu hồi vai trò «\(role.label)» tại phạm vi này.")
        }
        let actor = actor
        try await store.write { db in
            try await RoleGrant.query(on: db).filter(\.$id == grantID).delete()
            try await AuditLog.append(on: db, actor: actor, action: "role.revoke", entityType: "user",
                                      entityID: userID.uuidString, scopePath: user.scopePath,
                                      before: ["role": g.role, "scope": g.scopePath])
        }
    }

    /// Ends every session of an account the principal may act on; returns how many.
    func endSessions(userID: UUID) async throws -> Int {
        let user = try await user(userID)
        let actor = actor
        return try await store.write { db in
            let n = try await WebSession.query(on: db).filter(\.$userID == userID).count()
            try await WebSession.query(on: db).filter(\.$userID == userID).delete()
            try await AuditLog.append(on: db, actor: actor, action: "session.end-all", entityType: "user",
                                      entityID: userID.uuidString, scopePath: user.scopePath, after: ["so_phien": String(n)])
            return n
        }
    }

    /// Sets a random temporary password that must be changed at the next sign-in; returns it once.
    func resetPassword(userID: UUID, hasher: @escaping @Sendable (String) async throws -> String) async throws -> String {
        let user = try await user(userID)
        let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
        // 16 characters from 32 letters and digits (80 bits), a digit and a letter guaranteed.
        let temporary = String((0..<14).map { _ in alphabet.randomElement()! }) + "k9"
        let hash = try await hasher(temporary)
        let actor = actor
        try await store.write { db in
            try await User.query(on: db).filter(\.$id == userID).set(\.$passwordHash, to: hash)
                .set(\.$mustChangePassword, to: true).set(\.$failedAttempts, to: 0).set(\.$heldUntil, to: nil).update()
            try await WebSession.query(on: db).filter(\.$userID == userID).delete()
            try await AuditLog.append(on: db, actor: actor, action: "password.reset", entityType: "user",
                                      entityID: userID.uuidString, scopePath: user.scopePath)
        }
        return temporary
    }

    /// Đặt lại xác thực hai bước (a lost phone and lost recovery codes): removes the secret and the
    /// codes, ends the account's sessions, tells the user; they set it up again at the next sign-in.
    func resetTwoFactor(userID: UUID) async throws {
        let user = try await user(userID)
        let (actor, admin) = (actor, principal.displayName)
        try await store.write { db in
            try await TwoFactorService.clear(userID, on: db)
            try await WebSession.query(on: db).filter(\.$userID == userID).delete()
            try await SignInChallenge.query(on: db).filter(\.$userID == userID).delete()
            let n = Notice()
            n.userID = userID; n.kind = "tai-khoan"; n.createdAt = actor.at
            n.title = """
                Xác thực hai bước của bạn đã được \(admin) đặt lại. Nếu bạn không yêu cầu, hãy báo ngay cho \
                quản trị đơn vị.
                """
            n.dedupeKey = "mfa-reset:\(UUID().uuidString)"; n.link = TwoFactorController.path
            try await n.create(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "mfa.reset", entityType: "user",
                                      entityID: userID.uuidString, scopePath: user.scopePath,
                                      before: ["bat_tu": user.mfaEnabledAt.map(DateFormatting.date) ?? "chưa bật"])
        }
    }
}
