/// An unreduced fraction n/d with d > 0, for the engine's inner loop: forming one costs nothing,
/// reducing it (a gcd on 128-bit integers) happens only when a caller reads it as a `Rational`.
/// Every operation checks for overflow and throws `Rational.Overflow`, never traps.
struct Fraction: Sendable, Comparable {
    var n: Int128
    var d: Int128

    init(_ n: Int128, _ d: Int128) { self.n = n; self.d = d }
    init(_ r: Rational) { n = r.numerator; d = r.denominator }

    static var zero: Fraction { Fraction(0, 1) }

    /// The reduced value (d is never 0 and n never Int128.min here).
    var rational: Rational { (try? Rational(n, d)) ?? .zero }

    @inline(__always)
    static func mul(_ a: Int128, _ b: Int128) throws -> Int128 {
        // Two numbers below 2⁶² cannot overflow: skip the checked (and slow) 128-bit multiply.
        if small(a) && small(b) { return a &* b }
        let r = a.multipliedReportingOverflow(by: b)
        if r.overflow { throw Rational.Overflow() }
        return r.partialValue
    }

    @inline(__always)
    static func sum(_ a: Int128, _ b: Int128) throws -> Int128 {
        let r = a.addingReportingOverflow(b)
        if r.overflow { throw Rational.Overflow() }
        return r.partialValue
    }

    static func + (a: Fraction, b: Fraction) throws -> Fraction {
        if a.d == b.d { return Fraction(try sum(a.n, b.n), a.d) }
        return Fraction(try sum(mul(a.n, b.d), mul(b.n, a.d)), try mul(a.d, b.d))
    }

    /// |x| < 2⁶²: two such numbers multiply without overflow in 128 bits.
    @inline(__always)
    static func small(_ x: Int128) -> Bool { x < 0x4000_0000_0000_0000 && x > -0x4000_0000_0000_0000 }

    /// Stands for "no value" where an optional would double the storage.
    static var none: Fraction { Fraction(0, 0) }
    var isNone: Bool { d == 0 }

    static func < (a: Fraction, b: Fraction) -> Bool {
        if small(a.n) && small(a.d) && small(b.n) && small(b.d) { return a.n &* b.d < b.n &* a.d }
        let l = a.n.multipliedFullWidth(by: b.d), r = b.n.multipliedFullWidth(by: a.d)
        return (l.high, l.low) < (r.high, r.low)
    }

    static func == (a: Fraction, b: Fraction) -> Bool {
        if small(a.n) && small(a.d) && small(b.n) && small(b.d) { return a.n &* b.d == b.n &* a.d }
        let l = a.n.multipliedFullWidth(by: b.d), r = b.n.multipliedFullWidth(by: a.d)
        return l.high == r.high && l.low == r.low
    }

    /// The value × 100 rounded half away from zero: the 2-decimal score people see, in hundredths.
    func hundredths() throws -> Int128 {
        let scaled = try Fraction.mul(n, 100)
        if scaled >= 0 && scaled < 0x7fff_ffff_ffff_ffff && d < 0x7fff_ffff_ffff_ffff {
            // The common case, in one 64-bit division.
            let s = UInt64(truncatingIfNeeded: scaled), dd = UInt64(truncatingIfNeeded: d)
            let (q, rem) = s.quotientAndRemainder(dividingBy: dd)
            return Int128(truncatingIfNeeded: rem * 2 >= dd ? q + 1 : q)
        }
        let q = scaled / d, rem = scaled % d
        if rem.magnitude * 2 >= d.magnitude { return scaled < 0 ? q - 1 : q + 1 }
        return q
    }

    func clamped(_ low: Fraction, _ high: Fraction) -> Fraction { self < low ? low : (high < self ? high : self) }

    /// Clamped to 0…high, the engine's common case, with one multiplication when high is whole.
    @inline(__always)
    func clamped(upTo high: Fraction) -> Fraction {
        if n <= 0 { return Fraction(0, 1) }
        if high.d == 1 {
            let (m, overflow) = high.n.multipliedReportingOverflow(by: d)
            if !overflow { return n > m ? high : self }
        }
        return high < self ? high : self
    }
}
