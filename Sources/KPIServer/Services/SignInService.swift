import Foundation
import Fluent
import KPICore
import SQLKit
import Vapor

/// Sign-in, sign-out and password changes, with lockout and audit.
struct SignInService {
    let req: Request

    enum Outcome {
        case signedIn(token: String, mustChange: Bool)
        case refused(String)
        /// Too many failures from this address: slowed down (429), nobody locked out.
        case throttled(String)
        /// The password was right; the account has two-step sign-in: a code must follow, within the
        /// challenge (`token`, kept by the browser in a cookie).
        case secondStep(token: String)
        /// The second step cannot go on (expired, too many wrong codes, account locked): sign in again.
        case restart(String)
    }

    /// How long the second step waits for its code, and how many wrong codes it takes.
    static let challengeLifetime: TimeInterval = 300
    static let challengeAttempts = 5
    static let challengeExpired = """
        Phiên xác thực hai bước đã hết hạn hoặc nhập sai mã quá nhiều lần. Vui lòng đăng nhập lại.
        """


    /// The one answer to every failed sign-in — unknown name, wrong password, locked or disabled
    /// account — so that nothing tells which accounts exist or which are locked.
    static let wrongCredentials = "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đang tạm khóa do "
        + "nhập sai nhiều lần "
        + """
            (tự mở lại sau ít phút). Vui lòng kiểm tra rồi thử lại; quên mật khẩu thì liên hệ quản trị đơn \
            vị.
            """
    static let throttledMessage = "Có quá nhiều lần đăng nhập không thành công từ địa chỉ mạng này. Vui "
        + "lòng chờ khoảng 10 phút rồi "
        + "thử lại."
    /// Window of the per-address throttle, in seconds.
    static let ipWindow = 600

    func signIn(username rawName: String, password: String) async throws -> Outcome {
        let username = rawName.trimmingCharacters(in: .whitespaces).lowercased()
        guard !username.isEmpty, !password.isEmpty else {
            return .refused("Vui lòng nhập tên đăng nhập và mật khẩu.")
        }
        // Lengths are bounded before any work (the route's declaration refuses longer ones first).
        guard username.count <= 64, password.utf8.count <= 256 else { return .refused(Self.wrongCredentials) }
        let settings = req.application.settings
        let (now, ip) = (req.now, req.clientIP)
        let ipKey = "dang-nhap:" + ip
        if try await SharedCounters.count(ipKey, window: Self.ipWindow, now: now, on: req.db) >= settings.loginFailuresPerIP {
            return .throttled(Self.throttledMessage)
        }
        let user = try await User.query(on: req.db).filter(\.$username == username).first()
        let held = user?.heldUntil.map { $0 > now } ?? false
        let usable = user.map { $0.active && !held } ?? false
        // The same bcrypt work whatever the account's state: timing tells nothing either.
        let matches = try await req.password.async.verify(password, created: usable ? user!.passwordHash : Self.dummyHash)
        guard usable, matches, let user, let userID = user.id else {
            try await recordFailure(user: usable ? user : nil, username: username, ipKey: ipKey, now: now, ip: ip)
            return .refused(Self.wrongCredentials)
        }
        // With single sign-on, a password opens only administrators' accounts (unless configured for all).
        if let sso = settings.singleSignOn, !sso.localForAll {
            let roles = try await RoleGrant.query(on: req.db).filter(\.$userID == userID).all().compactMap { Role(rawValue: $0.role) }
            if SingleSignOnConfig.localRoles.isDisjoint(with: roles) { return .refused(SingleSignOnProblem.localSignInClosed.message) }
        }
        // A password set before the policy (or under a weaker one) must be changed now.
        let mustChange = user.mustChangePassword || !settings.passwordPolicy.problems(password, username: username).isEmpty
        if user.mfaEnabledAt != nil {
            return .secondStep(token: try await challenge(user, mustChange: mustChange, idToken: nil, now: now, ip: ip))
        }
        return try await openSession(user, mustChange: mustChange, secondStep: nil, now: now, ip: ip)
    }

