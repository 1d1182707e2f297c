import Fluent
import Foundation
import JWTKit
@testable import KPIServer
import KPICore
import NIOConcurrencyHelpers
import XCTVapor

/// Đăng nhập một lần (issue 20, item 7) against a provider this test scripts: a second server on a
/// real port with its discovery document, its keys (an ES256 key made here) and a token endpoint that
/// answers the token the test made — validly signed tokens with wrong claims, which no real provider
/// hands out, at the test's pinned clock. The browser test (e2e/test_single_sign_on.py) signs in
/// through a real provider (oidc-provider-mock) and tampers with its tokens on the way.
final class SingleSignOnTests: XCTestCase {
    /// The provider's state: its signing keys, the keys it publishes, and the next token it answers.
    final class Script: @unchecked Sendable {
        let lock = NIOLock()
        var issuer = ""
        var jwks = ""
        var token = ""
        var tokenRequests: [String] = []
    }

    struct Provider {
        let app: Application
        let issuer: String
        let script: Script
        let signer: JWTKeyCollection
    }

    static let clientID = "kpi-cong-vu"

    /// Starts the scripted provider with key `k1` published.
    static func startProvider() async throws -> Provider {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        let script = Script()
        let key = ES256PrivateKey()
        let signer = JWTKeyCollection()
        await signer.add(ecdsa: key, kid: "k1")
        let (x, y) = key.publicKey.parameters!
        script.jwks = #"{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig","kid":"k1","x":"\#(x)","y":"\#(y)"}]}"#
        app.get("jwks") { _ in Response(status: .ok, body: .init(string: script.lock.withLock { script.jwks })) }
        app.post("token") { req in
            script.lock.withLock { script.tokenRequests.append(req.body.string ?? "") }
            return Response(status: .ok, body: .init(string: #"{"id_token":"\#(script.lock.withLock { script.token })"}"#))
        }
        app.get(".well-known", "openid-configuration") { _ in
            let issuer = script.lock.withLock { script.issuer }
            return Response(status: .ok, body: .init(string: """
                {"issuer":"\(issuer)","authorization_endpoint":"\(issuer)/authorize","token_endpoint":"\(issuer)/token",
                 "jwks_uri":"\(issuer)/jwks","end_session_endpoint":"\(issuer)/logout","id_token_signing_alg_values_supported":["ES256"]}
                """))
        }
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let issuer = "http://127.0.0.1:\(app.http.server.shared.localAddress!.port!)"
        script.lock.withLock { script.issuer = issuer }
        return Provider(app: app, issuer: issuer, script: script, signer: signer)
    }

    /// Runs `body` with a demo application whose single sign-on uses the scripted provider.
    func withProvider(amr: Set<String> = ["otp"], _ body: (Application, Provider) async throws -> Void) async throws {
        let provider = try await Self.startProvider()
        do {
            try await withApp(adjust: { s in
                s.publicURL = "https://kpi.nghean.example"
                var c = SingleSignOnConfig(issuer: provider.issuer, clientID: Self.clientID, clientSecret: "bi-mat")
                c.acceptedAMR = amr
                s.singleSignOn = c
            }) { app in try await body(app, provider) }
        } catch {
            await provider.app.server.shutdown()
            try await provider.app.asyncShutdown()
            throw error
        }
        await provider.app.server.shutdown()
        try await provider.app.asyncShutdown()
    }

    /// The start at the provider: where the browser is sent, with the state and nonce of this attempt.
    func begin(_ b: inout Browser, _ p: Provider) async throws -> (state: String, nonce: String) {
        let r = try await b.get("/dang-nhap/sso?next=%2Fviec")
        XCTAssertEqual(r.status, .seeOther)
        XCTAssertTrue(r.location.hasPrefix(p.issuer + "/authorize?"), r.location)
        let items = URLComponents(string: r.location)?.queryItems ?? []
        let q = Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(q["client_id"], Self.clientID)
        XCTAssertEqual(q["redirect_uri"], "https://kpi.nghean.example/dang-nhap/sso/ve")
        XCTAssertEqual(q["code_challenge_method"], "S256")
        XCTAssertEqual(q["code_challenge"]?.count, 43)
        return (q["state"] ?? "", q["nonce"] ?? "")
    }

    func claims(_ p: Provider, nonce: String, username: String = "canbo", amr: [String] = ["pwd"]) -> IDTokenClaims {
        IDTokenClaims(issuer: p.issuer, subject: "sub-" + username, audience: [Self.clientID], expires: TestEnv.now.addingTimeInterval(300),
                      issuedAt: TestEnv.now, nonce: nonce, amr: amr, strings: ["preferred_username": username])
    }

    /// The provider's return with `token` answered at its token endpoint.
    func finish(_ b: inout Browser, _ p: Provider, state: String, token: String) async throws -> BrowserResponse {
        p.script.lock.withLock { p.script.token = token }
        return try await b.get("/dang-nhap/sso/ve?code=ma-cap-quyen&state=\(state)")
    }

    func testSignsInThroughTheProviderAndOutAgain() async throws {
        try await withProvider { app, p in
            var b = Browser(app)
            let (state, nonce) = try await begin(&b, p)
            let token = try await p.signer.sign(IDTokenPayload(claims: claims(p, nonce: nonce)), kid: "k1")
            let r = try await finish(&b, p, state: state, token: token)
            XCTAssertEqual(r.status, .seeOther)
            XCTAssertEqual(r.location, "/viec")
            let page = try await b.get("/viec")
            XCTAssertEqual(page.status, .ok)
            // The code went back with its PKCE verifier and the client's secret (Basic), to the same return address.
            let sent = p.script.lock.withLock { p.script.tokenRequests.last ?? "" }
            XCTAssertTrue(sent.contains("grant_type=authorization_code") && sent.contains("code=ma-cap-quyen"))
            XCTAssertTrue(sent.contains("code_verifier="))
            XCTAssertTrue(sent.contains("redirect_uri=https%3A%2F%2Fkpi.nghean.example%2Fdang-nhap%2Fsso%2Fve"))
            let login = try await AuditEntry.query(on: app.db).filter(\.$action == "login").sort(\.$id, .descending).first()
            XCTAssertEqual(login?.actor, "canbo")
            XCTAssertTrue(login?.after.contains("dang-nhap-mot-lan") ?? false)
            // Signing out ends the provider's session too, with the ID token as the hint.
            let out = try await b.post("/dang-xuat", [:])
            XCTAssertTrue(out.location.hasPrefix(p.issuer + "/logout?id_token_hint=" + token), out.location)
            XCTAssertTrue(out.location.contains("post_logout_redirect_uri=https%3A%2F%2Fkpi.nghean.example%2Fdang-nhap"))
            let afterSignOut = try await b.get("/viec")
            XCTAssertEqual(afterSignOut.status, .seeOther)
        }
    }

    func testEveryWrongTokenIsRefusedAndNobodySignsIn() async throws {
        try await withProvider { app, p in
            let hmac = JWTKeyCollection()
            await hmac.add(hmac: HMACKey(from: String(repeating: "bi-mat-chung-", count: 4)), digestAlgorithm: .sha256, kid: "k1")
            let cases: [(String, (String) async throws -> String)] = [
                ("iss", { n in var c = self.claims(p, nonce: n); c.issuer = "https://sso.khac.example"
                    return try await p.signer.sign(IDTokenPayload(claims: c), kid: "k1") }),
                ("aud", { n in var c = self.claims(p, nonce: n); c.audience = ["ung-dung-khac"]
                    return try await p.signer.sign(IDTokenPayload(claims: c), kid: "k1") }),
                ("azp", { n in var c = self.claims(p, nonce: n); c.audience = [Self.clientID, "ung-dung-khac"]
                    return try await p.signer.sign(IDTokenPayload(claims: c), kid: "k1") }),
                ("exp", { n in var c = self.claims(p, nonce: n); c.expires = TestEnv.now.addingTimeInterval(-IDTokenRules.leeway - 1)
                    return try await p.signer.sign(IDTokenPayload(claims: c), kid: "k1") }),
                ("iat", { n in var c = self.claims(p, nonce: n); c.issuedAt = TestEnv.now.addingTimeInterval(3_600)
                    return try await p.signer.sign(IDTokenPayload(claims: c), kid: "k1") }),
                ("nonce", { _ in try await p.signer.sign(IDTokenPayload(claims: self.claims(p, nonce: "cua-lan-khac")), kid: "k1") }),
                ("chu-ky", { n in
                    // The payload changed after signing: another account's name under canbo's signature.
                    let parts = try await p.signer.sign(IDTokenPayload(claims: self.claims(p, nonce: n)), kid: "k1").split(separator: ".")
                    let other = try JSONEncoder().encode(IDTokenPayload(claims: self.claims(p, nonce: n, username: "quantri")))
                    return [String(parts[0]), Array(other).base64URLEncoded(), String(parts[2])].joined(separator: ".") }),
                ("thuat-toan", { n in try await hmac.sign(IDTokenPayload(claims: self.claims(p, nonce: n)), kid: "k1") }),
                ("thuat-toan", { n in
                    let header = Array(#"{"alg":"none","typ":"JWT"}"#.utf8).base64URLEncoded()
                    let body = Array(try JSONEncoder().encode(IDTokenPayload(claims: self.claims(p, nonce: n)))).base64URLEncoded()
                    return header + "." + body + "." }),
                ("id-token-hong", { _ in "khong-phai-jwt" }),
                ("chua-lien-ket", { n in try await p.signer.sign(IDTokenPayload(claims: self.claims(p, nonce: n, username: "khong-co")),
                                                                 kid: "k1") }),
            ]
            for (code, make) in cases {
                var b = Browser(app)
                let (state, nonce) = try await begin(&b, p)
                let r = try await finish(&b, p, state: state, token: try await make(nonce))
                XCTAssertEqual(r.status, .unauthorized, code)
                XCTAssertNil(r.headers.setCookie?[SessionMiddleware.cookieName]?.string.nonEmpty, code)
                let last = try await AuditEntry.query(on: app.db).filter(\.$action == "login.failed").sort(\.$id, .descending).first()
                XCTAssertTrue(last?.after.contains("\"\(code)\"") ?? false, "\(code): \(last?.after ?? "")")
                let page = try await b.get("/viec")
                XCTAssertEqual(page.status, .seeOther, code)
            }
            // Neither a shared secret (HS256) nor "none" is an algorithm an ID token may use.
            let logins = try await AuditEntry.query(on: app.db).filter(\.$action == "login").count()
            XCTAssertEqual(logins, 0)
        }
    }

    func testTheReturnIsThisBrowsersOnceAndTheProvidersKeysMayTurnOver() async throws {
        try await withProvider { app, p in
            var b = Browser(app)
            let (state, nonce) = try await begin(&b, p)
            // Another browser (without this one's cookie) cannot use the return.
            var other = Browser(app)
            let token = try await p.signer.sign(IDTokenPayload(claims: claims(p, nonce: nonce)), kid: "k1")
            let elsewhere = try await finish(&other, p, state: state, token: token)
            XCTAssertEqual(elsewhere.status, .unauthorized)
            // …and once tried, the attempt is spent, even for its own browser.
            let again = try await finish(&b, p, state: state, token: token)
            XCTAssertTrue(again.text.contains("(tham số state)"))
            // The provider publishes a new key: a token signed by it is checked after the keys are fetched again.
            let newKey = ES256PrivateKey()
            await p.signer.add(ecdsa: newKey, kid: "k2")
            let (x, y) = newKey.publicKey.parameters!
            p.script.lock.withLock {
                p.script.jwks = #"{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","kid":"k2","x":"\#(x)","y":"\#(y)"}]}"#
            }
            var fresh = Browser(app)
            let second = try await begin(&fresh, p)
            let rotated = try await p.signer.sign(IDTokenPayload(claims: claims(p, nonce: second.nonce)), kid: "k2")
            let rotatedAnswer = try await finish(&fresh, p, state: second.state, token: rotated)
            XCTAssertEqual(rotatedAnswer.status, .seeOther)
        }
    }

    func testTwoStepsForTheRolesThatNeedThemAndPasswordsForAdministratorsOnly() async throws {
        try await withProvider { app, p in
            // quantri's role needs two steps; the provider asserted a password only: the local code is asked.
            var b = Browser(app)
            var (state, nonce) = try await begin(&b, p)
            var token = try await p.signer.sign(IDTokenPayload(claims: claims(p, nonce: nonce, username: "quantri")), kid: "k1")
            let asked = try await finish(&b, p, state: state, token: token)
            XCTAssertTrue(asked.location.hasPrefix("/dang-nhap/ma-xac-thuc"), asked.location)
            let signedIn = try await b.secondStep(asked.location, code: try await b.totpNow("quantri"))
            XCTAssertEqual(signedIn.status, .seeOther)
            let work = try await b.get("/viec")
            XCTAssertEqual(work.status, .ok)
            // The provider asserted a one-time code (amr "otp", accepted): no local code, and nothing more to set up.
            var c = Browser(app)
            (state, nonce) = try await begin(&c, p)
            token = try await p.signer.sign(IDTokenPayload(claims: claims(p, nonce: nonce, username: "quantri", amr: ["pwd", "otp"])),
                                            kid: "k1")
            let direct = try await finish(&c, p, state: state, token: token)
            XCTAssertEqual(direct.location, "/viec")
            let directWork = try await c.get("/viec")
            XCTAssertEqual(directWork.status, .ok)
            // Passwords: canbo is sent to the provider, an administrator still signs in with one.
            var d = Browser(app)
            try await d.get("/dang-nhap")
            let refused = try await d.post("/dang-nhap", ["username": "canbo", "password": DemoData.password])
            XCTAssertEqual(refused.status, .unauthorized)
            XCTAssertTrue(refused.text.contains("bấm «Đăng nhập một lần»"))
            let admin = try await d.login("quantri.snv")
            XCTAssertEqual(admin.status, .seeOther)
            // The system administrator sees how single sign-on is configured.
            var e = Browser(app)
            try await e.login("quantri")
            let settings = try await e.get("/cai-dat")
            XCTAssertTrue(settings.text.contains("<strong>đang bật</strong>, hệ thống định danh <code>\(p.issuer)</code>"))
        }
    }

    func testOffUnlessConfigured() async throws {
        try await withApp { app in
            var b = Browser(app)
            let start = try await b.get("/dang-nhap/sso")
            XCTAssertEqual(start.status, .notFound)
            let back = try await b.get("/dang-nhap/sso/ve?state=x&code=y")
            XCTAssertEqual(back.status, .notFound)
            let signInPage = try await b.get("/dang-nhap")
            XCTAssertFalse(signInPage.text.contains("/dang-nhap/sso"))
            try await b.login("quantri")
            let settings = try await b.get("/cai-dat")
            XCTAssertTrue(settings.text.contains("Đăng nhập một lần: chưa bật"))
        }
    }
}

private extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
