/// An exact fraction of 128-bit integers, always reduced, denominator positive. Scores are computed
/// exactly and rounded only at the end (DOMAIN.md §5), so 89,995 is 89,995 and shows as 90,00.
public struct Rational: Hashable, Comparable, Sendable, CustomStringConvertible {
    public private(set) var numerator: Int128
    public private(set) var denominator: Int128

    public struct Overflow: Error, Equatable {}
    public struct DivisionByZero: Error, Equatable {}

    public static let zero = Rational(0)
    public static let one = Rational(1)

    public init(_ n: Int) { numerator = Int128(n); denominator = 1 }

    /// `n / d`, reduced. `d` must not be zero.
    public init(_ n: Int128, _ d: Int128) throws {
        guard d != 0 else { throw DivisionByZero() }
        guard n != .min, d != .min else { throw Overflow() }
        let g = Rational.gcd(n.magnitude, d.magnitude)
        let sign: Int128 = d < 0 ? -1 : 1
        numerator = sign * n / Int128(g)
        denominator = sign * d / Int128(g)
    }

    /// Exact value of a decimal literal such as "12.345" or "-0.5"; nil if it is not one.
    public init?(decimal text: Substring) {
        var s = text
        var negative = false
        if s.first == "-" { negative = true; s = s.dropFirst() }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              parts.count == 1 || !parts[1].isEmpty, s.count <= 30 else { return nil }
        let digits = parts.joined()
        guard let n = Int128(digits) else { return nil }
        let scale = parts.count == 2 ? parts[1].count : 0
        var d: Int128 = 1
        for _ in 0..<scale { d *= 10 }
        guard let r = try? Rational(negative ? -n : n, d) else { return nil }
        self = r
    }

    public init?(decimal text: String) { self.init(decimal: Substring(text)) }

    /// A value written exactly: a decimal ("9.5", "9,5") or a fraction as `description` writes it
    /// ("26/3"); nil for anything else, including an empty text.
    public init?(exact text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let n = Rational(decimal: parts[0]), n.denominator == 1, let d = Rational(decimal: parts[1]), d.denominator == 1,
                  d.numerator > 0, let r = try? Rational(n.numerator, d.numerator) else { return nil }
            self = r
        } else if let r = DecimalText.parse(text) {
            self = r
        } else {
            return nil
        }
    }

    /// The nearest rational with at most 6 decimals to a Double (for JSON numbers).
    public init?(_ value: Double) {
        guard value.isFinite, abs(value) < 1e15 else { return nil }
        let micro = (value * 1_000_000).rounded()
        guard let r = try? Rational(Int128(micro), 1_000_000) else { return nil }
        self = r
    }

    static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x == 0 ? 1 : x
    }

    private static func checked(_ r: (partialValue: Int128, overflow: Bool)) throws -> Int128 {
        if r.overflow { throw Overflow() }
        return r.partialValue
    }

    public static func add(_ a: Rational, _ b: Rational) throws -> Rational {
        if a.denominator == b.denominator {
            return try Rational(checked(a.numerator.addingReportingOverflow(b.numerator)), a.denominator)
        }
        let g = Int128(gcd(a.denominator.magnitude, b.denominator.magnitude))
        let da = a.denominator / g, db = b.denominator / g
        let left = try checked(a.numerator.multipliedReportingOverflow(by: db))
        let right = try checked(b.numerator.multipliedReportingOverflow(by: da))
        let d = try checked(a.denominator.multipliedReportingOverflow(by: db))
        return try Rational(checked(left.addingReportingOverflow(right)), d)
    }

    public static func subtract(_ a: Rational, _ b: Rational) throws -> Rational {
        try add(a, b.negated())
    }

    public static func multiply(_ a: Rational, _ b: Rational) throws -> Rational {
        // Cross-reduce first to keep the numbers small.
        let g1 = Int128(gcd(a.numerator.magnitude, b.denominator.magnitude))
        let g2 = Int128(gcd(b.numerator.magnitude, a.denominator.magnitude))
        let n = try checked((a.numerator / g1).multipliedReportingOverflow(by: b.numerator / g2))
        let d = try checked((a.denominator / g2).multipliedReportingOverflow(by: b.denominator / g1))
        return try Rational(n, d)
    }

    public static func divide(_ a: Rational, _ b: Rational) throws -> Rational {
        guard b.numerator != 0 else { throw DivisionByZero() }
        return try multiply(a, Rational(b.denominator, b.numerator))
    }

    public func negated() -> Rational {
        var r = self
        r.numerator = -numerator
        return r
    }

    public static func < (a: Rational, b: Rational) -> Bool {
        // a/b < c/d with positive denominators ⇔ a·d < c·b, compared at full width.
        let l = a.numerator.multipliedFullWidth(by: b.denominator)
        let r = b.numerator.multipliedFullWidth(by: a.denominator)
        return (l.high, l.low) < (r.high, r.low)
    }

    /// Rounded half away from zero to `places` decimals (the "half-up" of Vietnamese practice).
    public func rounded(places: Int) -> Rational {
        var scale: Int128 = 1
        for _ in 0..<max(0, min(places, 18)) { scale *= 10 }
        // |numerator × scale| fits comfortably for scores; an absurd value is returned unrounded.
        guard let n = try? Rational.checked(numerator.multipliedReportingOverflow(by: scale)) else { return self }
        let q = n / denominator, rem = n % denominator
        let twice = rem.magnitude * 2
        let up = twice >= denominator.magnitude
        let rounded = up ? q + (n < 0 ? -1 : 1) : q
        return (try? Rational(rounded, scale)) ?? self
    }

    public var doubleValue: Double { Double(numerator) / Double(denominator) }

    /// Decimal text with exactly `places` decimals, "." as separator (after rounding half-up).
    public func fixed(_ places: Int) -> String {
        let r = rounded(places: places)
        var scale: Int128 = 1
        for _ in 0..<places { scale *= 10 }
        let n = r.numerator * scale / r.denominator
        let sign = n < 0 ? "-" : ""
        let digits = String(n.magnitude)
        guard places > 0 else { return sign + digits }
        let padded = String(repeating: "0", count: max(0, places + 1 - digits.count)) + digits
        return sign + padded.dropLast(places) + "." + padded.suffix(places)
    }

    public var description: String { denominator == 1 ? String(numerator) : "\(numerator)/\(denominator)" }
}
