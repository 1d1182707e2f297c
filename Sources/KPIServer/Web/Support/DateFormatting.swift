import Foundation
import KPICore

/// Times are stored in UTC and shown in Vietnam's time (UTC+7, no daylight saving).
enum DateFormatting {
    private static let vietnam = VietnamTime.zone

    private static func formatter(_ pattern: String) -> DateFormatter {
        let f = DateFormatter()
        f.locale = Locale(identifier: "vi_VN")
        f.timeZone = vietnam
        f.dateFormat = pattern
        return f
    }

    static func dateTime(_ d: Date) -> String { formatter("dd/MM/yyyy HH:mm:ss").string(from: d) }
    static func date(_ d: Date) -> String { formatter("dd/MM/yyyy").string(from: d) }
    static func fileStamp(_ d: Date) -> String { formatter("yyyyMMdd-HHmm").string(from: d) }
}
