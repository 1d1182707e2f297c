import Foundation
import Fluent
import KPICore
import SQLKit

/// Cơ quan, đơn vị: the organization tree.
struct OrganizationCatalog: CatalogAdapter {
    let spec = Catalogs.organizations
    let entityType = "organization"
    let listFilters = ["khoi", "cap"]
    let listColumns = ["ma", "ten", "khoi", "cap", "ma_cap_tren"]

    func raw(_ o: Organization, refs: RefIndex) -> RawRecord {
        ["ma": o.code, "ten": o.name, "khoi": o.block, "cap": o.level,
         "ma_cap_tren": refs.orgCode(o.parentID), "thu_tu": String(o.sortOrder)]
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
        org.id = id
        org.code = code
        org.name = text(v, "ten")
        org.searchText = TextNormalizer.fold(code + " " + org.name)
        org.block = text(v, "khoi")
        org.level = text(v, "cap")
        org.parentID = parent?.id
        org.path = newPath
        org.sortOrder = v["thu_tu"]?.integer ?? 0
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
