import Foundation
import Fluent
import KPICore
import Vapor

/// Loads the demonstration data through the same services a user would use.
struct DemoLoader {
    let app: Application

    func isEmpty() async throws -> Bool {
        try await Organization.query(on: app.db).count() == 0
    }

    /// `history`: the pilot's months since 07/2026 evaluated through to the lock and this month open
    /// for every agency (`DemoHistory`) — what `kpi demo` loads; the tests' applications load without
    /// it unless they ask, so that each starts in a few hundred milliseconds.
    func load(history: Bool = false, historyOf only: Set<String>? = nil) async throws {
        let system = Principal(userID: UUID(), username: "system:demo", displayName: "Dữ liệu mẫu", personID: nil,
                               scopePath: "/", grants: [Grant(role: .systemAdmin, scopePath: "/")],
                               mustChangePassword: false, sessionID: nil, csrfToken: "")
        let actor = Actor.system("demo", at: app.clock.now)
        let orgs = CatalogService(adapter: OrganizationCatalog(), store: app.store, principal: system, actor: actor)
        let report = try await ImportService(catalog: orgs).run(table: DemoData.organizationTable(), dryRun: false,
                                                                fileName: "demo-co-quan.csv", fileHash: "demo")
        guard report.ok else {
            throw Abort(.internalServerError, reason: "Dữ liệu mẫu không hợp lệ: \(report.problems.map(\.message))")
        }
        let hash = try await app.password.async.hash(DemoData.password)
        try await app.store.write { db in
            try await Self.loadPeople(db: db, actor: actor, passwordHash: hash)
            try await Self.enrolPrivileged(db: db, actor: actor, box: app.secretBox, required: app.settings.mfaRequiredRoles)
        }
        try await loadWork()
        // A specialist on maternity leave since last month: this month is not evaluated for her.
        let lastMonth = PeriodCode.containing(PeriodCode.containing(app.clock.today, kind: .month).first.adding(days: -1),
                                              kind: .month).first
        _ = try await LeaveService(store: app.store, principal: system, actor: actor).record(
            personCode: "CB-BTCTU-P1-05", LeaveDraft(kind: "thai-san", from: lastMonth.iso, to: lastMonth.adding(days: 182).iso,
                                                     basis: "Giấy chứng nhận nghỉ việc hưởng BHXH số 0123/2026"))
        if history { return try await DemoHistory(app: app, today: app.clock.today, only: only).load() }
        // The demonstration agency evaluates by month: this month is open and computed from the
        // work above; the next months open on schedule.
        let evaluation = EvaluationService(store: app.store, principal: nil, actor: actor)
        let month = try await evaluation.open(agencyCode: "BTCTU", period: PeriodCode.containing(app.clock.today, kind: .month).text)
        try await evaluation.recompute(month.requireID())
    }

    /// The demonstration accounts whose role requires two-step sign-in get it on, with the secret
    /// `DemoData.totpSecret` gives (printed by `kpi demo`).
    static func enrolPrivileged(db: any Database, actor: Actor, box: SecretBox, required: Set<Role>) async throws {
        for (username, role, _, _) in DemoData.logins where required.contains(role) {
            guard let u = try await User.query(on: db).filter(\.$username == username).first(), let id = u.id else { continue }
            try await TwoFactorService.enrol(id, secret: DemoData.totpSecret(username), box: box, at: actor.at, on: db)
            try await AuditLog.append(on: db, actor: actor, action: "mfa.enable", entityType: "user", entityID: id.uuidString,
                                      scopePath: u.scopePath, after: ["ghi_chu": "tài khoản mẫu"])
        }
    }

