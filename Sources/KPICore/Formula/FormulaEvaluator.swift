extension Formula {
    /// Evaluates with the given variables. Comparisons give 1 (true) or 0 (false); `if(c, a, b)`
    /// is `a` when `c` is not 0. Throws on an unknown variable, a division by zero or an overflow.
    public func evaluate(_ variables: [String: Rational]) throws -> Rational {
        try Self.eval(root, variables)
    }

    static func eval(_ node: FormulaNode, _ vars: [String: Rational]) throws -> Rational {
        switch node {
        case .number(let v): return v
        case .variable(let name, let pos):
            guard let v = vars[name] else {
                throw FormulaError(pos,
                                   """
                                       biến «\(name)» không tồn tại; các biến có thể dùng: \
                                       \(vars.keys.sorted().joined(separator: ", "))
                                       """)
            }
            return v
        case .unary(_, let x): return try eval(x, vars).negated()
        case .binary(let op, let l, let r, let pos):
            let a = try eval(l, vars), b = try eval(r, vars)
            do {
                switch op {
                case "+": return try Rational.add(a, b)
                case "-": return try Rational.subtract(a, b)
                case "*": return try Rational.multiply(a, b)
                case "/": return try Rational.divide(a, b)
                case "<": return a < b ? .one : .zero
                case "<=": return a <= b ? .one : .zero
                case ">": return a > b ? .one : .zero
                case ">=": return a >= b ? .one : .zero
                case "==": return a == b ? .one : .zero
                default: return a != b ? .one : .zero
                }
            } catch is Rational.DivisionByZero {
                throw FormulaError(pos, "chia cho 0")
            } catch {
                throw FormulaError(pos, "số quá lớn")
            }
        case .call(let name, let args, let pos):
            switch name {
            case "if":
                return try eval(args[0], vars) != .zero ? eval(args[1], vars) : eval(args[2], vars)
            case "round":
                let x = try eval(args[0], vars)
                var places = 0
                if args.count == 2 {
                    let p = try eval(args[1], vars)
                    guard p.denominator == 1, (0...6).contains(p.numerator) else {
                        throw FormulaError(pos, "round: số chữ số thập phân phải là số nguyên từ 0 đến 6")
                    }
                    places = Int(p.numerator)
                }
                return x.rounded(places: places)
            default:
                let values = try args.map { try eval($0, vars) }
                return name == "min" ? values.min()! : values.max()!
            }
        }
    }

    /// Checks a formula as it is saved: known variables only, and for every combination of each
    /// variable at the ends and middle of its range, no division by zero and a result in 0…max.
    /// Returns the problems in Vietnamese (empty when it is fine).
    public func check(variables: [String: ClosedRange<Rational>], max: Rational) -> [FormulaError] {
        var problems: [FormulaError] = []
        for name in self.variables where variables[name] == nil {
            problems.append(FormulaError(position(of: name),
                                         """
                                             biến «\(name)» không tồn tại; các biến có thể dùng: \
                                             \(variables.keys.sorted().joined(separator: ", "))
                                             """))
        }
        guard problems.isEmpty else { return problems }
        let used = self.variables
        // 3 points per variable, at most 3^7 combinations: bounded work whatever the formula.
        let points: [[Rational]] = used.prefix(7).map { name in
            let r = variables[name]!
            let mid = (try? Rational.divide(Rational.add(r.lowerBound, r.upperBound), Rational(2))) ?? r.lowerBound
            return [r.lowerBound, mid, r.upperBound]
        }
        var combination = [Int](repeating: 0, count: points.count)
        while true {
            var vars: [String: Rational] = [:]
            for (i, name) in used.enumerated() { vars[name] = i < points.count ? points[i][combination[i]] : variables[name]!.lowerBound }
            do {
                let v = try evaluate(vars)
                if v < .zero || v > max {
                    let at = vars.keys.sorted().map { "\($0) = \(DecimalText.vn(vars[$0]!))" }.joined(separator: "; ")
                    problems.append(FormulaError(1,
                                                 """
                                                     kết quả \(DecimalText.vn(v.rounded(places: 2))) nằm ngoài khoảng \
                                                     0…\(DecimalText.vn(max)) khi \(at)
                                                     """))
                    return problems
                }
            } catch let e as FormulaError {
                let at = vars.keys.sorted().map { "\($0) = \(DecimalText.vn(vars[$0]!))" }.joined(separator: "; ")
                return [FormulaError(e.position, "\(e.message) khi \(at)")]
            } catch {
                return [FormulaError(1, "không tính được")]
            }
            var k = 0
            while k < combination.count {
                combination[k] += 1
                if combination[k] < 3 { break }
                combination[k] = 0
                k += 1
            }
            if k == combination.count { return problems }
        }
    }

    func position(of variable: String) -> Int {
        var found = 1
        func walk(_ n: FormulaNode) -> Bool {
            switch n {
            case .variable(let name, let pos) where name == variable: found = pos; return true
            case .unary(_, let x): return walk(x)
            case .binary(_, let l, let r, _): return walk(l) || walk(r)
            case .call(_, let args, _): return args.contains(where: walk)
            default: return false
            }
        }
        _ = walk(root)
        return found
    }
}
