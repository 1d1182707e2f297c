import Fluent
import KPICore
import Foundation
@testable import KPIServer
import SQLKit
import XCTVapor

/// A fresh application with the demonstration data, on in-memory SQLite, or on PostgreSQL when
/// `KPI_TEST_DATABASE_URL` is set (the schema is dropped and rebuilt for each test).
enum TestEnv {
    /// Every test application's clock stands here until a test moves it: 09:00 in Việt Nam on
    /// Wednesday 25/11/2026, or on the day `KPI_TEST_TODAY` names (dd/MM/yyyy or yyyy-MM-dd): the test
    /// script runs the suite again at the end of a year and on a leap day, so the calendar cannot
    /// break it. Only this harness reads that variable; the server has no way to pin its clock.
    /// Tests never depend on the real date.
    static let today: DateOnly = ProcessInfo.processInfo.environment["KPI_TEST_TODAY"].flatMap { DateOnly(parsing: $0) }
        ?? DateOnly(year: 2026, month: 11, day: 25)!
    static let now = today.startInVietnam.addingTimeInterval(9 * 3600)

    /// The two-step key of every test application (a second process on the same database reads the
    /// first one's secrets).
    static let mfaKey = Data(repeating: 7, count: 32).base64EncodedString()

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["KPI_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static func make(demo: Bool = true, migrate: Bool = true, adjust: (inout Settings) -> Void = { _ in }) async throws -> Application {
        let app = try await application()
        var settings = base()
        settings.inMemory = postgresURL == nil
        settings.sessionIdleMinutes = 60
        adjust(&settings)
        removeAtShutdown(settings.dataDirectory, of: app)
        do {
            try await configure(app, settings: settings)
            if postgresURL != nil {
                let sql = app.db.sql
                try await sql.raw("DROP SCHEMA public CASCADE").run()
                try await sql.raw("CREATE SCHEMA public").run()
            }
            if migrate { try await app.autoMigrate() }
            if demo { try await DemoLoader(app: app).load() }
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        return app
    }
}

extension TestEnv {
    /// A second application on the same PostgreSQL database (a second server process), without
    /// touching the schema or the data.
    static func attach() async throws -> Application {
        let app = try await application()
        var settings = base()
        settings.inMemory = false
        removeAtShutdown(settings.dataDirectory, of: app)
        do {
            try await configure(app, settings: settings)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        return app
    }
}

extension TestEnv {
    /// A test application: the pinned clock, warnings only.
    static func application() async throws -> Application {
        let app = try await Application.make(.testing)
        app.clock = AppClock(pinnedAt: now)
        app.logger.logLevel = .warning
        return app
    }

    /// What every test application's settings start from: the database under test, cheap hashing, the shared
    /// two-step key, a data directory of its own in the temporary directory.
    static func base() -> Settings {
        var settings = Settings.testing
        settings.databaseURL = postgresURL
        settings.bcryptCost = 4
        settings.mfaKey = mfaKey
        settings.dataDirectory = NSTemporaryDirectory() + "kpi-test-\(UUID().uuidString)"
        return settings
    }

    /// A test application's data directory, when it is a temporary one, is removed when the application shuts down
    /// (after everything else has: registered before `configure`, so its handler runs last). A run of the suite made
    /// thousands of them and left them all in the temporary directory.
    static func removeAtShutdown(_ dataDirectory: String, of app: Application) {
        guard dataDirectory.hasPrefix(NSTemporaryDirectory()) else { return }
        app.lifecycle.use(RemoveAtShutdown(paths: [dataDirectory]))
    }
}

/// Runs `body` with a fresh app and always shuts it down.
func withApp(demo: Bool = true, migrate: Bool = true, adjust: (inout Settings) -> Void = { _ in },
             _ body: (Application) async throws -> Void) async throws {
    let app = try await TestEnv.make(demo: demo, migrate: migrate, adjust: adjust)
    do {
        try await body(app)
    } catch {
        try await app.asyncShutdown()
        throw error
    }
    try await app.asyncShutdown()
}

extension Settings {
    /// The defaults, whatever the shell running the tests has set (`KPI_BOARD_CACHE_SECONDS=0` in
    /// the environment must not change a test's outcome).
    static var testing: Settings {
        Settings.from(environment: [:])
    }
}

/// Runs `body`, which must fail because the database refuses it (a trigger raising `message`); any
/// other error, or none, fails the test.
func assertRefusedByDatabase(_ message: String, _ what: String, file: StaticString = #filePath, line: UInt = #line,
                             _ body: () async throws -> Void) async {
    do {
        try await body()
        XCTFail("\(what): the database accepted it", file: file, line: line)
    } catch {
        let text = "\(error) \(String(reflecting: error))"
        XCTAssertTrue(text.contains(message), "\(what): refused for another reason: \(text)", file: file, line: line)
    }
}
