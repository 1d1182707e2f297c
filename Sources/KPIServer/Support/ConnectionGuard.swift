import Fluent
import FluentPostgresDriver
import Foundation
import NIOCore

/// Work that holds one PostgreSQL connection across awaits (a transaction, a statement sent from a task), given up
/// once that connection is gone.
///
/// PostgresNIO 1.33 (the package mirror's) hands a statement to its connection's channel without a promise for the
/// write: sent on a connection closed a moment before (PostgreSQL restarted, the leader died in a failover) between
/// two statements of a transaction, or before its ROLLBACK, the statement is dropped by the closed channel and never
/// answered, and what awaits it waits forever (vapor/postgres-nio#487, a fix that was reverted by #501). The pool never
/// gets that connection back either, so each such loss would also take one connection from it for good. Measured with
/// a creation load on PostgreSQL while its backends were killed every few seconds: every task creation of the process
/// held from the first loss on, as in e2e/test_failover.py and e2e/test_faults.py (calls held past their client's 60 s).
///
/// A statement answered or failed by the connection is unchanged. Once the connection has closed, the work is given
/// `grace` to fail by itself (it does, unless a statement was dropped), then answered with
/// `ChannelError.ioOnClosedChannel` (`DatabaseOutage`: 503, try again), and the connection goes back to the pool, which
/// drops it as closed. The dropped statement's task stays suspended: a few objects kept per connection lost this way.
enum ConnectionGuard {
    /// How long work on a closed connection is given to end by itself.
    static let grace: TimeAmount = .seconds(1)

    /// `body` with one connection of `database`'s pool, guarded on PostgreSQL; on SQLite as `withConnection`.
    static func withConnection<T: Sendable>(on database: any Database,
                                            _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await database.withConnection { db in
            guard let conn = try await connection(of: db) else { return try await body(db) }
            return try await watch(conn, conn.eventLoop.makeFutureWithTask { try await body(db) }).get()
        }
    }

    /// The rows of a prepared statement, on a connection of `pg`'s pool, guarded: it is sent from a task, not from the
    /// connection's event loop, so the connection may have closed meanwhile (the session lookup, `KeptSQL`).
    static func rows<S: PostgresPreparedStatement>(_ statement: S, on pg: any PostgresDatabase,
                                                   logger: Logger) async throws -> [S.Row] where S.Row: Sendable {
        try await pg.withConnection { conn in
            watch(conn, conn.eventLoop.makeFutureWithTask {
                var out: [S.Row] = []
                for try await r in try await conn.execute(statement, logger: logger) { out.append(r) }
                return out
            })
        }.get()
    }

    /// The PostgreSQL connection under a handle bound to one (`withConnection`'s), or nil on SQLite.
    static func connection(of db: any Database) async throws -> PostgresConnection? {
        guard let pg = db as? any PostgresDatabase else { return nil }
        return try await pg.withConnection { $0.eventLoop.makeSucceededFuture($0) }.get()
    }

    /// `body` as one transaction on one connection of `database`'s pool, guarded on PostgreSQL (BEGIN, `body`,
    /// COMMIT; ROLLBACK when it fails, the connection closed when even that fails, so it never returns to the pool
    /// inside an aborted transaction). On SQLite as Fluent's `transaction`.
    static func transaction<T: Sendable>(on database: any Database,
                                         _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        guard database.isPostgres else { return try await database.transaction(body) }
        return try await withConnection(on: database) { db in
            try await db.sql.raw("BEGIN").run()
            do {
                let result = try await body(db)
                try await db.sql.raw("COMMIT").run()
                return result
            } catch {
                do {
                    try await db.sql.raw("ROLLBACK").run()
                } catch {
                    try? await connection(of: db)?.close().get()
                }
                throw error
            }
        }
    }

    /// `future`, work under way on `conn`: failed with `ChannelError.ioOnClosedChannel` when `conn` closes and the work
    /// has not ended `grace` later.
    static func watch<T: Sendable>(_ conn: PostgresConnection, _ future: EventLoopFuture<T>) -> EventLoopFuture<T> {
        let promise = conn.eventLoop.makePromise(of: T.self)
        let id = ObjectIdentifier(conn)
        watches.arm(conn) {
            conn.eventLoop.scheduleTask(in: grace) { promise.fail(ChannelError.ioOnClosedChannel) }
        }
        future.whenComplete { result in
            watches.disarm(id)
            // A promise completed twice keeps its first result (NIO ignores the second).
            promise.completeWith(result)
        }
        return promise.futureResult
    }

    static let watches = Watches()

    /// The connections watched: one callback on each connection's close, registered the first time it is watched and
    /// calling whatever watches it then (a pooled connection is used by one holder at a time), so a connection used by
    /// thousands of transactions does not collect thousands of callbacks.
    final class Watches: @unchecked Sendable {
        private let lock = NSLock()
        /// A connection with its close callback registered, and what to call when it closes (nil: nothing under way).
        private var armed: [ObjectIdentifier: (@Sendable () -> Void)?] = [:]

        func arm(_ conn: PostgresConnection, onClose: @escaping @Sendable () -> Void) {
            let id = ObjectIdentifier(conn)
            let first = lock.withLock { () -> Bool in
                let first = armed[id] == nil
                armed[id] = .some(onClose)
                return first
            }
            guard first else { return }
            conn.closeFuture.whenComplete { _ in
                let call = self.lock.withLock { self.armed.removeValue(forKey: id) } ?? nil
                call?()
            }
        }

        func disarm(_ id: ObjectIdentifier) {
            lock.withLock {
                if armed[id] != nil { armed[id] = .some(nil) }
            }
        }
    }
}
