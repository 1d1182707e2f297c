import Foundation

/// Bounds on an uploaded spreadsheet (ours are a few thousand rows of a few dozen columns).
struct SheetLimits: Sendable {
    var maxUnzippedBytes = 64 * 1024 * 1024
    var maxRows = 100_000
    /// Columns A…IV; a non-empty cell further right is refused (empty ones are ignored).
    var maxColumns = 256
    var maxCells = 2_000_000
    var maxSharedStrings = 1_000_000

    static let standard = SheetLimits()
}

/// Why an uploaded table was refused, in Vietnamese, saying what to do.
struct SheetProblem: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }

    static func tooLarge(_ l: SheetLimits) -> SheetProblem {
        SheetProblem("Tệp Excel giải nén ra quá \(l.maxUnzippedBytes / 1024 / 1024) MB. Hãy chia thành nhiều tệp "
            + "nhỏ hơn rồi nhập "
            + "lần lượt.")
    }

    static let malformed = SheetProblem("""
        Tệp Excel bị hỏng (nội dung XML không hợp lệ). Hãy mở bằng Excel, lưu lại rồi thử lại.
        """)
}

/// Reads the parts of a sheet we need (shared strings; rows of cells with inline strings, numbers
/// and shared-string indexes). Our own small scanner over the bytes instead of Foundation's
/// XMLParser, which traps on some malformed input (found by SpreadsheetFuzzTests): no DTDs, no
/// external anything, every index and size checked as it comes; the first problem stops the read.
struct SheetParser {
    var limits = SheetLimits.standard

    static func parseSharedStrings(_ data: Data, limits: SheetLimits = .standard) throws -> [String] {
        var strings: [String] = []
        var current = "", inText = false
        var scanner = XMLScanner(data)
        while let token = try scanner.next() {
            switch token {
            case .open(let name, _, let closed):
                if name == "si" { current = "" }
                if name == "t" && !closed { inText = true }
            case .close(let name):
                if name == "t" { inText = false }
                if name == "si" {
                    guard strings.count < limits.maxSharedStrings else { throw SheetProblem("Tệp Excel có quá "
                        + "\(limits.maxSharedStrings) chuỗi ký tự.") }
                    strings.append(current)
                }
            case .text(let t):
                if inText { current += t }
            }
        }
        return strings
    }

    static func parseSheet(_ data: Data, shared: [String], limits: SheetLimits = .standard) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [Int: String] = [:]
        var cellRef = "", cellType = "", text = "", inText = false, cells = 0
        var scanner = XMLScanner(data)
        func broken(_ what: String) -> SheetProblem {
            SheetProblem("""
                Ô «\(cellRef.prefix(20))» \(what): tệp Excel bị hỏng. Hãy mở bằng Excel, lưu lại rồi thử lại.
                """)
        }
        while let token = try scanner.next() {
            switch token {
            case .open(let name, let attributes, let closed):
                switch name {
                case "row": row = [:]
                case "c":
                    cellRef = attributes["r"] ?? ""
                    cellType = attributes["t"] ?? ""
                    text = ""
                    if closed { try endCell() }
                case "t", "v": inText = !closed
                default: break
                }
                if name == "row" && closed { try endRow() }
            case .close(let name):
                switch name {
                case "t", "v": inText = false
                case "c": try endCell()
                case "row": try endRow()
                default: break
                }
            case .text(let t):
                if inText { text += t }
            }
        }
        return rows

        func endCell() throws {
            let value: String
            if cellType == "s" {
                guard let i = Int(text.trimmingCharacters(in: .whitespaces)), i >= 0, i < shared.count else {
                    throw broken("trỏ tới một chuỗi không có trong tệp")
                }
                value = shared[i]
            } else {
                value = text
            }
            let column: Int
            if cellRef.isEmpty {
                column = (row.keys.max() ?? -1) + 1
            } else if let c = columnIndex(cellRef) {
                column = c
            } else {
                throw broken("có địa chỉ không hợp lệ")
            }
            if column >= limits.maxColumns {
                if value.trimmingCharacters(in: .whitespaces).isEmpty { return }
                throw SheetProblem("Bảng có dữ liệu ở cột thứ \(column + 1), quá \(limits.maxColumns) cột. Hãy "
                    + "xóa các cột thừa rồi "
                    + "thử lại.")
            }
            cells += 1
            guard cells <= limits.maxCells else { throw SheetProblem("Bảng có quá \(limits.maxCells) ô. Hãy chia thành "
                + "nhiều tệp nhỏ "
                + "hơn.") }
            row[column] = value
        }

