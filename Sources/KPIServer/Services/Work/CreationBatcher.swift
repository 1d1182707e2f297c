import Fluent
import Foundation
import KPICore
import SQLKit

/// What the creations one transaction writes together (`CreationBatcher`) share: what each would read or write
/// alike is read once for the group, or collected and written once at its end (`finish`). Used by one transaction
/// at a time, its creations written one after another.
final class WriteGroup: @unchecked Sendable {
    /// Audit entries, chained by one statement at the end (`AuditLog.append(on:_:)`).
    var entries: [AuditLog.Pending] = []
    /// The scopes of the tasks written: their agencies' open periods marked for recompute by one statement at the end.
    var dirtyScopes: Set<String> = []
    /// The webhook subscriptions, read at the group's first event (`Webhooks.subscribers`).
    var subscriptions: [Webhooks.Subscription]?
    /// Active accounts of the people the notices go to, by person; read for the whole group at its start.
    var accounts: [UUID: [UUID]] = [:]
    /// Lãnh đạo grants covering a scope (`Notices.leaderGrants`), by scope, for tasks given to a unit.
    var leaders: [String: [(String, UUID)]] = [:]
    /// The rows the creations make, inserted at the end by one statement a table (in this order, each row's references
    /// written before it): tasks, participants, evidence of finished work, timeline lines, notices.
    var tasks: [WorkTask] = []
    var participants: [TaskParticipant] = []
    var evidence: [Evidence] = []
    var events: [[any SQLExpression]] = []
    var notices: [[any SQLExpression]] = []

    /// The most rows one statement inserts: within PostgreSQL's 65 535 and SQLite's 32 766 bound values at any width here.
    static let rowsPerStatement = 500

    /// Reads at once the accounts of everyone the group's notices may go to (those not read ahead, `ahead`).
    func readAccounts(of people: [UUID], on db: any Database) async throws {
        let missing = Array(Set(people).subtracting(accounts.keys))
        guard !missing.isEmpty else { return }
        let found = try await Notices.users(of: missing, on: db)
        for person in missing { accounts[person] = found[person] ?? [] }
    }

    /// What a group reads before its transaction: its forms with their task numbers, the creation tokens already used,
    /// and the group itself with the accounts its notices may go to and the webhook subscriptions.
    struct Ahead: @unchecked Sendable {
        var forms: [WorkService.Prepared]
        var made: Set<String>
        var group: WriteGroup
    }

    /// Reads them by statements sent at once on the primary, ahead of the transaction (one round trip's wait instead of
    /// four in a row, bench/README.md), as the transaction would have read them: a token used meanwhile by another
    /// process makes the group's insert fail and its creations be written again one by one (`CreationBatcher`).
    static func ahead(_ forms: [WorkService.Prepared], writing items: [CreationBatcher.Item], store: Store) async throws -> Ahead {
        let db = store.writer
        let tokens = items.flatMap(\.tokens)
        let people = Array(Set(items.flatMap { item in
            item.prepared.targets.compactMap { $0.0?.id } + item.prepared.participants.compactMap(\.id)
        }))
        async let numbered: [WorkService.Prepared] = {
            var forms = forms
            try await WorkService.reserveNumbers(&forms, store: store)
            return forms
        }()
        async let made: [String] = tokens.isEmpty ? [] : db.rows("""
            SELECT creation_token FROM tasks WHERE creation_token IN (\(binds: tokens))
            """) { try $0.next(String.self) }
        async let accounts: [UUID: [UUID]] = Notices.users(of: people, on: db)
        async let subscriptions = Webhooks.subscriptions(db)
        let group = WriteGroup()
        let found = try await accounts
        for person in people { group.accounts[person] = found[person] ?? [] }
        group.subscriptions = try await subscriptions
        return Ahead(forms: try await numbered, made: Set(try await made), group: group)
    }

    /// Writes what was collected: the rows, the periods' marks, then the audit entries (their chain's lock held from here
    /// to the commit). `now` stamps the models' creation (`Database.insert(new:at:)`).
    func finish(on db: any Database, at now: Date) async throws {
        func chunks<T>(_ all: [T]) -> [ArraySlice<T>] {
            stride(from: 0, to: all.count, by: Self.rowsPerStatement).map { all[$0..<min($0 + Self.rowsPerStatement, all.count)] }
        }
        func insert<M: Model>(_ models: [M]) async throws where M.IDValue == UUID {
            for chunk in chunks(models) { try await db.insert(new: Array(chunk), at: now) }
        }
        func insert(_ rows: [[any SQLExpression]], into table: String, _ columns: [String]) async throws {
            for chunk in chunks(rows) { try await db.sql.insert(into: table).columns(columns).rows(chunk).run() }
        }
        try await insert(tasks)
        try await insert(participants)
        try await insert(evidence)
        try await insert(events, into: TaskEventRecord.schema, WorkService.eventColumns)
        try await insert(notices, into: Notice.schema, Notices.columns)
        try await EvaluationService.markDirty(db, scopePaths: dirtyScopes.sorted())
        try await AuditLog.append(on: db, entries)
    }
}

