import Foundation
@testable import KPIServer
import XCTest

/// Times shown in Vietnam's time (UTC+7) whatever the server's zone, across a day's and a year's end.
final class DateFormattingTests: XCTestCase {
    func testVietnamTimeAcrossDayAndYearEnds() {
        let d = Date(timeIntervalSince1970: 1_798_736_709)  // 2026-12-31T17:05:09Z
        XCTAssertEqual(DateFormatting.dateTime(d), "01/01/2027 00:05:09")
        XCTAssertEqual(DateFormatting.date(d), "01/01/2027")
        XCTAssertEqual(DateFormatting.fileStamp(d), "20270101-0005")
        let early = Date(timeIntervalSince1970: 1_772_323_200)  // 2026-03-01T00:00:00Z
        XCTAssertEqual(DateFormatting.dateTime(early), "01/03/2026 07:00:00")
    }
}
