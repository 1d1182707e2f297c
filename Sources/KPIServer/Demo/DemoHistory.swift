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
        guard pilotStart < current, let last = current.previous else { return [] }
        return PeriodCode.months(from: pilotStart, through: last, limit: 1_200)
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
