import Fluent
import Foundation
import KPICore

/// Xếp loại các năm trước: results, so kept by the advisory bodies (who configure the framework of
/// their scope) and read by those who see evaluations there — not by system administrators; a row
/// is found by the person's code and the year (`id(values:)`).
struct PriorLevelCatalog: CatalogAdapter {
    let spec = Catalogs.priorLevels
    let entityType = "prior_level"
    let listFilters = ["xep_loai"]
    let listColumns = ["ma", "nam", "xep_loai", "can_cu"]
    var viewAction: Action { .viewEvaluations }
    var manageAction: Action { .configureFramework }

    func year(_ v: [String: FieldValue]) -> Int? {
        if case .integer(let n)? = v["nam"] { return n }
        return Int(text(v, "nam"))
    }

    func raw(_ p: PriorLevel) -> RawRecord {
        ["ma": p.personCode, "nam": String(p.year), "xep_loai": p.level, "can_cu": p.basis]
    }

    func catalogRow(_ p: PriorLevel, name: String) throws -> CatalogRow {
        CatalogRow(id: try p.requireID(), raw: raw(p), scopePath: p.scopePath, active: p.active, title: "\(name) — năm \(p.year)")
    }

    func names(_ rows: [PriorLevel], db: any Database) async throws -> [UUID: String] {
        let ids = Array(Set(rows.map(\.personID)))
        guard !ids.isEmpty else { return [:] }
        return Dictionary(uniqueKeysWithValues: try await Person.query(on: db).filter(\.$id ~~ ids).all().map { ($0.id!, $0.fullName) })
    }

    func list(_ q: ListQuery, scopes: [String], refs: RefIndex, db: any Database) async throws -> ListPage {
        let subtree = q.orgCode.isEmpty ? nil : (refs.org(code: q.orgCode)?.path ?? "-")
        let base = ListFilter.apply(PriorLevel.query(on: db), q: q, scopes: scopes, scope: \.$scopePath,
                                    active: \.$active, search: \.$searchText, subtree: subtree)
        if let l = q.choices["xep_loai"], !l.isEmpty { base.filter(\.$level == l) }
        let result = try await page(base, q, code: \.$personCode, name: \.$searchText) { p in
            CatalogRow(id: try p.requireID(), raw: raw(p), scopePath: p.scopePath, active: p.active, title: p.personCode)
        }
        let ids = result.rows.map(\.id)
        let rows = ids.isEmpty ? [] : try await PriorLevel.query(on: db).filter(\.$id ~~ ids).all()
        let byName = try await names(rows, db: db)
        let byID = Dictionary(uniqueKeysWithValues: try rows.map { ($0.id!, try catalogRow($0, name: byName[$0.personID] ?? "")) })
        return ListPage(rows: ids.compactMap { byID[$0] }, total: result.total)
    }

    func row(id: UUID, refs: RefIndex, db: any Database) async throws -> CatalogRow? {
        guard let p = try await PriorLevel.find(id, on: db) else { return nil }
        return try catalogRow(p, name: try await names([p], db: db)[p.personID] ?? "")
    }

    /// A person has one row a year: the code alone names none.
    func id(code: String, db: any Database) async throws -> UUID? { nil }

    func id(values: [String: FieldValue], db: any Database) async throws -> UUID? {
        guard let year = year(values), let person = try await Person.query(on: db).filter(\.$code == text(values, "ma")).first()
        else { return nil }
        return try await PriorLevel.query(on: db).filter(\.$personID == person.requireID()).filter(\.$year == year).first()?.id
    }

    func importKey(_ values: [String: FieldValue]) -> (key: String, label: String) {
        let (code, year) = (text(values, "ma"), year(values).map(String.init) ?? "")
        return (code + "|" + year, "«Mã cán bộ», «Năm»: «\(code)», năm \(year)")
    }

    func plan(_ v: [String: FieldValue], existing: UUID?, refs: RefIndex, db: any Database) async throws -> PlannedChange {
        let code = text(v, "ma")
        guard let person = try await Person.query(on: db).filter(\.$code == code).first() else { throw unknown("ma", code) }
        guard let year = year(v) else { throw CatalogProblems("nam", "Năm", "không đọc được năm") }
        if let other = try await PriorLevel.query(on: db).filter(\.$personID == person.requireID()).filter(\.$year == year).first(),
           other.id != existing {
            throw CatalogProblems("nam", "Năm", "\(code) đã có xếp loại năm \(year)")
        }
        let current = try await existing.asyncMap { try await PriorLevel.find($0, on: db) } ?? nil
        let p = current ?? PriorLevel()
        let before = current.map(raw)
        p.id = existing ?? UUID()
        p.personID = try person.requireID()
        p.personCode = person.code
        p.year = year
        p.level = text(v, "xep_loai")
        p.basis = text(v, "can_cu")
        p.scopePath = person.scopePath
        p.searchText = TextNormalizer.fold("\(person.code) \(person.fullName) \(year)")
        if current == nil { p.active = true }
        return PlannedChange(before: before, after: raw(p), beforeScope: current?.scopePath, afterScope: person.scopePath) {
            if current == nil { try await p.create(on: db) } else { try await p.save(on: db) }
            return p.id!
        }
    }

    func setActive(_ id: UUID, _ active: Bool, db: any Database) async throws {
        try await PriorLevel.query(on: db).filter(\.$id == id).set(\.$active, to: active).update()
    }
}
