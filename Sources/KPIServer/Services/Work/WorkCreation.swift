import Fluent
import Foundation
import KPICore
import Vapor

extension WorkService {
    /// A task form: to one or several people (one task each), or to a unit whose head distributes
    /// it, or the user's own proposal.
    struct NewTask: Sendable {
        var draft: TaskDraft
        /// Mã cán bộ chủ trì; several give one task each.
        var assigneeCodes: [String] = []
        /// Mã đơn vị, when the task goes to a unit rather than to people.
        var unitCode: String = ""
        /// Mã cán bộ phối hợp.
        var participantCodes: [String] = []
        var parentID: UUID?
        /// The form's one-time token (see `WorkTask.creationToken`).
        var token: String
        /// Tự đề xuất: the user proposes a task for themself; a leader approves it.
        var propose = false
        /// The sending system's id of the source document (API), or "".
        var documentID = ""
    }

    /// A checked form, ready to write.
    struct Prepared: @unchecked Sendable {
        var form: NewTask
        var targets: [(Person?, UUID, String)]
        var checked: TaskDraft.Checked
        var product: Product
        var complexity: ComplexityLevel?
        var participants: [Person]
        var parent: WorkTask?
        /// "<recurring task id>:<period key>" for a generated occurrence.
        var recurrenceKey: String?
        /// Set for work another system already finished (a one-stop dossier): written completed.
        var completion: Completion?
        /// The number of its first task when reserved ahead of the transaction (`reserveNumbers`); else
        /// each number is taken inside the transaction.
        var firstNumber: Int64?
    }

    /// Reserves the task numbers of these forms ahead of their transaction (those without one yet): one statement a
    /// year for all of them (a group of creations, `CreationBatcher`). On PostgreSQL this is a
    /// statement of its own: the counter's row is locked for that statement only, not for the whole
    /// transaction that writes the tasks, so concurrent writers do not queue on it (the API benchmark
    /// measured a 49 ms wait per task before). A number whose transaction then fails is not used again,
    /// as with a sequence. On SQLite, whose writers take turns anyway, numbers are taken in the
    /// transaction and never skipped.
    static func reserveNumbers(_ prepared: inout [Prepared], store: Store) async throws {
        guard store.isPostgres else { return }
        var counts: [Int: Int] = [:]
        for p in prepared where p.firstNumber == nil { counts[p.checked.start.year, default: 0] += p.targets.count }
        var next: [Int: Int64] = [:]
        for (year, count) in counts where count > 0 {
            next[year] = try await Counter.reserveAhead("tasks-\(year)", count, on: store.db) - Int64(count) + 1
        }
        for i in prepared.indices where prepared[i].firstNumber == nil {
            let year = prepared[i].checked.start.year
            guard let first = next[year] else { continue }
            prepared[i].firstNumber = first
            next[year] = first + Int64(prepared[i].targets.count)
        }
    }

    /// A task recorded as already finished (hồ sơ TTHC, `DossierService`): its state after the workflow's
    /// own submission and acceptance, the timeline's words, and the document number that is its evidence.
    struct Completion: Sendable {
        var snapshot: TaskSnapshot
        var note: String
        var reference: String
    }

    /// Checks everything, then creates the tasks in one transaction; returns their ids (the ones
    /// already made when the same form comes twice).
    func create(_ form: NewTask) async throws -> [UUID] {
        try await creating(form).ids
    }

    /// What `creating` did: the tasks' ids; when it wrote them, the tasks and the checked form (what an
    /// answer shows, without reading them back).
    struct Created: @unchecked Sendable {
        var ids: [UUID]
        var written: (tasks: [WorkTask], form: Prepared)?
    }

    /// `create`, with what it wrote. The token's unique index finds a form made before: its insert is
    /// refused and the earlier tasks are answered (no read before, the usual form being new).
    func creating(_ form: NewTask) async throws -> Created {
        let token = form.token.isEmpty ? UUID().uuidString : String(form.token.prefix(64))
        let prepared: Prepared
        do {
            // Its numbers are reserved with the group it is written with (`CreationBatcher`).
            prepared = try await prepare(form)
        } catch {
            // A form made before answers with its tasks even when it would not pass the checks today.
            if let already = try await made(token: token) { return Created(ids: already) }
            throw error
        }
        do {
            let tasks = try await store.creations.write(CreationBatcher.Item(prepared: prepared, token: token, principal: principal,
                                                                             actor: actor), store: store)
            return Created(ids: tasks.compactMap(\.id), written: (tasks, prepared))
        } catch {
            // Made before, or the same form posted twice at the same moment: the insert hit the token's
            // unique index, or the group it came with found the token (`CreationBatcher.AlreadyMade`); answer
            // with what the first one made.
            if let already = try await made(token: token) { return Created(ids: already) }
            throw error
        }
    }

