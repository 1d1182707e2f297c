import Fluent
import Foundation
import KPICore

/// Nhắc hạn of the evaluation workflow, written by the deadline job: from `soon` working days before
/// a step's deadline, the people who have not self-assessed, and the evaluators with sheets still to
/// review, each get one notice per period, step and deadline (a moved deadline reminds again); the
/// heads who owe an answer to a complaint, once when its deadline is near and once when it has passed.
enum EvaluationReminders {
    static func scan(_ db: any Database, today: DateOnly, soon: Int, calendar: WorkCalendar, leaders: [(String, UUID)],
                     now: Date) async throws -> Int {
        let horizon = calendar.adding(workingDays: soon, to: today)
        let agencies = try await Agencies.map(on: db)
        let periods = try await EvaluationPeriod.query(on: db)
            .filter(\.$state ~~ [EvaluationState.selfAssessment.rawValue, EvaluationState.review.rawValue]).all()
        var written = 0
        for p in periods {
            let state = EvaluationFlow.state(p)
            let dueText = state == .selfAssessment ? p.selfDue : p.reviewDue
            guard let due = DateOnly(parsing: dueText), due <= horizon, today <= due else { continue }
            let id = try p.requireID()
            let label = PeriodCode(p.code)?.label ?? p.code
            // Nobody is reminded of a period they spent on leave.
            var away = Set<UUID>()
            if let code = PeriodCode(p.code) {
                away = try await LeaveService.wholePeriod(on: db, scopePath: p.scopePath, period: code, calendar: calendar)
            }
            let sheets = try await Evaluation.query(on: db).filter(\.$periodID == id).all().filter { !away.contains($0.personID) }
            // user → (title, link)
            var targets: [UUID: (String, String)] = [:]
            if state == .selfAssessment {
                let pending = sheets.filter { $0.selfAt == nil }
                let accounts = try await Notices.users(of: pending.map(\.personID), on: db)
                for e in pending {
                    for u in accounts[e.personID] ?? [] {
                        targets[u] = ("Nhắc tự đánh giá \(label.lowercased()) (hạn \(due.display))",
                                      "/ky-danh-gia/\(id.uuidString)/phieu/\(e.personCode)")
                    }
                }
            } else {
                var counts: [UUID: Int] = [:]
                for e in sheets where e.reviewedAt == nil {
                    let scope = agencies.evaluatorScope(unitPath: e.scopePath, isLeader: e.isLeader)
                    for u in Set(Notices.heads(of: scope, among: leaders)) { counts[u, default: 0] += 1 }
                }
                for (u, n) in counts {
                    targets[u] = ("Nhắc đánh giá \(label.lowercased()): \(n) phiếu chờ đánh giá (hạn \(due.display))",
                                  "/ky-danh-gia/\(id.uuidString)?loc=chua-danh-gia")
                }
            }
            guard !targets.isEmpty else { continue }
            let prefix = "ky-danh-gia:\(id.uuidString):\(state.rawValue):\(due.iso):"
            let sent = Set(try await Notice.query(on: db).filter(\.$kind == "ky-danh-gia").filter(\.$userID ~~ Array(targets.keys)).all()
                .map(\.dedupeKey))
            var batch: [Notice] = []
            for (u, (title, link)) in targets where !sent.contains(prefix + u.uuidString) {
                let n = Notice()
                n.userID = u
                n.kind = "ky-danh-gia"
                n.title = title
                n.link = link
                n.dedupeKey = prefix + u.uuidString
                n.createdAt = now
                batch.append(n)
            }
            if !batch.isEmpty {
                try await batch.create(on: db)
                written += batch.count
            }
        }
        return written + (try await complaints(db, today: today, horizon: horizon, leaders: leaders, now: now))
    }

    /// Kiến nghị chờ trả lời: the heads of the agency (those who answer) reminded from `horizon` before
    /// the answer's deadline, and again once it has passed; once each per complaint.
    static func complaints(_ db: any Database, today: DateOnly, horizon: DateOnly, leaders: [(String, UUID)],
                           now: Date) async throws -> Int {
        let pending = try await Complaint.query(on: db).filter(\.$state == EvaluationFlow.complaintOpen).all()
        // A complaint is answered by the heads of the agency whose period it is about.
        let agencyOf = Dictionary(try await EvaluationPeriod.query(on: db).filter(\.$id ~~ Set(pending.map(\.periodID))).all()
            .map { ($0.id!, $0.scopePath) }) { a, _ in a }
        var batch: [Notice] = []
        var keys: [String] = []
        for c in pending {
            guard let due = DateOnly(parsing: c.answerDue), due <= horizon else { continue }
            let late = today > due
            let title = late ? "Quá hạn trả lời kiến nghị của \(c.personCode) (hạn \(due.display))"
                : "Nhắc trả lời kiến nghị của \(c.personCode) (hạn \(due.display))"
            let prefix = "kien-nghi-han:\(try c.requireID().uuidString):\(late ? "qua-han" : "sap-den"):"
            for u in Set(Notices.heads(of: agencyOf[c.periodID] ?? c.scopePath, among: leaders)) {
                let n = Notice()
                n.userID = u; n.kind = "ky-danh-gia"; n.title = title;
                n.link = "/ky-danh-gia/\(c.periodID.uuidString)/phieu/\(c.personCode)"
                n.dedupeKey = prefix + u.uuidString; n.createdAt = now
                batch.append(n)
                keys.append(n.dedupeKey)
            }
        }
        guard !keys.isEmpty else { return 0 }
        let sent = Set(try await Notice.query(on: db).filter(\.$dedupeKey ~~ keys).all().map(\.dedupeKey))
        let fresh = batch.filter { !sent.contains($0.dedupeKey) }
        if !fresh.isEmpty { try await fresh.create(on: db) }
        return fresh.count
    }
}
