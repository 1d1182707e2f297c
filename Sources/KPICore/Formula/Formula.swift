/// The safe expression language of indicator formulas (DOMAIN.md §3): numbers, variables,
/// + − × ÷, comparisons, min, max, round, if. No loops, no calls outside this list, bounded size
/// and depth, exact arithmetic: any input parses or fails with a message, never crashes or hangs.
public indirect enum FormulaNode: Equatable, Sendable {
    case number(Rational)
    case variable(String, position: Int)
    case unary(Character, FormulaNode)
    case binary(String, FormulaNode, FormulaNode, position: Int)
    case call(String, [FormulaNode], position: Int)
}

/// A problem with a formula, at a 1-based character position, in Vietnamese.
public struct FormulaError: Error, Equatable, Sendable, CustomStringConvertible {
    public var position: Int
    public var message: String
    public var description: String { "Vị trí \(position): \(message)" }
    public init(_ position: Int, _ message: String) {
        self.position = position
        self.message = message
    }
}

public struct Formula: Sendable, Equatable {
    public static let maxLength = 2000
    public static let maxDepth = 40
    public static let functions: [String: ClosedRange<Int>] = ["min": 2...20, "max": 2...20, "round": 1...2, "if": 3...3]

    public let source: String
    public let root: FormulaNode

    /// Parses `source`; throws the first problem found.
    public init(_ source: String) throws {
        guard source.count <= Formula.maxLength else {
            throw FormulaError(Formula.maxLength, "công thức dài quá \(Formula.maxLength) ký tự")
        }
        var parser = FormulaParser(tokens: try FormulaLexer.tokens(source))
        self.source = source
        root = try parser.parseAll()
    }

    /// Variables used, in order of first use.
    public var variables: [String] {
        var seen: [String] = []
        func walk(_ n: FormulaNode) {
            switch n {
            case .number: break
            case .variable(let name, _): if !seen.contains(name) { seen.append(name) }
            case .unary(_, let x): walk(x)
            case .binary(_, let l, let r, _): walk(l); walk(r)
            case .call(_, let args, _): args.forEach(walk)
            }
        }
        walk(root)
        return seen
    }
}

struct Token: Equatable {
    enum Kind: Equatable { case number(Rational), name(String), op(String), open, close, comma, end }
    var kind: Kind
    var position: Int
}

enum FormulaLexer {
    static func tokens(_ source: String) throws -> [Token] {
        var out: [Token] = []
        let chars = Array(source)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            let pos = i + 1
            if c.isWhitespace { i += 1; continue }
            if c.isASCII && c.isNumber {
                var j = i
                while j < chars.count, chars[j].isASCII, chars[j].isNumber || chars[j] == "." { j += 1 }
                // Only "." marks decimals here: "," separates the arguments of a function.
                let text = String(chars[i..<j])
                guard let value = Rational(decimal: text) else {
                    throw FormulaError(pos,
                                       """
                                           số «\(text)» không hợp lệ (dùng dấu chấm cho phần thập phân, tối đa 30 \
                                           chữ số)
                                           """)
                }
                out.append(Token(kind: .number(value), position: pos))
                i = j
            } else if c.isLetter || c == "_" {
                var j = i
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
                out.append(Token(kind: .name(String(chars[i..<j])), position: pos))
                i = j
            } else {
                let two = i + 1 < chars.count ? String(chars[i...i + 1]) : ""
                if ["<=", ">=", "==", "!="].contains(two) {
                    out.append(Token(kind: .op(two), position: pos))
                    i += 2
                    continue
                }
                switch c {
                case "+", "-", "<", ">": out.append(Token(kind: .op(String(c)), position: pos))
                case "*", "×": out.append(Token(kind: .op("*"), position: pos))
                case "/", "÷", ":": out.append(Token(kind: .op("/"), position: pos))
                case "−": out.append(Token(kind: .op("-"), position: pos))
                case "(": out.append(Token(kind: .open, position: pos))
                case ")": out.append(Token(kind: .close, position: pos))
                case ",", ";": out.append(Token(kind: .comma, position: pos))
                default: throw FormulaError(pos, "ký tự «\(c)» không được dùng trong công thức")
                }
                i += 1
            }
        }
        out.append(Token(kind: .end, position: chars.count + 1))
        return out
    }
}

