import Fluent
import FluentPostgresDriver
import Foundation
import SQLKit
import Vapor

// One way to read the rows of hand-written SQL, on both databases: the SELECT list is written once,
// and one closure per query reads its cells in that order (`RowCells.next`). On PostgreSQL the cells
// are decoded straight from the wire, each with its concrete type (SQLKit's decoding by column name,
// and PostgresNIO's tuple decoding through parameter packs, were each a fifth to a half of a list's
// or a recompute's time); on SQLite the same reads go by the columns' names, found once per query.
// Reading fewer or more cells than the query selects is an error on both databases.

extension Database {
    /// Whether this handle (the application's, a transaction's, a job's) speaks to PostgreSQL: the
    /// one way the code asks which database is in use.
    var isPostgres: Bool { self is any PostgresDatabase }

    /// The same connection pool for hand-written SQL (both drivers speak SQLKit).
    var sql: any SQLDatabase { self as! any SQLDatabase }

    /// The rows of `query`, each read by `read` in the order of the SELECT list.
    func rows<R>(_ query: SQLQueryString, _ read: (inout RowCells) throws -> R) async throws -> [R] {
        if let pg = self as? any PostgresDatabase {
            return try await PostgresCellQuery.rows(pg, serialized: sql.serialize(query), logger: logger).map { row in
                var cells = RowCells(row)
                let value = try read(&cells)  // read first: `cells.finish(read(&cells))` would check a copy taken before
                return try cells.finish(value)
            }
        }
        let rows = try await sql.raw(query).all()
        guard let names = rows.first?.allColumns else { return [] }
        // SQLite reads by name: two columns of one name would read the first twice (PostgreSQL reads by position).
        guard Set(names).count == names.count else {
            throw Abort(.internalServerError, reason: "SQL row: two columns named alike in \(names); give one an AS name")
        }
        return try rows.map { row in
            var cells = RowCells(row, names: names)
            let value = try read(&cells)
            return try cells.finish(value)
        }
    }

    /// The first row of `query`, if any (the query says `LIMIT 1` when it may return more).
    func row<R>(_ query: SQLQueryString, _ read: (inout RowCells) throws -> R) async throws -> R? {
        try await rows(query, read).first
    }

    /// A single count, sum or flag: the first cell of the first row (nil without a row).
    func value<T: PostgresDecodable & Decodable>(_ query: SQLQueryString, as _: T.Type = T.self) async throws -> T? {
        try await row(query) { try $0.next(T.self) }
    }
}

extension Store {
    /// `Database.rows` on the store's connection.
    func rows<R>(_ query: SQLQueryString, _ read: (inout RowCells) throws -> R) async throws -> [R] {
        try await db.rows(query, read)
    }

    /// `Database.value` on the store's connection.
    func value<T: PostgresDecodable & Decodable>(_ query: SQLQueryString, as _: T.Type = T.self) async throws -> T? {
        try await db.value(query, as: T.self)
    }
}

/// One row's cells, read in order with a concrete type each.
struct RowCells {
    private var postgres: PostgresRow.Iterator?
    private let sqlite: (any SQLRow)?
    private let names: [String]
    /// How many cells the row has, and how many have been read.
    private let count: Int
    private var read = 0

    init(_ row: PostgresRow) {
        postgres = row.makeIterator()
        sqlite = nil
        names = []
        count = row.count
    }

    init(_ row: any SQLRow, names: [String]) {
        postgres = nil
        sqlite = row
        self.names = names
        count = names.count
    }

    /// The next cell as a `T` (an optional type reads NULL as nil).
    mutating func next<T: PostgresDecodable & Decodable>(_: T.Type = T.self) throws -> T {
        guard read < count else {
            throw Abort(.internalServerError, reason: "SQL row: read more cells than the query selects (\(count))")
        }
        read += 1
        if postgres != nil {
            guard let cell = postgres?.next() else {
                throw Abort(.internalServerError, reason: "SQL row: fewer columns than read")
            }
            return try cell.decode(T.self, context: .default)
        }
        return try sqlite!.decode(column: names[read - 1], as: T.self)
    }

    /// `value`, once every cell has been read.
    func finish<R>(_ value: R) throws -> R {
        guard read == count else {
            throw Abort(.internalServerError, reason: "SQL row: \(read) of \(count) selected cells read")
        }
        return value
    }
}

/// Runs serialized SQLKit text with its binds on a PostgreSQL connection and returns its own rows.
enum PostgresCellQuery {
    static func rows(_ pg: any PostgresDatabase, serialized: (sql: String, binds: [any Encodable & Sendable]),
                     logger: Logger) async throws -> [PostgresRow] {
        let query = PostgresQuery(unsafeSQL: serialized.sql, binds: try bindings(serialized.binds))
        // Collected on the connection's event loop, as SQLKit does: no hop to a task and back per query.
        return try await pg.withConnection { conn in conn.query(query, logger: logger).map(\.rows) }.get()
    }

    /// The values of a query as PostgreSQL binds.
    static func bindings(_ values: [any Encodable & Sendable]) throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for b in values {
            switch b {
            case let v as String: bindings.append(v)
            case let v as UUID: bindings.append(v)
            case let v as Int: bindings.append(v)
            case let v as Int64: bindings.append(v)
            case let v as Bool: bindings.append(v)
            case let v as Date: bindings.append(v)
            case let v as Double: bindings.append(v)
            default: throw Abort(.internalServerError, reason: "SQL rows: unsupported bind \(type(of: b))")
            }
        }
        return bindings
    }
}

extension Database {
    /// Models read by a hand-written statement (`SELECT * FROM <table> WHERE …`), on both databases. For the
    /// hot pages' reads: Fluent's query builder lists and quotes every column of the model under an alias on
    /// every query (identifier escaping alone was a tenth of the task page's time at province scale); the
    /// models come out as Fluent's would (their fields loaded, known to exist), ready to save.
    func models<M: Model>(_: M.Type, _ query: SQLQueryString) async throws -> [M] {
        try await sql.raw(query).all().map { try $0.decode(fluentModel: M.self) }
    }

    /// The first model `query` reads, if any (the query says `LIMIT 1` when it may return more).
    func model<M: Model>(_ type: M.Type, _ query: SQLQueryString) async throws -> M? {
        try await models(type, query).first
    }
}
