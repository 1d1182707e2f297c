import Foundation
import KPICore
import SQLKit

/// Recently counted unit boards of this application. An entry serves while no write was committed in
/// this process since it was counted and it is younger than the configured age (writes made by
/// other server processes show after that age at most). Bounded in size.
final class BoardCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (generation: Int, board: WorkService.Board)] = [:]
    private let capacity = 2_000

    func get(_ key: String, generation: Int, maxAge: TimeInterval, now: Date) -> WorkService.Board? {
        lock.withLock {
            guard let e = entries[key], e.generation == generation, now.timeIntervalSince(e.board.countedAt) < maxAge else { return nil }
            return e.board
        }
    }

    func put(_ key: String, _ board: WorkService.Board, generation: Int) {
        lock.withLock {
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = (generation, board)
        }
    }
}

/// Recently read names and codes of people and units, on the same terms as `BoardCache`: a list
/// page names its rows without a query once they were named, and a rename shows at once in this
/// process and within the configured age in others. Bounded in size.
final class NameCache: @unchecked Sendable {
    private let lock = NSLock()
    private var generation = -1
    private var entries: [UUID: (at: Date, name: String, code: String)] = [:]
    private let capacity = 50_000

    func get(_ ids: Set<UUID>, generation: Int, maxAge: TimeInterval, now: Date) -> [UUID: (name: String, code: String)] {
        guard maxAge > 0 else { return [:] }
        return lock.withLock {
            guard generation == self.generation else { return [:] }
            var out: [UUID: (name: String, code: String)] = [:]
            for id in ids {
                if let e = entries[id], now.timeIntervalSince(e.at) < maxAge { out[id] = (e.name, e.code) }
            }
            return out
        }
    }

    func put(_ found: [UUID: (name: String, code: String)], generation: Int, now: Date) {
        lock.withLock {
            if generation != self.generation || entries.count + found.count > capacity {
                entries.removeAll(keepingCapacity: true)
                self.generation = generation
            }
            for (id, v) in found { entries[id] = (now, v.name, v.code) }
        }
    }
}

/// Catalog records read on the hot paths of work and of the API (an API token with its client and grants; a
/// person, product or unit by code; a position or a unit's code by id), on the terms of the agencies' tree: kept
/// until a write that may change the catalogs commits, in this process or in another (`ChangeNotifications`), or
/// `maxAge` passes if that news is lost; bounded in size. Creating a task through the API read seven such rows
/// a task before (issue 20's benchmark). The models handed out are shared by the requests: read, never changed.
final class RecordCache: @unchecked Sendable {
    private let lock = NSLock()
    private var generation = -1
    private var entries: [String: (at: Date, value: (any Sendable)?)] = [:]
    private let capacity = 20_000

    /// The record kept under `key` for this catalog generation, else `load()`'s, kept. A record not found is
    /// kept as such unless `keepMissing` is false (keys a caller makes up, such as tokens, would fill it).
    func value<T: Sendable>(_ key: String, generation: Int, maxAge: TimeInterval, now: Date, keepMissing: Bool = true,
                            load: () async throws -> T?) async throws -> T? {
        let kept = lock.withLock { () -> (any Sendable)?? in
            guard generation == self.generation, let e = entries[key], now >= e.at, now.timeIntervalSince(e.at) < maxAge else {
                return nil
            }
            return .some(e.value)
        }
        if let kept { return kept as? T }
        let found = try await load()
        guard found != nil || keepMissing else { return nil }
        lock.withLock {
            if generation != self.generation || entries.count >= capacity {
                // A write outdated everything (or it is full): start again, unless this read is the outdated one.
                guard generation >= self.generation else { return }
                entries.removeAll(keepingCapacity: true)
                self.generation = generation
            }
            entries[key] = (now, found)
        }
        return found
    }
}