/// Precedence climbing: comparisons < additive < multiplicative < unary < primary.
struct FormulaParser {
    let tokens: [Token]
    var index = 0
    var depth = 0

    init(tokens: [Token]) { self.tokens = tokens }

    var current: Token { tokens[index] }

    mutating func parseAll() throws -> FormulaNode {
        if case .end = current.kind { throw FormulaError(1, "công thức trống") }
        let node = try expression()
        guard case .end = current.kind else {
            throw FormulaError(current.position, "thừa «\(describe(current))» sau khi biểu thức đã kết thúc")
        }
        return node
    }

    static let levels: [[String]] = [["<", "<=", ">", ">=", "==", "!="], ["+", "-"], ["*", "/"]]

    mutating func expression(_ level: Int = 0) throws -> FormulaNode {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Formula.maxDepth else { throw FormulaError(current.position, "công thức lồng nhau quá sâu") }
        if level == Self.levels.count { return try unary() }
        var left = try expression(level + 1)
        while case .op(let op) = current.kind, Self.levels[level].contains(op) {
            let pos = current.position
            index += 1
            let right = try expression(level + 1)
            left = .binary(op, left, right, position: pos)
            if level == 0, case .op(let next) = current.kind, Self.levels[0].contains(next) {
                throw FormulaError(current.position, "không được nối hai phép so sánh liền nhau; dùng if(…) lồng nhau")
            }
        }
        return left
    }

    mutating func unary() throws -> FormulaNode {
        if case .op(let op) = current.kind, op == "-" || op == "+" {
            index += 1
            depth += 1
            defer { depth -= 1 }
            guard depth <= Formula.maxDepth else { throw FormulaError(current.position, "công thức lồng nhau quá sâu") }
            let operand = try unary()
            return op == "-" ? .unary("-", operand) : operand
        }
        return try primary()
    }

    mutating func primary() throws -> FormulaNode {
        let token = current
        switch token.kind {
        case .number(let v):
            index += 1
            return .number(v)
        case .name(let name):
            index += 1
            guard case .open = current.kind else { return .variable(name, position: token.position) }
            let fname = name.lowercased()
            guard let arity = Formula.functions[fname] else {
                throw FormulaError(token.position, "hàm «\(name)» không có; các hàm được dùng: min, max, round, if")
            }
            index += 1
            var args: [FormulaNode] = []
            if case .close = current.kind {} else {
                while true {
                    args.append(try expression())
                    if case .comma = current.kind { index += 1; continue }
                    break
                }
            }
            guard case .close = current.kind else { throw FormulaError(current.position, "thiếu dấu «)» để đóng hàm \(fname)") }
            index += 1
            guard arity.contains(args.count) else {
                let want = arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : """
                    từ \(arity.lowerBound) đến \(arity.upperBound)
                    """
                throw FormulaError(token.position, "hàm \(fname) cần \(want) đối số, đang có \(args.count)")
            }
            return .call(fname, args, position: token.position)
        case .open:
            index += 1
            let inner = try expression()
            guard case .close = current.kind else { throw FormulaError(current.position, "thiếu dấu «)»") }
            index += 1
            return inner
        case .end:
            throw FormulaError(token.position, "công thức kết thúc giữa chừng; thiếu một số hoặc biến")
        default:
            throw FormulaError(token.position, "không mong đợi «\(describe(token))» ở đây")
        }
    }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .number(let v): v.description
        case .name(let n): n
        case .op(let o): o
        case .open: "("
        case .close: ")"
        case .comma: ","
        case .end: "hết công thức"
        }
    }
}
