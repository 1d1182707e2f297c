import Foundation
import Fluent
import KPICore

/// Nhóm vị trí việc làm: province-wide, so managed only with a system-wide grant.
struct PositionGroupCatalog: CatalogAdapter {
    let spec = Catalogs.positionGroups
    let entityType = "position-group"
    let listFilters = ["loai"]
    let listColumns = ["ma", "ten", "loai"]
    var filtersByOrganization: Bool { false }

    func raw(_ g: PositionGroup) -> RawRecord {
        ["ma": g.code, "ten": g.name, "loai": g.kind, "mo_ta": g.details]
    }

    func catalogRow(_ g: PositionGroup) throws -> CatalogRow {
        CatalogRow(id: try g.requireID(), raw: raw(g), scopePath: "/", active: g.active, title: g.name)
    }

    func list(_ q: ListQuery, scopes: [String], refs: RefIndex, db: any Database) async throws -> ListPage {
        let base = PositionGroup.query(on: db)
        let folded = TextNormalizer.fold(q.q)
        if !folded.isEmpty { base.filter(\.$searchText, .custom("LIKE"), "%\(folded)%") }
        if q.status == "active" { base.filter(\.$active == true) } else if q.status == "inactive" { base.filter(\.$active == false) }
        if let k = q.choices["loai"], !k.isEmpty { base.filter(\.$kind == k) }
        return try await page(base, q, code: \.$code, name: \.$name, map: catalogRow)
    }

    func row(id: UUID, refs: RefIndex, db: any Database) async throws -> CatalogRow? {
        try await PositionGroup.find(id, on: db).map(catalogRow)
    }

    func id(code: String, db: any Database) async throws -> UUID? {
        try await PositionGroup.query(on: db).filter(\.$code == code).first()?.id
    }

    func plan(_ v: [String: FieldValue], existing: UUID?, refs: RefIndex, db: any Database) async throws -> PlannedChange {
        let code = text(v, "ma")
        if let other = refs.groupIDsByCode[code], other != existing {
            throw CatalogProblems("ma", "Mã", "mã «\(code)» đã được dùng")
        }
        let current = try await existing.asyncMap { try await PositionGroup.find($0, on: db) } ?? nil
        let g = current ?? PositionGroup()
        let before = current.map(raw)
        g.id = existing ?? UUID()
        g.code = code
        g.name = text(v, "ten")
        g.searchText = TextNormalizer.fold(code + " " + g.name)
        g.kind = text(v, "loai")
        g.details = text(v, "mo_ta")
        if current == nil { g.active = true }
        return PlannedChange(before: before, after: raw(g), beforeScope: current == nil ? nil : "/", afterScope: "/") {
            if current == nil { try await g.create(on: db) } else { try await g.save(on: db) }
            refs.putGroup(.init(id: g.id!, code: g.code, name: g.name, scopePath: "/"))
            return g.id!
        }
    }

    func setActive(_ id: UUID, _ active: Bool, db: any Database) async throws {
        try await PositionGroup.query(on: db).filter(\.$id == id).set(\.$active, to: active).update()
    }
}

/// Vị trí việc làm: the approved positions, each in a group, province-wide or of one agency.
struct PositionCatalog: CatalogAdapter {
    let spec = Catalogs.positions
    let entityType = "position"
    let listFilters: [String] = []
    let listColumns = ["ma", "ten", "ma_nhom", "ma_co_quan"]

    func raw(_ p: Position, refs: RefIndex) -> RawRecord {
        ["ma": p.code, "ten": p.name, "ma_nhom": refs.groupsByID[p.groupID]?.code ?? "",
         "ma_co_quan": refs.orgCode(p.organizationID), "mo_ta": p.details]
    }

    func catalogRow(_ p: Position, refs: RefIndex) throws -> CatalogRow {
        CatalogRow(id: try p.requireID(), raw: raw(p, refs: refs), scopePath: p.scopePath, active: p.active, title: p.name)
    }

    func list(_ q: ListQuery, scopes: [String], refs: RefIndex, db: any Database) async throws -> ListPage {
        let subtree = q.orgCode.isEmpty ? nil : (refs.org(code: q.orgCode)?.path ?? "-")
        let base = ListFilter.apply(Position.query(on: db), q: q, scopes: scopes, scope: \.$scopePath,
                                    active: \.$active, search: \.$searchText, subtree: subtree)
        return try await page(base, q, code: \.$code, name: \.$name) { try catalogRow($0, refs: refs) }
    }

    func row(id: UUID, refs: RefIndex, db: any Database) async throws -> CatalogRow? {
        try await Position.find(id, on: db).map { try catalogRow($0, refs: refs) }
    }

    func id(code: String, db: any Database) async throws -> UUID? {
        try await Position.query(on: db).filter(\.$code == code).first()?.id
    }

    func plan(_ v: [String: FieldValue], existing: UUID?, refs: RefIndex, db: any Database) async throws -> PlannedChange {
        let code = text(v, "ma")
        if let other = refs.positionIDsByCode[code], other != existing {
            throw CatalogProblems("ma", "Mã", "mã «\(code)» đã được dùng")
        }
        guard let groupID = refs.groupIDsByCode[text(v, "ma_nhom")] else { throw unknown("ma_nhom", text(v, "ma_nhom")) }
        var org: RefIndex.Org?
        if !text(v, "ma_co_quan").isEmpty {
            guard let o = refs.org(code: text(v, "ma_co_quan")) else { throw unknown("ma_co_quan", text(v, "ma_co_quan")) }
            org = o
        }
        let current = try await existing.asyncMap { try await Position.find($0, on: db) } ?? nil
        let p = current ?? Position()
        let before = current.map { raw($0, refs: refs) }
        let beforeScope = current?.scopePath
        p.id = existing ?? UUID()
        p.code = code
        p.name = text(v, "ten")
        p.searchText = TextNormalizer.fold(code + " " + p.name)
        p.groupID = groupID
        p.organizationID = org?.id
        p.scopePath = org?.path ?? "/"
        p.details = text(v, "mo_ta")
        if current == nil { p.active = true }
        return PlannedChange(before: before, after: raw(p, refs: refs), beforeScope: beforeScope, afterScope: p.scopePath) {
            if current == nil { try await p.create(on: db) } else { try await p.save(on: db) }
            refs.putPosition(.init(id: p.id!, code: p.code, name: p.name, scopePath: p.scopePath))
            return p.id!
        }
    }

    func setActive(_ id: UUID, _ active: Bool, db: any Database) async throws {
        try await Position.query(on: db).filter(\.$id == id).set(\.$active, to: active).update()
    }
}
