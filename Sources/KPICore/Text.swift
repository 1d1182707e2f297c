import Foundation

/// Text clean-up shared by forms and imports.
public enum TextNormalizer {
    /// Trims, collapses inner white space and composes Vietnamese diacritics (NFC), so that a name
    /// typed with a decomposed keyboard layout equals the same name typed otherwise.
    public static func clean(_ s: String) -> String {
        let composed = s.precomposedStringWithCanonicalMapping
        return composed.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// Lower case without diacritics, for matching headers, choices and search terms.
    public static func fold(_ s: String) -> String {
        clean(s).replacingOccurrences(of: "đ", with: "d").replacingOccurrences(of: "Đ", with: "d")
            .folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
            .lowercased()
    }
}

/// A calendar date with no time zone, shown as dd/MM/yyyy.
public struct DateOnly: Hashable, Comparable, Sendable, Codable {
    public var year: Int
    public var month: Int
    public var day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1900...2999).contains(year), (1...12).contains(month), day >= 1,
              day <= DateOnly.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Accepts dd/MM/yyyy (also d/M/yyyy, with "-" or "."), and ISO yyyy-MM-dd.
    public init?(parsing text: String) {
        if let fast = Self.parseASCII(text) {
            self = fast
            return
        }
        let t = text.trimmingCharacters(in: .whitespaces)
        let parts = t.split(whereSeparator: { "/-.".contains($0) }).map(String.init)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { return nil }
        let nums = parts.compactMap { Int($0) }
        guard nums.count == 3 else { return nil }
        if parts[0].count == 4 {
            self.init(year: nums[0], month: nums[1], day: nums[2])
        } else if parts[2].count == 4 {
            self.init(year: nums[2], month: nums[1], day: nums[0])
        } else {
            return nil
        }
    }

    /// The common case without Foundation: ASCII digits in three parts separated by "/", "-" or
    /// ".", no spaces (the general path handles the rest with the same rules).
    private static func parseASCII(_ text: String) -> DateOnly? {
        var nums = (0, 0, 0), lens = (0, 0, 0), part = 0
        for b in text.utf8 {
            switch b {
            case 0x30...0x39:
                let d = Int(b - 0x30)
                switch part {
                case 0: nums.0 = nums.0 * 10 + d; lens.0 += 1
                case 1: nums.1 = nums.1 * 10 + d; lens.1 += 1
                default: nums.2 = nums.2 * 10 + d; lens.2 += 1
                }
                if lens.0 > 9 || lens.1 > 9 || lens.2 > 9 { return nil }
            case 0x2F, 0x2D, 0x2E:
                part += 1
                if part > 2 { return nil }
            default:
                return nil
            }
        }
        guard part == 2, lens.0 > 0, lens.1 > 0, lens.2 > 0 else { return nil }
        if lens.0 == 4 { return DateOnly(year: nums.0, month: nums.1, day: nums.2) }
        if lens.2 == 4 { return DateOnly(year: nums.2, month: nums.1, day: nums.0) }
        return nil
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The day in Việt Nam (UTC+7) at the instant `date`, whatever the server's time zone. The
    /// server reads "today" from its one injected clock (`AppClock`), never from the system.
    /// 01/01/1970: a fallback where a stored date cannot be read (never "today").
    public static let epoch = DateOnly(year: 1970, month: 1, day: 1)!

    public static func inVietnam(_ date: Date) -> DateOnly {
        let c = VietnamTime.calendar.dateComponents([.year, .month, .day], from: date)
        return DateOnly(year: c.year!, month: c.month!, day: c.day!)!
    }

    /// The day's first instant in Việt Nam (00:00 UTC+7).
    public var startInVietnam: Date {
        VietnamTime.calendar.date(from: DateComponents(year: year, month: month, day: day))!
    }

    /// dd/MM/yyyy
    public var display: String {
        Self.pad(day, 2) + "/" + Self.pad(month, 2) + "/" + Self.pad(year, 4)
    }

    /// yyyy-MM-dd, for storage and `<input type=date>`.
    public var iso: String {
        Self.pad(year, 4) + "-" + Self.pad(month, 2) + "-" + Self.pad(day, 2)
    }

    public static func < (a: DateOnly, b: DateOnly) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }
}

/// Vietnamese number display: "." groups thousands, "," marks decimals (1.234,5).
public enum VNNumber {
    public static func format(_ value: Double, decimals: Int = 0) -> String {
        let rounded = String(format: "%.\(decimals)f", value)
        var intPart = rounded
        var frac = ""
        if let dot = rounded.firstIndex(of: ".") {
            intPart = String(rounded[..<dot])
            frac = String(rounded[rounded.index(after: dot)...])
        }
        let negative = intPart.hasPrefix("-")
        if negative { intPart.removeFirst() }
        var grouped = ""
        for (i, ch) in intPart.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { grouped.append(".") }
            grouped.append(ch)
        }
        let body = String(grouped.reversed()) + (frac.isEmpty ? "" : "," + frac)
        return negative ? "-" + body : body
    }

    /// A number held as a whole count of its last decimal place (`scaled` tenths for `decimals` 1: 12345
    /// → "1.234,5"), printed without floating point or `String(format:)` (the home page's agency table
    /// prints hundreds of shares).
    public static func format(scaled: Int, decimals: Int) -> String {
        let digits = Array(String(scaled.magnitude).utf8)
        let places = max(0, decimals)
        let padded = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, places + 1 - digits.count)) + digits
        let whole = padded.dropLast(places)
        var out: [UInt8] = []
        out.reserveCapacity(padded.count + padded.count / 3 + 2)
        if scaled < 0 { out.append(UInt8(ascii: "-")) }
        for (i, d) in whole.enumerated() {
            if i > 0 && (whole.count - i) % 3 == 0 { out.append(UInt8(ascii: ".")) }
            out.append(d)
        }
        if places > 0 {
            out.append(UInt8(ascii: ","))
            out += padded.suffix(places)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whole numbers grouped by thousands without going through `String(format:)` (a list page prints hundreds).
    public static func format(_ value: Int) -> String {
        format(scaled: value, decimals: 0)
    }
}

/// Giờ Việt Nam: the one place the time zone is set. Every day, date and time the system shows or
/// reckons with is in Asia/Ho_Chi_Minh (UTC+7, no daylight saving), whatever the server's zone.
public enum VietnamTime {
    public static let zone = TimeZone(identifier: "Asia/Ho_Chi_Minh") ?? TimeZone(secondsFromGMT: 7 * 3600)!

    /// The Gregorian calendar in that zone.
    public static let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        return c
    }()
}

/// Comparing secrets (tokens, nonces) in time that does not depend on where they first differ.
public enum ConstantTime {
    public static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
