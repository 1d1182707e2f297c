import Fluent
import SQLKit

/// A person's stored scores found by person (the home page reads the viewer's own each time): without it
/// PostgreSQL walked every open period's index for one person — 4 ms of the advisory home page's 7,6 ms
/// of database time in a province of 832 open periods (bench/reports).
struct AddScoreInputPersonIndex: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await SQLIndex.create(db, "score_inputs_person", on: ScoreInput.schema, "person_id")
    }

    func revert(on db: any Database) async throws {
        try await db.sql.raw("DROP INDEX IF EXISTS score_inputs_person").run()
    }
}
