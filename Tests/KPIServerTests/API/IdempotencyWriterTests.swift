import Fluent
import Foundation
@testable import KPIServer
import SQLKit
import XCTVapor

/// Idempotency-Key claims and answers arriving together are written by one statement each (`IdempotencyWriter`), and
/// every call still gets its own outcome: a new key is claimed, a key held already is not, of two calls with one key
/// exactly one wins, an answer lands on its own claim only, and a row that cannot be written fails alone.
final class IdempotencyWriterTests: XCTestCase {
    func testClaimsAndAnswersArrivingTogetherShareAStatementAndKeepTheirOutcomes() async throws {
        try await withApp { app in
            let store = app.store, writer = store.idempotency
            let user = try await Browser.principal(app, "lanhdao").userID
            let now = app.clock.now
            func claim(_ key: String) -> IdempotencyWriter.Claim { .init(id: UUID(), userID: user, key: key, hash: "h-\(key)", at: now) }
            let early = claim("da-co")
            let claimedEarly = try await writer.claim(early, store: store)
            XCTAssertTrue(claimedEarly)
            // The writer is held up (SQLite: the write gate; PostgreSQL: a transaction holding the key "giu", whose claim
            // then waits on it) while eleven claims come, two of them with the same key and one with a key taken before.
            let base = writer.claims.counts
            let (held, holder) = await Held.writer(of: app) { db in
                try await db.sql.raw("""
                    INSERT INTO api_idempotency (id, user_id, key, request_hash, status, content_type, body, created_at)
                    VALUES (\(bind: UUID()), \(bind: user), 'giu', 'x', 0, '', '', \(bind: now))
                    """).run()
            }
            let keys = ["giu"] + (0..<8).map { "k\($0)" } + ["trung", "trung", "da-co"]
            let first = Task { try await writer.claim(claim(keys[0]), store: store) }
            for _ in 0..<500 where writer.claims.counts.statements == base.statements { try await Task.sleep(for: .milliseconds(5)) }
            let rest = Task {
                try await withThrowingTaskGroup(of: (String, Bool).self) { group in
                    for key in keys.dropFirst() { group.addTask { (key, try await writer.claim(claim(key), store: store)) } }
                    var out: [(String, Bool)] = []
                    for try await r in group { out.append(r) }
                    return out
                }
            }
            for _ in 0..<500 where writer.claims.counts.waiting < keys.count - 1 { try await Task.sleep(for: .milliseconds(5)) }
            XCTAssertEqual(writer.claims.counts.waiting, keys.count - 1)
            await held.letGo(app)
            let outcomes = try await rest.value
            try await holder.value
            let firstClaimed = try await first.value
            XCTAssertEqual(firstClaimed, !app.db.isPostgres, "the key the holder wrote first is not claimed again")
            XCTAssertEqual(outcomes.filter { $0.0.hasPrefix("k") }.map(\.1), Array(repeating: true, count: 8))
            XCTAssertEqual(outcomes.filter { $0.0 == "trung" }.map(\.1).sorted { !$0 && $1 }, [false, true],
                           "of two calls with one key exactly one claims it")
            XCTAssertEqual(outcomes.first { $0.0 == "da-co" }?.1, false)
            let counts = writer.claims.counts
            XCTAssertEqual(counts.inputs - base.inputs, 12)
            XCTAssertEqual(counts.statements - base.statements, 2, "the claims that waited went in by one statement")
            let rows = try await APIIdempotencyRecord.query(on: app.db).filter(\.$userID == user).all()
            XCTAssertEqual(Set(rows.map(\.key)), Set(keys))
            XCTAssertEqual(rows.count, Set(keys).count, "one row a key")

            // Answers: on the claimed row; not on a row another call took over; a row gone is written again.
            let taken = claim("k1")
            try await writer.answer(.init(claim: early, status: 201, contentType: "application/json", body: "{\"a\":1}",
                                          location: "/api/v1/tasks/NV-1"), store: store)
            try await writer.answer(.init(claim: taken, status: 409, contentType: "", body: "khác", location: nil), store: store)
            let gone = claim("da-xoa")
            try await writer.answer(.init(claim: gone, status: 200, contentType: "text/plain", body: "lại", location: nil), store: store)
            let after = Dictionary(uniqueKeysWithValues: try await APIIdempotencyRecord.query(on: app.db).filter(\.$userID == user).all()
                .map { ($0.key, $0) })
            XCTAssertEqual(after["da-co"]?.status, 201)
            XCTAssertEqual(after["da-co"]?.body, "{\"a\":1}")
            XCTAssertEqual(after["da-co"]?.location, "/api/v1/tasks/NV-1")
            XCTAssertEqual(after["k1"]?.status, 0, "an answer of a claim taken over is left to the call that holds it")
            XCTAssertEqual(after["da-xoa"]?.status, 200)
            XCTAssertEqual(after["da-xoa"]?.id, gone.id)

            guard app.db.isPostgres else { return }
            // A row PostgreSQL refuses (a NUL character) fails alone; the answers written with it are kept.
            let answers = ["k2", "k3", "k4"].map { k in rows.first { $0.key == k }! }
            let results = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
                for (i, row) in answers.enumerated() {
                    group.addTask {
                        let c = IdempotencyWriter.Claim(id: row.id!, userID: user, key: row.key, hash: row.requestHash, at: now)
                        do {
                            try await writer.answer(.init(claim: c, status: 201, contentType: "", body: i == 1 ? "x\u{0}y" : "ok",
                                                          location: nil), store: store)
                            return (row.key, true)
                        } catch { return (row.key, false) }
                    }
                }
                var out: [String: Bool] = [:]
                for try await (k, ok) in group { out[k] = ok }
                return out
            }
            XCTAssertEqual(results, ["k2": true, "k3": false, "k4": true])
            let statuses = try await APIIdempotencyRecord.query(on: app.db).filter(\.$userID == user).filter(\.$key ~~ ["k2", "k3", "k4"])
                .all().map { ($0.key, $0.status) }
            XCTAssertEqual(Dictionary(uniqueKeysWithValues: statuses), ["k2": 201, "k3": 0, "k4": 201])
        }
    }
}
