import Fluent
import Foundation
import SQLKit

/// Counters shared by every server process (in the database): hits of a key in fixed windows. A
/// limit is checked against the current and the previous window together, so a burst across a
/// window's edge still counts. Old windows are removed as new ones are written.
enum SharedCounters {
    /// The start (Unix seconds) of the window holding `now`.
    static func bucket(_ now: Date, window: Int) -> Int64 {
        let w = Int64(max(window, 1))
        return Int64(now.timeIntervalSince1970.rounded(.down)) / w * w
    }

    /// Hits of `key` in the current and previous windows.
    static func count(_ key: String, window: Int, now: Date, on db: any Database) async throws -> Int {
        let b = bucket(now, window: window)
        return try await db.value("SELECT COALESCE(SUM(hits), 0) AS n FROM rate_counters WHERE key = \(bind: key) AND bucket >= "
            + "\(bind: b - Int64(max(window, 1)))", as: Int.self) ?? 0
    }

    /// Adds a hit of `key`; returns the hits of the current and previous windows, this one included.
    @discardableResult
    static func hit(_ key: String, window: Int, now: Date, on db: any Database) async throws -> Int {
        let b = bucket(now, window: window)
        let sql = db.sql
        try await sql.raw("""
            INSERT INTO rate_counters (key, bucket, hits) VALUES (\(bind: key), \(bind: b), 1)
            ON CONFLICT (key, bucket) DO UPDATE SET hits = rate_counters.hits + 1
            """).run()
        try await sql.raw("DELETE FROM rate_counters WHERE key = \(bind: key) AND bucket < \(bind: b - Int64(max(window, 1)))").run()
        // Keys that never come back (one address's burst) are swept now and then: a day is longer
        // than any window in use.
        if Int.random(in: 0..<64) == 0 {
            try await sql.raw("DELETE FROM rate_counters WHERE bucket < \(bind: b - 86_400)").run()
        }
        return try await count(key, window: window, now: now, on: db)
    }
}
