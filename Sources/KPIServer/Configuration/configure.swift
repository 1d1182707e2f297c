import Foundation
import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import KPICore
import NIOSSL
import Vapor

/// Sets up the application: database, migrations, sessions, middleware, routes, commands.
public func configure(_ app: Application, settings: Settings = .fromEnvironment()) async throws {
    app.settings = settings
    if app.storage[AppClockKey.self] == nil { app.clock = AppClock() }
    app.storage[UndeclaredReadsKey.self] = UndeclaredReads()
    app.storage[TrustedProxiesKey.self] = TrustedProxies(settings.trustedProxies)
    app.storage[ChangeCounterKey.self] = ChangeCounter()
    app.storage[ServerMetricsKey.self] = ServerMetrics(clock: app.clock)
    if let token = settings.metricsToken, token.count < 32 {
        throw Abort(.internalServerError, reason: """
            KPI_METRICS_TOKEN phải dài ít nhất 32 ký tự (tạo bằng: head -c 32 /dev/urandom | base64).
            """)
    }
    // Everything the application keeps in its storage is made here, before any background job starts:
    // Vapor's `storage[key] = value` copies the whole storage and writes it back, so a lazy write from a
    // job racing the server's start could drop the server's own entry (seen once in CI: "HTTPServer did
    // not shutdown before deinitializing" as the started server lost its last reference).
    app.storage[StoreGateKey.self] = AsyncMutex()
    app.storage[APICallLogKey.self] = APICallLog()
    app.storage[SecretBoxKey.self] = try SecretBox.load(settings)
    // The HTTP client (webhook deliveries) never follows a redirect: a public receiver could point it
    // inside the network after its address was checked. Made now, not lazily by the outbox job.
    app.http.client.configuration.redirectConfiguration = .disallow
    _ = app.http.client.shared
    if let sso = settings.singleSignOn { app.storage[OIDCProviderKey.self] = OIDCProvider(config: sso, client: app.client) }
    if let problem = settings.singleSignOnProblem { app.logger.warning("Đăng nhập một lần (OIDC) đang tắt: \(problem)") }
    try configureDatabase(app, settings: settings)
    // After the database's own handler: handlers stop in reverse order, so the log is written first.
    app.lifecycle.use(APICallLogFlusher())
    Migrations.register(on: app)

    app.passwords.use(.bcrypt(cost: settings.bcryptCost))
    // Each route's own limit (`BodyLimit`) follows the settings in force; this is only the ceiling.
    let evidenceCeiling = SettingsCatalog.spec("minh-chung-dung-luong")?.upperBound ?? settings.evidenceMaxMegabytes
    app.routes.defaultMaxBodySize = ByteCount(stringLiteral: """
        \(max(settings.importMaxMegabytes, settings.evidenceMaxMegabytes, evidenceCeiling) + 1)mb
        """)

    app.middleware = .init()
    app.middleware.use(MetricsMiddleware(metrics: app.metrics))
    app.middleware.use(RequestLogMiddleware())
    app.middleware.use(SecurityHeadersMiddleware(settings: settings))
    app.middleware.use(ErrorPageMiddleware())
    app.middleware.use(PathLengthMiddleware())
    app.middleware.use(FileMiddleware(publicDirectory: publicDirectory(app), defaultFile: nil))

    try routes(app)
    Commands.register(on: app)
}

private func configureDatabase(_ app: Application, settings: Settings) throws {
    if let url = settings.databaseURL {
        let config = try postgresConfiguration(url, settings: settings)
        app.databases.use(.postgres(configuration: config, maxConnectionsPerEventLoop: postgresConnectionsPerLoop), as: .psql)
        let notifications = ChangeNotifications(configuration: config.coreConfiguration)
        app.storage[ChangeNotificationsKey.self] = notifications
        app.lifecycle.use(notifications)
        if let read = settings.readDatabaseURL {
            // Fewer connections than the primary's: only reports and exports read there.
            app.databases.use(.postgres(configuration: try postgresConfiguration(read, settings: settings),
                                        maxConnectionsPerEventLoop: postgresConnectionsPerLoop / 2),
                              as: ReadReplica.id, isDefault: false)
            app.storage[ReadReplicaKey.self] = ReadReplica(maxLag: TimeInterval(settings.readMaxLagSeconds))
        }
    } else if settings.readDatabaseURL != nil {
        throw Abort(.internalServerError, reason: """
            KPI_READ_DATABASE_URL chỉ dùng được cùng DATABASE_URL (PostgreSQL): bản sao chỉ đọc là của máy chủ \
            PostgreSQL chính.
            """)
    } else if settings.inMemory {
        // SQLiteKit's `.memory` is itself a file in the temporary directory, which nothing removes (2,5 MB a test
        // application, some 600 a run of the tests): the same kind of file, removed when the application shuts down.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kpi-memorydb-\(UUID().uuidString).sqlite3").path
        app.databases.use(.sqlite(.file(file), sqlLogLevel: nil), as: .sqlite)
        app.lifecycle.use(RemoveAtShutdown(paths: [file, file + "-journal"]))
    } else {
        try FileManager.default.createDirectory(atPath: settings.dataDirectory, withIntermediateDirectories: true)
        app.databases.use(.sqlite(.file(settings.dataDirectory + "/kpi.sqlite"), sqlLogLevel: nil), as: .sqlite)
    }
    app.databases.middleware.use(ClockStamps(clock: app.clock))
}

/// Files removed when the application shuts down (the in-memory database's).
struct RemoveAtShutdown: LifecycleHandler {
    let paths: [String]
    func shutdownAsync(_ application: Application) async {
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }
}

/// Each event loop's PostgreSQL connections (so a process holds this many times its cores at most).
let postgresConnectionsPerLoop = 8

/// How to reach PostgreSQL: `DATABASE_URL`, and with `KPI_DATABASE_CA_FILE` TLS required and verified in full
/// against that authority (the chain and the host name; PostgresKit's own `tlsmode=require` trusts only the
/// system's authorities).
func postgresConfiguration(_ url: String, settings: Settings) throws -> SQLPostgresConfiguration {
    var config = try SQLPostgresConfiguration(url: url)
    config.searchPath = ["public"]
    if let ca = settings.databaseCAFile {
        guard FileManager.default.isReadableFile(atPath: ca) else {
            throw Abort(.internalServerError, reason: "KPI_DATABASE_CA_FILE: không đọc được tệp «\(ca)».")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(ca)
        tls.certificateVerification = .fullVerification
        config.coreConfiguration.tls = try .require(.init(configuration: tls))
    }
    return config
}

/// `Public/` next to the working directory, or beside the sources when run from tests.
private func publicDirectory(_ app: Application) -> String {
    let candidates = [app.directory.publicDirectory,
                      URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                          .deletingLastPathComponent().deletingLastPathComponent()
                          .deletingLastPathComponent().appendingPathComponent("Public").path + "/"]
    return candidates.first { FileManager.default.fileExists(atPath: $0 + "app.css") } ?? candidates[0]
}
