import KPIServer
import Logging
import NIOCore
import NIOPosix
import Vapor

// `kpi score` needs no database or server: it reads a case and prints the engine's result.
if CommandLine.arguments.dropFirst().first == "score" {
    exit(ScoreCommand.run(Array(CommandLine.arguments.dropFirst(2))))
}

var env = try Environment.detect()
try LoggingSystem.bootstrap(from: &env)
let app = try await Application.make(env)
// Swift's tasks run on the server's own event-loop threads: a database answer resumes its request
// without a hop to another thread pool (the API benchmark's profile showed a fifth of the time in
// thread switches). KPI_NIO_EXECUTOR=0 keeps Swift's default executor.
if ProcessInfo.processInfo.environment["KPI_NIO_EXECUTOR"] != "0",
   !NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() {
    app.logger.warning("Swift's executor could not be moved onto the event loops; the default one runs")
}
do {
    try await configure(app)
    // `kpi serve` (or no command) brings the schema up to date first.
    let command = CommandLine.arguments.dropFirst().first ?? "serve"
    if command == "serve" || command.hasPrefix("-") {
        try await app.migrateSchema()
        startBackgroundJobs(app)
    }
    try await app.execute()
    try await app.asyncShutdown()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    exit(1)
}
