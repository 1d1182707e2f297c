import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// The pilot as it would have run (issue 19, item 8): from 07/2026 (Quyết định thí điểm) every pilot
/// agency and commune body gives its people the month's work, which they carry out and submit with
/// evidence and their leaders accept; after each month the agency runs the workflow through the same
/// services the pages call — self-assessment, review by the unit's head, approval within the quota,
/// publication, lock — with a complaint answered, a phúc tra concluded and people on leave. The
/// current month is open with work under way. Each step happens on the working day it would have
/// (the services read a clock pinned there; a step that would fall after today happens today), so
/// deadlines, timeliness and reports read true. The audit trail records when the demo wrote it.
struct DemoHistory {
    let app: Application
    let today: DateOnly
    /// Only these agencies (by code); nil: all (the tests take a few, to stay quick on any date).
    var only: Set<String>? = nil

    /// The pilot's first month.
    static let pilotStart = PeriodCode("2026-07")!

    /// The months from the pilot's start to the one before `today`'s.
    static func months(before today: DateOnly) -> [PeriodCode] {
        let current = PeriodCode.containing(today, kind: .month)
        var out: [PeriodCode] = []
        var m = pilotStart
        while m < current {
            out.append(m)
            m = PeriodCode.containing(m.last.adding(days: 1), kind: .month)
        }
        return out
    }

    /// Who is who in an agency: its people by unit, each unit's head first.
    struct Agency {
        var org: Organization
        var units: [(unit: Organization, people: [Person])]
        var people: [Person] { units.flatMap(\.people) }
    }

    struct Context {
        var calendar: WorkCalendar
        var agencies: AgencyMap
        /// The demo's products by "group|position" (position empty: the whole group's).
        var catalog: [String: [Product]]
        var groupOfPerson: [UUID: String]
        var positionOfPerson: [UUID: String]
        /// Each agency's leadership account (tài khoản lãnh đạo cơ quan), by agency code.
        var leadership: [String: UUID]
    }

    func load() async throws {
        let clock = AppClock(pinnedAt: app.clock.now)
        var store = app.store
        store.clock = clock
        let context = try await makeContext()
        let agencies = try await pilotAgencies().filter { only?.contains($0.org.code) ?? true }
        // On leave for the whole of August: a specialist of the Sở Nội vụ (ốm đau dài ngày).
        let august = PeriodCode("2026-08")!
        if august < PeriodCode.containing(today, kind: .month), only?.contains("SNV") ?? true {
            clock.set(Self.morning(Self.pilotStart.first))
            let system = principal("system:demo", person: nil, grants: [Grant(role: .systemAdmin, scopePath: "/")],
                                   agencies: context.agencies)
            _ = try await LeaveService(store: store, principal: system, actor: actor).record(
                personCode: "CB-SNV-P3-04", LeaveDraft(kind: "om-dau", from: august.first.iso, to: august.last.iso,
                                                       basis: "Giấy ra viện số 0815/BVĐK ngày 30/07/2026"))
        }
        var rng = SplitMix(seed: 20_260_701)
        try await importLastYear(agencies.flatMap(\.people), context: context, rng: &rng)
        for month in Self.months(before: today) {
            for agency in agencies {
                try await runMonth(month, agency, context: context, store: store, clock: clock, rng: &rng)
            }
        }
        try await openCurrentMonth(agencies, context: context, store: store, clock: clock, rng: &rng)
    }

    var actor: Actor { .system("demo", at: app.clock.now) }

    /// The year before the pilot, as the personnel records have it: everyone's level imported through
    /// the import engine (Xếp loại các năm trước), the baseline the pilot is compared with.
    func importLastYear(_ people: [Person], context: Context, rng: inout SplitMix) async throws {
        let year = Self.pilotStart.year - 1
        var table = [["ma", "nam", "xep_loai", "can_cu"]]
        for person in people {
            let roll = rng.next() % 100
            let level: Level = roll < 15 ? .excellent : roll < 83 ? .good : roll < 97 ? .pass : .fail
            table.append([person.code, String(year), level.rawValue, "Quyết định công nhận kết quả xếp loại năm \(year)"])
        }
        let board = principal("system:demo", person: nil, grants: [Grant(role: .advisory, scopePath: "/")], agencies: context.agencies)
        let catalog = CatalogService(adapter: PriorLevelCatalog(), store: app.store, principal: board, actor: actor)
        let report = try await ImportService(catalog: catalog).run(table: table, dryRun: false, fileName: "xep-loai-\(year).csv",
                                                                   fileHash: "demo-\(year)")
        guard report.ok else {
            throw Abort(.internalServerError, reason: "Dữ liệu mẫu không hợp lệ: \(report.problems.map(\.message))")
        }
    }

