import Foundation
import Fluent
import KPICore
import SQLKit

/// Cơ quan, đơn vị: the organization tree.
struct OrganizationCatalog: CatalogAdapter {
    let spec = Catalogs.organizations
    let entityType = "organization"
    let listFilters = ["khoi", "cap", "co_quan"]
    let listColumns = ["ma", "ten", "khoi", "cap", "ma_cap_tren", "co_quan"]

    func raw(_ o: Organization, refs: RefIndex) -> RawRecord {
        ["ma": o.code, "ten": o.name, "khoi": o.block, "cap": o.level,
         "ma_cap_tren": refs.orgCode(o.parentID), "thu_tu": String(o.sortOrder), "ma_dinh_danh": o.identifier,
         "co_quan": o.isAgency ? "1" : "0",
         "ma_danh_gia_nguoi_dung_dau": refs.orgCode(o.headEvaluatorID)]
    }

    func catalogRow(_ o: Organization, refs: RefIndex) throws -> CatalogRow {
        CatalogRow(id: try o.requireID(), raw: raw(o, refs: refs), scopePath: o.path, active: o.active, title: o.name)
    }

    func list(_ q: ListQuery, scopes: [String], refs: RefIndex, db: any Database) async throws -> ListPage {
        let subtree = q.orgCode.isEmpty ? nil : (refs.org(code: q.orgCode)?.path ?? "-")
        let base = ListFilter.apply(Organization.query(on: db), q: q, scopes: scopes, scope: \.$path,
                                    active: \.$active, search: \.$searchText, subtree: subtree)
        if let b = q.choices["khoi"], !b.isEmpty { base.filter(\.$block == b) }
        if let c = q.choices["cap"], !c.isEmpty { base.filter(\.$level == c) }
        if let a = q.choices["co_quan"], !a.isEmpty { base.filter(\.$isAgency == (a == "1")) }
        return try await page(base, q, code: \.$code, name: \.$name) { try catalogRow($0, refs: refs) }
    }

    func row(id: UUID, refs: RefIndex, db: any Database) async throws -> CatalogRow? {
        try await Organization.find(id, on: db).map { try catalogRow($0, refs: refs) }
    }

    func id(code: String, db: any Database) async throws -> UUID? {
        try await Organization.query(on: db).filter(\.$code == code).first()?.id
    }

    func plan(_ v: [String: FieldValue], existing: UUID?, refs: RefIndex, db: any Database) async throws -> PlannedChange {
        let code = text(v, "ma")
        let current = try await existing.asyncMap { try await Organization.find($0, on: db) } ?? nil
        if let other = refs.org(code: code), other.id != existing {
            throw CatalogProblems("ma", "Mã", "mã «\(code)» đã được dùng cho «\(other.name)»")
        }
        let identifier = text(v, "ma_dinh_danh")
        if !identifier.isEmpty, let other = try await Organization.query(on: db).filter(\.$identifier == identifier).first(),
           other.id != existing {
            throw CatalogProblems("ma_dinh_danh", spec.field("ma_dinh_danh")?.label ?? "",
                                  "mã định danh «\(identifier)» đã được dùng cho «\(other.name)» (\(other.code))")
        }
        var parent: RefIndex.Org?
        let parentCode = text(v, "ma_cap_tren")
        if !parentCode.isEmpty {
            guard let p = refs.org(code: parentCode) else { throw unknown("ma_cap_tren", parentCode) }
            if let current, p.path.hasPrefix(current.path) {
                throw CatalogProblems("ma_cap_tren", "Mã cơ quan cấp trên",
                                      """
                                          không thể đặt «\(p.name)» làm cấp trên: đó là chính đơn vị này hoặc đơn \
                                          vị cấp dưới của nó (tạo \
                                          vòng lặp)
                                          """)
            }
            parent = p
        }
        let org = current ?? Organization()
        let id = existing ?? UUID()
        let newPath = OrgPath.make(parent: parent?.path, id: id.uuidString)
        let before = current.map { raw($0, refs: refs) }
        let oldPath = current?.path
        // Left empty (an import file without the column): kept; a new node right under the root is an agency.
        let marked = v["co_quan"]?.flag ?? current?.isAgency ?? (parent.map { $0.parentID == nil } ?? false)
        let evaluator = try await headEvaluator(v, marked: marked, name: text(v, "ten"), path: oldPath ?? newPath, refs: refs)
        try await checkMarks(oldPath: oldPath, newPath: newPath, name: text(v, "ten"), wasAgency: current?.isAgency ?? false,
                             marked: marked ? AgencyMap.Agency(path: newPath, code: code, name: text(v, "ten"), block: text(v, "khoi"),
                                                               headEvaluatorPath: evaluator?.path) : nil, db: db)
        org.id = id
        org.code = code
        org.name = text(v, "ten")
        org.identifier = identifier
        org.searchText = TextNormalizer.fold([code, org.name, identifier].joined(separator: " "))
        org.block = text(v, "khoi")
        org.level = text(v, "cap")
        org.parentID = parent?.id
        org.path = newPath
        org.sortOrder = v["thu_tu"]?.integer ?? 0
        org.isAgency = marked
        org.headEvaluatorID = evaluator?.id
        if current == nil { org.active = true }
        var after = raw(org, refs: refs)
        after["ma_cap_tren"] = parentCode
        return PlannedChange(before: before, after: after, beforeScope: oldPath, afterScope: parent?.path ?? "/") {
            if current == nil { try await org.create(on: db) } else { try await org.save(on: db) }
            if let oldPath, oldPath != newPath {
                try await Self.moveSubtree(from: oldPath, to: newPath, db: db)
                refs.reroot(from: oldPath, to: newPath)
            }
            refs.put(.init(id: id, code: org.code, name: org.name, path: newPath, parentID: org.parentID, active: org.active))
            return id
        }
    }