    /// Every check of a task form, against the catalogs and the user's scope; `Invalid` with all the
    /// problems at once.
    func prepare(_ form: NewTask) async throws -> Prepared {
        var draft = form.draft
        if form.propose { draft.source = TaskSource.selfProposed.rawValue }
        var problems: [TaskProblem] = []
        let checked: TaskDraft.Checked?
        switch draft.check() {
        case .success(let c): checked = c
        case .failure(let p): problems += p.list; checked = nil
        }
        let db = store.db
        // Who does it.
        var people: [Person] = []
        var unit: Organization?
        if form.propose {
            guard let me = principal.personID, let person = try await Person.find(me, on: db) else {
                throw Invalid("nguoi",
                              "Tài khoản của bạn chưa gắn với cán bộ nào nên chưa đề xuất nhiệm vụ được.")
            }
            people = [person]
        } else {
            let codes = Self.codes(form.assigneeCodes)
            let unitCode = TextNormalizer.clean(form.unitCode)
            if codes.isEmpty && unitCode.isEmpty {
                problems.append(.init("nguoi", "Vui lòng chọn người chủ trì hoặc đơn vị được giao."))
            } else if !codes.isEmpty && !unitCode.isEmpty {
                problems.append(.init("nguoi", "Chọn người chủ trì hoặc đơn vị được giao, không chọn cả hai."))
            }
            for code in codes {
                guard let p = try await activePerson(code) else {
                    problems.append(.init("nguoi", "Không có cán bộ đang công tác mã «\(code)»."))
                    continue
                }
                // Out of scope reads like unknown: the answer never tells who holds a code elsewhere.
                guard principal.can(.leadWork, at: p.scopePath) else {
                    problems.append(.init("nguoi", "Không có cán bộ mã «\(code)» trong phạm vi bạn được giao việc."))
                    continue
                }
                people.append(p)
            }
            if !unitCode.isEmpty {
                if let o = try await store.record("organization:" + unitCode, load: {
                    try await Organization.query(on: db).filter(\.$code == unitCode).first()
                }), o.active {
                    if principal.can(.leadWork, at: o.path) { unit = o } else {
                        problems.append(.init("don_vi",
                                              "Không có đơn vị mã «\(unitCode)» trong phạm vi bạn được giao việc."))
                    }
                } else {
                    problems.append(.init("don_vi", "Không có đơn vị mã «\(unitCode)»."))
                }
            }
        }
        // What it produces.
        var product: Product?
        var complexity: ComplexityLevel?
        let productCode = TextNormalizer.clean(draft.productCode)
        if productCode.isEmpty {
            problems.append(.init("san_pham", "Vui lòng chọn sản phẩm trong danh mục để quy đổi khối lượng."))
        } else if let p = try await store.record("product:" + productCode, load: {
            try await Product.query(on: db).filter(\.$code == productCode).first()
        }) {
            product = p
            for person in people {
                do { try await requireProduct(p, for: person, on: db) } catch let e as Invalid { problems += e.problems }
            }
            if let unit, !OrgPath.contains(p.scopePath, unit.path) || !p.active {
                problems.append(.init("san_pham", "Sản phẩm «\(p.code)» không dùng được cho đơn vị «\(unit.name)»."))
            }
            let wanted = TextNormalizer.clean(draft.complexity)
            if !wanted.isEmpty {
                let levels = (try? ProductRules.parseComplexity(p.complexity).get()) ?? []
                if let level = levels.first(where: { TextNormalizer.fold($0.name) == TextNormalizer.fold(wanted) }) {
                    complexity = level
                } else {
                    problems.append(.init("muc_do", levels.isEmpty ? "Sản phẩm «\(p.code)» không chia mức độ phức tạp."
                        : """
                            Mức độ «\(wanted)» không có trong sản phẩm «\(p.code)» \
                            (\(levels.map(\.name).joined(separator: ", "))).
                            """))
                }
            }
        } else {
            problems.append(.init("san_pham", "Không có sản phẩm mã «\(productCode)» trong danh mục."))
        }
        // Participants.
        // Participants come from the task's own agency: they are rated on it, and a rating counts in
        // their agency's coordination scores, which another agency's leader must not be able to lower.
        var participants: [Person] = []
        let agencies = try await store.agencies()
        let agency = (people.first?.scopePath ?? unit?.path).map { agencies.agency(of: $0)?.path ?? $0 }
        for code in Self.codes(form.participantCodes) {
            if let p = try await activePerson(code),
               agency.map({ OrgPath.contains($0, p.scopePath) }) ?? principal.can(.leadWork, at: p.scopePath) {
                if people.contains(where: { $0.id == p.id }) {
                    problems.append(.init("phoi_hop", "\(p.fullName) đã là người chủ trì, không cần thêm vào phối hợp."))
                } else { participants.append(p) }
            } else {
                problems.append(.init("phoi_hop",
                                      "Không có cán bộ đang công tác mã «\(code)» trong cơ quan của nhiệm vụ."))
            }
        }
        var parent: WorkTask?
        if let pid = form.parentID {
            parent = try await find(pid).0
        }
        guard problems.isEmpty, let checked, let product else { throw Invalid(problems) }

        let targets: [(Person?, UUID, String)] = unit.map { [(nil, $0.id!, $0.path)] }
            ?? people.map { ($0, $0.organizationID, $0.scopePath) }
        return Prepared(form: form, targets: targets, checked: checked, product: product, complexity: complexity,
                        participants: participants, parent: parent)
    }