    /// Signs in an account the identity provider vouched for (`SingleSignOnService`): the local code is
    /// asked as well when the account has two-step sign-in and the provider asserted no second factor
    /// the province accepts; a role that requires two steps and has neither is sent to set it up
    /// (`RequireSignIn`), as after a password.
    func signIn(linked user: User, idToken: String, factor: String?) async throws -> Outcome {
        let (now, ip) = (req.now, req.clientIP)
        if factor == nil, user.mfaEnabledAt != nil {
            return .secondStep(token: try await challenge(user, mustChange: false, idToken: idToken, now: now, ip: ip))
        }
        return try await openSession(user, mustChange: false, secondStep: factor, now: now, ip: ip,
                                     provider: (idToken: idToken, factor: factor))
    }

    /// The challenge between the first step and the code: the account is not signed in yet, nor its
    /// failures forgiven. The browser's token.
    private func challenge(_ user: User, mustChange: Bool, idToken: String?, now: Date, ip: String) async throws -> String {
        let userID = try user.requireID()
        let token = SessionMiddleware.newToken()
        let challenge = SignInChallenge()
        challenge.tokenHash = AuditLog.sha256(token); challenge.userID = userID; challenge.createdAt = now
        challenge.attempts = 0; challenge.ip = ip; challenge.mustChange = mustChange; challenge.idTokenHint = idToken
        try await req.store.write(reach: nil) { [challenge] db in
            try await SignInChallenge.query(on: db).filter(\.$userID == userID).delete()
            try await SignInChallenge.query(on: db).filter(\.$createdAt < now.addingTimeInterval(-Self.challengeLifetime)).delete()
            try await challenge.create(on: db)
        }
        return token
    }

    /// The second step: the code (TOTP or a recovery code) for the challenge the browser holds. A
    /// wrong code counts as a failed sign-in of the account (the same lockout) and of the challenge.
    func completeSecondStep(token: String, code: String) async throws -> Outcome {
        let (now, ip) = (req.now, req.clientIP)
        let ipKey = "dang-nhap:" + ip
        if try await SharedCounters.count(ipKey, window: Self.ipWindow, now: now,
                                          on: req.db) >= req.application.settings.loginFailuresPerIP {
            return .throttled(Self.throttledMessage)
        }
        guard !token.isEmpty, token.utf8.count <= 64,
              let challenge = try await SignInChallenge.query(on: req.db).filter(\.$tokenHash == AuditLog.sha256(token)).first(),
              now.timeIntervalSince(challenge.createdAt) <= Self.challengeLifetime,
              let user = try await User.find(challenge.userID, on: req.db), user.active, !(user.heldUntil.map { $0 > now } ?? false)
        else { return .restart(Self.challengeExpired) }
        let challengeID = try challenge.requireID()
        if let method = try await TwoFactorService(req: req).check(user, typed: code, allowRecovery: true) {
            try await req.store.write(reach: nil) { db in try await SignInChallenge.query(on: db).filter(\.$id == challengeID).delete() }
            return try await openSession(user, mustChange: challenge.mustChange, secondStep: method, now: now, ip: ip,
                                         provider: challenge.idTokenHint.map { (idToken: $0, factor: nil) })
        }
        try await recordFailure(user: user, username: user.username, ipKey: ipKey, now: now, ip: ip)
        let attempts = challenge.attempts + 1
        try await req.store.write(reach: nil) { db in
            if attempts >= Self.challengeAttempts {
                try await SignInChallenge.query(on: db).filter(\.$id == challengeID).delete()
            } else {
                try await SignInChallenge.query(on: db).filter(\.$id == challengeID).set(\.$attempts, to: attempts).update()
            }
        }
        return attempts >= Self.challengeAttempts ? .restart(Self.challengeExpired) : .refused(TwoFactorService.Problem.wrongCode.message)
    }

