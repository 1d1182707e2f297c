/// Decimal numbers as people type and read them: "1,25" (or "1.25") with at most 6 decimals.
public enum DecimalText {
    public static func parse(_ text: String) -> Rational? {
        let t = TextNormalizer.clean(text).replacingOccurrences(of: ",", with: ".")
        guard let r = Rational(decimal: t) else { return nil }
        // At most 6 decimals: the engine's quantities are whole millionths.
        guard 1_000_000 % r.denominator == 0 else { return nil }
        return r
    }

    /// Shortest text with a Vietnamese comma: 1,25; 0,8; 3.
    public static func vn(_ r: Rational) -> String { plain(r).replacingOccurrences(of: ".", with: ",") }

    /// A stored decimal text as users read it ("1.5" → "1,5"); text that is not a number comes back
    /// as it is. Whole numbers without leading zeros (most quantities) are returned without parsing.
    public static func vn(text: String) -> String {
        let u = text.utf8
        if let first = u.first, u.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), u.count == 1 || first != 0x30 { return text }
        return parse(text).map(vn) ?? text
    }

    /// A value with a terminating decimal expansion written out in full with a dot ("0.75",
    /// "2.25", "3"): the converted quantity of a task (a product of decimals) and sums of them;
    /// nil for a value without one (1/3). Read back with `Rational(decimal:)`.
    public static func exact(_ r: Rational) -> String? {
        var (d, places, scale): (Int128, Int, Int128) = (r.denominator, 0, 1)
        while d % 10 == 0 { d /= 10; places += 1; scale *= 10 }
        while d % 5 == 0 || d % 2 == 0 {
            guard places < 30 else { return nil }
            d = d % 5 == 0 ? d / 5 : d / 2
            places += 1; scale *= 10
        }
        guard d == 1 else { return nil }
        let (n, overflow) = r.numerator.multipliedReportingOverflow(by: scale / r.denominator)
        guard !overflow else { return nil }
        let digits = String(n.magnitude)
        guard places > 0 else { return (n < 0 ? "-" : "") + digits }
        let padded = String(repeating: "0", count: max(0, places + 1 - digits.count)) + digits
        var text = padded.dropLast(places) + "." + padded.suffix(places)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return (n < 0 ? "-" : "") + text
    }

    /// Shortest text with a dot, as stored: 1.25; 0.8; 3.
    public static func plain(_ r: Rational) -> String {
        var s = r.fixed(6)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}

/// Mức độ phức tạp: a named level of a product with its own factor.
public struct ComplexityLevel: Sendable, Equatable {
    public var name: String
    public var factor: Rational
    public init(name: String, factor: Rational) {
        self.name = name
        self.factor = factor
    }
}

/// The product catalog's rules (DOMAIN.md §3): the standard product has factor 1; converted
/// quantity = quantity × conversion factor × complexity factor.
public enum ProductRules {
    public static let factorRange = (try! Rational(1, 100))...Rational(100)

    /// Reads "Đơn giản=0,8; Trung bình=1; Phức tạp=1,5". Names must be distinct, factors in range.
    public static func parseComplexity(_ text: String, range: ClosedRange<Rational> = factorRange) -> Result<[ComplexityLevel],
    FieldProblem> {
        let field = FieldSpec("muc_do", "Mức độ phức tạp", .text(maxLength: 1000))
        var levels: [ComplexityLevel] = []
        for part in text.split(separator: ";") {
            let item = TextNormalizer.clean(String(part))
            if item.isEmpty { continue }
            let pieces = item.split(separator: "=", maxSplits: 1).map { TextNormalizer.clean(String($0)) }
            guard pieces.count == 2, !pieces[0].isEmpty else {
                return .failure(FieldProblem(field: field,
                                             message: "«\(item)» phải có dạng Tên=hệ số, ví dụ «Phức tạp=1,5»"))
            }
            guard let f = DecimalText.parse(pieces[1]), range.contains(f) else {
                return .failure(FieldProblem(field: field,
                                             message: """
                                                 hệ số của «\(pieces[0])» phải là số từ \(DecimalText.vn(range.lowerBound)) \
                                                 đến \
                                                 \(DecimalText.vn(range.upperBound))
                                                 """))
            }
            if levels.contains(where: { TextNormalizer.fold($0.name) == TextNormalizer.fold(pieces[0]) }) {
                return .failure(FieldProblem(field: field, message: "mức «\(pieces[0])» bị lặp lại"))
            }
            levels.append(ComplexityLevel(name: pieces[0], factor: f))
        }
        return .success(levels)
    }

    public static func formatComplexity(_ levels: [ComplexityLevel]) -> String {
        levels.map { "\($0.name)=\(DecimalText.vn($0.factor))" }.joined(separator: "; ")
    }

    /// Quantity × conversion × complexity (nil level: factor 1).
    public static func converted(quantity: Rational, factor: Rational, complexity: ComplexityLevel?) throws -> Rational {
        try Rational.multiply(Rational.multiply(quantity, factor), complexity?.factor ?? .one)
    }
}
