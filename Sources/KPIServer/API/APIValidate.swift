import Foundation
import KPICore

/// What the contract says of a value and the generated code does not check (patterns, lengths, dates),
/// checked before any work: a value that breaks it is a 400 naming the field.
enum APIValidate {
    static func fail(_ field: String, _ rule: String) -> APIProblem {
        APIProblem(.badRequest, "invalid-parameter", "«\(field)» không hợp lệ: \(rule).", errors: [(field: field, message: rule)])
    }

    /// Printable ASCII without spaces, 1–`max` characters (document ids, idempotency keys).
    static func token(_ value: String?, _ field: String, max: Int = 200) throws {
        guard let value else { return }
        guard (1...max).contains(value.unicodeScalars.count), value.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw fail(field, "gồm 1–\(max) ký tự ASCII in được, không có dấu cách")
        }
    }

    /// A batch's size within the contract's bound (`noun`: what it holds, "người", "hồ sơ").
    static func batch(_ count: Int, max: Int, noun: String) throws {
        guard (1...max).contains(count) else { throw fail("items", "gồm 1–\(max) \(noun) mỗi lô") }
    }

    static func length(_ value: String?, _ field: String, max: Int, min: Int = 0) throws {
        guard let value else { return }
        guard value.count <= max, value.count >= min else { throw fail(field, "dài từ \(min) đến \(max) ký tự") }
    }

    static func code(_ value: String?, _ field: String) throws {
        guard let value else { return }
        if APITokenRules.accountNameProblem(value) != nil {
            throw fail(field, "là một mã: chữ không dấu, số và . _ -, tối đa 50 ký tự")
        }
    }

    /// A calendar date written YYYY-MM-DD (any year 0001–9999, as the contract's `format: date`); the
    /// text itself, which compares as dates do.
    static func date(_ value: String?, _ field: String) throws -> String? {
        guard let value else { return nil }
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard value.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), y >= 1, (1...12).contains(m),
              d >= 1, d <= DateOnly.daysIn(month: m, year: y) else {
            throw fail(field, "là ngày dạng YYYY-MM-DD")
        }
        return value
    }

    /// A decimal quantity as the contract writes it: up to 9 digits, and up to 4 after a dot.
    static func quantity(_ value: String?, _ field: String) throws {
        guard let value else { return }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), (1...9).contains(parts[0].count), parts[0].allSatisfy(\.isASCIIDigit),
              parts.count == 1 || ((1...4).contains(parts[1].count) && parts[1].allSatisfy(\.isASCIIDigit)) else {
            throw fail(field, "là số dạng 12 hoặc 2.5 (tối đa 9 chữ số phần nguyên, 4 chữ số thập phân)")
        }
    }
}
