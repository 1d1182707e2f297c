import Foundation
@testable import KPICore
import XCTest

/// The rules of two-step sign-in that need no cryptography: steps, what counts as a code, recovery
/// codes, base32, who must use it.
final class TwoFactorRulesTests: XCTestCase {
    func testStepsAndTheWindow() {
        XCTAssertEqual(TOTPRules.step(at: Date(timeIntervalSince1970: 59)), 1)
        XCTAssertEqual(TOTPRules.step(at: Date(timeIntervalSince1970: 60)), 2)
        XCTAssertEqual(TOTPRules.counter(1), [0, 0, 0, 0, 0, 0, 0, 1])
        XCTAssertEqual(TOTPRules.counter(0x0102_0304_0506_0708), [1, 2, 3, 4, 5, 6, 7, 8])
        let at = Date(timeIntervalSince1970: 3000) // step 100
        XCTAssertEqual(TOTPRules.candidateSteps(at: at, lastUsed: nil), [100, 99, 101])
        XCTAssertEqual(TOTPRules.candidateSteps(at: at, lastUsed: 99), [100, 101], "a used step never again")
        XCTAssertEqual(TOTPRules.candidateSteps(at: at, lastUsed: 101), [])
    }

    func testDynamicTruncation() {
        // RFC 4226 §5.4's worked example: the HMAC below truncates to 0x50ef7f19 = 1357872921.
        let mac: [UInt8] = [0x1f, 0x86, 0x98, 0x69, 0x0e, 0x02, 0xca, 0x16, 0x61, 0x85, 0x50, 0xef, 0x7f, 0x19, 0xda, 0x8e,
                            0x94, 0x5b, 0x55, 0x5a]
        XCTAssertEqual(TOTPRules.code(fromHMAC: mac), "872921")
        XCTAssertEqual(TOTPRules.code(fromHMAC: [1, 2]), "", "too short: no code")
    }

    func testWhatCountsAsACode() {
        XCTAssertEqual(TOTPRules.normalizedCode(" 123 456 "), "123456")
        XCTAssertEqual(TOTPRules.normalizedCode("123-456"), "123456")
        XCTAssertNil(TOTPRules.normalizedCode("12345"))
        XCTAssertNil(TOTPRules.normalizedCode("1234567"))
        XCTAssertNil(TOTPRules.normalizedCode("12345٦"), "only ASCII digits")
        XCTAssertNil(TOTPRules.normalizedCode(String(repeating: "9", count: 10_000)))
    }

    func testRecoveryCodes() {
        let code = RecoveryCodes.make(random: Array(0..<10))
        XCTAssertEqual(code.count, 11)
        XCTAssertEqual(code[code.index(code.startIndex, offsetBy: 5)], "-")
        XCTAssertEqual(RecoveryCodes.normalized(code.uppercased()), code.replacingOccurrences(of: "-", with: ""))
        XCTAssertNil(RecoveryCodes.normalized("abcde-fghi0"), "0 is not in the alphabet")
        XCTAssertNil(RecoveryCodes.normalized("123456"))
        // Every byte maps into the alphabet, with no doubtful letters.
        let all = RecoveryCodes.make(random: Array(246...255))
        XCTAssertFalse(all.contains { "01oil".contains($0) })
    }

    func testBase32() {
        XCTAssertEqual(Base32.encode(Array("foobar".utf8)), "MZXW6YTBOI")
        XCTAssertEqual(Base32.encode(Array("f".utf8)), "MY")
        XCTAssertEqual(Base32.decode("mzxw 6ytb-oi======"), Array("foobar".utf8))
        XCTAssertNil(Base32.decode("MZXW1"), "1 is not base32")
        XCTAssertEqual(Base32.grouped("ABCDEFGHIJ"), "ABCD EFGH IJ")
        let random = (0..<20).map { UInt8($0 * 13 % 256) }
        XCTAssertEqual(Base32.decode(Base32.encode(random)), random)
    }

    func testWhoMustUseIt() {
        let admin = [Grant(role: .unitAdmin, scopePath: "/1/")]
        let staff = [Grant(role: .staff, scopePath: "/1/2/")]
        XCTAssertTrue(TwoFactorPolicy.isRequired(for: admin, required: TwoFactorPolicy.defaultRequired))
        XCTAssertFalse(TwoFactorPolicy.isRequired(for: staff, required: TwoFactorPolicy.defaultRequired))
        XCTAssertTrue(TwoFactorPolicy.isRequired(for: staff + admin, required: TwoFactorPolicy.defaultRequired), "any required grant")
        XCTAssertFalse(TwoFactorPolicy.isRequired(for: admin, required: []))
        let uri = TOTPRules.provisioningURI(secret: "ABCD", account: "quantri.snv", issuer: "KPI Công vụ")
        XCTAssertEqual(uri, "otpauth://totp/KPI%20C%C3%B4ng%20v%E1%BB%A5:quantri.snv?secret=ABCD&issuer=KPI%20C%C3%B4ng%20v%E1%BB%A5"
                       + "&algorithm=SHA1&digits=6&period=30")
    }
}
