import Foundation
import Fluent
import KPICore
import Vapor

/// Sign-in, sign-out and password changes, with lockout and audit.
struct SignInService {
    let req: Request

    enum Outcome {
        case signedIn(token: String, mustChange: Bool)
        case refused(String)
    }

    static let wrongCredentials = "Tên đăng nhập hoặc mật khẩu không đúng."

    func signIn(username rawName: String, password: String) async throws -> Outcome {
        let username = rawName.trimmingCharacters(in: .whitespaces).lowercased()
        guard !username.isEmpty, !password.isEmpty else {
            return .refused("Vui lòng nhập tên đăng nhập và mật khẩu.")
        }
        let ip = req.clientIP
        guard let user = try await User.query(on: req.db).filter(\.$username == username).first(), user.active else {
            // Same work and answer as a wrong password: nothing tells which accounts exist.
            _ = try? await req.password.async.verify(password, created: Self.dummyHash)
            try await req.store.write { db in
                try await AuditLog.append(on: db, actor: Actor(name: username, ip: ip), action: "login.failed",
                                          entityType: "user", entityID: username, scopePath: "/")
            }
            return .refused(Self.wrongCredentials)
        }
        if let held = user.heldUntil, held > Date() {
            let minutes = Int((held.timeIntervalSinceNow / 60).rounded(.up))
            return .refused("Tài khoản tạm bị khóa do nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau \(minutes) phút.")
        }
        let ok = try await req.password.async.verify(password, created: user.passwordHash)
        let userID = try user.requireID()
        if !ok {
            let failures = user.failedAttempts + 1
            let hold = SignInRules.holdSeconds(afterFailures: failures)
            try await req.store.write { db in
                try await User.query(on: db).filter(\.$id == userID)
                    .set(\.$failedAttempts, to: failures)
                    .set(\.$heldUntil, to: hold > 0 ? Date().addingTimeInterval(TimeInterval(hold)) : nil)
                    .update()
                try await AuditLog.append(on: db, actor: Actor(name: username, ip: ip), action: "login.failed",
                                          entityType: "user", entityID: userID.uuidString, scopePath: user.scopePath,
                                          after: ["failedAttempts": String(failures)])
            }
            if hold > 0 {
                return .refused("Tài khoản tạm bị khóa \(hold / 60) phút do nhập sai mật khẩu \(failures) lần.")
            }
            return .refused(Self.wrongCredentials)
        }
        let token = SessionMiddleware.newToken()
        let session = WebSession()
        session.tokenHash = AuditLog.sha256(token)
        session.userID = userID
        session.csrfToken = SessionMiddleware.newToken()
        session.createdAt = Date()
        session.lastSeenAt = Date()
        session.ip = ip
        try await req.store.write { [session] db in
            try await session.create(on: db)
            try await User.query(on: db).filter(\.$id == userID)
                .set(\.$failedAttempts, to: 0).set(\.$heldUntil, to: nil).set(\.$lastLoginAt, to: Date())
                .update()
            try await AuditLog.append(on: db, actor: Actor(name: username, ip: ip), action: "login",
                                      entityType: "user", entityID: userID.uuidString, scopePath: user.scopePath)
        }
        return .signedIn(token: token, mustChange: user.mustChangePassword)
    }

    func signOut() async throws {
        guard let p = req.principal, let sid = p.sessionID else { return }
        let actor = req.actor
        try await req.store.write { db in
            try await WebSession.query(on: db).filter(\.$id == sid).delete()
            try await AuditLog.append(on: db, actor: actor, action: "logout", entityType: "user",
                                      entityID: p.userID.uuidString, scopePath: p.scopePath)
        }
    }

    /// Changes the signed-in user's password; returns the problems when it is refused.
    func changePassword(current: String, new: String, confirm: String) async throws -> [String] {
        let p = try req.requirePrincipal()
        guard let user = try await User.find(p.userID, on: req.db) else { return [Self.wrongCredentials] }
        guard try await req.password.async.verify(current, created: user.passwordHash) else {
            return ["Mật khẩu hiện tại không đúng."]
        }
        var problems = SignInRules.passwordProblems(new, username: user.username)
        if new != confirm { problems.append("Mật khẩu nhập lại không khớp.") }
        if new == current { problems.append("Mật khẩu mới phải khác mật khẩu hiện tại.") }
        guard problems.isEmpty else { return problems }
        let hash = try await req.password.async.hash(new)
        let actor = req.actor
        try await req.store.write { db in
            try await User.query(on: db).filter(\.$id == p.userID)
                .set(\.$passwordHash, to: hash).set(\.$mustChangePassword, to: false).update()
            // Other sessions of this user end: a changed password closes every door.
            try await WebSession.query(on: db).filter(\.$userID == p.userID)
                .filter(\.$id != (p.sessionID ?? UUID())).delete()
            try await AuditLog.append(on: db, actor: actor, action: "password.change", entityType: "user",
                                      entityID: p.userID.uuidString, scopePath: p.scopePath)
        }
        return []
    }

    /// A bcrypt hash of a random string, verified against when the user does not exist.
    static let dummyHash = "$2b$12$C6UzMDM.H6dfI/f/IKcEeO5Tq6ZQGxS1zHgx1hKNe1X3rZKbWqM2."
}
