import Foundation
import KPICore
import XCTest

/// An open period keeps each person's tasks as groups (same status, errors, delays; quantities
/// summed): they must score exactly as the tasks one by one, on both of the engine's paths.
final class TaskGroupTests: XCTestCase {
    func testExactDecimalTexts() throws {
        XCTAssertEqual(DecimalText.exact(try Rational(3, 4)), "0.75")
        XCTAssertEqual(DecimalText.exact(Rational(3)), "3")
        XCTAssertEqual(DecimalText.exact(try Rational(-1, 8)), "-0.125")
        XCTAssertEqual(DecimalText.exact(try Rational(9, 4)), "2.25")
        XCTAssertEqual(DecimalText.exact(try Rational(1, 50)), "0.02")
        XCTAssertEqual(DecimalText.exact(.zero), "0")
        XCTAssertNil(DecimalText.exact(try Rational(1, 3)))
        // More than the 6 decimals people type: a product of decimals keeps all of its digits.
        let product = try Rational.multiply(Rational(decimal: "1.333333")!, Rational(decimal: "0.75")!)
        XCTAssertEqual(DecimalText.exact(product), "0.99999975")
        var rng = SplitMix(seed: 11)
        for _ in 0..<2000 {
            let d = Int128(1) << Int128(rng.next() % 20) * [1, 5, 25, 625, 390_625][Int(rng.next() % 5)]
            let r = try Rational(Int128(rng.next() % 10_000_000) - 5_000_000, d)
            let text = try XCTUnwrap(DecimalText.exact(r))
            XCTAssertEqual(Rational(decimal: text), r, text)
        }
    }

    func randomInputs(_ rng: inout SplitMix, tasks: Int) -> ScoreInputData {
        let list = (0..<tasks).map { i -> ScoreInputData.Task in
            let errors = Int(rng.next() % 3)
            let cf = ["", "1.5", "0.8"][Int(rng.next() % 3)]
            return ScoreInputData.Task(
                title: "Nhiệm vụ \(i)", productCode: "SP", productName: "Sản phẩm", unit: "Văn bản",
                quantity: ["1", "2", "0.5", "3.25", "1.333333"][Int(rng.next() % 5)], factor: ["1", "2", "0.5",
                    "1.75"][Int(rng.next() % 4)],
                complexity: cf.isEmpty ? "" : "Mức", complexityFactor: cf,
                status: ["completed", "completed", "open", "cancelled"][Int(rng.next() % 4)],
                majorErrors: errors, exemptErrors: Int(rng.next() % UInt64(errors + 1)),
                delays: rng.next() % 4 == 0 ? Int(rng.next() % 3) : 0)
        }
        var data = ScoreInputData(personCode: "P", personName: "Người", staffKind: "cong-chuc", groupCode: "CMNV", unitName: "Phòng",
                                  tasks: list, satisfaction: "9.5", coordination: "5", discipline: "13")
        if rng.next() % 3 == 0 { data.unitResult = "100"; data.organizing = "50" }
        return data
    }

