import KPICore
import XCTest

/// The QR encoder's structure; the e2e test compares whole symbols with an independent encoder (python-qrcode).
final class QRCodeTests: XCTestCase {
    func testSmallestVersionFinderPatternsAndFormat() throws {
        let code = try XCTUnwrap(QRCode("https://kpi.nghean.gov.vn/danh-gia/abc"))
        XCTAssertEqual(code.version, 3)
        XCTAssertEqual(code.size, 29)
        let m = code.modules
        // Finder patterns: dark ring, light ring, dark 3×3 centre, in three corners.
        for (cx, cy) in [(3, 3), (code.size - 4, 3), (3, code.size - 4)] {
            XCTAssertTrue(m[cy][cx] && m[cy - 3][cx - 3] && m[cy + 3][cx + 3])
            XCTAssertFalse(m[cy - 2][cx] || m[cy][cx + 2])
        }
        // Timing pattern alternates.
        for i in 8..<(code.size - 8) { XCTAssertEqual(m[6][i], i % 2 == 0) }
        // The dark module.
        XCTAssertTrue(m[code.size - 8][8])
        // Format bits read back: level M (00) and the mask, both copies equal.
        var bits = 0
        for i in 0...5 { bits |= (m[i][8] ? 1 : 0) << i }
        bits |= (m[7][8] ? 1 : 0) << 6
        bits |= (m[8][8] ? 1 : 0) << 7
        bits |= (m[8][7] ? 1 : 0) << 8
        for i in 9..<15 { bits |= (m[8][14 - i] ? 1 : 0) << i }
        let format = (bits ^ 0x5412) >> 10
        XCTAssertEqual(format >> 3, 0, "level M")
        XCTAssertEqual(format & 7, code.mask)
        var copy = 0
        for i in 0..<8 { copy |= (m[8][code.size - 1 - i] ? 1 : 0) << i }
        for i in 8..<15 { copy |= (m[code.size - 15 + i][8] ? 1 : 0) << i }
        XCTAssertEqual(copy, bits)
    }

    func testCapacityAndForcedMask() throws {
        XCTAssertEqual(QRCode(String(repeating: "a", count: 14))?.version, 1)
        XCTAssertEqual(QRCode(String(repeating: "a", count: 15))?.version, 2)
        XCTAssertEqual(QRCode(String(repeating: "a", count: 213))?.version, 10)
        XCTAssertNil(QRCode(String(repeating: "a", count: 214)))
        let forced = try XCTUnwrap(QRCode("KPI", mask: 6))
        XCTAssertEqual(forced.mask, 6)
        XCTAssertTrue(forced.svg().contains("data-mask=\"6\""))
        let v7 = try XCTUnwrap(QRCode(String(repeating: "b", count: 120)))
        XCTAssertEqual(v7.version, 7)
        XCTAssertEqual(v7.size, 45)
    }
}
