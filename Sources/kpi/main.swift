import KPIServer
import Logging
import Vapor

var env = try Environment.detect()
try LoggingSystem.bootstrap(from: &env)
let app = try await Application.make(env)
do {
    try await configure(app)
    // `kpi serve` (or no command) brings the schema up to date first.
    let command = CommandLine.arguments.dropFirst().first ?? "serve"
    if command == "serve" || command.hasPrefix("-") {
        try await app.autoMigrate()
    }
    try await app.execute()
    try await app.asyncShutdown()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    exit(1)
}
