import Foundation
import Fluent
import KPICore

/// Danh mục sản phẩm/công việc: per position group, optionally narrowed to one position and owned
/// by one agency. Part of the framework, so changed by the advisory bodies (cơ quan tham mưu).
struct ProductCatalog: CatalogAdapter {
    let spec = Catalogs.products
    let entityType = "product"
    let listFilters: [String] = []
    let listColumns = ["ma", "ten", "don_vi_tinh", "ma_nhom", "chuan", "he_so"]
    var manageAction: Action { .configureFramework }

    func raw(_ p: Product, refs: RefIndex) -> RawRecord {
        ["ma": p.code, "ten": p.name, "don_vi_tinh": p.unit, "ma_nhom": refs.groupsByID[p.groupID]?.code ?? "",
         "ma_vi_tri": p.positionID.flatMap { refs.positionsByID[$0]?.code } ?? "",
         "ma_co_quan": refs.orgCode(p.organizationID), "chuan": p.isStandard ? "1" : "0",
         "he_so": Rational(decimal: p.factor).map(DecimalText.vn) ?? p.factor, "muc_do": p.complexity, "mo_ta": p.details]
    }

    func catalogRow(_ p: Product, refs: RefIndex) throws -> CatalogRow {
        CatalogRow(id: try p.requireID(), raw: raw(p, refs: refs), scopePath: p.scopePath, active: p.active, title: p.name)
    }

    func list(_ q: ListQuery, scopes: [String], refs: RefIndex, db: any Database) async throws -> ListPage {
        let subtree = q.orgCode.isEmpty ? nil : (refs.org(code: q.orgCode)?.path ?? "-")
        let base = ListFilter.apply(Product.query(on: db), q: q, scopes: scopes, scope: \.$scopePath,
                                    active: \.$active, search: \.$searchText, subtree: subtree)
        return try await page(base, q, code: \.$code, name: \.$name) { try catalogRow($0, refs: refs) }
    }

    func row(id: UUID, refs: RefIndex, db: any Database) async throws -> CatalogRow? {
        try await Product.find(id, on: db).map { try catalogRow($0, refs: refs) }
    }

    func id(code: String, db: any Database) async throws -> UUID? {
        try await Product.query(on: db).filter(\.$code == code).first()?.id
    }

    func plan(_ v: [String: FieldValue], existing: UUID?, refs: RefIndex, db: any Database) async throws -> PlannedChange {
        let code = text(v, "ma")
        if let other = try await Product.query(on: db).filter(\.$code == code).first(), other.id != existing {
            throw CatalogProblems("ma", "Mã", "mã «\(code)» đã được dùng")
        }
        guard let groupID = refs.groupIDsByCode[text(v, "ma_nhom")] else { throw unknown("ma_nhom", text(v, "ma_nhom")) }
        var positionID: UUID?
        if !text(v, "ma_vi_tri").isEmpty {
            guard let pid = refs.positionIDsByCode[text(v, "ma_vi_tri")] else { throw unknown("ma_vi_tri", text(v, "ma_vi_tri")) }
            positionID = pid
        }
        var org: RefIndex.Org?
        if !text(v, "ma_co_quan").isEmpty {
            guard let o = refs.org(code: text(v, "ma_co_quan")) else { throw unknown("ma_co_quan", text(v, "ma_co_quan")) }
            org = o
        }
        guard let factor = DecimalText.parse(text(v, "he_so")) else { throw CatalogProblems("he_so", "Hệ số quy đổi",
            "không đọc được hệ số") }
        let standard = v["chuan"]?.flag ?? false
        if standard && factor != .one {
            throw CatalogProblems("he_so", "Hệ số quy đổi",
                                  "sản phẩm chuẩn phải có hệ số 1 (đang là \(DecimalText.vn(factor)))")
        }
        let complexity: String
        switch ProductRules.parseComplexity(text(v, "muc_do")) {
        case .success(let levels): complexity = ProductRules.formatComplexity(levels)
        case .failure(let problem): throw CatalogProblems([problem])
        }
        if standard {
            // One standard product per group and owner (the province, or one agency).
            let others = try await Product.query(on: db).filter(\.$groupID == groupID).filter(\.$isStandard == true)
                .filter(\.$active == true).all()
            if let clash = others.first(where: { $0.id != existing && $0.organizationID == org?.id }) {
                throw CatalogProblems("chuan", "Sản phẩm chuẩn",
                                      """
                                          nhóm «\(text(v, "ma_nhom"))» đã có sản phẩm chuẩn «\(clash.code) \
                                          – \(clash.name)»; bỏ chọn ở sản \
                                          phẩm đó trước
                                          """)
            }
        }
        let current = try await existing.asyncMap { try await Product.find($0, on: db) } ?? nil
        let p = current ?? Product()
        let before = current.map { raw($0, refs: refs) }
        let beforeScope = current?.scopePath
        p.id = existing ?? UUID()
        p.code = code
        p.name = text(v, "ten")
        p.searchText = TextNormalizer.fold(code + " " + p.name)
        p.unit = text(v, "don_vi_tinh")
        p.groupID = groupID
        p.positionID = positionID
        p.organizationID = org?.id
        p.scopePath = org?.path ?? "/"
        p.isStandard = standard
        p.factor = DecimalText.plain(factor)
        p.complexity = complexity
        p.details = text(v, "mo_ta")
        if current == nil { p.active = true }
        return PlannedChange(before: before, after: raw(p, refs: refs), beforeScope: beforeScope, afterScope: p.scopePath) {
            if current == nil { try await p.create(on: db) } else { try await p.save(on: db) }
            return p.id!
        }
    }

    func setActive(_ id: UUID, _ active: Bool, db: any Database) async throws {
        try await Product.query(on: db).filter(\.$id == id).set(\.$active, to: active).update()
    }
}
