import Foundation
import Fluent
import KPICore

/// Danh mục loại vi phạm: province-wide, part of the framework, kept by the advisory bodies.
struct ViolationCatalog: CatalogAdapter {
    let spec = Catalogs.violationTypes
    let entityType = "violation_type"
    let listFilters: [String] = []
    let listColumns = ["ma", "ten", "diem_tru"]
    var manageAction: Action { .configureFramework }
    var filtersByOrganization: Bool { false }

    func raw(_ v: ViolationType) -> RawRecord {
        ["ma": v.code, "ten": v.name, "diem_tru": Rational(decimal: v.deduction).map(DecimalText.vn) ?? v.deduction, "mo_ta": v.details]
    }

    func catalogRow(_ v: ViolationType) throws -> CatalogRow {
        CatalogRow(id: try v.requireID(), raw: raw(v), scopePath: "/", active: v.active, title: v.name)
    }

    func list(_ q: ListQuery, scopes: [String], refs: RefIndex, db: any Database) async throws -> ListPage {
        let base = ListFilter.apply(ViolationType.query(on: db), q: q, scopes: scopes, scope: \.$scopePath,
                                    active: \.$active, search: \.$searchText, subtree: nil)
        return try await page(base, q, code: \.$code, name: \.$name) { try catalogRow($0) }
    }

    func row(id: UUID, refs: RefIndex, db: any Database) async throws -> CatalogRow? {
        try await ViolationType.find(id, on: db).map { try catalogRow($0) }
    }

    func id(code: String, db: any Database) async throws -> UUID? {
        try await ViolationType.query(on: db).filter(\.$code == code).first()?.id
    }

    func plan(_ v: [String: FieldValue], existing: UUID?, refs: RefIndex, db: any Database) async throws -> PlannedChange {
        let code = text(v, "ma")
        if let other = try await ViolationType.query(on: db).filter(\.$code == code).first(), other.id != existing {
            throw CatalogProblems("ma", "Mã", "mã «\(code)» đã được dùng")
        }
        guard let points = DecimalText.parse(text(v, "diem_tru")) else { throw CatalogProblems("diem_tru", "Điểm trừ mỗi lần",
            "không đọc được số điểm") }
        let current = try await existing.asyncMap { try await ViolationType.find($0, on: db) } ?? nil
        let t = current ?? ViolationType()
        let before = current.map(raw)
        t.id = existing ?? UUID()
        t.code = code
        t.name = text(v, "ten")
        t.searchText = TextNormalizer.fold(code + " " + t.name)
        t.deduction = DecimalText.plain(points)
        t.details = text(v, "mo_ta")
        t.scopePath = "/"
        if current == nil { t.active = true }
        return PlannedChange(before: before, after: raw(t), beforeScope: current?.scopePath, afterScope: "/") {
            if current == nil { try await t.create(on: db) } else { try await t.save(on: db) }
            return t.id!
        }
    }

    func setActive(_ id: UUID, _ active: Bool, db: any Database) async throws {
        try await ViolationType.query(on: db).filter(\.$id == id).set(\.$active, to: active).update()
    }
}
