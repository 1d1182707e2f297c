import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// The pilot's work: each month's plan and what became of it (`DemoHistory`).
extension DemoHistory {
    /// The month's plan for `people` — one task per due date, a product of the person's catalog —
    /// and what became of each by `until` (nil: the month is over): most submitted with a document
    /// as evidence by their due date and accepted, about one in twelve late, one in twenty with a
    /// major error, a few not submitted — still overdue when `lingering` (last month, this month),
    /// done a week late otherwise (nobody leaves a task open for months). Each outcome is the task
    /// rules' own (`TaskFlow.apply`: delays, errors, states); the rows — tasks, their timelines and evidence — are written together
    /// in one transaction, as an import of past records would be, with one audit entry naming them
    /// (the services' one-by-one path takes minutes for these thousands of tasks).
    func writeWork(_ people: [Person], month: PeriodCode, first: DateOnly, dues: [DateOnly], board: Principal, agency: Agency,
                   context: Context, until: DateOnly?, lingering: Bool = true, rng: inout SplitMix) async throws {
        struct Row { var task: WorkTask; var events: [(Date, String, String, String, String, String)]; var evidence: String? }
        var rows: [Row] = []
        let created = Self.morning(first)
        for person in people {
            let group = context.groupOfPerson[person.id!] ?? "CMNV"
            let position = context.positionOfPerson[person.id!] ?? ""
            let catalog = (context.catalog[group + "|"] ?? []) + (context.catalog[group + "|" + position] ?? [])
            guard !catalog.isEmpty else { continue }
            for due in dues {
                let product = catalog[Int(rng.next() % UInt64(catalog.count))]
                let levels = (try? ProductRules.parseComplexity(product.complexity).get()) ?? []
                let level = levels.isEmpty ? nil : levels[Int(rng.next() % UInt64(levels.count))]
                let quantity = Int(rng.next() % 3) + 1
                let t = WorkTask()
                t.id = UUID()
                t.title = product.name + " tháng " + String(format: "%02d/%04d", month.firstMonth, month.year)
                t.details = ""; t.source = TaskSource.plan.rawValue
                t.documentNumber = ""; t.documentDate = ""; t.documentIssuer = ""; t.documentID = ""
                t.productID = product.id; t.productCode = product.code; t.productName = product.name; t.productUnit = product.unit
                t.factor = product.factor; t.complexity = level?.name ?? ""
                t.complexityFactor = level.map { DecimalText.plain($0.factor) } ?? ""
                t.quantity = String(quantity)
                t.units = try WorkService.units(quantity: Rational(quantity), factor: product.factor, complexity: level)
                t.assigneeID = person.id; t.organizationID = person.organizationID; t.scopePath = person.scopePath
                t.assignerUserID = board.userID; t.assignerName = board.displayName; t.proposerUserID = nil; t.parentID = nil
                t.start = first.iso; t.due = due.iso; t.priority = TaskPriority.normal.rawValue
                var events = [(created, board.displayName, "tao", "", TaskState.assigned.rawValue,
                               "Chủ trì: \(person.fullName) (\(person.code))")]
                var snapshot = TaskSnapshot(state: .assigned, start: first, due: due)
                var verdict = "", completed = "", evidence: String? = nil
                let roll = rng.next() % 100
                let submitted = roll < 3 ? context.calendar.adding(workingDays: Int(rng.next() % 3) + 4, to: due)
                    : roll < 8 ? context.calendar.adding(workingDays: Int(rng.next() % 3) + 1, to: due)
                    : context.calendar.adding(workingDays: -Int(rng.next() % 3), to: due)
                if roll >= 3 || !lingering, until.map({ submitted <= $0 }) ?? true {
                    let pass = !(8..<13).contains(roll)
                    let v: Verdict = pass ? .pass : .fail(errors: 1)
                    guard case .success(let sent) = TaskFlow.apply(.submit(evidence: 1, note: ""), to: snapshot,
                                                                   by: TaskActor(isAssignee: true), on: submitted),
                          case .success(let done) = TaskFlow.apply(.accept(v), to: sent, by: TaskActor(isAssigner: true, leadsScope: true),
                                                                   on: submitted)
                    else {
                        throw Abort(.internalServerError, reason: "Dữ liệu mẫu: nhiệm vụ không theo quy tắc.")
                    }
                    snapshot = done
                    verdict = pass ? "dat" : "chua-dat"
                    completed = submitted.iso
                    evidence = "\(rows.count + 1)/BC-\(agency.org.code)"
                    events.append((Self.morning(submitted, hours: 1), person.fullName, "gui-nghiem-thu", TaskState.assigned.rawValue,
                                   TaskState.awaitingAcceptance.rawValue, "Hoàn thành, kính trình"))
                    events.append((Self.morning(submitted, hours: 6), board.displayName, "nghiem-thu",
                                   TaskState.awaitingAcceptance.rawValue, TaskState.completed.rawValue, WorkService.verdictNote(v)))
                } else if let until, due > until {
                    // Not due yet: under way.
                    snapshot.state = roll % 3 == 0 ? .assigned : .inProgress
                    snapshot.percent = snapshot.state == .assigned ? 0 : Int(roll % 7) * 10 + 20
                } else {
                    snapshot.state = .inProgress
                    snapshot.percent = 60
                }
                if snapshot.state == .inProgress {
                    events.append((Self.morning(first, hours: 2), person.fullName, "tien-do", TaskState.assigned.rawValue,
                                   TaskState.inProgress.rawValue, "\(snapshot.percent)%"))
                }
                WorkService.apply(snapshot, to: t)
                t.delayExemptBy = ""; t.delayExemptReason = ""; t.completedOn = completed; t.verdict = verdict
                t.creationToken = "demo-" + t.id!.uuidString; t.version = 1
                rows.append(Row(task: t, events: events, evidence: evidence))
            }
        }
        guard !rows.isEmpty else { return }
        let (actor, all, year) = (actor, rows, first.year)
        try await app.store.write { db in
            let lastNumber = try await Counter.reserve("tasks-\(year)", all.count, on: db)
            let sql = db.sql
            for chunk in stride(from: 0, to: all.count, by: 200) {
                let part = all[chunk..<min(chunk + 200, all.count)]
                let tasks = sql.insert(into: WorkTask.schema).columns(
                    "id", "code", "title", "search_text", "description", "source", "doc_number", "doc_date", "doc_issuer", "product_id",
                    "product_code", "product_name", "product_unit", "factor", "complexity", "complexity_factor", "quantity", "units",
                    "assignee_id", "organization_id", "scope_path", "assigner_user_id", "assigner_name", "start_on", "due_on", "priority",
                    "state", "percent", "major_errors", "exempt_errors", "delays", "exempt_delays", "delay_exempt_by",
                    "delay_exempt_reason", "submitted_on", "requested_due", "completed_on", "verdict", "creation_token", "version",
                    "created_at", "updated_at")
                let events = sql.insert(into: TaskEventRecord.schema).columns("id", "task_id", "at", "actor_name", "kind", "from_state",
                                                                              "to_state", "note")
                var evidence: [(UUID, String, Date)] = []
                for (i, r) in zip(chunk..., part) {
                    let t = r.task
                    t.code = Counter.taskCode(year: year, number: lastNumber - Int64(all.count - 1 - i))
                    t.searchText = TextNormalizer.fold("\(t.code) \(t.title)")
                    tasks.values(SQLBind(t.id!), SQLBind(t.code), SQLBind(t.title), SQLBind(t.searchText), SQLBind(t.details),
                                 SQLBind(t.source), SQLBind(""), SQLBind(""), SQLBind(""), SQLBind(t.productID), SQLBind(t.productCode),
                                 SQLBind(t.productName), SQLBind(t.productUnit), SQLBind(t.factor), SQLBind(t.complexity),
                                 SQLBind(t.complexityFactor), SQLBind(t.quantity), SQLBind(t.units), SQLBind(t.assigneeID),
                                 SQLBind(t.organizationID), SQLBind(t.scopePath), SQLBind(t.assignerUserID), SQLBind(t.assignerName),
                                 SQLBind(t.start), SQLBind(t.due), SQLBind(t.priority), SQLBind(t.state), SQLBind(t.percent),
                                 SQLBind(t.majorErrors), SQLBind(t.exemptErrors), SQLBind(t.delays), SQLBind(t.exemptDelays),
                                 SQLBind(""), SQLBind(""), SQLBind(t.submittedOn), SQLBind(""), SQLBind(t.completedOn), SQLBind(t.verdict),
                                 SQLBind(t.creationToken), SQLBind(1), SQLBind(created), SQLBind(r.events.last!.0))
                    for e in r.events {
                        events.values(SQLBind(UUID()), SQLBind(t.id!), SQLBind(e.0), SQLBind(e.1), SQLBind(e.2), SQLBind(e.3), SQLBind(e.4),
                                      SQLBind(e.5))
                    }
                    if let number = r.evidence { evidence.append((t.id!, number, r.events[1].0)) }
                }
                try await tasks.run()
                try await events.run()
                if !evidence.isEmpty {
                    let ev = sql.insert(into: Evidence.schema).columns("id", "task_id", "kind", "name", "sha256", "size", "reference",
                                                                        "added_by", "created_at")
                    for (task, number, at) in evidence {
                        ev.values(SQLBind(UUID()), SQLBind(task), SQLBind("van-ban"), SQLBind(number), SQLBind(""), SQLBind(0),
                                  SQLBind(number), SQLBind("demo"), SQLBind(at))
                    }
                    try await ev.run()
                }
            }
            try await EvaluationService.markDirty(db, scopePath: agency.org.path)
            try await AuditLog.append(on: db, actor: actor, action: "demo.work", entityType: "task", entityID: "-",
                                      scopePath: agency.org.path,
                                      after: ["ky": month.text, "nhiem_vu": String(all.count),
                                              "hoan_thanh": String(all.filter { $0.task.state == TaskState.completed.rawValue }.count)])
        }
    }
}
