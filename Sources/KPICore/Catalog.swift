import Foundation

/// One column of a catalog (danh mục): how it is named in files and forms, and what it accepts.
public struct FieldSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        /// A code: letters, digits, dot, dash, underscore; at most 50 characters.
        case code
        case text(maxLength: Int)
        case choice([Choice])
        case date
        case flag
        case integer(ClosedRange<Int>)
        /// A decimal number ("1,25" or "1.25", at most 6 decimals) in the range; kept as its
        /// Vietnamese text ("1,25").
        case decimal(ClosedRange<Rational>)
        case email
        /// The code of a record of another catalog (resolved by the server).
        case reference(String)
        /// Several codes separated by ";" (each resolved by the server).
        case references(String)
        /// Mã định danh điện tử of an agency (`AgencyIdentifier`), stored upper-case.
        case agencyIdentifier
    }

    public var key: String
    public var label: String
    public var kind: Kind
    public var required: Bool
    public var help: String?

    public init(_ key: String, _ label: String, _ kind: Kind, required: Bool = false, help: String? = nil) {
        self.key = key
        self.label = label
        self.kind = kind
        self.required = required
        self.help = help
    }
}

/// A value of an enumerated field: its stable code and the Vietnamese word shown.
public struct Choice: Sendable, Equatable {
    public var code: String
    public var label: String
    public init(_ code: String, _ label: String) {
        self.code = code
        self.label = label
    }
}

/// A parsed, checked field value.
public enum FieldValue: Equatable, Sendable {
    case none
    case text(String)
    case date(DateOnly)
    case flag(Bool)
    case integer(Int)
    case codes([String])

    public var text: String? { if case .text(let s) = self { s } else { nil } }
    public var date: DateOnly? { if case .date(let d) = self { d } else { nil } }
    public var flag: Bool? { if case .flag(let b) = self { b } else { nil } }
    public var integer: Int? { if case .integer(let i) = self { i } else { nil } }
    public var codes: [String] { if case .codes(let c) = self { c } else { [] } }
}

/// A catalog: its key (used in URLs and file names), Vietnamese title and columns. The first
/// column is always the code that identifies a record for upserts.
public struct CatalogSpec: Sendable {
    public var key: String
    public var title: String
    public var fields: [FieldSpec]

    public init(key: String, title: String, fields: [FieldSpec]) {
        self.key = key
        self.title = title
        self.fields = fields
    }

    public var codeField: FieldSpec { fields[0] }

    public func field(_ key: String) -> FieldSpec? { fields.first { $0.key == key } }

    /// Maps a file's header cells to field keys; accepts the key or the Vietnamese label, in any case.
    public func mapHeader(_ header: [String]) -> (mapping: [Int: String], problems: [String]) {
        var mapping: [Int: String] = [:]
        var problems: [String] = []
        for (i, raw) in header.enumerated() {
            let cell = TextNormalizer.fold(raw)
            // Blank headers, and the status column that exports add for reading, are skipped.
            if cell.isEmpty || cell == "trang thai" { continue }
            if let f = fields.first(where: { TextNormalizer.fold($0.key) == cell || TextNormalizer.fold($0.label) == cell }) {
                if mapping.values.contains(f.key) {
                    problems.append("Cột «\(raw)» bị lặp lại.")
                } else {
                    mapping[i] = f.key
                }
            } else {
                problems.append("""
                    Cột «\(raw)» không thuộc danh mục \(title.lowercased()). Các cột hợp lệ: \
                    \(fields.map(\.label).joined(separator: ", ")).
                    """)
            }
        }
        for f in fields where f.required && !mapping.values.contains(f.key) {
            problems.append("Thiếu cột bắt buộc «\(f.label)».")
        }
        return (mapping, problems)
    }

    /// Checks one row of raw strings (by field key). Returns the parsed values, or the problems
    /// in Vietnamese, one per bad field.
    public func check(_ raw: [String: String]) -> (values: [String: FieldValue], problems: [FieldProblem]) {
        var values: [String: FieldValue] = [:]
        var problems: [FieldProblem] = []
        for f in fields {
            let text = TextNormalizer.clean(raw[f.key] ?? "")
            if text.isEmpty {
                if f.required { problems.append(FieldProblem(field: f, message: "không được để trống")) }
                values[f.key] = FieldValue.none
                continue
            }
            switch FieldParser.parse(text, as: f.kind) {
            case .success(let v): values[f.key] = v
            case .failure(let p): problems.append(FieldProblem(field: f, message: p.message))
            }
        }
        return (values, problems)
    }
}