    /// The person of this code still at work (kept, `Store.record`).
    private func activePerson(_ code: String) async throws -> Person? {
        let db = store.db
        let p = try await store.record("person:" + code) { try await Person.query(on: db).filter(\.$code == code).first() }
        return p?.active == true ? p : nil
    }

    /// The tasks a form with this token already made, if any.
    func made(token: String) async throws -> [UUID]? {
        let found = try await WorkTask.query(on: store.db).filter(\.$creationToken ~~ [token, token + "#0"]).first()
        guard let found else { return nil }
        guard let batch = found.batchID else { return [try found.requireID()] }
        return try await WorkTask.query(on: store.db).filter(\.$batchID == batch).sort(\.$code).all().compactMap(\.id)
    }

    /// The converted quantity as stored in `tasks.units` (exact decimal text).
    static func units(quantity: Rational, factor: String, complexity: ComplexityLevel?) throws -> String {
        guard let f = DecimalText.parse(factor),
              let text = DecimalText.exact(try ProductRules.converted(quantity: quantity, factor: f, complexity: complexity)) else {
            throw Abort(.unprocessableEntity,
                        reason: """
                            Khối lượng quy đổi quá lớn hoặc không viết được thành số thập phân; kiểm tra số \
                            lượng và hệ số.
                            """)
        }
        return text
    }

    /// Writes a prepared form's tasks inside the caller's transaction; `token(i)` is the one-time token
    /// of its i-th task.
    static func insert(_ p: Prepared, batch: UUID?, on db: any Database, principal: Principal, actor: Actor,
                       token: (Int) -> String) async throws -> [UUID] {
        try await insertTasks(p, batch: batch, on: db, principal: principal, actor: actor, token: token).compactMap(\.id)
    }

