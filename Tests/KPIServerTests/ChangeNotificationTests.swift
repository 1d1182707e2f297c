import Fluent
import Foundation
@testable import KPIServer
import SQLKit
import XCTVapor

/// Two server processes on one PostgreSQL database (`ChangeNotifications`): what one writes, the other's
/// kept copies show at once, not when their minute is up (the test clock stands still, so only the news
/// can outdate them); saved settings follow; a write of tasks leaves the other's copy of the tree.
final class ChangeNotificationTests: XCTestCase {
    func testAWriteInOneProcessOutdatesTheOthersCopies() async throws {
        guard TestEnv.postgresURL != nil else { throw XCTSkip("PostgreSQL only: SQLite has one process") }
        try await withApp { app in
            let second = try await TestEnv.attach()
            do {
                try await check(app, second)
            } catch {
                try? await second.asyncShutdown()
                throw error
            }
            try await second.asyncShutdown()
        }
    }

    private func check(_ app: Application, _ second: Application) async throws {
        startChangeNotifications(app)
        startChangeNotifications(second)
        try await until("both processes listen") { app.changeNotifications?.isListening == true
            && second.changeNotifications?.isListening == true }

        // The second process keeps the tree; the first renames an agency.
        let kept = try await second.store.agencies()
        let agency = try XCTUnwrap(kept.all.first)
        let renamed = agency.name + " (đổi tên)"
        try await app.store.write { db in
            try await db.sql.raw("UPDATE organizations SET name = \(bind: renamed) WHERE path = \(bind: agency.path)").run()
        }
        try await until("the second process shows the new name") {
            (try? await second.store.agencies().byPath[agency.path]?.name) == renamed
        }

        // A saved setting is in force in the second process without waiting for its minute.
        let setting = SystemSetting()
        setting.key = "canh-bao-sap-den-han"
        setting.value = "5"
        setting.updatedBy = "test"
        setting.updatedAt = app.clock.now
        try await app.store.write { db in try await setting.create(on: db) }
        try await until("the second process reads the saved setting") {
            second.settingsBox?.saved["canh-bao-sap-den-han"] == "5"
        }

        // A write of tasks in the first outdates the second's figures but not its tree.
        let (figures, tree) = (second.changes.value, second.changes.catalogValue)
        try await app.store.write(reach: .work) { db in
            try await db.sql.raw("UPDATE tasks SET title = title WHERE code = ''").run()
        }
        try await until("the second process hears of the tasks") { second.changes.value > figures }
        XCTAssertEqual(second.changes.catalogValue, tree, "the tree kept across a write of tasks")
    }

    /// Waits up to 5 seconds for `condition`.
    private func until(_ what: String, _ condition: () async -> Bool) async throws {
        for _ in 0..<100 {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTFail("not within 5 s: \(what)")
        throw CancellationError()
    }
}
