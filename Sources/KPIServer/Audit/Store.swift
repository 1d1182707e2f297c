import Fluent
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
    let isPostgres: Bool

    func write<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        if isPostgres {
            return try await db.transaction { try await body($0) }
        }
        await gate.lock()
        do {
            let result = try await db.transaction { try await body($0) }
            await gate.unlock()
            return result
        } catch {
            await gate.unlock()
            throw error
        }
    }
}

struct StoreGateKey: StorageKey {
    typealias Value = AsyncMutex
}

extension Application {
    var writeGate: AsyncMutex {
        if let g = storage[StoreGateKey.self] { return g }
        let g = AsyncMutex()
        storage[StoreGateKey.self] = g
        return g
    }

    var store: Store { Store(db: db, gate: writeGate, isPostgres: isPostgres) }
}

extension Request {
    var store: Store { application.store }
}
