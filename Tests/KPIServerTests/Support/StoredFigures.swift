import Fluent
import Foundation
import KPICore
@testable import KPIServer
import SQLKit
import XCTVapor

/// The figures a report reads, worked out here from the raw rows (each person's official result when
/// the period is approved, else the score stored with their inputs), never through the report code,
/// and the stored summaries (`score_aggregates`) read back column by column.
enum StoredFigures {
    struct Unit: Equatable, CustomStringConvertible {
        var people = 0, scored = 0, withTasks = 0, sum = 0
        var levels: [String: Int] = [:]
        /// Every score, ascending.
        var scores: [Int] = []
        var tasks = 0, onTime = 0, notCompleted = 0
        var description: String {
            "\(people) người, \(scored) có điểm, tổng \(sum), \(levels), \(scores), việc \(tasks)/\(onTime)"
        }
    }

    /// Unit path → figures, from `score_inputs` and `evaluations`.
    static func expected(_ app: Application, period: String) async throws -> [String: Unit] {
        let approved = Set(try await EvaluationPeriod.query(on: app.db).filter(\.$code == period).all()
            .filter { ["cong-khai", "da-chot"].contains($0.state) }.compactMap(\.id))
        var official: [UUID: (Int?, String)] = [:]
        for e in try await Evaluation.query(on: app.db).all() where approved.contains(e.periodID) && !e.level.isEmpty {
            official[e.personID] = (e.hundredths, e.level)
        }
        var out: [String: Unit] = [:]
        for row in try await ScoreInput.query(on: app.db).filter(\.$period == period).all() {
            let (score, level) = official[row.personID] ?? (row.hundredths, row.level)
            var u = out[row.scopePath] ?? Unit()
            u.people += 1
            if let score { u.scored += 1; u.sum += score; u.scores.append(score) }
            if !level.isEmpty { u.levels[level, default: 0] += 1 }
            if row.tasks > 0 { u.withTasks += 1 }
            u.tasks += row.tasks; u.onTime += row.onTime; u.notCompleted += row.notCompleted
            out[row.scopePath] = u
        }
        for k in out.keys { out[k]!.scores.sort() }
        return out
    }

    /// Unit path → figures, as stored (a unit's rows by staff kind and position group added up).
    static func stored(_ app: Application, period: String) async throws -> [String: Unit] {
        var out: [String: Unit] = [:]
        var keys = Set<String>()
        for r in try await app.db.sql.raw("SELECT * FROM score_aggregates WHERE period = \(bind: period)").all() {
            let unit = try r.decode(column: "unit_path", as: String.self)
            let key = [unit, try r.decode(column: "staff_kind", as: String.self), try r.decode(column: "group_code", as: String.self)]
            XCTAssertTrue(keys.insert(key.joined(separator: "|")).inserted, "one row per unit, staff kind, group and period: \(key)")
            var u = out[unit] ?? Unit()
            u.people += try r.decode(column: "people", as: Int.self)
            u.scored += try r.decode(column: "scored", as: Int.self)
            u.sum += try r.decode(column: "sum_hundredths", as: Int.self)
            u.withTasks += try r.decode(column: "with_tasks", as: Int.self)
            for (column, level) in [("excellent", "HTXSNV"), ("good", "HTTNV"), ("pass", "HTNV"), ("fail", "KHTNV")] {
                let n = try r.decode(column: column, as: Int.self)
                if n > 0 { u.levels[level, default: 0] += n }
            }
            for pair in try r.decode(column: "scores", as: String.self).split(separator: ";") {
                let parts = pair.split(separator: ":").map { Int($0)! }
                u.scores += Array(repeating: parts[0], count: parts[1])
            }
            u.tasks += try r.decode(column: "tasks", as: Int.self)
            u.onTime += try r.decode(column: "on_time", as: Int.self)
            u.notCompleted += try r.decode(column: "not_completed", as: Int.self)
            out[unit] = u
        }
        for k in out.keys { out[k]!.scores.sort() }
        return out
    }

    static func assertStoredMatch(_ app: Application, period: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let expected = try await expected(app, period: period)
        let stored = try await stored(app, period: period)
        XCTAssertFalse(expected.isEmpty, "the period has stored inputs", file: file, line: line)
        XCTAssertEqual(stored, expected, file: file, line: line)
    }
}