/// Task creations arriving together (document systems creating through the API in parallel, several people
/// giving work at once) written by one transaction: the first to come writes at once; those arriving while a
/// transaction is under way wait for it to end and are then written together, each still through
/// `WorkService.insertTasks` (the same rows, timeline, notices and webhook events as alone), their numbers reserved by
/// one statement ahead of the transaction, their rows inserted and their audit entries chained by one statement a
/// table at its end, and what they share read or written once (`WriteGroup`). So the audit
/// chain's lock, held from its last entry's read to the commit, is taken once per group and not once per task, and
/// so is the commit's flush (issue 20's benchmark: creations queued on that lock). Nothing waits for company: one
/// creation at a time is a group of one.
///
/// A group whose transaction fails (a creation made meanwhile by another process, a bad row) is written again one
/// by one, so each creation gets its own answer and nothing of the others is lost; when the database is away, all
/// are answered with that at once, not tried one after another (each would wait for the pool again, and the
/// creations queued behind them with it: e2e/test_failover.py saw a call held past its client's 60 s). Per
/// application (process).
final class CreationBatcher: @unchecked Sendable {
    /// One form's creation.
    struct Item: Sendable {
        var prepared: WorkService.Prepared
        /// Its one-time token (`WorkTask.creationToken`); a form of several tasks adds "#i".
        var token: String
        var principal: Principal
        var actor: Actor

        func token(of i: Int) -> String { prepared.targets.count > 1 ? "\(token)#\(i)" : token }
        var tokens: [String] { prepared.targets.indices.map { token(of: $0) } }
    }

    /// The group's creation this one repeats was made already: the caller answers with what it made.
    struct AlreadyMade: Error {}

    /// The most creations one transaction writes.
    static let maxGroup = 32

    /// The queue of creations: the first goes at once, those arriving while a group is written wait and go together.
    private let queue = Coalescer<Item, Result<[WorkTask], any Error>>(most: maxGroup)

    /// Groups written so far and the creations in them; creations waiting for the transaction under way.
    var counts: (groups: Int, creations: Int, waiting: Int) { let c = queue.counts; return (c.statements, c.inputs, c.waiting) }

    /// Writes `item`'s tasks (with the creations arriving meanwhile) and returns them as written.
    func write(_ item: Item, store: Store) async throws -> [WorkTask] {
        try await queue.submit(item) { group in await self.write(group, store) }.get()
    }

    /// Each creation's outcome, in order.
    private func write(_ group: [Item], _ store: Store) async -> [Result<[WorkTask], any Error>] {
        // One creation of each token in the group (the same document sent twice at once: the second waits).
        var seen = Set<String>()
        var together: [Int] = [], alone: [Int] = []
        for (i, item) in group.enumerated() {
            if item.tokens.allSatisfy({ seen.insert($0).inserted }) { together.append(i) } else { alone.append(i) }
        }
        // Ahead of the transaction, at once (`WriteGroup.ahead`): the group's task numbers (one statement for the group,
        // not one a creation: bench/api 0,086× with the reservations of calls arriving together shared ahead of the
        // batcher, 0,097× a group) and what its creations read alike.
        var group = group
        let ahead: WriteGroup.Ahead
        do {
            ahead = try await WriteGroup.ahead(group.map(\.prepared), writing: together.map { group[$0] }, store: store)
        } catch {
            return group.map { _ in .failure(error) }
        }
        for i in group.indices { group[i].prepared = ahead.forms[i] }
        var results = [Result<[WorkTask], any Error>?](repeating: nil, count: group.count)
        do {
            let made = ahead.made
            let writing = together.map { group[$0] }.filter { !$0.tokens.contains(where: made.contains) }
            let shared = ahead.group
            let written = try await store.write(reach: .work) { db in
                var written: [[WorkTask]] = []
                for item in writing {
                    written.append(try await WorkService.insertTasks(
                        item.prepared, batch: item.prepared.targets.count > 1 ? UUID() : nil, on: db, principal: item.principal,
                        actor: item.actor, group: shared) { item.token(of: $0) })
                }
                try await shared.finish(on: db, at: store.now)
                return written
            }
            var next = written.makeIterator()
            for i in together {
                // Made before (a document sent again): not written, answered by the caller.
                results[i] = group[i].tokens.contains(where: made.contains) ? .failure(AlreadyMade()) : .success(next.next()!)
            }
        } catch {
            // The database away (restarting, a failover): each alone would only wait for it again, one after
            // another, while the creations behind them wait too; all are answered now (503, to try again).
            guard !DatabaseOutage.matches(error) else { return group.map { _ in .failure(error) } }
            alone = Array(group.indices)
        }
        var outage: (any Error)?
        for i in alone {
            if let outage {
                results[i] = .failure(outage)
                continue
            }
            let item = group[i]
            do {
                results[i] = .success(try await store.write(reach: .work) { db in
                    try await WorkService.insertTasks(item.prepared, batch: item.prepared.targets.count > 1 ? UUID() : nil, on: db,
                                                      principal: item.principal, actor: item.actor) { item.token(of: $0) }
                })
            } catch {
                if DatabaseOutage.matches(error) { outage = error }
                results[i] = .failure(error)
            }
        }
        return results.map { $0! }
    }
}