    /// The agency mark and the head's evaluator are changed only with a grant at the root.
    func authorize(_ plan: PlannedChange, existing: UUID?, principal: Principal, db: any Database) async throws {
        let marks = ["co_quan", "ma_danh_gia_nguoi_dung_dau"]
        let before = plan.before ?? ["co_quan": "0", "ma_danh_gia_nguoi_dung_dau": ""]
        guard marks.contains(where: { before[$0] != plan.after[$0] }), !principal.can(manageAction, at: "/") else { return }
        throw CatalogProblems("co_quan", spec.field("co_quan")?.label ?? "", AgencyRules.markRefusal)
    }

    /// The unit whose leaders evaluate the agency's head, when one is named: it must exist, and
    /// stand outside the agency (`path`: where the node is now).
    func headEvaluator(_ v: [String: FieldValue], marked: Bool, name: String, path: String,
                       refs: RefIndex) async throws -> RefIndex.Org? {
        let code = text(v, "ma_danh_gia_nguoi_dung_dau")
        guard !code.isEmpty else { return nil }
        let label = spec.field("ma_danh_gia_nguoi_dung_dau")?.label ?? ""
        guard let e = refs.org(code: code) else { throw unknown("ma_danh_gia_nguoi_dung_dau", code) }
        guard marked else {
            throw CatalogProblems("ma_danh_gia_nguoi_dung_dau", label, "chỉ đặt cho cơ quan có thẩm quyền đánh giá")
        }
        if let problem = AgencyRules.headEvaluatorProblem(agencyName: name, agencyPath: path, evaluatorName: e.name,
                                                          evaluatorPath: e.path) {
            throw CatalogProblems("ma_danh_gia_nguoi_dung_dau", label, problem)
        }
        return e
    }

    /// The tree's marks after the change must keep the rules (`AgencyRules`): no forbidden nesting,
    /// nobody left without an agency.
    func checkMarks(oldPath: String?, newPath: String, name: String, wasAgency: Bool, marked: AgencyMap.Agency?,
                    db: any Database) async throws {
        let label = spec.field("co_quan")?.label ?? ""
        let before = try await Agencies.map(on: db)
        let after = before.changing(node: oldPath, to: newPath, marked: marked)
        if let problem = AgencyRules.nestingProblem(in: after, under: newPath) { throw CatalogProblems("co_quan", label, problem) }
        guard let oldPath, wasAgency && marked == nil || oldPath != newPath else { return }
        var people: [String: Int] = [:]
        for (path, n) in try await db.rows("""
            SELECT scope_path, COUNT(*) FROM people WHERE active = \(bind: true) AND scope_path LIKE \(bind: oldPath + "%") GROUP BY \
            scope_path
            """, { (try $0.next(String.self), try $0.next(Int.self)) }) {
            people[path] = n
        }
        let n = AgencyRules.orphans(people: people, oldPath: oldPath, newPath: newPath, before: before, after: after)
        if n > 0 { throw CatalogProblems("co_quan", label, AgencyRules.orphanProblem(name: name, people: n)) }
    }

    /// Rewrites every path below a moved node, in each table that keeps one: the catalogs and
    /// accounts, and the records that go with the people and units (tasks, recurring tasks,
    /// discipline and leave records), so the new branch's leaders see them and the old one's no longer
    /// do (issue 16). Evaluation periods, their sheets and revisions stay where they were opened: a
    /// period keeps its agency, and a locked one its snapshot.
    static func moveSubtree(from old: String, to new: String, db: any Database) async throws {
        let sql = db.sql
        for (table, column) in [("organizations", "path"), ("positions", "scope_path"), ("people", "scope_path"),
                                ("users", "scope_path"), ("role_grants", "scope_path"), ("tasks", "scope_path"),
                                ("recurring_tasks", "scope_path"), ("discipline_records", "scope_path"),
                                ("leave_records", "scope_path"), ("rating_links", "scope_path"), ("products", "scope_path"),
                                ("violation_types", "scope_path")] {
            try await sql.raw("""
                UPDATE \(ident: table) SET \(ident: column) = CAST(\(bind: new) AS TEXT) || substr(\(ident: column), \
                CAST(\(bind: old.count + 1) AS INTEGER))
                WHERE \(ident: column) LIKE \(bind: old + "%")
                """).run()
        }
    }

    func setActive(_ id: UUID, _ active: Bool, db: any Database) async throws {
        if !active {
            let children = try await Organization.query(on: db).filter(\.$parentID == id).filter(\.$active == true).count()
            let people = try await Person.query(on: db).filter(\.$organizationID == id).filter(\.$active == true).count()
            if children > 0 || people > 0 {
                throw CatalogProblems("ma", "Mã",
                                      """
                                          còn \(children) đơn vị trực thuộc và \(people) cán bộ đang hoạt động; hãy \
                                          chuyển hoặc ngừng họ \
                                          trước
                                          """)
            }
        }
        try await Organization.query(on: db).filter(\.$id == id).set(\.$active, to: active).update()
    }
}

extension Optional {
    func asyncMap<T>(_ f: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let w): try await f(w)
        case .none: nil
        }
    }
}
