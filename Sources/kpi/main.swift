import KPIServer
import Logging
import Vapor

// `kpi score` needs no database or server: it reads a case and prints the engine's result.
if CommandLine.arguments.dropFirst().first == "score" {
    exit(ScoreCommand.run(Array(CommandLine.arguments.dropFirst(2))))
}

var env = try Environment.detect()
try LoggingSystem.bootstrap(from: &env)
let app = try await Application.make(env)
do {
    try await configure(app)
    // `kpi serve` (or no command) brings the schema up to date first.
    let command = CommandLine.arguments.dropFirst().first ?? "serve"
    if command == "serve" || command.hasPrefix("-") {
        try await app.autoMigrate()
        startBackgroundJobs(app)
    }
    try await app.execute()
    try await app.asyncShutdown()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    exit(1)
}
