import Foundation

/// Kỳ đánh giá: a month ("2026-11"), a quarter ("2026-Q4") or a year ("2026"), with its days.
public struct PeriodCode: Hashable, Comparable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case month, quarter, year
        public var label: String {
            switch self {
            case .month: "Tháng"
            case .quarter: "Quý"
            case .year: "Năm"
            }
        }
    }

    public let year: Int
    public let kind: Kind
    /// 1–12 for a month, 1–4 for a quarter, 0 for the year.
    public let index: Int

    public init?(year: Int, kind: Kind, index: Int) {
        guard (2000...2100).contains(year) else { return nil }
        switch kind {
        case .month: guard (1...12).contains(index) else { return nil }
        case .quarter: guard (1...4).contains(index) else { return nil }
        case .year: guard index == 0 else { return nil }
        }
        self.year = year
        self.kind = kind
        self.index = index
    }

    /// "2026-11", "2026-Q4", "2026"; also "11/2026" and "Q4/2026" as people write them.
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        if t.count == 4, let y = Int(t) { self.init(year: y, kind: .year, index: 0); return }
        let parts = t.split(whereSeparator: { $0 == "-" || $0 == "/" }).map(String.init)
        guard parts.count == 2 else { return nil }
        let (yearText, rest) = parts[0].count == 4 ? (parts[0], parts[1]) : (parts[1], parts[0])
        guard yearText.count == 4, let y = Int(yearText) else { return nil }
        if rest.hasPrefix("Q"), let q = Int(rest.dropFirst()) {
            self.init(year: y, kind: .quarter, index: q)
        } else if let m = Int(rest), rest.count <= 2 {
            self.init(year: y, kind: .month, index: m)
        } else {
            return nil
        }
    }

    /// The period of `kind` that contains the day.
    public static func containing(_ day: DateOnly, kind: Kind) -> PeriodCode {
        switch kind {
        case .month: PeriodCode(year: day.year, kind: .month, index: day.month)!
        case .quarter: PeriodCode(year: day.year, kind: .quarter, index: (day.month - 1) / 3 + 1)!
        case .year: PeriodCode(year: day.year, kind: .year, index: 0)!
        }
    }

    /// The stored form: "2026-11", "2026-Q4", "2026".
    public var text: String {
        switch kind {
        case .month: index < 10 ? "\(year)-0\(index)" : "\(year)-\(index)"
        case .quarter: "\(year)-Q\(index)"
        case .year: "\(year)"
        }
    }

    public var description: String { text }

    /// "Tháng 11/2026", "Quý IV/2026", "Năm 2026".
    public var label: String {
        switch kind {
        case .month: "Tháng \(index)/\(year)"
        case .quarter: "Quý \(["I", "II", "III", "IV"][index - 1])/\(year)"
        case .year: "Năm \(year)"
        }
    }

    public var firstMonth: Int {
        switch kind {
        case .month: index
        case .quarter: 3 * index - 2
        case .year: 1
        }
    }

    public var lastMonth: Int {
        switch kind {
        case .month: index
        case .quarter: 3 * index
        case .year: 12
        }
    }

    public var first: DateOnly { DateOnly(year: year, month: firstMonth, day: 1)! }
    public var last: DateOnly { DateOnly(year: year, month: lastMonth, day: DateOnly.daysIn(month: lastMonth, year: year))! }

    public func contains(_ day: DateOnly) -> Bool { first <= day && day <= last }

    /// The months or quarters whose mean is this year.
    public func parts(_ kind: Kind) -> [PeriodCode] {
        switch kind {
        case .month: (firstMonth...lastMonth).map { PeriodCode(year: year, kind: .month, index: $0)! }
        case .quarter: (1...4).compactMap { q in
                let p = PeriodCode(year: year, kind: .quarter, index: q)!
                return p.firstMonth >= firstMonth && p.lastMonth <= lastMonth ? p : nil
            }
        case .year: [PeriodCode(year: year, kind: .year, index: 0)!]
        }
    }

    /// The period of the same kind just before (December of last year before January; nil before year 1).
    public var previous: PeriodCode? {
        switch kind {
        case .month: index > 1 ? PeriodCode(year: year, kind: .month, index: index - 1)
            : PeriodCode(year: year - 1, kind: .month, index: 12)
        case .quarter: index > 1 ? PeriodCode(year: year, kind: .quarter, index: index - 1)
            : PeriodCode(year: year - 1, kind: .quarter, index: 4)
        case .year: PeriodCode(year: year - 1, kind: .year, index: 0)
        }
    }

    /// The months from `first` through `last` (both months; their order does not matter), earliest first,
    /// at most `limit` of them: a caller refusing a longer range asks for one more than it allows.
    public static func months(from first: PeriodCode, through last: PeriodCode, limit: Int) -> [PeriodCode] {
        guard first.kind == .month, last.kind == .month else { return [] }
        let (a, b) = last < first ? (last, first) : (first, last)
        var out: [PeriodCode] = []
        var m: PeriodCode? = a
        while let month = m, !(b < month), out.count < limit {
            out.append(month)
            m = month.index < 12 ? PeriodCode(year: month.year, kind: .month, index: month.index + 1)
                : PeriodCode(year: month.year + 1, kind: .month, index: 1)
        }
        return out
    }

    /// Earlier first, a year after its parts.
    public static func < (a: PeriodCode, b: PeriodCode) -> Bool {
        (a.year, a.lastMonth, a.kind == .year ? 1 : 0, -a.firstMonth) < (b.year, b.lastMonth, b.kind == .year ? 1 : 0, -b.firstMonth)
    }
}
