import FluentKit
import Foundation
import SQLKit

extension Database {
    /// New models written by one `INSERT` of several rows, as Fluent's batch `create` writes them (every field, a missing
    /// id made at random, the creation and change times stamped by `ClockStamps`, the models then known to exist),
    /// without its per-model middleware run in a task group of its own and its query conversion: on the path of every
    /// group of creations (`WriteGroup.finish`; the tasks' insert was a fifth of a group's time, bench/README.md). The
    /// one model middleware of the databases is `ClockStamps` (`configure`), applied here by the same function; a model
    /// with a value this cannot write (nested fields) goes through Fluent.
    func insert<M: Model>(new models: [M], at now: Date) async throws where M.IDValue == UUID {
        guard !models.isEmpty else { return }
        var columns: [String]?
        var rows: [[any SQLExpression]] = []
        for model in models {
            precondition(!model._$idExists, "insert(new:) of a model already written")
            if model.id == nil { model.id = UUID() }
            ClockStamps.stamp(.create, model, at: now)
            let row = RowInput()
            model.input(to: row)
            guard !row.unsupported, columns == nil || columns == row.columns else { return try await models.create(on: self) }
            columns = row.columns
            rows.append(row.values)
        }
        try await sql.insert(into: M.schema).columns(columns ?? []).rows(rows).run()
        for model in models { model._$idExists = true }
    }
}

/// A model's fields as an insert's columns and values, in the order of its properties.
private final class RowInput: DatabaseInput {
    var columns: [String] = []
    var values: [any SQLExpression] = []
    var unsupported = false
    var wantsUnmodifiedKeys: Bool { true }

    func set(_ value: DatabaseQuery.Value, at key: FieldKey) {
        columns.append(key.description)
        switch value {
        case .bind(let v): values.append(SQLBind(v))
        case .null: values.append(SQLLiteral.null)
        case .default: values.append(SQLLiteral.default)
        case .enumCase(let s): values.append(SQLLiteral.string(s))
        case .custom(let e as any SQLExpression): values.append(e)
        default:
            unsupported = true
            values.append(SQLLiteral.null)
        }
    }
}
