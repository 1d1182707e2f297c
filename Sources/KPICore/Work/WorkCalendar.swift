import Foundation

extension DateOnly {
    /// Days since 1970-01-01 (proleptic Gregorian), for day arithmetic without time zones.
    public var dayNumber: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day number; nil outside the years DateOnly accepts (1900…2999).
    public init?(dayNumber z0: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    /// Calendar days from self to other (negative when other is earlier).
    public func days(to other: DateOnly) -> Int { other.dayNumber - dayNumber }

    /// Self moved by n days, kept within 1900…2999.
    public func adding(days n: Int) -> DateOnly {
        DateOnly(dayNumber: dayNumber + n) ?? (n < 0 ? DateOnly(year: 1900, month: 1, day: 1)! : DateOnly(year: 2999, month: 12, day: 31)!)
    }

    /// 1 = Monday … 7 = Sunday.
    public var weekday: Int {
        let w = (dayNumber + 3) % 7   // 1970-01-01 was a Thursday
        return (w < 0 ? w + 7 : w) + 1
    }
}

/// Ngày làm việc: Monday to Friday, minus public holidays (ngày nghỉ lễ, Tết), with swaps (làm bù:
/// a Saturday worked in exchange for a weekday off). Holidays are data per year, never code: the
/// Tết dates follow the lunar calendar and the Government's yearly notice.
public struct WorkCalendar: Sendable, Codable, Equatable {
    /// Days off that would otherwise be working days.
    public var holidays: Set<DateOnly>
    /// Weekend days that are working days (làm bù).
    public var workingWeekends: Set<DateOnly>

    public init(holidays: Set<DateOnly> = [], workingWeekends: Set<DateOnly> = []) {
        self.holidays = holidays
        self.workingWeekends = workingWeekends
    }

    public func isWorkingDay(_ d: DateOnly) -> Bool {
        if workingWeekends.contains(d) { return true }
        return d.weekday <= 5 && !holidays.contains(d)
    }

    /// The working day `n` working days after `d` (n > 0), or before it (n < 0).
    public func adding(workingDays n: Int, to d: DateOnly) -> DateOnly {
        var day = d
        var left = abs(n)
        let step = n >= 0 ? 1 : -1
        // A year has at least 200 working days: the loop is bounded by the range asked for.
        while left > 0 {
            day = day.adding(days: step)
            if isWorkingDay(day) { left -= 1 }
        }
        return day
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not after `from`).
    public func workingDays(from: DateOnly, to: DateOnly) -> Int {
        guard from < to else { return 0 }
        var count = 0
        var day = from
        while day < to {
            day = day.adding(days: 1)
            if isWorkingDay(day) { count += 1 }
        }
        return count
    }

    /// Vietnamese public holidays of 2026 that fall on weekdays (Bộ luật Lao động 2019 Điều 112, Tết by
    /// the lunar calendar: mùng 1 Bính Ngọ = 17/02; Giỗ Tổ 10/3 âm lịch = 26/4, Chủ nhật → nghỉ bù 27/4),
    /// as defaults with their names: the province checks them against the Government's yearly notice
    /// and adds each new year as data.
    public static let vietnam2026Holidays: [(day: DateOnly, name: String)] = [
        ("01/01/2026", "Tết Dương lịch"),
        ("16/02/2026", "Tết Nguyên đán"), ("17/02/2026", "Tết Nguyên đán"), ("18/02/2026", "Tết Nguyên đán"),
        ("19/02/2026", "Tết Nguyên đán"), ("20/02/2026", "Tết Nguyên đán"),
        ("27/04/2026", "Nghỉ bù Giỗ Tổ Hùng Vương"), ("30/04/2026", "Ngày Chiến thắng"), ("01/05/2026",
                                                                                          "Quốc tế Lao động"),
        ("01/09/2026", "Quốc khánh"), ("02/09/2026", "Quốc khánh"),
    ].map { (DateOnly(parsing: $0.0)!, $0.1) }

    public static let vietnam2026 = WorkCalendar(holidays: Set(vietnam2026Holidays.map(\.day)))
}

/// Cảnh báo hạn (DOMAIN.md §6).
public enum DeadlineWarning: String, Sendable, Codable, Equatable {
    case dueSoon = "sap-den-han"
    case dueToday = "den-han"
    case overdue = "qua-han"

    public var label: String {
        switch self {
        case .dueSoon: "Sắp đến hạn"
        case .dueToday: "Đến hạn hôm nay"
        case .overdue: "Quá hạn"
        }
    }

    /// The warning an open task deserves today, if any: overdue after the due date, due today on it,
    /// due soon within `soon` working days before it (default 2).
    public static func of(due: DateOnly, today: DateOnly, calendar: WorkCalendar, soon: Int = 2) -> DeadlineWarning? {
        if due < today { return .overdue }
        if due == today { return .dueToday }
        return calendar.workingDays(from: today, to: due) <= soon ? .dueSoon : nil
    }
}
