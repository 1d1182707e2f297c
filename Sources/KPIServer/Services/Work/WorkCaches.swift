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
