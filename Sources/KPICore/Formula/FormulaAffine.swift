extension Formula {
    /// The formula as `constant + Σ coefficient × variable` when it is affine (sums, differences,
    /// products by a constant, divisions by a non-zero constant), or nil. The engine uses it to
    /// score a period with a few integer operations instead of walking the tree; any other formula
    /// is evaluated as written. Both give the same exact value.
    public func affine() -> (constant: Rational, coefficients: [String: Rational])? {
        typealias Form = (constant: Rational, coefficients: [String: Rational])
        func scaled(_ f: Form, _ k: Rational) throws -> Form {
            (try Rational.multiply(f.constant, k), try f.coefficients.mapValues { try Rational.multiply($0, k) })
        }
        func walk(_ node: FormulaNode) throws -> Form? {
            switch node {
            case .number(let v): return (v, [:])
            case .variable(let name, _): return (.zero, [name: .one])
            case .unary(let op, let x):
                guard let f = try walk(x) else { return nil }
                return op == "-" ? try scaled(f, Rational(-1)) : f
            case .binary(let op, let l, let r, _):
                guard let a = try walk(l), let b = try walk(r) else { return nil }
                switch op {
                case "+", "-":
                    let sign = Rational(op == "+" ? 1 : -1)
                    var coefficients = a.coefficients
                    for (name, k) in b.coefficients {
                        coefficients[name] = try Rational.add(coefficients[name] ?? .zero, Rational.multiply(sign, k))
                    }
                    return (try Rational.add(a.constant, Rational.multiply(sign, b.constant)), coefficients)
                case "*":
                    if a.coefficients.isEmpty { return try scaled(b, a.constant) }
                    if b.coefficients.isEmpty { return try scaled(a, b.constant) }
                    return nil
                case "/":
                    guard b.coefficients.isEmpty, b.constant != .zero else { return nil }
                    return try scaled(a, Rational.divide(.one, b.constant))
                default: return nil
                }
            case .call: return nil
            }
        }
        guard let form = try? walk(root) else { return nil }
        return (form.constant, form.coefficients.filter { $0.value != .zero })
    }
}
