import Fluent
import FluentPostgresDriver
import Foundation
import SQLKit
import Vapor

/// SQL a page runs on every view, written once with `$1`, `$2`… for its values. PostgreSQL keeps it
/// prepared on each connection and plans it once there, where a query sent as text is parsed and
/// planned anew each time (planning was most of the home page's database time: 0,2–0,4 ms a
/// statement, its execution under 0,1 ms, bench/reports). SQLite reads the same text with the values
/// bound in their place.
protocol KeptSQL {
    static var sql: String { get }
}

/// The prepared statement of a `KeptSQL` on PostgreSQL: its name is the query's type.
struct KeptStatement<Query: KeptSQL, Row: Sendable>: PostgresPreparedStatement {
    static var sql: String { Query.sql }
    static var name: String { String(reflecting: Query.self) }
    let values: [any Encodable & Sendable]
    let read: @Sendable (inout RowCells) throws -> Row

    func makeBindings() throws -> PostgresBindings { try PostgresCellQuery.bindings(values) }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        var cells = RowCells(row)
        let value = try read(&cells)
        return try cells.finish(value)
    }
}

extension Database {
    /// The rows of `query` with `values` for `$1`, `$2`…, each read by `read` in the order of its SELECT list.
    func rows<Query: KeptSQL, R: Sendable>(kept query: Query.Type, _ values: [any Encodable & Sendable],
                                           _ read: @escaping @Sendable (inout RowCells) throws -> R) async throws -> [R] {
        if let pg = self as? any PostgresDatabase {
            return try await ConnectionGuard.rows(KeptStatement<Query, R>(values: values, read: read), on: pg, logger: logger)
        }
        return try await rows(try SQLQueryString(numbered: Query.sql, values), read)
    }
}

extension SQLQueryString {
    /// `sql` with each `$n` replaced by a bind of `values[n - 1]` (SQLite's way of the same query).
    init(numbered sql: String, _ values: [any Encodable & Sendable]) throws {
        self.init("")
        var rest = Substring(sql)
        while let dollar = rest.firstIndex(of: "$") {
            appendLiteral(String(rest[..<dollar]))
            let digits = rest[rest.index(after: dollar)...].prefix { $0.isASCII && $0.isNumber }
            guard let n = Int(digits), values.indices.contains(n - 1) else {
                throw Abort(.internalServerError, reason: "SQL: no value for $\(digits) in a kept query")
            }
            appendInterpolation(bind: values[n - 1])
            rest = rest[digits.endIndex...]
        }
        appendLiteral(String(rest))
    }
}

extension KeptSQL {
    /// The code's own constants (states, kinds) written into a kept query: `'a', 'b'`.
    static func literals(_ values: [String]) -> String {
        values.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }.joined(separator: ", ")
    }
}
