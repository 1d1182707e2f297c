import Foundation
import KPICore
import XCTest

/// The web layer's decisions (issue 16), written out by hand.
final class WebRulesTests: XCTestCase {
    func testOnlySameSitePathsAreRedirectTargets() {
        for ok in ["/", "/viec", "/viec?xem=da-giao&trang=2", "/ky-danh-gia/abc/phieu/CB001", "/a%2Fb"] {
            XCTAssertEqual(WebRules.localPath(ok), ok, ok)
        }
        for bad in ["", "viec", "//evil.example", "/\\evil.example", "/\\/evil.example", "\\\\evil.example",
                    "https://evil.example", "/\t/evil.example", "/\n/evil.example", "/ /evil.example", "/x\u{7F}",
                    "javascript:alert(1)", "/" + String(repeating: "a", count: 2_001)] {
            XCTAssertNil(WebRules.localPath(bad), bad)
        }
    }

    func testBrowsersGetPagesAndAPIClientsGetJSON() {
        // The exact headers browsers and tools send for a navigation or a plain request.
        let chromium = """
            text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,\
            application/signed-exchange;v=b3;q=0.7
            """
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        XCTAssertFalse(WebRules.prefersJSON(accept: chromium))
        XCTAssertFalse(WebRules.prefersJSON(accept: firefox))
        XCTAssertFalse(WebRules.prefersJSON(accept: "*/*"))          // curl
        XCTAssertFalse(WebRules.prefersJSON(accept: ""))
        XCTAssertTrue(WebRules.prefersJSON(accept: "application/json"))
        XCTAssertTrue(WebRules.prefersJSON(accept: "application/problem+json, application/json;q=0.9"))
        XCTAssertTrue(WebRules.prefersJSON(accept: "application/json, text/html;q=0.5"))
        XCTAssertFalse(WebRules.prefersJSON(accept: "application/json;q=0.5, text/html"))
        XCTAssertFalse(WebRules.prefersJSON(accept: "application/json;q=0.5, */*"))
        XCTAssertFalse(WebRules.prefersJSON(accept: "application/json;q=abc"))
    }

    func testSpreadsheetCellsAreInertButNumbersStay() {
        XCTAssertEqual(WebRules.inertCell("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")")
        XCTAssertEqual(WebRules.inertCell("+cmd"), "'+cmd")
        XCTAssertEqual(WebRules.inertCell("-2+3"), "'-2+3")
        XCTAssertEqual(WebRules.inertCell("@SUM(A1)"), "'@SUM(A1)")
        XCTAssertEqual(WebRules.inertCell("\t=1"), "'\t=1")
        XCTAssertEqual(WebRules.inertCell("\r=1"), "'\r=1")
        for number in ["-5", "+84", "-1.234,5", "-0,25", "1e3", "-3.5"] {
            XCTAssertEqual(WebRules.inertCell(number), number)
        }
        for plain in ["Nguyễn Văn A", "", "12", "a=b"] {
            XCTAssertEqual(WebRules.inertCell(plain), plain)
        }
        XCTAssertEqual(CSV.write([["=1+1", "-5"]]), "\u{FEFF}'=1+1,-5\r\n")
    }
}

/// Who may act on an account, written out by hand from the rule.
final class AccountRulesTests: XCTestCase {
    let admin = UUID(), other = UUID()
    let province = "/p/", snv = "/p/snv/", btc = "/p/btc/"

    func testNobodyActsOnTheirOwnAccount() {
        let sysAdmin = [Grant(role: .systemAdmin, scopePath: "/")]
        XCTAssertEqual(AccountRules.refusal(actor: admin, actorGrants: sysAdmin, target: admin, targetGrants: sysAdmin),
                       AccountRules.selfRefusal)
        XCTAssertEqual(AccountRules.refusal(actor: admin, actorGrants: [Grant(role: .unitAdmin, scopePath: snv)], target: admin,
                                            targetGrants: [Grant(role: .unitAdmin, scopePath: snv)]), AccountRules.selfRefusal)
    }

    func testAccountsHoldingWiderGrantsAreOutOfReach() {
        let unitAdmin = [Grant(role: .unitAdmin, scopePath: snv)]
        // Staff and leaders inside the subtree: within reach.
        XCTAssertNil(AccountRules.refusal(actor: admin, actorGrants: unitAdmin, target: other,
                                          targetGrants: [Grant(role: .staff, scopePath: snv + "x/"), Grant(role: .leader, scopePath: snv)]))
        XCTAssertNil(AccountRules.refusal(actor: admin, actorGrants: unitAdmin, target: other, targetGrants: []))
        // An advisory grant for the province, another unit admin, a leader elsewhere: out of reach.
        XCTAssertNotNil(AccountRules.refusal(actor: admin, actorGrants: unitAdmin, target: other,
                                             targetGrants: [Grant(role: .staff, scopePath: snv), Grant(role: .advisory, scopePath: "/")]))
        XCTAssertNotNil(AccountRules.refusal(actor: admin, actorGrants: unitAdmin, target: other, targetGrants: [Grant(role: .unitAdmin,
            scopePath: snv)]))
        XCTAssertNotNil(AccountRules.refusal(actor: admin, actorGrants: unitAdmin, target: other, targetGrants: [Grant(role: .leader,
            scopePath: btc)]))
        // A system administrator reaches every account but their own.
        XCTAssertNil(AccountRules.refusal(actor: admin, actorGrants: [Grant(role: .systemAdmin, scopePath: "/")], target: other,
                                          targetGrants: [Grant(role: .systemAdmin, scopePath: "/")]))
    }

    func testOnlySystemAdministratorsRelinkAccounts() {
        XCTAssertTrue(AccountRules.mayRelink([Grant(role: .systemAdmin, scopePath: "/")], fromPersonAt: snv, toPersonAt: btc))
        XCTAssertFalse(AccountRules.mayRelink([Grant(role: .unitAdmin, scopePath: province)], fromPersonAt: snv, toPersonAt: snv + "a/"))
        XCTAssertFalse(AccountRules.mayRelink([Grant(role: .systemAdmin, scopePath: snv)], fromPersonAt: snv, toPersonAt: btc))
    }
}