    /// The projection (the home page's «nếu hoàn thành đúng hạn» and what lifts the score most) agrees
    /// with scoring the inputs again with those tasks completed on time, task by task.
    func testProjectionIsTheScoreWithThePendingTasksCompletedOnTime() throws {
        let engine = ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!)
        var rng = SplitMix(seed: 31)
        func completed(_ data: ScoreInputData, _ indices: [Int]) throws -> PersonResult {
            var copy = data
            for i in indices where copy.tasks[i].status == "open" {
                copy.tasks[i].status = "completed"; copy.tasks[i].delays = 0; copy.tasks[i].exemptDelays = 0
            }
            return try copy.score(engine)
        }
        for _ in 0..<300 {
            let data = randomInputs(&rng, tasks: Int(rng.next() % 12))
            let pending = data.tasks.indices.filter { data.tasks[$0].status == "open" && rng.next() % 4 != 0 }
            let p = try data.projection(pending: pending, engine: engine, definition: nil, limit: 2)
            XCTAssertEqual(p.asItStands, try data.score(engine))
            XCTAssertEqual(p.ifOnTime, try completed(data, pending))
            let base = try data.score(engine).yearHundredths ?? 0
            let gains = try pending.map { (index: $0, gain: (try completed(data, [$0]).yearHundredths ?? 0) - base) }
                .filter { $0.gain > 0 }.sorted { ($0.gain, -$0.index) > ($1.gain, -$1.index) }.prefix(2)
            XCTAssertEqual(p.lifts.map(\.index), gains.map(\.index))
            XCTAssertEqual(p.lifts.map(\.gain), gains.map(\.gain))
        }
    }

    func testGroupsScoreExactlyAsTheTasks() throws {
        let engine = ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!)
        var rng = SplitMix(seed: 12)
        var records = 0, tasks = 0
        for i in 0..<500 {
            let data = randomInputs(&rng, tasks: Int(rng.next() % 70))
            let grouped = try data.grouped()
            XCTAssertTrue(grouped.tasks.isEmpty)
            tasks += data.tasks.count
            records += grouped.groups!.count
            let (a, b) = (try data.periodInput(), try grouped.periodInput())
            XCTAssertEqual(try engine.period(b, leader: grouped.leader), try engine.period(a, leader: data.leader), "case \(i)")
            XCTAssertEqual(try engine.periodExact(b, leader: grouped.leader), try engine.periodExact(a, leader: data.leader), "case \(i)")
            XCTAssertEqual(try grouped.score(engine), try data.score(engine))
            XCTAssertTrue(grouped.taskCounts == data.taskCounts)
            // Stored as JSON and read back: the same inputs.
            let decoded = try JSONDecoder().decode(ScoreInputData.self, from: JSONEncoder().encode(grouped))
            XCTAssertEqual(decoded, grouped)
            // Grouping groups is the same grouping.
            XCTAssertEqual(try grouped.grouped(), grouped)
        }
        XCTAssertLessThan(records * 2, tasks, "a person's tasks fall into far fewer groups")
    }

    func testScoreCaseReadsGroupedTasks() throws {
        let one = try ScoreCase.run(Data("""
            {"people": [{"id": "a", "periods": [{"tasks": [{"units": 1, "status": "completed"}, {"units": 1, "status": "completed"},
             {"units": 2, "status": "open"}]}]}]}
            """.utf8))
        let grouped = try ScoreCase.run(Data("""
            {"people": [{"id": "a", "periods": [{"tasks": [{"units": 2, "status": "completed", "count": 2}, {"units": 2, "status": \
            "open"}]}]}]}
            """.utf8))
        XCTAssertEqual(one, grouped)
        XCTAssertThrowsError(try ScoreCase.run(Data("""
            {"people": [{"id": "a", "periods": [{"tasks": [{"units": 2, "status": "completed", "count": 0}]}]}]}
            """.utf8))) { error in XCTAssertTrue("\(error)".contains("count"), "\(error)") }
    }

    /// Inputs stored before delays could be exempted read as none exempted; groups keep exempted
    /// delays apart and score as the tasks one by one.
    func testExemptDelaysAreReadFromOldInputsAndGroupedApart() throws {
        let old = Data(#"{"units":"2","count":2,"status":"completed","majorErrors":0,"exemptErrors":0,"delays":1}"#.utf8)
        let group = try JSONDecoder().decode(ScoreInputData.TaskGroup.self, from: old)
        XCTAssertEqual(group.exemptDelays, 0)
        XCTAssertEqual(try group.record.countedDelays, 1)
        var grouping = ScoreInputData.TaskGrouping()
        try grouping.add(units: Rational(1), count: 1, status: "completed", majorErrors: 0, exemptErrors: 0, delays: 1)
        try grouping.add(units: Rational(1), count: 1, status: "completed", majorErrors: 0, exemptErrors: 0, delays: 1, exemptDelays: 1)
        let groups = try grouping.groups
        XCTAssertEqual(groups.map(\.exemptDelays), [0, 1])
        let engine = ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!)
        let grouped = try engine.period(PeriodInput(tasks: try groups.map { try $0.record }), leader: nil)
        let oneByOne = try engine.periodExact(PeriodInput(tasks: [
            TaskRecord(units: Rational(1), status: .completed, delays: 1),
            TaskRecord(units: Rational(1), status: .completed, delays: 1, exemptDelays: 1)]), leader: nil)
        XCTAssertEqual(grouped.c, oneByOne.c)
        XCTAssertEqual(grouped.tasksOnTime, 1)
        XCTAssertEqual(oneByOne.tasksOnTime, 1)
        let roundTrip = try JSONDecoder().decode(ScoreInputData.TaskGroup.self, from: JSONEncoder().encode(groups[1]))
        XCTAssertEqual(roundTrip, groups[1])
    }

    func testScoreCaseReadsExemptDelaysAndRefusesMoreThanTheDelays() throws {
        XCTAssertThrowsError(try ScoreCase.run(Data("""
            {"people": [{"id": "a", "periods": [{"tasks": [{"units": 1, "status": "completed", "delays": 1, "exemptDelays": 2}]}]}]}
            """.utf8))) { error in XCTAssertTrue("\(error)".contains("exemptDelays"), "\(error)") }
        let out = try ScoreCase.run(Data("""
            {"people": [{"id": "a", "periods": [{"tasks": [{"units": 1, "status": "completed", "delays": 1, "exemptDelays": 1}]}]}]}
            """.utf8))
        XCTAssertTrue(String(decoding: out, as: UTF8.self).contains("\"c\" : 100,"), String(decoding: out, as: UTF8.self))
    }
}