    /// 08:00 in Việt Nam on `day`, plus `hours`.
    static func morning(_ day: DateOnly, hours: Double = 0) -> Date {
        day.startInVietnam.addingTimeInterval((8 + hours) * 3600)
    }

    func makeContext() async throws -> Context {
        let calendar = try await DeadlineJob.calendar(on: app.db)
        let positions = Dictionary(uniqueKeysWithValues: try await Position.query(on: app.db).all().map { ($0.id!, $0.code) })
        let groupOfPosition = Dictionary(uniqueKeysWithValues: DemoData.positions.map { ($0.0, $0.2) })
        let groups = Dictionary(uniqueKeysWithValues: try await PositionGroup.query(on: app.db).all().map { ($0.id!, $0.code) })
        var groupOfPerson: [UUID: String] = [:], positionOfPerson: [UUID: String] = [:]
        for p in try await Person.query(on: app.db).all() {
            let position = p.positionID.flatMap { positions[$0] } ?? ""
            positionOfPerson[p.id!] = position
            groupOfPerson[p.id!] = groupOfPosition[position] ?? "CMNV"
        }
        var catalog: [String: [Product]] = [:]
        for p in try await Product.query(on: app.db).filter(\.$active == true).sort(\.$code).all() {
            catalog[(groups[p.groupID] ?? "") + "|" + (p.positionID.flatMap { positions[$0] } ?? ""), default: []].append(p)
        }
        return Context(calendar: calendar, agencies: try await app.store.agencies(), catalog: catalog,
                       groupOfPerson: groupOfPerson, positionOfPerson: positionOfPerson, leadership: try await leadershipAccounts())
    }

    /// One account per agency for its leadership («lanhdao.<mã cơ quan>», the demo password, a
    /// lãnh đạo grant on the agency, no person of the agency's own periods): who assigns the month's
    /// plan, accepts the work, reviews the unit heads and approves.
    func leadershipAccounts() async throws -> [String: UUID] {
        let hash = try await app.password.async.hash(DemoData.password)
        let orgs = try await Organization.query(on: app.db).filter(\.$isAgency == true).filter(\.$active == true).all()
        let actor = actor
        return try await app.store.write { db in
            var out: [String: UUID] = [:]
            for org in orgs.sorted(by: { $0.code < $1.code }) {
                let u = User()
                u.id = UUID(); u.username = "lanhdao." + org.code.lowercased(); u.passwordHash = hash; u.personID = nil
                u.scopePath = org.path; u.mustChangePassword = false; u.failedAttempts = 0; u.active = true; u.createdAt = actor.at
                try await u.create(on: db)
                let g = RoleGrant()
                g.userID = u.id!; g.role = Role.leader.rawValue; g.organizationID = org.id; g.scopePath = org.path; g.grantedBy = actor.name
                try await g.create(on: db)
                try await AuditLog.append(on: db, actor: actor, action: "user.create", entityType: "user", entityID: u.id!.uuidString,
                                          scopePath: org.path, after: ["username": u.username, "role": g.role, "scope": org.path])
                out[org.code] = u.id
            }
            return out
        }
    }

    /// Every agency of the demonstration tree with its people, by unit.
    func pilotAgencies() async throws -> [Agency] {
        let orgs = try await Organization.query(on: app.db).filter(\.$active == true).sort(\.$code).all()
        let people = try await Person.query(on: app.db).filter(\.$active == true).sort(\.$code).all()
        let byUnit = Dictionary(grouping: people, by: \.organizationID)
        let agencyMap = try await app.store.agencies()
        return orgs.filter(\.isAgency).map { agency in
            let units = orgs.filter { agencyMap.agency(of: $0.path)?.path == agency.path }
                .compactMap { u in byUnit[u.id!].map { (u, $0.sorted { ($0.leadershipRank == "cap-truong" ? 0 : 1, $0.code) <
                    ($1.leadershipRank == "cap-truong" ? 0 : 1, $1.code) }) } }
            return Agency(org: agency, units: units)
        }.filter { !$0.units.isEmpty }
    }

    /// A principal for the demo: the agency's leadership (no person: "Lãnh đạo cơ quan"), a unit's
    /// head, or a staff member, with the grant their part needs.
    func principal(_ name: String, display: String? = nil, person: Person?, grants: [Grant], agencies: AgencyMap,
                   user: UUID? = nil) -> Principal {
        var p = Principal(userID: user ?? UUID(), username: name, displayName: display ?? person?.fullName ?? name, personID: person?.id,
                          scopePath: person?.scopePath ?? grants.first?.scopePath ?? "/", grants: grants, mustChangePassword: false,
                          sessionID: nil, csrfToken: "")
        p.agencies = agencies
        return p
    }

