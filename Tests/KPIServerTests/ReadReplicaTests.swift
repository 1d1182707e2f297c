import Fluent
import Foundation
import KPICore
@testable import KPIServer
import SQLKit
import XCTVapor

/// A streaming replica for reports (issue 21, item 2; `KPI_READ_DATABASE_URL`). The test script starts a real
/// one (`pg_basebackup -R` of the test cluster) and names it in `KPI_TEST_READ_DATABASE_URL`: reports read
/// there and say how fresh they are; a replica held back shows its age, and past the limit, or not answering,
/// the primary is read; writes (a period opened, an export's audit entry) always reach the primary.
final class ReadReplicaTests: XCTestCase {
    static var replicaURL: String? {
        ProcessInfo.processInfo.environment["KPI_TEST_READ_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func testAReplicaNeedsPostgreSQL() async throws {
        guard TestEnv.postgresURL == nil else { throw XCTSkip("SQLite only") }
        do {
            let app = try await TestEnv.make(demo: false) { $0.readDatabaseURL = "postgres://postgres@127.0.0.1:1/kpi" }
            try await app.asyncShutdown()
            XCTFail("a replica was accepted without PostgreSQL")
        } catch {
            XCTAssertTrue("\(error)".contains("KPI_READ_DATABASE_URL chỉ dùng được cùng DATABASE_URL"), "\(error)")
        }
    }

    /// The cells of the province report's line for `name` (nil: no such line).
    func line(_ b: inout Browser, _ period: PeriodCode, _ name: String) async throws -> [String]? {
        let csv = try await b.get("/bao-cao?ky=\(period.text)&dinh_dang=csv").text
        return CSV.parse(csv).first { $0.first == name }
    }

    /// Waits (up to 20 s) until the replica has replayed everything the primary has written so far.
    func caughtUp(_ app: Application) async throws {
        let target = try await app.db.sql.raw("SELECT pg_current_wal_lsn()::text AS l").first()!.decode(column: "l", as: String.self)
        for _ in 0..<200 {
            let row = try await app.db(ReadReplica.id).sql.raw("""
                SELECT coalesce(pg_last_wal_replay_lsn() >= \(bind: target)::pg_lsn, false) AS done
                """).first()
            if try row?.decode(column: "done", as: Bool.self) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTFail("the replica did not catch up with \(target)")
    }

    func testReportsReadTheReplicaSayHowFreshAndFallBackWhenItLags() async throws {
        guard TestEnv.postgresURL != nil, let replica = Self.replicaURL else {
            throw XCTSkip("needs KPI_TEST_DATABASE_URL and KPI_TEST_READ_DATABASE_URL (scripts/test.sh starts both)")
        }
        try await withApp(adjust: { $0.readDatabaseURL = replica }) { app in
            let reader = try XCTUnwrap(app.readReplica)
            let month = PeriodCode.containing(TestEnv.today, kind: .month)
            var advisory = Browser(app)
            try await advisory.login("thammuu")
            // The demonstration has this month's period of BTCTU open; SNV's is opened below.
            _ = try await EvaluationService.recomputeStale(app.store)
            let btctu = try await Organization.query(on: app.db).filter(\.$code == "BTCTU").first()!
            let snv = try await Organization.query(on: app.db).filter(\.$code == "SNV").first()!
            try await caughtUp(app)

            let page = try await advisory.get("/bao-cao?ky=\(month.text)")
            XCTAssertEqual(page.status, .ok)
            let said = "Số liệu đọc từ máy chủ bản sao, đầy đủ đến \(DateFormatting.dateTime(TestEnv.now))"
            XCTAssertTrue(page.text.contains(said),
                          "the page says where and how fresh")
            do {
                let found = try await line(&advisory, month, btctu.name)
                XCTAssertNotNil(found)
            }
            for path in ["/bao-cao/cong-bang?ky=\(month.text)", "/bao-cao/so-ket"] {
                let other = try await advisory.get(path)
                XCTAssertEqual(other.status, .ok, path)
                XCTAssertTrue(other.text.contains("Số liệu đọc từ máy chủ bản sao"), path)
            }
            // The export of every person writes its audit entry: to the primary.
            let exported = try await advisory.get("/bao-cao?ky=\(month.text)&chi_tiet=nguoi&dinh_dang=csv")
            XCTAssertEqual(exported.status, .ok)
            let entries = try await AuditEntry.query(on: app.db).filter(\.$action == "report.export").count()
            XCTAssertEqual(entries, 1)

            // The replica held back: a period opened on the primary meanwhile is not in what it shows, and the page
            // says how far behind it is; past the limit the primary is read (the new line appears, no notice).
            _ = try await app.db(ReadReplica.id).sql.raw("SELECT pg_wal_replay_pause()").run()
            do {
                // A write made while a replica is configured reaches the primary (the replica refuses writes).
                let more = try await advisory.post("/ky-danh-gia", ["co_quan": "SNV", "ky": month.text])
                XCTAssertEqual(more.status, .seeOther)
                _ = try await EvaluationService.recomputeStale(app.store)
                let stored = try await ScoreInput.query(on: app.db).filter(\.$agencyPath == snv.path)
                    .filter(\.$period == month.text).first()
                XCTAssertNotNil(stored, "the primary has the new period's figures")
                try await Task.sleep(for: .seconds(6))
                app.clock.advance(by: ReadReplica.checkEvery + 1)
                let behind = try await advisory.get("/bao-cao?ky=\(month.text)")
                XCTAssertTrue(behind.text.contains("so với máy chủ chính"), "the lag is said")
                do {
                    let found = try await line(&advisory, month, snv.name)
                    XCTAssertNil(found, "the replica does not have it yet")
                }
                reader.maxLag = 1
                do {
                    let found = try await line(&advisory, month, snv.name)
                    XCTAssertNotNil(found, "past the limit the primary is read")
                }
                let primary = try await advisory.get("/bao-cao?ky=\(month.text)&khoi=")
                XCTAssertFalse(primary.text.contains("máy chủ bản sao"))
            } catch {
                _ = try? await app.db(ReadReplica.id).sql.raw("SELECT pg_wal_replay_resume()").run()
                throw error
            }
            _ = try await app.db(ReadReplica.id).sql.raw("SELECT pg_wal_replay_resume()").run()
            try await caughtUp(app)
            reader.maxLag = 300
            app.clock.advance(by: ReadReplica.checkEvery + 1)
            do {
                let found = try await line(&advisory, month, snv.name)
                XCTAssertNotNil(found, "caught up, the replica has it")
            }
            let fresh = try await advisory.get("/bao-cao?ky=\(month.text)&cap=")
            XCTAssertTrue(fresh.text.contains("Số liệu đọc từ máy chủ bản sao"))
            XCTAssertFalse(fresh.text.contains("so với máy chủ chính"))
        }
    }

    func testAReplicaNotAnsweringIsPassedOver() async throws {
        guard TestEnv.postgresURL != nil else { throw XCTSkip("PostgreSQL only") }
        let token = String(repeating: "m", count: 32)
        // Port 1 refuses every connection: a replica that is down.
        try await withApp(adjust: {
            $0.readDatabaseURL = "postgres://postgres@127.0.0.1:1/kpi_test?tlsmode=disable"
            $0.metricsToken = token
        }) { app in
            let month = PeriodCode.containing(TestEnv.today, kind: .month)
            var advisory = Browser(app)
            try await advisory.login("thammuu")
            _ = try await EvaluationService.recomputeStale(app.store)
            let btctu = try await Organization.query(on: app.db).filter(\.$code == "BTCTU").first()!
            let page = try await advisory.get("/bao-cao?ky=\(month.text)")
            XCTAssertEqual(page.status, .ok)
            XCTAssertFalse(page.text.contains("máy chủ bản sao"))
            do {
                let found = try await line(&advisory, month, btctu.name)
                XCTAssertNotNil(found)
            }
            var scraper = Browser(app)
            scraper.extraHeaders["Authorization"] = "Bearer " + token
            let metrics = try await scraper.get("/metrics").text
            XCTAssertTrue(metrics.contains("kpi_read_replica_up 0"), metrics)
            XCTAssertTrue(metrics.contains("kpi_read_replica_lag_seconds -1"), metrics)
        }
    }
}
