import FluentPostgresDriver
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// What a committed write may have changed, for the figures kept in memory (`ChangeCounter`).
enum WriteReach: String, Sendable {
    /// Anything: catalogs, the tree, settings, delegations, the calendar. Every kept figure is outdated.
    case everything = "tat-ca"
    /// Tasks and what hangs on them (their timeline, notices, the outbox, the periods' "to recount"
    /// mark), never the catalogs: the kept copies of the tree, names, settings, delegations and the
    /// calendar stay; figures counted from tasks are outdated.
    case work = "cong-viec"
}

/// Keeps the kept figures of several server processes on one PostgreSQL database in step. Each process
/// tells the others what it wrote on the channel `kpi_thay_doi` (`NOTIFY`, one message for all the
/// writes of the last 100 ms: "<process> <reach>"), and listens on a connection of its own; a message
/// from another process outdates what it keeps, as a write of its own would, and one that may have
/// changed the catalogs has it read the saved settings again. While the listening connection is down
/// (the database restarting), kept figures fall back to their age limits; when it is back, everything
/// kept is outdated once, for what may have been missed meanwhile.
final class ChangeNotifications: LifecycleHandler, @unchecked Sendable {
    static let channel = "kpi_thay_doi"
    /// How often this process's writes are told, at most.
    static let sendEvery: Duration = .milliseconds(100)

    /// This process, in its messages (its own come back to it and are skipped).
    let process = UUID().uuidString
    private let configuration: PostgresConnection.Configuration
    private let state = NIOLockedValueBox<(tasks: [Task<Void, Never>], connection: PostgresConnection?, listening: Bool)>(
        ([], nil, false))

    init(configuration: PostgresConnection.Configuration) { self.configuration = configuration }

    /// Whether the listening connection is up (for tests and the metrics).
    var isListening: Bool { state.withLockedValue { $0.listening } }

    /// Starts listening and telling; `kpi serve` calls this once the schema is up to date.
    func start(_ app: Application) {
        let config = configuration
        let changes = app.changes, logger = app.logger, process = process
        let listen = Task {
            var failures = 0
            while !Task.isCancelled {
                do {
                    let conn = try await PostgresConnection.connect(on: app.eventLoopGroup.any(), configuration: config, id: 1,
                                                                    logger: logger)
                    self.state.withLockedValue { $0.connection = conn }
                    try await conn.listen(on: Self.channel) { messages in
                        // Whatever happened while nobody listened is unknown: everything kept is read again.
                        self.state.withLockedValue { $0.listening = true }
                        changes.heard(.everything)
                        failures = 0
                        for try await m in messages {
                            let parts = m.payload.split(separator: " ", maxSplits: 1).map(String.init)
                            guard parts.count == 2, parts[0] != process else { continue }
                            let reach = WriteReach(rawValue: parts[1]) ?? .everything
                            changes.heard(reach)
                            if reach == .everything, let box = app.settingsBox {
                                try? await SettingsService.reload(store: app.store, box: box)
                            }
                        }
                    }
                } catch {
                    if !Task.isCancelled {
                        logger.warning("Kênh báo thay đổi giữa các tiến trình bị ngắt: \(String(reflecting: error))")
                    }
                }
                self.state.withLockedValue { s in
                    s.listening = false
                    if let c = s.connection { c.close().whenComplete { _ in } }
                    s.connection = nil
                }
                failures += 1
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 * (1 << min(failures, 6)))))
            }
        }
        let tell = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.sendEvery)
                guard let reach = changes.takeUnsent() else { continue }
                do {
                    try await app.db.sql.raw("SELECT pg_notify(\(bind: Self.channel), \(bind: process + " " + reach.rawValue))").run()
                } catch {
                    // Not told: the others see it within their age limits; a later write tells them anyway.
                    logger.warning("Không báo được thay đổi cho các tiến trình khác: \(String(reflecting: error))")
                }
            }
        }
        state.withLockedValue { $0.tasks = [listen, tell] }
    }

    func shutdownAsync(_ application: Application) async {
        let (tasks, conn) = state.withLockedValue { s in
            defer { s.tasks = []; s.connection = nil; s.listening = false }
            return (s.tasks, s.connection)
        }
        for t in tasks { t.cancel() }
        try? await conn?.close()
        for t in tasks { await t.value }
    }
}

struct ChangeNotificationsKey: StorageKey { typealias Value = ChangeNotifications }

extension Application {
    /// This process's link to the others' writes (PostgreSQL only), made by `configure`.
    var changeNotifications: ChangeNotifications? { storage[ChangeNotificationsKey.self] }
}

/// Starts telling and hearing the other processes' writes, when the database is PostgreSQL.
func startChangeNotifications(_ app: Application) {
    app.changeNotifications?.start(app)
}