    /// Opens a session for an account that has passed every step; forgives its failures; audited
    /// with the second step used (none, "totp", "recovery", or the provider's "acr:…"/"amr:…") and,
    /// through the identity provider, with its ID token kept for sign-out.
    private func openSession(_ user: User, mustChange: Bool, secondStep: String?, now: Date, ip: String,
                             provider: (idToken: String, factor: String?)? = nil) async throws -> Outcome {
        let userID = try user.requireID()
        let token = SessionMiddleware.newToken()
        let session = WebSession()
        session.tokenHash = AuditLog.sha256(token)
        session.userID = userID
        session.csrfToken = SessionMiddleware.newToken()
        session.createdAt = now
        session.lastSeenAt = now
        session.ip = ip
        session.secondFactor = provider?.factor
        session.idTokenHint = provider?.idToken
        var after = secondStep.map { ["buoc_hai": $0] } ?? [:]
        if provider != nil { after["cach"] = "dang-nhap-mot-lan" }
        let username = user.username
        try await req.store.write(reach: nil) { [session, after] db in
            try await session.create(on: db)
            try await User.query(on: db).filter(\.$id == userID)
                .set(\.$failedAttempts, to: 0).set(\.$heldUntil, to: nil).set(\.$lastLoginAt, to: now)
                .update()
            if mustChange && !user.mustChangePassword {
                try await User.query(on: db).filter(\.$id == userID).set(\.$mustChangePassword, to: true).update()
            }
            try await AuditLog.append(on: db, actor: Actor(name: username, ip: ip, at: now), action: "login",
                                      entityType: "user", entityID: userID.uuidString, scopePath: user.scopePath, after: after)
        }
        return .signedIn(token: token, mustChange: mustChange)
    }

    /// Counts a failure atomically — on the address, and on the account when it is one that could
    /// have signed in (parallel guesses each count; failures older than the lock time are
    /// forgotten) — locks the account at the limit, and audits it. An unknown name is audited by a
    /// digest, never as typed (people type passwords into the name field).
    private func recordFailure(user: User?, username: String, ipKey: String, now: Date, ip: String) async throws {
        let settings = req.application.settings
        let lock = TimeInterval(settings.loginLockMinutes * 60)
        let (maxFailures, userID, scope) = (settings.loginMaxFailures, user?.id, user?.scopePath ?? "/")
        let name = user == nil ? "?" + String(AuditLog.sha256("kpi-user:" + username).prefix(12)) : username
        try await req.store.write(reach: nil) { db in
            try await SharedCounters.hit(ipKey, window: Self.ipWindow, now: now, on: db)
            var after: [String: String] = [:]
            if let userID {
                let sql = db.sql
                try await sql.raw("""
                    UPDATE users SET failed_attempts = CASE WHEN last_failed_at IS NULL OR last_failed_at \
                    < \(bind: now.addingTimeInterval(-lock))
                      THEN 1 ELSE failed_attempts + 1 END, last_failed_at = \(bind: now) WHERE id = \(bind: userID)
                    """).run()
                let failures = try await db.value("SELECT failed_attempts FROM users WHERE id = \(bind: userID)", as: Int.self) ?? 0
                after["failedAttempts"] = String(failures)
                if failures >= maxFailures {
                    try await User.query(on: db).filter(\.$id == userID).set(\.$heldUntil, to: now.addingTimeInterval(lock)).update()
                    after["lockedMinutes"] = String(Int(lock / 60))
                }
            }
            try await AuditLog.append(on: db, actor: Actor(name: name, ip: ip, at: now), action: "login.failed",
                                      entityType: "user", entityID: userID?.uuidString ?? name, scopePath: scope, after: after)
        }
    }

    func signOut() async throws {
        guard let p = req.principal, let sid = p.sessionID else { return }
        let actor = req.actor
        try await req.store.write(reach: nil) { db in
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
        var problems = req.application.settings.passwordPolicy.problems(new, username: user.username)
        if new != confirm { problems.append("Mật khẩu nhập lại không khớp.") }
        if new == current { problems.append("Mật khẩu mới phải khác mật khẩu hiện tại.") }
        guard problems.isEmpty else { return problems }
        let hash = try await req.password.async.hash(new)
        let actor = req.actor
        try await req.store.write(reach: nil) { db in
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
