import Fluent
import Foundation
import SQLKit
import Vapor

/// Nhật ký gọi API kept off the call's path (issue 20): each call is added to a buffer, written with the
/// others of the same second in one statement, and counted in memory for the client's rate limit. The
/// limit also counts what other server processes wrote to the shared log, read again at most once a
/// second per client, so it holds across processes to within about a second. A process killed outright
/// loses at most its last second of log lines; the audit trail, written in each change's transaction, is
/// not concerned.
final class APICallLog: @unchecked Sendable {
    struct Call: Sendable {
        var userID: UUID
        var tokenID: UUID
        var method: String
        var path: String
        var status: Int
        var milliseconds: Int
        var ip: String
        var at: Date
    }

    /// How long a call waits in the buffer at most, and how many calls make a write at once.
    static let flushAfter: Duration = .seconds(1)
    static let flushSize = 500
    /// Beyond this many unwritten calls (the database is away), the oldest are dropped, with an error logged.
    static let bufferLimit = 20_000

    private let lock = NSLock()
    private var pending: [Call] = []
    private var scheduled = false
    /// This process's calls of the last minute, by client.
    private var recent: [UUID: [Date]] = [:]
    /// The shared log's count of a client's last minute, and when it was read.
    private var shared: [UUID: (count: Int, at: Date)] = [:]
    /// When each token's last use was last written.
    private var touched: [UUID: Date] = [:]

    var isEmpty: Bool { lock.withLock { pending.isEmpty } }

    /// Calls of `client` in the minute before `now`: this process's, or the shared log's (at most a
    /// second old) with this process's calls not written yet, whichever is more.
    func callsInLastMinute(client: UUID, now: Date, store: Store) async throws -> Int {
        let since = now.addingTimeInterval(-60)
        let (local, unwritten, known) = lock.withLock { () -> (Int, Int, (count: Int, at: Date)?) in
            recent[client]?.removeAll { $0 <= since }
            if recent[client]?.isEmpty == true { recent[client] = nil }
            let unwritten = pending.filter { $0.userID == client && $0.at > since }.count
            return (recent[client]?.count ?? 0, unwritten, shared[client])
        }
        var count = known?.count ?? 0
        if known.map({ now.timeIntervalSince($0.at) >= 1 || now < $0.at }) ?? true {
            count = try await store.db.value("""
                SELECT COUNT(*) FROM api_calls WHERE user_id = \(bind: client) AND at > \(bind: since)
                """, as: Int.self) ?? 0
            lock.withLock { shared[client] = (count, now) }
        }
        return max(local, count + unwritten)
    }

    /// Adds a call to the buffer; it is written within a second (at once when the buffer is full).
    func record(_ call: Call, store: Store, logger: Logger) {
        let (startFlush, now) = lock.withLock { () -> (Bool, Bool) in
            pending.append(call)
            recent[call.userID, default: []].append(call.at)
            if pending.count > Self.bufferLimit { pending.removeFirst(pending.count - Self.bufferLimit) }
            if pending.count >= Self.flushSize { return (true, true) }
            if scheduled { return (false, false) }
            scheduled = true
            return (true, false)
        }
        guard startFlush else { return }
        Task {
            if !now { try? await Task.sleep(for: Self.flushAfter) }
            do { try await self.flush(store) } catch { logger.error("api call log: not written yet: \(error)") }
        }
    }

    /// Writes every buffered call (and the tokens' last use, at most once a minute each) now.
    func flush(_ store: Store) async throws {
        let (calls, tokens) = lock.withLock { () -> ([Call], [(UUID, Date)]) in
            let calls = pending
            pending = []
            scheduled = false
            var latest: [UUID: Date] = [:]
            for c in calls where latest[c.tokenID].map({ c.at > $0 }) ?? true { latest[c.tokenID] = c.at }
            let due = latest.filter { token, at in touched[token].map { at.timeIntervalSince($0) > 60 } ?? true }
            for (token, at) in due { touched[token] = at }
            return (calls, due.map { ($0.key, $0.value) })
        }
        guard !calls.isEmpty else { return }
        do {
            try await store.autocommit { db in
                let insert = db.sql.insert(into: APICallRecord.schema)
                    .columns("id", "user_id", "token_id", "method", "path", "status", "ms", "ip", "at")
                for c in calls {
                    insert.values(SQLBind(UUID()), SQLBind(c.userID), SQLBind(c.tokenID), SQLBind(c.method), SQLBind(c.path),
                                  SQLBind(c.status), SQLBind(c.milliseconds), SQLBind(c.ip), SQLBind(c.at))
                }
                try await insert.run()
            }
            for (token, at) in tokens {
                try await store.autocommit { db in
                    try await db.sql.raw("UPDATE api_tokens SET last_used_at = \(bind: at) WHERE id = \(bind: token)").run()
                }
            }
        } catch {
            // Kept for the next write (the buffer's limit still holds).
            lock.withLock {
                pending = calls + pending
                if pending.count > Self.bufferLimit { pending.removeFirst(pending.count - Self.bufferLimit) }
                for (token, _) in tokens { touched[token] = nil }
            }
            throw error
        }
    }
}

struct APICallLogKey: StorageKey { typealias Value = APICallLog }

extension Application {
    /// The process's buffer of API calls (`APICallLog`), made by `configure`.
    var apiCalls: APICallLog { storage[APICallLogKey.self] ?? APICallLog() }
}

/// Writes the calls still buffered when the server stops.
struct APICallLogFlusher: LifecycleHandler {
    func shutdownAsync(_ application: Application) async {
        guard !application.apiCalls.isEmpty else { return }
        try? await application.apiCalls.flush(application.store)
    }
}