    func actor(_ name: String) -> Actor { Actor(name: name, ip: "-", at: app.clock.now) }

    /// One month of an agency: the plan assigned on its first working day and carried out
    /// (`writeWork`), then the evaluation workflow in the first days of the next month.
    func runMonth(_ month: PeriodCode, _ agency: Agency, context: Context, store: Store, clock: AppClock,
                  rng: inout SplitMix) async throws {
        let cal = context.calendar
        let (first, last) = Self.workingBounds(month, cal)
        clock.set(Self.morning(first))
        let board = leadership(agency, context)
        let period = try await EvaluationService(store: store, principal: nil, actor: actor).open(agencyCode: agency.org.code,
                                                                                                 period: month.text)
        let away = try await LeaveService.wholePeriod(on: app.db, scopePath: agency.org.path, period: month, calendar: cal)
        let working = agency.people.filter { !away.contains($0.id!) }
        try await writeWork(working, month: month, first: first, dues: [cal.adding(workingDays: 7, to: first),
                                                                          cal.adding(workingDays: 15, to: first), last],
                            board: board, agency: agency, context: context, until: nil,
                            lingering: month == Self.months(before: today).last, rng: &rng)
        try await evaluate(period.requireID(), month: month, agency: agency, away: away, board: board, context: context,
                           store: store, clock: clock, rng: &rng)
    }

    /// The first and last working days of a month.
    static func workingBounds(_ month: PeriodCode, _ cal: WorkCalendar) -> (DateOnly, DateOnly) {
        let first = cal.isWorkingDay(month.first) ? month.first : cal.adding(workingDays: 1, to: month.first)
        var last = month.last
        while !cal.isWorkingDay(last) { last = last.adding(days: -1) }
        return (first, last)
    }

    /// The agency's leadership as a principal (its account, a lãnh đạo grant on the agency).
    func leadership(_ agency: Agency, _ context: Context) -> Principal {
        principal("lanhdao." + agency.org.code.lowercased(), display: "Lãnh đạo " + agency.org.name, person: nil,
                  grants: [Grant(role: .leader, scopePath: agency.org.path)], agencies: context.agencies,
                  user: context.leadership[agency.org.code])
    }

    /// The month's plan for `people` — one task per due date, a product of the person's catalog —
    /// and what became of each by `until` (nil: the month is over): most submitted with a document
    /// as evidence by their due date and accepted, about one in twelve late, one in twenty with a
    /// major error, a few not submitted — still overdue when `lingering` (last month, this month),
    /// done a week late otherwise (nobody leaves a task open for months). Each outcome is the task rules' own (`TaskFlow.apply`:
    /// delays, errors, states); the rows — tasks, their timelines and evidence — are written together
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
                t.documentNumber = ""; t.documentDate = ""; t.documentIssuer = ""
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
                    t.code = String(format: "NV-%04d-%06lld", year, lastNumber - Int64(all.count - 1 - i))
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
    /// complains; the leadership accepts and
    /// sets the level they asked for (a second revision).
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

    /// This month: every agency's period open, the month's plan assigned, the work due so far done.
    func openCurrentMonth(_ agencies: [Agency], context: Context, store: Store, clock: AppClock, rng: inout SplitMix) async throws {
        let cal = context.calendar
        let month = PeriodCode.containing(today, kind: .month)
        let (first, last) = Self.workingBounds(month, cal)
        for agency in agencies {
            clock.set(Self.morning(min(first, today)))
            let period = try await EvaluationService(store: store, principal: nil, actor: actor).open(agencyCode: agency.org.code,
                                                                                                     period: month.text)
            // The demonstration unit's month is made by hand, through the work service (`DemoLoader.loadWork`).
            let away = try await LeaveService.wholePeriod(on: app.db, scopePath: agency.org.path, period: month, calendar: cal)
            let working = agency.people.filter { !away.contains($0.id!) && !$0.scopePath.hasSuffix("/BTCTU-P3") }
            try await writeWork(working, month: month, first: first, dues: [cal.adding(workingDays: 7, to: first),
                                                                              cal.adding(workingDays: 15, to: first), last],
                                board: leadership(agency, context), agency: agency, context: context, until: today, rng: &rng)
            _ = try await EvaluationService.recompute(period, store: store, actor: actor)
        }
        clock.set(app.clock.now)
    }
}
