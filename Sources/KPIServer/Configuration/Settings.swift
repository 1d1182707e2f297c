import Vapor

/// Settings read from the environment (see README, "Cấu hình").
public struct Settings: Sendable {
    /// `DATABASE_URL` (postgres://…); when absent, SQLite at `<dataDirectory>/kpi.sqlite`.
    public var databaseURL: String?
    /// `KPI_DATA_DIR`, default `./data`.
    public var dataDirectory: String
    /// `KPI_SECURE_COOKIES=1` when served behind TLS: cookies get the Secure attribute.
    public var secureCookies: Bool
    /// `KPI_SESSION_IDLE_MINUTES`, default 60: a session unused this long is closed.
    public var sessionIdleMinutes: Int
    /// `KPI_BCRYPT_COST`, default 12.
    public var bcryptCost: Int
    /// `KPI_IMPORT_MAX_MB`, default 20.
    public var importMaxMegabytes: Int
    /// Use an in-memory SQLite database (tests).
    public var inMemory: Bool

    public static func fromEnvironment() -> Settings {
        let env = ProcessInfo.processInfo.environment
        return Settings(
            databaseURL: env["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 },
            dataDirectory: env["KPI_DATA_DIR"] ?? "./data",
            secureCookies: env["KPI_SECURE_COOKIES"] == "1",
            sessionIdleMinutes: Int(env["KPI_SESSION_IDLE_MINUTES"] ?? "") ?? 60,
            bcryptCost: Int(env["KPI_BCRYPT_COST"] ?? "") ?? 12,
            importMaxMegabytes: Int(env["KPI_IMPORT_MAX_MB"] ?? "") ?? 20,
            inMemory: false
        )
    }
}

struct SettingsKey: StorageKey {
    typealias Value = Settings
}

extension Application {
    public var settings: Settings {
        get { storage[SettingsKey.self] ?? .fromEnvironment() }
        set { storage[SettingsKey.self] = newValue }
    }
}
