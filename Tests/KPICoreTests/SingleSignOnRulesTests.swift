import Foundation
import KPICore
import XCTest

/// The rules on an ID token's claims (OpenID Connect Core §3.1.3.7), the second factor a provider
/// asserts, and the `KPI_OIDC_*` settings.
final class SingleSignOnRulesTests: XCTestCase {
    let now = Date(timeIntervalSince1970: 1_795_000_000)
    let issuer = "https://sso.nghean.gov.vn"

    func claims() -> IDTokenClaims {
        IDTokenClaims(issuer: issuer, subject: "079201000001", audience: ["kpi"], expires: now.addingTimeInterval(300),
                      issuedAt: now.addingTimeInterval(-5), nonce: "n-1", acr: "loa2", amr: ["pwd"],
                      strings: ["preferred_username": " canbo ", "email": "canbo@nghean.gov.vn"])
    }

    func check(_ c: IDTokenClaims) -> SingleSignOnProblem? {
        IDTokenRules.check(c, issuer: issuer, clientID: "kpi", nonce: "n-1", now: now)
    }

    func testEachClaimIsChecked() {
        XCTAssertNil(check(claims()))
        var c = claims(); c.issuer = issuer + "/"
        XCTAssertEqual(check(c), .wrongIssuer, "the issuer matches exactly")
        c = claims(); c.audience = ["khac"]
        XCTAssertEqual(check(c), .wrongAudience)
        c = claims(); c.audience = ["kpi", "khac"]
        XCTAssertEqual(check(c), .wrongAuthorizedParty, "several audiences need azp")
        c.authorizedParty = "kpi"
        XCTAssertNil(check(c))
        c.authorizedParty = "khac"
        XCTAssertEqual(check(c), .wrongAuthorizedParty)
        // Expiry and issue time, with two minutes of clock difference either way.
        c = claims(); c.expires = now.addingTimeInterval(-IDTokenRules.leeway + 1)
        XCTAssertNil(check(c))
        c.expires = now.addingTimeInterval(-IDTokenRules.leeway)
        XCTAssertEqual(check(c), .expired)
        c = claims(); c.issuedAt = now.addingTimeInterval(IDTokenRules.leeway + 1)
        XCTAssertEqual(check(c), .issuedInFuture)
        c.issuedAt = now.addingTimeInterval(-IDTokenRules.maxAge - IDTokenRules.leeway - 1)
        XCTAssertEqual(check(c), .issuedInFuture, "an old token is not accepted however late it expires")
        c = claims(); c.nonce = nil
        XCTAssertEqual(check(c), .wrongNonce)
        c.nonce = "n-2"
        XCTAssertEqual(check(c), .wrongNonce)
        c = claims(); c.subject = ""
        XCTAssertEqual(check(c), .badToken)
    }

    func testTheLinkAndTheSecondFactor() {
        let c = claims()
        XCTAssertEqual(IDTokenRules.linkValue(c, claim: "preferred_username"), "canbo")
        XCTAssertEqual(IDTokenRules.linkValue(c, claim: "sub"), "079201000001")
        XCTAssertNil(IDTokenRules.linkValue(c, claim: "cccd"))
        XCTAssertNil(IDTokenRules.secondFactor(c, acceptedACR: [], acceptedAMR: ["otp"]))
        XCTAssertEqual(IDTokenRules.secondFactor(c, acceptedACR: ["loa2", "loa3"], acceptedAMR: []), "acr:loa2")
        var two = c; two.amr = ["pwd", "hwk"]
        XCTAssertEqual(IDTokenRules.secondFactor(two, acceptedACR: [], acceptedAMR: ["otp", "hwk"]), "amr:hwk")
        XCTAssertFalse(IDTokenRules.algorithms.contains("none"))
        XCTAssertFalse(IDTokenRules.algorithms.contains("HS256"))
    }

    func testTheSettings() throws {
        XCTAssertNil(SingleSignOnConfig.from(environment: [:]))
        let base = ["KPI_OIDC_ISSUER": issuer, "KPI_OIDC_CLIENT_ID": "kpi"]
        guard case .success(let c)? = SingleSignOnConfig.from(environment: base) else { return XCTFail("valid settings") }
        XCTAssertEqual(c.claim, "preferred_username")
        XCTAssertFalse(c.localForAll)
        XCTAssertEqual(c.scopes, "openid profile email")
        var env = base
        env["KPI_OIDC_SCOPES"] = "profile cccd"; env["KPI_OIDC_MATCH"] = "email"; env["KPI_OIDC_AMR"] = "otp, hwk"
        env["KPI_OIDC_LOCAL_SIGN_IN"] = "all"
        guard case .success(let d)? = SingleSignOnConfig.from(environment: env) else { return XCTFail("valid settings") }
        XCTAssertEqual(d.scopes, "openid profile cccd")
        XCTAssertTrue(d.matchesEmail && d.localForAll)
        XCTAssertEqual(d.acceptedAMR, ["otp", "hwk"])
        for (key, value) in [("KPI_OIDC_ISSUER", "http://sso.nghean.gov.vn"), ("KPI_OIDC_CLIENT_ID", ""), ("KPI_OIDC_MATCH", "cccd"),
                             ("KPI_OIDC_LOCAL_SIGN_IN", "none")] {
            var bad = base
            bad[key] = value
            guard case .failure(let problem)? = SingleSignOnConfig.from(environment: bad) else { return XCTFail(key) }
            XCTAssertTrue(problem.message.contains("KPI_OIDC_"), key)
        }
        var local = base
        local["KPI_OIDC_ISSUER"] = "http://127.0.0.1:9400"
        guard case .success? = SingleSignOnConfig.from(environment: local) else { return XCTFail("http on this machine") }
    }
}