/// A problem with one field, in Vietnamese, shown next to the field or in an import report.
public struct FieldProblem: Error, Equatable, Sendable {
    public var fieldKey: String
    public var fieldLabel: String
    public var message: String

    public init(field: FieldSpec, message: String) {
        fieldKey = field.key
        fieldLabel = field.label
        self.message = message
    }

    public init(fieldKey: String, fieldLabel: String, message: String) {
        self.fieldKey = fieldKey
        self.fieldLabel = fieldLabel
        self.message = message
    }

    public var sentence: String { "«\(fieldLabel)»: \(message)" }
}

/// A problem at a row of an import file.
public struct RowProblem: Equatable, Sendable {
    /// The row number as a spreadsheet shows it (the header is row 1).
    public var row: Int
    public var message: String
    public init(row: Int, message: String) {
        self.row = row
        self.message = message
    }
}

struct ParseFailure: Error { var message: String }

enum FieldParser {
    static func parse(_ text: String, as kind: FieldSpec.Kind) -> Result<FieldValue, ParseFailure> {
        switch kind {
        case .code, .reference:
            guard text.count <= 50 else { return .failure(.init(message: "mã dài quá 50 ký tự")) }
            guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                return .failure(.init(message: "mã «\(text)» chỉ được gồm chữ không dấu, số và các dấu . _ -"))
            }
            return .success(.text(text))
        case .text(let max):
            guard text.count <= max else { return .failure(.init(message: "dài \(text.count) ký tự, tối đa \(max)")) }
            return .success(.text(text))
        case .choice(let choices):
            let folded = TextNormalizer.fold(text)
            if let c = choices.first(where: { TextNormalizer.fold($0.code) == folded || TextNormalizer.fold($0.label) == folded }) {
                return .success(.text(c.code))
            }
            return .failure(.init(message: """
                giá trị «\(text)» không hợp lệ; chọn một trong: \(choices.map(\.label).joined(separator: ", "))
                """))
        case .date:
            guard let d = DateOnly(parsing: text) else {
                return .failure(.init(message: "ngày «\(text)» không đúng dạng dd/MM/yyyy"))
            }
            return .success(.date(d))
        case .flag:
            switch TextNormalizer.fold(text) {
            case "co", "x", "1", "true", "dung", "yes": return .success(.flag(true))
            case "khong", "0", "false", "sai", "no": return .success(.flag(false))
            default: return .failure(.init(message: "giá trị «\(text)» không hợp lệ; ghi «Có» hoặc «Không»"))
            }
        case .integer(let range):
            guard let i = Int(text), range.contains(i) else {
                return .failure(.init(message: "phải là số nguyên từ \(range.lowerBound) đến \(range.upperBound)"))
            }
            return .success(.integer(i))
        case .decimal(let range):
            guard let r = DecimalText.parse(text), range.contains(r) else {
                return .failure(.init(message: """
                    «\(text)» phải là số từ \(DecimalText.vn(range.lowerBound)) đến \(DecimalText.vn(range.upperBound)), tối \
                    đa 6 chữ số \
                    thập phân (ví dụ 1,25)
                    """))
            }
            return .success(.text(DecimalText.vn(r)))
        case .email:
            let parts = text.split(separator: "@")
            guard text.count <= 255, parts.count == 2, parts[1].contains("."), !text.contains(" ") else {
                return .failure(.init(message: "địa chỉ thư «\(text)» không hợp lệ"))
            }
            return .success(.text(text.lowercased()))
        case .agencyIdentifier:
            let id = AgencyIdentifier.normalize(text)
            if let problem = AgencyIdentifier.problem(id) { return .failure(.init(message: problem)) }
            return .success(.text(id))
        case .references:
            let codes = text.split(separator: ";").map { TextNormalizer.clean(String($0)) }.filter { !$0.isEmpty }
            for c in codes {
                if case .failure(let f) = parse(c, as: .code) { return .failure(f) }
            }
            return .success(.codes(codes))
        }
    }
}
