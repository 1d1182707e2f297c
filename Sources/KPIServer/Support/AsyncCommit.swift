import SQLKit

/// A statement of its own (never inside a transaction) committed on PostgreSQL without waiting for the write-ahead
/// log's flush (`synchronous_commit` off for that one transaction, `set_config(…, true)`): for rows that only matter
/// once a later transaction, committed with a flush, has used them — that flush writes them too, the log being flushed
/// in order. Saves a disk flush (about 1 ms here) on the path of every API creation (bench/README.md, 05/12/2026).
enum AsyncCommit {
    /// `quick AS (…)`, for a `WITH` whose statement reads `quick`.
    static let cte = "quick AS (SELECT set_config('synchronous_commit', 'off', true))"
    /// The same as a column of a `RETURNING` list (evaluated for each row written).
    static let column: any SQLExpression = SQLAlias(SQLFunction("set_config", args: SQLLiteral.string("synchronous_commit"),
                                                                SQLLiteral.string("off"), SQLLiteral.boolean(true)), as: "quick")
}
