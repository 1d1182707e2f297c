import Fluent
import FluentPostgresDriver
import Foundation
import KPICore
import SQLKit
import Vapor

/// A streaming replica of the database (`KPI_READ_DATABASE_URL`; bản sao chỉ đọc): reports, their exports
/// and the other heavy read-only pages read there, so a province's leaders opening reports at the month's
/// end do not slow the staff recording their work on the primary. Writes never go there (`Store.primary`).
/// How far behind it is, is asked of the replica itself, at most every `checkEvery` seconds per process;
/// a replica further behind than `maxLag`, or not answering, is passed over and the primary read instead.
final class ReadReplica: @unchecked Sendable {
    static let id = DatabaseID(string: "psql-read")
    static let checkEvery: TimeInterval = 2
    /// After the replica failed to answer, how long the primary is read before it is tried again.
    static let restAfterFailure: TimeInterval = 15

    private let lock = NSLock()
    private var limit: TimeInterval
    private var last: (at: Date, state: State)?

    init(maxLag: TimeInterval) { limit = maxLag }

    /// Seconds behind past which the primary is read instead.
    var maxLag: TimeInterval {
        get { lock.withLock { limit } }
        set { lock.withLock { limit = newValue; last = nil } }
    }

    /// What the replica said when last asked.
    enum State: Sendable, Equatable {
        /// Serving, `lag` seconds behind the primary (0: it has replayed all it received while streaming).
        case serving(lag: TimeInterval)
        /// Behind by more than it can say (it has replayed nothing since it started, or stopped receiving).
        case unknownLag
        case unreachable
    }

    /// The replica's state, asked again when the last answer is older than `checkEvery` seconds (or
    /// `restAfterFailure` after it did not answer).
    func state(_ app: Application) async -> State {
        let now = app.clock.now
        if let last = lock.withLock({ last }), now >= last.at {
            let age = now.timeIntervalSince(last.at)
            if age < (last.state == .unreachable ? Self.restAfterFailure : Self.checkEvery) { return last.state }
        }
        let state = await ask(app)
        lock.withLock { last = (now, state) }
        return state
    }

    /// The replica's state now, not kept (for /metrics).
    func ask(_ app: Application) async -> State {
        do {
            // pg_last_xact_replay_timestamp() is the commit time of the last transaction replayed: while the
            // replica streams and has replayed all it received, it is current; otherwise it is as far
            // behind as that commit is old (an upper bound: an idle primary commits nothing either).
            guard let row = try await app.db(Self.id).sql.raw("""
                SELECT pg_is_in_recovery() AS standby,
                       coalesce(pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(), false) AS caught_up,
                       EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') AS streaming,
                       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS behind
                """).first() else { return .unreachable }
            if !(try row.decode(column: "standby", as: Bool.self)) { return .serving(lag: 0) }
            if try row.decode(column: "caught_up", as: Bool.self), try row.decode(column: "streaming", as: Bool.self) {
                return .serving(lag: 0)
            }
            guard let behind = try row.decode(column: "behind", as: Double?.self) else { return .unknownLag }
            return .serving(lag: max(0, behind))
        } catch {
            app.logger.warning("Máy chủ bản sao (KPI_READ_DATABASE_URL) không trả lời: \(String(reflecting: error))")
            return .unreachable
        }
    }

    /// A read from the replica failed as a database going away does: the primary is read for a while.
    func failed(at now: Date) {
        lock.withLock { last = (now, .unreachable) }
    }
}

struct ReadReplicaKey: StorageKey {
    typealias Value = ReadReplica
}

/// Where a page's figures were read.
enum ReadSource: Sendable, Equatable {
    /// The database itself (no replica configured, or it is behind or not answering).
    case primary
    /// The replica, holding every change made up to `asOf` (by the application's clock), `lag` seconds behind.
    case replica(asOf: Date, lag: TimeInterval)

    /// A line under the page's title saying how fresh its figures are (nothing when read from the primary).
    var notice: HTML {
        guard case .replica(let asOf, let lag) = self else { return "" }
        let time = DateFormatting.dateTime(asOf)
        let behind = lag >= 5 ? " (chậm khoảng \(ReadSource.duration(lag)) so với máy chủ chính)" : ""
        return "<p class=\"hint source\">Số liệu đọc từ máy chủ bản sao, đầy đủ đến \(time)\(behind).</p>"
    }

    /// "12 giây", "3 phút", "2 giờ 5 phút".
    static func duration(_ seconds: TimeInterval) -> String {
        let s = Int(min(seconds, 366 * 86_400).rounded())
        if s < 60 { return "\(s) giây" }
        if s < 3_600 { return "\(s / 60) phút" }
        return s % 3_600 / 60 == 0 ? "\(s / 3_600) giờ" : "\(s / 3_600) giờ \(s % 3_600 / 60) phút"
    }
}

extension Application {
    /// The replica, when `KPI_READ_DATABASE_URL` is set (made by `configure`).
    var readReplica: ReadReplica? { storage[ReadReplicaKey.self] }

    /// A store for a heavy read-only page: reading the replica when it is there and no more than
    /// `KPI_READ_MAX_LAG_SECONDS` behind, writing (an export's audit entry) to the primary, keeping what it
    /// reads apart from what the primary's readers keep; and where it reads.
    func readingStore() async -> (store: Store, source: ReadSource) {
        guard let replica = readReplica else { return (store, .primary) }
        guard case .serving(let lag) = await replica.state(self), lag <= replica.maxLag else { return (store, .primary) }
        var reading = Store(db: db(ReadReplica.id), gate: writeGate, changes: changes, clock: clock)
        reading.primary = db
        return (reading, .replica(asOf: clock.now.addingTimeInterval(-lag), lag: lag))
    }

    /// Runs `body` on `readingStore()`; when the replica goes away meanwhile, again on the primary.
    func reading<T: Sendable>(_ body: (Store, ReadSource) async throws -> T) async throws -> T {
        let (store, source) = await readingStore()
        guard source != .primary else { return try await body(store, source) }
        do {
            return try await body(store, source)
        } catch where DatabaseOutage.matches(error) {
            readReplica?.failed(at: clock.now)
            logger.warning("Bản sao ngừng trả lời giữa chừng; đọc lại máy chủ chính: \(String(reflecting: error))")
            return try await body(self.store, .primary)
        }
    }
}

extension Request {
    /// `Application.reading`.
    func reading<T: Sendable>(_ body: (Store, ReadSource) async throws -> T) async throws -> T {
        try await application.reading(body)
    }
}