        func endRow() throws {
            guard rows.count < limits.maxRows else { throw SheetProblem("Bảng có quá \(limits.maxRows) dòng. Hãy chia thành nhiều "
                + "tệp nhỏ hơn.") }
            let width = (row.keys.max() ?? -1) + 1
            rows.append((0..<width).map { row[$0] ?? "" })
            row = [:]
        }
    }

    /// "C12" → 2; nil unless it is one to three letters A–Z (at most XFD, Excel's last column)
    /// followed by a row number.
    static func columnIndex(_ ref: String) -> Int? {
        let letters = ref.prefix { $0.isASCII && $0.isLetter }
        let digits = ref.dropFirst(letters.count)
        guard (1...3).contains(letters.count), !digits.isEmpty, digits.count <= 7,
              digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let index = letters.uppercased().unicodeScalars.reduce(0) { $0 * 26 + Int($1.value) - 64 } - 1
        return index < 16_384 ? index : nil
    }
}

/// The XML of a spreadsheet part as tokens: elements (local names, namespace prefixes dropped)
/// with their attributes, end tags and text with the predefined and numeric entities decoded.
/// Declarations, comments and processing instructions are skipped; a DTD is refused (a sheet never
/// has one, and entity definitions are how XML bombs work).
struct XMLScanner {
    enum Token: Equatable {
        case open(String, [String: String], selfClosing: Bool)
        case close(String)
        case text(String)
    }

    private let bytes: [UInt8]
    private var i = 0

    init(_ data: Data) { bytes = [UInt8](data) }

    mutating func next() throws -> Token? {
        guard i < bytes.count else { return nil }
        if bytes[i] != UInt8(ascii: "<") {
            let start = i
            while i < bytes.count && bytes[i] != UInt8(ascii: "<") { i += 1 }
            return .text(Self.decode(bytes[start..<i]))
        }
        if starts("<?") { try skip(past: "?>"); return try next() }
        if starts("<!--") { try skip(past: "-->"); return try next() }
        if starts("<![CDATA[") {
            i += 9
            let start = i
            try skip(past: "]]>")
            return .text(String(decoding: bytes[start..<(i - 3)], as: UTF8.self))
        }
        if starts("<!") { throw SheetProblem("""
            Tệp Excel có khai báo DTD, không được hỗ trợ. Hãy mở bằng Excel, lưu lại rồi thử lại.
            """) }
        if starts("</") {
            i += 2
            let name = readName()
            skipSpaces()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ">") else { throw SheetProblem.malformed }
            i += 1
            return .close(name)
        }
        i += 1
        let name = readName()
        guard !name.isEmpty else { throw SheetProblem.malformed }
        var attributes: [String: String] = [:]
        while true {
            skipSpaces()
            guard i < bytes.count else { throw SheetProblem.malformed }
            if bytes[i] == UInt8(ascii: ">") { i += 1; return .open(name, attributes, selfClosing: false) }
            if starts("/>") { i += 2; return .open(name, attributes, selfClosing: true) }
            let key = readName()
            skipSpaces()
            guard !key.isEmpty, i < bytes.count, bytes[i] == UInt8(ascii: "=") else { throw SheetProblem.malformed }
            i += 1
            skipSpaces()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else { throw SheetProblem.malformed }
            let quote = bytes[i]
            i += 1
            let start = i
            while i < bytes.count && bytes[i] != quote { i += 1 }
            guard i < bytes.count else { throw SheetProblem.malformed }
            attributes[key] = Self.decode(bytes[start..<i])
            i += 1
        }
    }

    private func starts(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= bytes.count else { return false }
        return s.withUTF8Buffer { Array($0) == Array(bytes[i..<(i + n)]) }
    }

    private mutating func skip(past end: StaticString) throws {
        while i < bytes.count {
            if starts(end) { i += end.utf8CodeUnitCount; return }
            i += 1
        }
        throw SheetProblem.malformed
    }

    private mutating func skipSpaces() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    /// A name up to a space, "=", "/", ">" or quote; its namespace prefix dropped ("x:c" → "c").
    private mutating func readName() -> String {
        let start = i
        while i < bytes.count, ![0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "="), UInt8(ascii: "/"), UInt8(ascii: ">"),
                                 UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "<")].contains(bytes[i]) { i += 1 }
        let name = String(decoding: bytes[start..<i], as: UTF8.self)
        return name.split(separator: ":").last.map(String.init) ?? name
    }

    /// Text with &amp; &lt; &gt; &quot; &apos; and &#…; decoded; anything else kept as written.
    static func decode(_ raw: ArraySlice<UInt8>) -> String {
        let s = String(decoding: raw, as: UTF8.self)
        guard s.contains("&") else { return s }
        var out = ""
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[amp...]
            guard let semi = after.prefix(12).firstIndex(of: ";") else { out += "&"; rest = after.dropFirst(); continue }
            let entity = after[after.index(after: amp)..<semi]
            var replacement: String?
            switch entity {
            case "amp": replacement = "&"
            case "lt": replacement = "<"
            case "gt": replacement = ">"
            case "quot": replacement = "\""
            case "apos": replacement = "'"
            default:
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    replacement = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else if entity.hasPrefix("#") {
                    replacement = UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                }
            }
            if let replacement {
                out += replacement
                rest = after[after.index(after: semi)...]
            } else {
                out += "&"
                rest = after.dropFirst()
            }
        }
        return out + rest
    }
}
