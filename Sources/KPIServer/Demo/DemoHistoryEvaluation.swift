import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// The pilot's evaluation workflow: each month's steps, a complaint, a phúc tra (`DemoHistory`).
extension DemoHistory {
    /// The month's workflow, each step on its working day after the month (today at the latest).
    /// Self-assessments and reviews are written per agency in one transaction (3 000 sheets one by
    /// one take minutes), with the rubric levels the framework lists; every step of the period goes
    /// through the workflow's service.
    func evaluate(_ id: UUID, month: PeriodCode, agency: Agency, away: Set<UUID>, board: Principal, context: Context,
                  store: Store, clock: AppClock, rng: inout SplitMix) async throws {
        let cal = context.calendar
        let start = cal.adding(workingDays: 1, to: month.last)
        func day(_ n: Int) -> DateOnly { min(cal.adding(workingDays: n, to: start), today) }
        let flow = EvaluationFlow(store: store, principal: board, actor: actor(board.username))
        func version() async throws -> Int { try await EvaluationPeriod.find(id, on: app.db)?.version ?? 0 }
        clock.set(Self.morning(day(0)))
        try await flow.startSelfAssessment(id, version: try await version(), selfDue: day(3), reviewDue: day(5), approveDue: day(7))
        // Self-assessment by nearly everyone over three days; review by each unit's head (the heads
        // by the agency's leadership) on the fourth.
        let heads = Dictionary(uniqueKeysWithValues: agency.units.map { u in
            (u.unit.path, u.people.first { $0.leadershipRank == "cap-truong" }?.fullName ?? board.displayName)
        })
        var sheets: [(UUID, Date?, String, Date, String, String)] = []
        // September's complaint comes from the first specialist of these agencies, reviewed "Khá".
        let complainant = month == PeriodCode("2026-09") && Self.complaintAgencies.contains(agency.org.code)
            ? agency.people.sorted { $0.code < $1.code }.first { $0.leadershipRank == "khong" && !away.contains($0.id!) }?.id : nil
        for person in agency.people where !away.contains(person.id!) {
            let selfAt = rng.next() % 25 == 0 ? nil : Self.morning(day(Int(rng.next() % 3)), hours: 2)
            let level = rng.next() % 10 == 0 || person.id == complainant ? "Khá" : "Tốt"
            let reviewer = person.leadershipRank == "cap-truong" ? board.displayName : heads[person.scopePath] ?? board.displayName
            sheets.append((person.id!, selfAt, level, Self.morning(day(4), hours: 1), reviewer,
                           level == "Tốt" ? "Hoàn thành tốt nhiệm vụ, chấp hành nghiêm kỷ luật."
                               : "Cần chủ động hơn trong phối hợp và báo cáo đúng hạn."))
        }
        let (actor, written) = (actor, sheets)
        try await app.store.write { db in
            for (person, selfAt, level, reviewedAt, reviewer, comment) in written {
                guard let e = try await Evaluation.query(on: db).filter(\.$periodID == id).filter(\.$personID == person).first() else {
                    continue
                }
                if let selfAt {
                    e.selfComment = "Hoàn thành các nhiệm vụ được giao trong tháng; đề xuất mức Tốt."
                    e.selfRubric = EvaluationFlow.encode(["KL-02": "Tốt"]); e.selfAt = selfAt
                }
                e.reviewComment = comment; e.reviewRubric = EvaluationFlow.encode(["KL-02": level]); e.reviewTaskScore = ""
                e.reviewedBy = reviewer; e.reviewedAt = reviewedAt
                try await e.update(on: db)
            }
            try await EvaluationService.markDirty(db, scopePath: agency.org.path)
            try await AuditLog.append(on: db, actor: actor, action: "demo.sheets", entityType: "evaluation_period", entityID: id.uuidString,
                                      scopePath: agency.org.path,
                                      after: ["ky": month.text, "tu_danh_gia": String(written.filter { $0.1 != nil }.count),
                                              "danh_gia": String(written.count)])
        }
        clock.set(Self.morning(day(3), hours: 8))
        try await flow.startReview(id, version: try await version())
        clock.set(Self.morning(day(5), hours: 1))
        try await flow.submitForApproval(id, version: try await version())
        clock.set(Self.morning(day(6), hours: 1))
        let batches = try await EvaluationFlow.batches(try await EvaluationPeriod.find(id, on: app.db)!, on: app.db)
        let chosen = Set(batches.flatMap { $0.results.filter { $0.level == .excellent }.map(\.id) })
        try await flow.approve(id, version: try await version(), chosen: chosen, decision: "", tiesConfirmed: true, windowDays: 3)
        if month == PeriodCode("2026-09") { try await complaint(id, agency: agency, flow: flow, context: context, store: store,
                                                               clock: clock, at: day(7)) }
        clock.set(Self.morning(day(10), hours: 1))
        try await flow.lock(id, version: try await version())
        if month == PeriodCode("2026-08") && agency.org.code == "SNV" {
            try await reReview(id, agency: agency, context: context, store: store, clock: clock, at: day(12))
        }
    }

