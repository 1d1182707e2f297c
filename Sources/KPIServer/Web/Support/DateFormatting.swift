import Foundation
import KPICore

/// Times are stored in UTC and shown in Vietnam's time (UTC+7, no daylight saving).
enum DateFormatting {
    /// The parts of `d` in Vietnam's time, from the calendar (no `DateFormatter`: making one per call was a
    /// twentieth of the home page).
    private static func parts(_ d: Date) -> DateComponents {
        VietnamTime.calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
    }

    private static func two(_ n: Int?) -> String {
        let n = n ?? 0
        return n < 10 ? "0\(n)" : String(n)
    }

    private static func day(_ c: DateComponents) -> String { "\(two(c.day))/\(two(c.month))/\(c.year ?? 0)" }

    static func dateTime(_ d: Date) -> String {
        let c = parts(d)
        return "\(day(c)) \(two(c.hour)):\(two(c.minute)):\(two(c.second))"
    }
    static func date(_ d: Date) -> String { day(parts(d)) }
    static func fileStamp(_ d: Date) -> String {
        let c = parts(d)
        return "\(c.year ?? 0)\(two(c.month))\(two(c.day))-\(two(c.hour))\(two(c.minute))"
    }
}
