import KPICore
import XCTest

/// Where a webhook may go (no address inside the network unless listed) and how it is retried.
final class WebhookRulesTests: XCTestCase {
    func testInternalAddressesAreRefusedUnlessListed() throws {
        let open = WebhookAddressPolicy()
        for inside in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.10", "169.254.169.254", "100.64.0.1",
                       "0.0.0.0", "224.0.0.1", "::1", "::", "fe80::1", "fd12:3456::1", "::ffff:127.0.0.1", "[::1]", "::ffff:10.0.0.1"] {
            let a = try XCTUnwrap(IPAddress(inside), inside)
            XCTAssertNotNil(open.refusal(a), inside)
        }
        for outside in ["203.113.131.1", "172.32.0.1", "8.8.8.8", "2001:db8::1", "2404:6800:4005:80a::200e"] {
            let a = try XCTUnwrap(IPAddress(outside), outside)
            XCTAssertNil(open.refusal(a), outside)
        }
        let listed = try WebhookAddressPolicy.parse("10.20.0.0/16, 127.0.0.1\nfd00::/8").get()
        XCTAssertNil(listed.refusal(IPAddress("10.20.3.4")!))
        XCTAssertNil(listed.refusal(IPAddress("127.0.0.1")!))
        XCTAssertNil(listed.refusal(IPAddress("fd00::5")!))
        XCTAssertNotNil(listed.refusal(IPAddress("10.21.0.1")!))
        XCTAssertNotNil(listed.refusal(IPAddress("127.0.0.2")!))
        XCTAssertEqual(WebhookAddressPolicy.parse("10.0.0.0/33"), .failure(WebhookAddressError(entry: "10.0.0.0/33")))
        XCTAssertEqual(WebhookAddressPolicy.parse("intranet.local"), .failure(WebhookAddressError(entry: "intranet.local")))
    }

    func testAddressTextIsReadStrictly() {
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "::1::", "12345::", "fe80::1%eth0", "g::1"] {
            XCTAssertNil(IPAddress(bad), bad)
        }
        XCTAssertEqual(IPAddress("::ffff:192.168.1.1")?.text, "192.168.1.1")
        XCTAssertEqual(IPAddress("2001:db8::1")?.text, "2001:db8:0:0:0:0:0:1")
    }

    func testRetriesBackOffForADay() {
        XCTAssertEqual((1...9).map { WebhookRules.delay(afterAttempts: $0) }, [60, 120, 240, 480, 960, 1_920, 3_840, 7_200, 7_200])
        XCTAssertEqual(WebhookRules.retryWindow, 86_400)
        XCTAssertEqual(WebhookEvent.forTask(kind: "gui-nghiem-thu"), .taskSubmitted)
        XCTAssertNil(WebhookEvent.forTask(kind: "tien-do"))
    }
}