    static let complaintAgencies: Set<String> = ["BTCTU", "HUNGNGUYEN-UBND"]

    /// September: at the Ban Tổ chức and at the UBND of Hưng Nguyên the first person reviewed "Khá"
    /// complains; the leadership accepts and sets the level they asked for (a second revision).
    func complaint(_ id: UUID, agency: Agency, flow: EvaluationFlow, context: Context, store: Store, clock: AppClock,
                   at day: DateOnly) async throws {
        guard Self.complaintAgencies.contains(agency.org.code),
              let e = try await Evaluation.query(on: app.db).filter(\.$periodID == id).sort(\.$personCode).all()
                .first(where: { $0.reviewRubric.contains("Khá") && !$0.isLeader }),
              let person = try await Person.find(e.personID, on: app.db) else { return }
        clock.set(Self.morning(day, hours: 1))
        let me = principal("demo:" + person.code.lowercased(), person: person, grants: [Grant(role: .staff, scopePath: person.scopePath)],
                           agencies: context.agencies)
        let c = try await EvaluationFlow(store: store, principal: me, actor: actor(me.username)).fileComplaint(
            id, personCode: person.code,
            reasons: """
                Đề nghị xem xét lại mức «Phẩm chất chính trị, đạo đức, lối sống»: trong tháng tôi \
                không có vi phạm nào.
                """,
            evidence: "Xác nhận của chi bộ ngày 05/10/2026", answerDays: 5)
        clock.set(Self.morning(day, hours: 6))
        try await flow.answerComplaint(c.requireID(), accept: true,
                                       answer: """
                                           Chấp nhận kiến nghị: không có vi phạm được ghi nhận; điều \
                                           chỉnh mức Tốt.
                                           """,
                                       correction: .init(rubric: ["KL-02": "Tốt"]))
    }

    /// August at the Sở Nội vụ: the province's advisory body re-reviews one named person and one
    /// drawn at random; the named one is corrected, the other confirmed.
    func reReview(_ id: UUID, agency: Agency, context: Context, store: Store, clock: AppClock, at day: DateOnly) async throws {
        let board = principal("demo:ban-to-chuc", person: nil, grants: [Grant(role: .advisory, scopePath: "/")], agencies: context.agencies)
        let flow = EvaluationFlow(store: store, principal: board, actor: actor(board.username))
        clock.set(Self.morning(day, hours: 1))
        let sheets = try await Evaluation.query(on: app.db).filter(\.$periodID == id).sort(\.$personCode).all()
        guard let named = sheets.first(where: { $0.reviewRubric.contains("Khá") }) ?? sheets.first else { return }
        for r in try await flow.openReReviews(id, personCodes: [named.personCode], sample: 1) {
            clock.set(Self.morning(day, hours: 5))
            let change = r.personCode == named.personCode
            try await flow.concludeReReview(r.requireID(), change: change,
                                            conclusion: change ? "Minh chứng đầy đủ; điều chỉnh mức lên Tốt."
                                                : "Kết quả đánh giá đúng quy định; giữ nguyên.",
                                            correction: .init(rubric: change ? ["KL-02": "Tốt"] : [:]))
        }
    }
}
