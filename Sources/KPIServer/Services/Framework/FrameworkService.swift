import Fluent
import Foundation
import KPICore
import Vapor

/// Frameworks (bộ chỉ số): drafts, validation, comparison, what-if preview, publication and agency
/// derivations. Every change is authorized here, audited and atomic; pages and API call this.
struct FrameworkService {
    let store: Store
    let principal: Principal
    let actor: Actor

    /// A refusal the page shows next to the fields, the draft left as it was.
    struct Invalid: Error {
        var problems: [FrameworkDefinition.Problem]
    }

    static func decode(_ f: Framework) -> FrameworkDefinition {
        CompiledFrameworks.definition(f.definition)
    }

    /// The engine's rules of `f` (kept per process, `CompiledFrameworks`); throws the definition's first problem.
    static func rules(_ f: Framework) throws -> ScoringRules {
        try CompiledFrameworks.rules(code: f.code, text: f.definition)
    }

    /// The scorer of groups (ii)–(iv) of `f` (kept per process, `CompiledFrameworks`).
    static func scorer(_ f: Framework) throws -> GeneralScorer {
        try CompiledFrameworks.scorer(text: f.definition)
    }

    static func encode(_ d: FrameworkDefinition) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(d), as: UTF8.self)
    }

    /// Visible to advisory bodies and leaders of the scope (read), editable by advisory bodies.
    func requireView(_ f: Framework) throws {
        guard f.scopePath == "/" ? principal.canAnywhere(.configureFramework) || principal.canAnywhere(.viewEvaluations)
                : principal.can(.configureFramework, at: f.scopePath) || principal.can(.viewEvaluations, at: f.scopePath) else {
            throw Abort(.notFound)
        }
    }

    func requireEdit(_ f: Framework) throws {
        // The province's common framework: a system-wide advisory grant; an agency's: within its subtree.
        guard principal.can(.configureFramework, at: f.scopePath) else { throw Abort(.forbidden, reason: Principal.refusal) }
    }

    func list() async throws -> [Framework] {
        guard Area.frameworks.isOpen(to: principal) else { throw Abort(.forbidden, reason: Principal.refusal) }
        let all = try await Framework.query(on: store.db).sort(\.$code).sort(\.$scopePath).sort(\.$version, .descending).all()
        return all.filter { (try? requireView($0)) != nil }
    }

    func find(_ id: UUID) async throws -> Framework {
        guard let f = try await Framework.find(id, on: store.db) else { throw Abort(.notFound) }
        try requireView(f)
        return f
    }

    /// The versions of the same lineage (code and owner), newest first.
    func lineage(_ f: Framework) async throws -> [Framework] {
        let q = Framework.query(on: store.db).filter(\.$code == f.code).sort(\.$version, .descending)
        if let org = f.organizationID { q.filter(\.$organizationID == org) } else { q.filter(\.$organizationID == nil) }
        return try await q.all()
    }

    /// The published version in force today for this lineage (the latest effective date ≤ today).
    func published(_ f: Framework, on date: String? = nil) async throws -> Framework? {
        let date = date ?? store.today.iso
        return try await lineage(f).filter { $0.status == "published" && $0.effectiveFrom <= date }
            .max { ($0.effectiveFrom, $0.version) < ($1.effectiveFrom, $1.version) }
    }

    /// A new draft copied from `f` (the existing draft of the lineage if there is one).
    func startDraft(from id: UUID) async throws -> UUID {
        let source = try await find(id)
        try requireEdit(source)
        if let draft = try await lineage(source).first(where: { $0.status == "draft" }) { return try draft.requireID() }
        let actor = actor
        return try await store.write { db in
            let versions = try await Framework.query(on: db).filter(\.$code == source.code).all()
                .filter { $0.organizationID == source.organizationID }
            let draft = Self.copy(source)
            draft.version = (versions.map(\.version).max() ?? 0) + 1
            try await draft.create(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "framework.draft", entityType: "framework",
                                      entityID: draft.id!.uuidString,
                                      scopePath: draft.scopePath, after: ["ma": draft.code, "phien_ban": String(draft.version),
                                                                          "tu_phien_ban": String(source.version)])
            return draft.id!
        }
    }

    static func copy(_ source: Framework) -> Framework {
        let f = Framework()
        f.id = UUID(); f.code = source.code; f.name = source.name; f.staffKind = source.staffKind; f.groupCodes = source.groupCodes
        f.organizationID = source.organizationID; f.scopePath = source.scopePath; f.parentID = source.parentID
        f.status = "draft"; f.effectiveFrom = ""; f.definition = source.definition; f.note = ""; f.publishedAt = nil
        f.version = source.version
        return f
    }

    /// Everything wrong with a definition for this framework: its own rules, and for an agency's
    /// version the province's bounds.
    func problems(_ d: FrameworkDefinition, for f: Framework) async throws -> [FrameworkDefinition.Problem] {
        var problems = d.validate()
        if let parentID = f.parentID, let parent = try await Framework.find(parentID, on: store.db) {
            problems += d.boundsProblems(against: Self.decode(parent))
        }
        return problems
    }

    /// Saves a draft; refused with every problem when the definition is not valid (nothing written).
    /// Saves a draft: its definition, the position groups it applies to ("" = all), a note.
    func save(_ id: UUID, definition d: FrameworkDefinition, groups: String? = nil, note: String) async throws {
        let f = try await find(id)
        try requireEdit(f)
        guard f.status == "draft" else { throw Abort(.conflict,
                                                     reason: """
                                                         Phiên bản đã ban hành không được sửa; hãy tạo bản nháp mới.
                                                         """) }
        var problems = try await problems(d, for: f)
        var groupCodes = f.groupCodes
        if let groups {
            let codes = groups.split(whereSeparator: { ";,".contains($0) }).map { TextNormalizer.clean(String($0)) }.filter { !$0.isEmpty }
            let known = Set(try await PositionGroup.query(on: store.db).all().map(\.code))
            let unknown = codes.filter { !known.contains($0) }
            if !unknown.isEmpty {
                problems.append(.init("groupCodes",
                                      """
                                          không có nhóm vị trí «\(unknown.joined(separator: ", "))»; các mã hợp lệ: \
                                          \(known.sorted().joined(separator: ", "))
                                          """))
            }
            groupCodes = codes.joined(separator: ";")
        }
        guard problems.isEmpty else { throw Invalid(problems: problems) }
        let before = Self.decode(f)
        let beforeGroups = f.groupCodes
        let newGroups = groupCodes
        let json = try Self.encode(d)
        let actor = actor
        try await store.write { db in
            f.definition = json
            f.groupCodes = newGroups
            f.note = note
            try await f.save(on: db)
            var b = Dictionary(uniqueKeysWithValues: before.fields.map { ($0.key, $0.value) })
            var a = Dictionary(uniqueKeysWithValues: d.fields.map { ($0.key, $0.value) })
            b["groupCodes"] = beforeGroups
            a["groupCodes"] = newGroups
            try await AuditLog.append(on: db, actor: actor, action: "framework.update", entityType: "framework", entityID: f.id!.uuidString,
                                      scopePath: f.scopePath, before: b, after: a)
        }
    }

    /// Publishes a draft from `effective` on; refused when it is not valid or the date is in the past.
    func publish(_ id: UUID, effective: DateOnly) async throws {
        let f = try await find(id)
        try requireEdit(f)
        guard f.status == "draft" else { throw Abort(.conflict, reason: "Phiên bản này đã được ban hành.") }
        guard effective.iso >= store.today.iso else {
            throw Invalid(problems: [.init("effectiveFrom",
                                           "ngày hiệu lực \(effective.display) đã qua; chọn từ hôm nay trở đi")])
        }
        let problems = try await problems(Self.decode(f), for: f)
        guard problems.isEmpty else { throw Invalid(problems: problems) }
        let actor = actor
        try await store.write { db in
            f.status = "published"
            f.effectiveFrom = effective.iso
            f.publishedAt = store.now
            try await f.save(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "framework.publish", entityType: "framework",
                                      entityID: f.id!.uuidString,
                                      scopePath: f.scopePath, after: ["ma": f.code, "phien_ban": String(f.version),
                                                                      "hieu_luc": effective.display])
        }
    }

    /// An agency's own version, derived from a province framework as a draft.
    func derive(_ id: UUID, agencyCode: String) async throws -> UUID {
        let province = try await find(id)
        try principal.requireAnywhere(.configureFramework)
        guard province.organizationID == nil, province.status == "published" else {
            throw Abort(.badRequest, reason: "Chỉ phái sinh từ bộ chỉ số chung của tỉnh đã ban hành.")
        }
        guard let agency = try await Organization.query(on: store.db).filter(\.$code == agencyCode).first(),
              principal.can(.configureFramework, at: agency.path) else {
            throw Invalid(problems: [.init("agency",
                                           "mã cơ quan «\(agencyCode)» không tồn tại hoặc ngoài phạm vi của bạn")])
        }
        if let existing = try await Framework.query(on: store.db).filter(\.$code == province.code)
            .filter(\.$organizationID == agency.id!).filter(\.$status == "draft").first() {
            return try existing.requireID()
        }
        let actor = actor
        return try await store.write { db in
            let f = Self.copy(province)
            f.organizationID = agency.id
            f.scopePath = agency.path
            f.parentID = province.id
            f.name = province.name + " — " + agency.name
            let versions = try await Framework.query(on: db).filter(\.$code == province.code).filter(\.$organizationID == agency.id!).all()
            f.version = (versions.map(\.version).max() ?? 0) + 1
            try await f.create(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "framework.derive", entityType: "framework", entityID: f.id!.uuidString,
                                      scopePath: f.scopePath, after: ["ma": f.code, "co_quan": agency.code,
                                                                      "tu_phien_ban": String(province.version)])
            return f.id!
        }
    }

    // MARK: What-if preview

    struct PreviewRow: Sendable {
        var personCode: String
        var personName: String
        var unitName: String
        var before: PersonResult
        var after: PersonResult
    }

    struct Preview: Sendable {
        var period: String?
        var people: Int
        var countsBefore: [Level: Int]
        var countsAfter: [Level: Int]
        var changed: [PreviewRow]
    }

    /// Scores the last closed period with the version in force and with `id`, for the people the
    /// framework applies to, and lists who would change level and why.
    func preview(_ id: UUID) async throws -> Preview {
        let f = try await find(id)
        let draft = Self.decode(f)
        var current = try await published(f)
        if current == nil, let parentID = f.parentID { current = try await Framework.find(parentID, on: store.db) }
        let currentDefinition = current.map(Self.decode) ?? draft
        let thisMonth = String(store.today.iso.prefix(7))
        let latest = try await ScoreInput.query(on: store.db).filter(\.$period < thisMonth).sort(\.$period, .descending).first()?.period
        guard let period = latest else { return Preview(period: nil, people: 0, countsBefore: [:], countsAfter: [:], changed: []) }
        let items = try await ScoreInputs.load(period: period, under: f.scopePath, on: store.db)
            .filter { $0.data.staffKind == f.staffKind && f.applies(toGroup: $0.data.groupCode) }
        let before = try ScoreInputs.rank(items, definition: currentDefinition, code: current?.code ?? f.code)
        let after = try ScoreInputs.rank(items, definition: draft, code: f.code)
        var countsBefore: [Level: Int] = [:], countsAfter: [Level: Int] = [:]
        var changed: [PreviewRow] = []
        // Everyone is ranked (quotas depend on the whole agency); only the people the user may see
        // evaluations of are counted and listed (issue 16: names and scores of the whole province
        // reached any leader with an evaluation grant anywhere).
        let visible = items.filter { principal.can(.viewEvaluations, at: $0.row.scopePath) || principal.can(.configureFramework,
            at: $0.row.scopePath) }
        for item in visible {
            let code = item.data.personCode
            guard let b = before[code], let a = after[code] else { continue }
            if let l = b.level { countsBefore[l, default: 0] += 1 }
            if let l = a.level { countsAfter[l, default: 0] += 1 }
            if b.level != a.level {
                changed.append(PreviewRow(personCode: code, personName: item.data.personName, unitName: item.data.unitName, before: b,
                                          after: a))
            }
        }
        changed.sort { ($0.unitName, $0.personCode) < ($1.unitName, $1.personCode) }
        return Preview(period: period, people: visible.count, countsBefore: countsBefore, countsAfter: countsAfter, changed: changed)
    }
}
