import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import KPICore
import SQLKit
import Vapor

/// A FIFO async mutex: one waiter at a time, in arrival order.
actor AsyncMutex {
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func lock() async {
        if !locked {
            locked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func unlock() {
        if waiters.isEmpty {
            locked = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

/// Runs a use case as one transaction. On SQLite, writers of this process take turns (SQLite has
/// one writer at a time anyway, and this avoids lock upgrades failing); on PostgreSQL the audit
/// append takes a transaction-scoped advisory lock, so several server processes chain correctly.
struct Store: Sendable {
    let db: any Database
    let gate: AsyncMutex
    /// Bumped after every committed write of this process: caches of derived figures (the unit
    /// board) compare it to know they are stale.
    var changes = ChangeCounter()
    /// The application's clock: every service reads "now" and "today" here.
    var clock: AppClock
    var now: Date { clock.now }
    var today: DateOnly { clock.today }
    /// Set when `db` is a read replica (`ReadReplica`): the database every write goes to.
    var primary: (any Database)?
    /// Where writes go.
    var writer: any Database { primary ?? db }
    /// What this store keeps in the shared caches is kept apart when it reads a replica (a copy read there
    /// may lag behind the primary's).
    var keyPrefix: String { primary == nil ? "" : "ban-sao|" }

    /// The same connection pool for hand-written SQL (both drivers speak SQLKit).
    var sql: any SQLDatabase { db.sql }
    var isPostgres: Bool { db.isPostgres }

    /// The tree's agencies (`AgencyMap`), read again after a write that may change the catalogs, in this
    /// process or another (`ChangeNotifications`), and at most a minute old if that news is lost.
    func agencies() async throws -> AgencyMap {
        try await changes.agencies(now: now, key: keyPrefix + "agencies") { try await Agencies.map(on: db) }
    }

    /// Where task creations are written (`CreationBatcher`).
    var creations: CreationBatcher { changes.creations }
    /// Where Idempotency-Key claims and answers are written (`IdempotencyWriter`).
    var idempotency: IdempotencyWriter { changes.idempotency }

    /// A catalog record read on a hot path (`RecordCache`), kept like the agencies' tree: until a write that may
    /// change the catalogs, here or in another process, and at most a minute.
    func record<T: Sendable>(_ key: String, keepMissing: Bool = true, load: () async throws -> T?) async throws -> T? {
        try await changes.records.value(keyPrefix + key, generation: changes.catalogValue, maxAge: 60, now: now,
                                        keepMissing: keepMissing, load: load)
    }

    /// The delegations not yet over (`Delegations.index`), as of this process's last write and at most
    /// a minute old when another process recorded or took one back.
    func delegations() async throws -> DelegationIndex {
        let (db, today) = (db, today)
        return try await changes.cached(keyPrefix + "delegations", now: now, maxAge: 60, catalog: true) {
            try await Delegations.index(on: db, today: today)
        }
    }

    /// A write of one statement that no kept figure reads (a claim, a log line): on PostgreSQL on its own,
    /// without a transaction around it (one round trip); on SQLite through `write`, whose writers take turns.
    func autocommit<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        if isPostgres { return try await body(writer) }
        return try await write(reach: nil, body)
    }

    /// Runs `body` as one transaction. `reach` says what it may change, for the figures kept in memory
    /// here and in the other server processes (`WriteReach`, `ChangeNotifications`): `.work` for a write
    /// of tasks that leaves the catalogs' kept copies alone, `nil` for writes no kept figure reads.
    func write<T: Sendable>(reach: WriteReach? = .everything,
                            _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        if isPostgres {
            // Guarded: a statement sent on a connection lost mid-transaction would otherwise never be answered.
            let result = try await ConnectionGuard.transaction(on: writer, body)
            if let reach { changes.bump(reach) }
            return result
        }
        // This process's writers take turns; SQLite may still answer "busy" when another connection
        // or process holds the file for a moment (it sets no busy timeout): the transaction rolled
        // back, so it is tried again, for up to about two seconds.
        var attempt = 0
        while true {
            await gate.lock()
            do {
                let result = try await writer.transaction { try await body($0) }
                if let reach { changes.bump(reach) }
                await gate.unlock()
                return result
            } catch let e as SQLiteError where e.reason == .busy && attempt < 100 {
                await gate.unlock()
                attempt += 1
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                await gate.unlock()
                throw error
            }
        }
    }
}

struct StoreGateKey: StorageKey {
    typealias Value = AsyncMutex
}

/// The application's count of committed writes, and the caches of derived figures that depend on it.
final class ChangeCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    /// Writes that may have changed the catalogs (every write but `.work`).
    private var catalogCount = 0
    /// What this process wrote since it last told the others (`ChangeNotifications`).
    private var unsent: WriteReach?
    let boards = BoardCache()
    let names = NameCache()
    let records = RecordCache()
    /// Not a cache: the application's one writer of task creations arriving together, kept here because every
    /// `Store` of the application shares this object.
    let creations = CreationBatcher()
    /// Not a cache either: the application's one writer of Idempotency-Key records (`IdempotencyWriter`).
    let idempotency = IdempotencyWriter()

    /// A committed write of this process.
    func bump(_ reach: WriteReach = .everything) {
        lock.withLock {
            outdate(reach)
            unsent = unsent == .everything ? .everything : reach
        }
    }

    /// Another process's write, heard through the database: outdates what is kept, as a write here does.
    func heard(_ reach: WriteReach) { lock.withLock { outdate(reach) } }

    private func outdate(_ reach: WriteReach) {
        count += 1
        if reach == .everything { catalogCount += 1 }
    }

    /// What this process wrote since the last call (nil: nothing), for the other processes.
    func takeUnsent() -> WriteReach? {
        lock.withLock {
            defer { unsent = nil }
            return unsent
        }
    }

    /// Changes with every write.
    var value: Int { lock.withLock { count } }
    /// Changes with every write that may have changed the catalogs, the tree, settings, delegations or
    /// the calendar (not with a write of tasks).
    var catalogValue: Int { lock.withLock { catalogCount } }

    private var cache: [String: (at: Date, count: Int, value: any Sendable, refreshing: Bool)] = [:]

    /// A value read from the database, kept until this process writes anything or `maxAge` seconds
    /// pass (another process's change is heard at once, `ChangeNotifications`; the age is the backstop).
    /// Outdated by a write, one request reads it again while the others asking meanwhile get the value
    /// before (twenty viewers of the province's report do not all count it again at the same moment),
    /// and the one who wrote sees the write. Too old with nothing written since, one request reads it again
    /// too — or, with `serveStale` (figures such as reports, not what permissions are decided on), it is
    /// read again in the background and the value before is served meanwhile, to that request too: no
    /// viewer waits for the minute's refresh (at province scale those refreshes were the slowest twentieth
    /// of the reports). When nothing is kept yet (the process just started), those asking meanwhile share
    /// the first read.
    /// `catalog: true` for a copy of the catalogs, which a write of tasks leaves as it is.
    func cached<T: Sendable>(_ key: String, now: Date, maxAge: TimeInterval, catalog: Bool = false, serveStale: Bool = false,
                             load: @escaping @Sendable () async throws -> T) async throws -> T {
        let count = catalog ? catalogValue : value
        let kept: T?, reading: Task<any Sendable, any Error>?
        (kept, reading) = lock.withLock { () -> (T?, Task<any Sendable, any Error>?) in
            var stale: T?
            if let c = cache[key], let v = c.value as? T {
                if c.count == count, now.timeIntervalSince(c.at) < maxAge, now >= c.at { return (v, nil) }
                if c.refreshing { return (v, nil) }
                cache[key]?.refreshing = true
                // Nothing written since it was read: only its age. Served while read again.
                if serveStale && c.count == count { stale = v }
            } else if let t = loading[key] {
                // Nothing to show yet (a process just started): the first request's read is everyone's.
                return (nil, t)
            }
            let t = Task<any Sendable, any Error> {
                do {
                    let fresh = try await load()
                    self.lock.withLock {
                        // Many keys (a report per filter): what an earlier write outdated goes first, then everything.
                        if self.cache.count >= 500 { self.cache = self.cache.filter { $0.value.count == count } }
                        if self.cache.count >= 500 { self.cache = [:] }
                        self.cache[key] = (now, count, fresh, false)
                        self.loading[key] = nil
                    }
                    return fresh
                } catch {
                    self.lock.withLock {
                        self.cache[key]?.refreshing = false
                        self.loading[key] = nil
                    }
                    throw error
                }
            }
            loading[key] = t
            return (stale, t)
        }
        if let kept { return kept }
        guard let value = try await reading?.value as? T else { throw Abort(.internalServerError) }
        return value
    }

    /// The reads under way of values not kept yet, by key.
    private var loading: [String: Task<any Sendable, any Error>] = [:]

    private var recentEntries: [String: (at: Date, token: UUID, task: Task<any Sendable, any Error>, last: (any Sendable)?)] = [:]

    /// A figure costly to count that may be up to `maxAge` seconds old whatever is written meanwhile (the
    /// home page's overdue hot spots, a count over every open task in the province): counted by one task
    /// at a time in the background; those asking get the last count at once, and only the very first
    /// ones wait for a count. A failed count is not kept.
    func recent<T: Sendable>(_ key: String, now: Date, maxAge: TimeInterval,
                             load: @escaping @Sendable () async throws -> T) async throws -> T {
        let (token, task, last) = lock.withLock { () -> (UUID, Task<any Sendable, any Error>, (any Sendable)?) in
            if let e = recentEntries[key], now.timeIntervalSince(e.at) < maxAge, now >= e.at { return (e.token, e.task, e.last) }
            let previous = recentEntries[key]?.last
            let token = UUID()
            let t = Task<any Sendable, any Error> {
                let v = try await load()
                self.lock.withLock { if self.recentEntries[key]?.token == token { self.recentEntries[key]?.last = v } }
                return v
            }
            recentEntries[key] = (now, token, t, previous)
            return (token, t, previous)
        }
        if let last = last as? T { return last }
        do {
            guard let value = try await task.value as? T else { throw Abort(.internalServerError) }
            return value
        } catch {
            lock.withLock { if recentEntries[key]?.token == token { recentEntries[key] = nil } }
            throw error
        }
    }

    /// The agencies, read again after a write that may change the catalogs and at most every minute.
    func agencies(now: Date, key: String = "agencies",
                  load: @escaping @Sendable () async throws -> AgencyMap) async throws -> AgencyMap {
        try await cached(key, now: now, maxAge: 60, catalog: true, load: load)
    }

    /// The working-day calendar for pages, read again after a write that may change the catalogs (a day
    /// added on the Cài đặt page counts at once, in every process) and at most every 5 minutes.
    func calendar(now: Date, load: @escaping @Sendable () async throws -> WorkCalendar) async throws -> WorkCalendar {
        try await cached("calendar", now: now, maxAge: 300, catalog: true, load: load)
    }
}

struct ChangeCounterKey: StorageKey {
    typealias Value = ChangeCounter
}

extension Application {
    var writeGate: AsyncMutex {
        if let g = storage[StoreGateKey.self] { return g }
        let g = AsyncMutex()
        storage[StoreGateKey.self] = g
        return g
    }

    var changes: ChangeCounter {
        if let c = storage[ChangeCounterKey.self] { return c }
        let c = ChangeCounter()
        storage[ChangeCounterKey.self] = c
        return c
    }

    var store: Store { Store(db: db, gate: writeGate, changes: changes, clock: clock) }
}

extension Request {
    var store: Store { application.store }
}
