import Crypto
import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Đăng nhập một lần (OpenID Connect, authorization code flow with PKCE): the start at the identity
/// provider and the return from it. The return is accepted only for the browser that began it, once,
/// within ten minutes; the ID token's signature, issuer, audience, expiry and nonce are checked; the
/// account is found by the configured claim among existing ones (never created); the sign-in itself
/// is `SignInService`'s, as after a password. A refusal writes nothing but its audit entry.
struct SingleSignOnService {
    let req: Request

    /// The cookie that binds a sign-in under way to this browser (only sent back to the return path).
    static let browserCookie = "kpi_sso"
    static let returnPath = "/dang-nhap/sso/ve"
    static let attemptLifetime: TimeInterval = 600
    /// Sign-ins begun per address per window (`SignInService.ipWindow`): each writes a row.
    static let attemptsPerIP = 60

    enum Begun {
        case redirect(url: String, browser: String)
        case throttled
    }

    private var configured: (provider: OIDCProvider, config: SingleSignOnConfig, redirectURI: String)? {
        let s = req.application.settings
        guard let provider = req.application.oidcProvider, let config = s.singleSignOn, let base = s.publicURL else { return nil }
        return (provider, config, base + Self.returnPath)
    }

    /// Starts a sign-in: a new state, nonce and PKCE verifier kept for this browser, and the address of
    /// the provider's authorization endpoint to send it to.
    func begin(next: String) async throws -> Begun {
        guard let (provider, config, redirectURI) = configured else { throw Abort(.notFound) }
        let (now, ip) = (req.now, req.clientIP)
        let key = "dang-nhap-mot-lan:" + ip
        if try await SharedCounters.count(key, window: SignInService.ipWindow, now: now, on: req.db) >= Self.attemptsPerIP {
            return .throttled
        }
        let m = try await provider.metadata(now: now)
        let (state, nonce, verifier, browser) = (SessionMiddleware.newToken(), SessionMiddleware.newToken(),
                                                 SessionMiddleware.newToken(), SessionMiddleware.newToken())
        let attempt = SingleSignOnAttempt()
        attempt.stateHash = AuditLog.sha256(state); attempt.browserHash = AuditLog.sha256(browser); attempt.nonce = nonce
        attempt.verifier = verifier; attempt.nextPath = next; attempt.ip = ip; attempt.createdAt = now
        try await req.store.write(reach: nil) { [attempt] db in
            try await SingleSignOnAttempt.query(on: db).filter(\.$createdAt < now.addingTimeInterval(-Self.attemptLifetime)).delete()
            _ = try await SharedCounters.hit(key, window: SignInService.ipWindow, now: now, on: db)
            try await attempt.create(on: db)
        }
        let challenge = Array(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded()
        let query = OIDCProvider.form([("response_type", "code"), ("client_id", config.clientID), ("redirect_uri", redirectURI),
                                       ("scope", config.scopes), ("state", state), ("nonce", nonce), ("code_challenge", challenge),
                                       ("code_challenge_method", "S256")])
        let separator = m.authorizationEndpoint.contains("?") ? "&" : "?"
        return .redirect(url: m.authorizationEndpoint + separator + query, browser: browser)
    }

    /// The return from the provider: the sign-in's outcome and where to go after, or the problem.
    func finish(browser: String?, state: String?, code: String?, error: String?) async throws -> (SignInService.Outcome, next: String) {
        guard let (provider, config, redirectURI) = configured else { throw Abort(.notFound) }
        let now = req.now
        guard let state, !state.isEmpty, state.utf8.count <= 128,
              let attempt = try await SingleSignOnAttempt.query(on: req.db).filter(\.$stateHash == AuditLog.sha256(state)).first()
        else { throw SingleSignOnProblem.wrongState }
        // Used once, whatever follows: of two returns at the same moment, only the one that deletes it goes on.
        let attemptID = try attempt.requireID()
        let spent = try await req.store.write(reach: nil) { db in
            try await db.sql.raw("DELETE FROM sso_attempts WHERE id = \(bind: attemptID) RETURNING id").all().count
        }
        guard spent == 1 else { throw SingleSignOnProblem.wrongState }
        guard let browser, browser.utf8.count <= 128,
              CSRFMiddleware.constantTimeEqual(AuditLog.sha256(browser), attempt.browserHash) else { throw SingleSignOnProblem.wrongState }
        guard now.timeIntervalSince(attempt.createdAt) <= Self.attemptLifetime, now >= attempt.createdAt else {
            throw SingleSignOnProblem.expiredAttempt
        }
        if let error { throw SingleSignOnProblem.providerError(OIDCProvider.printable(error)) }
        guard let code, !code.isEmpty, code.utf8.count <= 2_048 else { throw SingleSignOnProblem.providerError("thiếu mã") }
        let idToken = try await provider.exchange(code: code, verifier: attempt.verifier, redirectURI: redirectURI, now: now)
        let claims = try await provider.verify(idToken, now: now)
        if let problem = IDTokenRules.check(claims, issuer: config.issuer, clientID: config.clientID, nonce: attempt.nonce, now: now) {
            throw problem
        }
        guard let value = IDTokenRules.linkValue(claims, claim: config.claim) else { throw SingleSignOnProblem.noLinkClaim(config.claim) }
        guard let user = try await linkedUser(value, byEmail: config.matchesEmail), user.active,
              !(user.heldUntil.map { $0 > now } ?? false) else {
            throw SingleSignOnProblem.notLinked
        }
        let factor = IDTokenRules.secondFactor(claims, acceptedACR: config.acceptedACR, acceptedAMR: config.acceptedAMR)
        return (try await SignInService(req: req).signIn(linked: user, idToken: idToken, factor: factor), attempt.nextPath)
    }

    /// The one existing account the claim names: by user name, or by the e-mail of the person the
    /// account belongs to (when two accounts share it, neither: nothing is guessed).
    private func linkedUser(_ value: String, byEmail: Bool) async throws -> User? {
        if !byEmail { return try await User.query(on: req.db).filter(\.$username == value.lowercased()).first() }
        let ids = try await req.db.rows("""
            SELECT u.id FROM users u JOIN people p ON p.id = u.person_id WHERE LOWER(p.email) = \(bind: value.lowercased()) LIMIT 2
            """) { c in try c.next(UUID.self) }
        guard ids.count == 1 else { return nil }
        return try await User.find(ids[0], on: req.db)
    }

    /// Records a refused return: on the address's sign-in failures (the same throttle as passwords)
    /// and in the audit trail with its reason.
    func refused(_ problem: SingleSignOnProblem) async throws {
        let (now, ip) = (req.now, req.clientIP)
        try await req.store.write(reach: nil) { db in
            _ = try await SharedCounters.hit("dang-nhap:" + ip, window: SignInService.ipWindow, now: now, on: db)
            try await AuditLog.append(on: db, actor: Actor(name: "?dang-nhap-mot-lan", ip: ip, at: now), action: "login.failed",
                                      entityType: "user", entityID: "dang-nhap-mot-lan", scopePath: "/",
                                      after: ["cach": "dang-nhap-mot-lan", "ly_do": problem.code])
        }
    }

    /// Where the browser goes at sign-out to end the provider's session too (RP-initiated logout),
    /// when the session came from it and the provider has such an endpoint.
    func endSessionURL(idToken: String) async -> String? {
        guard let (provider, config, _) = configured, let base = req.application.settings.publicURL,
              let m = try? await provider.metadata(now: req.now), let end = m.endSessionEndpoint else { return nil }
        let query = OIDCProvider.form([("id_token_hint", idToken), ("post_logout_redirect_uri", base + "/dang-nhap"),
                                       ("client_id", config.clientID)])
        return end + (end.contains("?") ? "&" : "?") + query
    }
}