    static func loadPeople(db: any Database, actor: Actor, passwordHash: String) async throws {
        let refs = try await RefIndex.load(on: db)
        var groupIDs: [String: UUID] = [:]
        for (code, name, kind) in DemoData.groups {
            let g = PositionGroup()
            g.id = UUID(); g.code = code; g.name = name; g.searchText = TextNormalizer.fold(code + " " + name); g.kind = kind;
            g.details = ""; g.active = true
            try await g.create(on: db)
            groupIDs[code] = g.id
        }
        var positionIDs: [String: UUID] = [:]
        for (code, name, group) in DemoData.positions {
            let p = Position()
            p.id = UUID(); p.code = code; p.name = name; p.searchText = TextNormalizer.fold(code + " " + name);
            p.groupID = groupIDs[group]!; p.organizationID = nil
            p.scopePath = "/"; p.details = ""; p.active = true
            try await p.create(on: db)
            positionIDs[code] = p.id
        }
        for (code, name, unit, group, position, standard, factor, complexity) in DemoData.products {
            let p = Product()
            p.id = UUID(); p.code = code; p.name = name; p.searchText = TextNormalizer.fold(code + " " + name); p.unit = unit
            p.groupID = groupIDs[group]!; p.positionID = position.isEmpty ? nil : positionIDs[position]; p.organizationID = nil
            p.scopePath = "/"; p.isStandard = standard; p.factor = factor; p.complexity = complexity; p.details = ""; p.active = true
            try await p.create(on: db)
        }
        // Staff in every unit without children: a head, a deputy, then specialists.
        let parents = Set(refs.orgsByID.values.compactMap(\.parentID))
        let leaves = refs.orgsByID.values.filter { !parents.contains($0.id) }.sorted { $0.code < $1.code }
        var n = 0
        var peopleByCode: [String: Person] = [:]
        for unit in leaves {
            let size = unit.code.contains("-P") || unit.code.hasSuffix("UBND") ? 5 : 3
            for i in 1...size {
                n += 1
                let p = Person()
                p.id = UUID()
                p.code = String(format: "CB-%@-%02d", unit.code, i)
                p.fullName = DemoData.name(n)
                p.searchText = TextNormalizer.fold(p.code + " " + p.fullName)
                // Cán bộ in the party committees; viên chức at the communes' public service centres
                // (Trung tâm Phục vụ hành chính công, the UBND's fourth unit); công chức elsewhere.
                p.staffKind = unit.code.contains("DU") || unit.code.hasPrefix("BTCTU") && i == 1 ? "can-bo"
                    : unit.code.hasSuffix("UBND-P4") && i > 2 ? "vien-chuc" : "cong-chuc"
                p.organizationID = unit.id
                p.scopePath = unit.path
                let specialist = ["VT-CVTC", "VT-CVTH", "VT-CVCDS", "VT-KETOAN", "VT-VANTHU"][(n + i) % 5]
                p.positionID = positionIDs[i == 1 ? "VT-TRUONG" : i == 2 ? "VT-PHO" : specialist]
                p.leadershipRank = i == 1 ? "cap-truong" : i == 2 ? "cap-pho" : "khong"
                p.partyMember = i <= 3 || n % 2 == 0
                p.email = ""
                p.phone = ""
                p.activeFrom = "2020-01-01"
                p.activeTo = ""
                p.active = true
                try await p.create(on: db)
                peopleByCode[p.code] = p
            }
        }
        try await loadScoreInputs(db: db, people: peopleByCode.values.sorted { $0.code < $1.code }, refs: refs,
                                  groupOfPosition: Dictionary(uniqueKeysWithValues: DemoData.positions.map { ($0.0, $0.2) }),
                                  positionCodes: Dictionary(uniqueKeysWithValues: positionIDs.map { ($1, $0) }),
                                  today: DateOnly.inVietnam(actor.at))
        for (username, role, scopeCode, personCode) in DemoData.logins {
            guard let person = peopleByCode[personCode] else { continue }
            // The demo accounts' people get a mail address under a reserved domain (RFC 2606): a relay
            // configured on a demo sends nowhere real; the tests' own SMTP server receives them.
            person.email = username + "@kpi-demo.invalid"
            try await person.save(on: db)
            let u = User()
            u.id = UUID(); u.username = username; u.passwordHash = passwordHash; u.personID = person.id
            u.scopePath = person.scopePath; u.mustChangePassword = false; u.failedAttempts = 0; u.active = true
            u.createdAt = actor.at
            try await u.create(on: db)
            let g = RoleGrant()
            g.userID = u.id!
            g.role = role.rawValue
            g.organizationID = scopeCode.flatMap { refs.org(code: $0)?.id }
            g.scopePath = scopeCode.flatMap { refs.org(code: $0)?.path } ?? "/"
            g.grantedBy = actor.name
            try await g.create(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "user.create", entityType: "user",
                                      entityID: u.id!.uuidString, scopePath: u.scopePath,
                                      after: ["username": username, "role": role.rawValue, "scope": g.scopePath])
        }
        try await AuditLog.append(on: db, actor: actor, action: "demo.people", entityType: "person", entityID: "-",
                                  scopePath: "/", after: ["people": String(n)])
    }