    /// `insert`, returning the tasks as written.
    /// `group`: collects the rows and audit entries for the caller to write at its end (`CreationBatcher`), else each is
    /// written here.
    static func insertTasks(_ p: Prepared, batch: UUID?, on db: any Database, principal: Principal, actor: Actor,
                            group: WriteGroup? = nil, token: (Int) -> String) async throws -> [WorkTask] {
        let (form, targets, checked, product, complexity, participants, parent) =
            (p.form, p.targets, p.checked, p.product, p.complexity, p.participants, p.parent)
        var written: [WorkTask] = []
        for (i, (person, orgID, path)) in targets.enumerated() {
            let t = WorkTask()
            let number: Int64
            if let first = p.firstNumber { number = first + Int64(i) } else {
                number = try await Counter.next("tasks-\(checked.start.year)", on: db)
            }
            t.code = Counter.taskCode(year: checked.start.year, number: number)
            t.title = checked.title
            t.searchText = TextNormalizer.fold("\(t.code) \(checked.title) \(checked.documentNumber)")
            t.details = checked.description
            t.source = checked.source.rawValue
            t.documentNumber = checked.documentNumber
            t.documentDate = checked.documentDate?.iso ?? ""
            t.documentIssuer = checked.documentIssuer
            t.documentID = String(form.documentID.prefix(200))
            t.productID = product.id
            t.productCode = product.code
            t.productName = product.name
            t.productUnit = product.unit
            t.factor = product.factor
            t.complexity = complexity?.name ?? ""
            t.complexityFactor = complexity.map { DecimalText.plain($0.factor) } ?? ""
            t.quantity = DecimalText.plain(checked.quantity)
            t.units = try Self.units(quantity: checked.quantity, factor: product.factor, complexity: complexity)
            t.assigneeID = person?.id
            t.organizationID = orgID
            t.scopePath = path
            t.assignerUserID = form.propose ? nil : principal.userID
            t.assignerName = form.propose ? "" : principal.displayName
            t.proposerUserID = form.propose ? principal.userID : nil
            t.parentID = parent?.id
            t.batchID = batch
            t.recurrenceKey = p.recurrenceKey
            t.start = checked.start.iso
            t.due = checked.due.iso
            t.priority = checked.priority.rawValue
            t.state = form.propose ? TaskState.proposed.rawValue : TaskState.assigned.rawValue
            t.percent = 0; t.majorErrors = 0; t.exemptErrors = 0; t.delays = 0
            t.exemptDelays = 0; t.delayExemptBy = ""; t.delayExemptReason = ""
            t.submittedOn = ""; t.requestedDue = ""; t.completedOn = ""; t.verdict = ""
            t.creationToken = token(i)
            t.version = 1
            if let done = p.completion {
                Self.apply(done.snapshot, to: t)
                t.completedOn = done.snapshot.submittedOn?.iso ?? ""
                t.verdict = "dat"
            }
            // In a group of creations the rows are written together at its end (`WriteGroup.finish`).
            if let group {
                t.id = UUID()
                group.tasks.append(t)
            } else {
                try await t.create(on: db)
            }
            if let done = p.completion {
                let e = Evidence()
                e.taskID = t.id!
                e.kind = "van-ban"
                e.name = done.reference
                e.sha256 = ""
                e.size = 0
                e.reference = done.reference
                e.addedBy = principal.displayName
                if let group { group.evidence.append(e) } else { try await e.create(on: db) }
            }
            var parts: [TaskParticipant] = []
            for p in participants {
                let tp = TaskParticipant()
                tp.taskID = t.id!
                tp.personID = p.id
                tp.organizationID = p.organizationID
                tp.rating = 0
                tp.ratingNote = ""
                if let group {
                    tp.id = UUID()
                    group.participants.append(tp)
                } else {
                    try await tp.create(on: db)
                }
                parts.append(tp)
            }
            let kind = p.completion != nil ? "ho-so-tthc" : form.propose ? "de-xuat" : "tao"
            try await Self.timeline(db, t, actor: principal.name(actingAt: t.scopePath), kind: kind, from: "", note: p.completion?.note
                ?? person.map { "Chủ trì: \($0.fullName) (\($0.code))" } ?? "Giao cho đơn vị; lãnh đạo đơn vị phân công",
                at: actor.at, group: group)
            // Finished work elsewhere asks nobody to do anything: no notice.
            if p.completion == nil {
                try await Notices.afterEvent(db, task: t, participants: parts, kind: kind, by: principal, at: actor.at, group: group)
            }
            // The audit entry last: its chain's lock is held from here to the commit.
            let action = p.completion != nil ? "task.dossier" : form.propose ? "task.propose" : "task.create"
            let entry = AuditLog.Pending(actor: actor, action: action, entityType: "task", entityID: t.id!.uuidString,
                                         scopePath: t.scopePath,
                                         after: Self.fields(t).merging(["nguoi_chu_tri": person?.code ?? "", "san_pham": product.code,
                                                                        "so_luong": t.quantity, "bat_dau": t.start]) { $1 })
            if let group { group.entries.append(entry) } else { try await AuditLog.append(on: db, [entry]) }
            written.append(t)
        }
        return written
    }

    /// Codes typed in one field, separated by commas, semicolons or spaces; duplicates dropped.
    static func codes(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.flatMap { $0.split(whereSeparator: { ",; \n\t".contains($0) }).map(String.init) }
            .map(TextNormalizer.clean).filter { !$0.isEmpty && seen.insert($0).inserted }
    }
}