    /// Each person's tasks and general inputs for last month (the last closed period), drawn from
    /// their group's product catalog with a fixed seed: what the framework preview scores.
    static func loadScoreInputs(db: any Database, people: [Person], refs: RefIndex, groupOfPosition: [String: String],
                                positionCodes: [UUID: String], today: DateOnly) async throws {
        let period = today.month == 1 ? String(format: "%04d-12", today.year - 1) : String(format: "%04d-%02d", today.year, today.month - 1)
        var rng = SplitMix(seed: 2026)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let agencies = try await Agencies.map(on: db)
        var rows: [(row: ScoreInput, data: ScoreInputData)] = []
        for person in people {
            let group = person.positionID.flatMap { positionCodes[$0] }.flatMap { groupOfPosition[$0] } ?? "CMNV"
            let catalog = DemoData.products.filter { $0.3 == group }
            let tasks = (0..<Int(rng.next() % 4 + 3)).map { i -> ScoreInputData.Task in
                let p = catalog[Int(rng.next() % UInt64(catalog.count))]
                let levels = (try? ProductRules.parseComplexity(p.7).get()) ?? []
                let level = levels.isEmpty ? nil : levels[Int(rng.next() % UInt64(levels.count))]
                let roll = rng.next() % 20
                let status = roll == 0 ? "open" : roll == 1 ? "cancelled" : "completed"
                return ScoreInputData.Task(title: "\(p.1) (\(i + 1))", productCode: p.0, productName: p.1, unit: p.2,
                                           quantity: String(rng.next() % 3 + 1), factor: p.6, complexity: level?.name ?? "",
                                           complexityFactor: level.map { DecimalText.plain($0.factor) } ?? "", status: status,
                                           majorErrors: rng.next() % 7 == 0 ? 1 : 0, exemptErrors: 0, delays: rng.next() % 5 == 0 ? 1 : 0)
            }
            let leader = person.leadershipRank != "khong"
            let data = ScoreInputData(personCode: person.code, personName: person.fullName, staffKind: person.staffKind, groupCode: group,
                                      unitName: refs.orgsByID[person.organizationID]?.name ?? "", tasks: tasks,
                                      satisfaction: ["10", "9.5", "9", "8"][Int(rng.next() % 4)], coordination: ["5", "5", "4.5",
                                          "4"][Int(rng.next() % 4)],
                                      discipline: ["15", "15", "15", "13"][Int(rng.next() % 4)],
                                      unitResult: leader ? (rng.next() % 4 == 0 ? "50" : "100") : "",
                                      organizing: leader ? (rng.next() % 3 == 0 ? "50" : "100") : "")
            let row = ScoreInput()
            row.id = UUID(); row.period = period; row.personID = person.id!; row.scopePath = person.scopePath
            row.agencyPath = agencies.agency(of: person.scopePath)?.path ?? person.scopePath
            row.data = String(decoding: try encoder.encode(data), as: UTF8.self)
            rows.append((row, data))
        }
        // Stored with their scores, as a recompute stores them.
        let frameworks = try await Framework.query(on: db).filter(\.$status == "published").all()
        for batch in Dictionary(grouping: rows, by: \.row.agencyPath).values {
            let scores = try ScoreInputs.score(agency: batch.map { ($0.row.scopePath, $0.data) }, period: period, frameworks: frameworks)
            for (row, data) in batch {
                row.store(result: scores[data.personCode]?.result, framework: scores[data.personCode]?.framework, data: data)
                try await row.create(on: db)
            }
        }
    }
}
