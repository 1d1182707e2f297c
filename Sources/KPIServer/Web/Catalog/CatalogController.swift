import Foundation
import KPICore
import Vapor

/// Pages of every catalog: /danh-muc/<key>[/moi | /<id>[/sua | /ngung | /kich-hoat] | /xuat].
struct CatalogController {
    static func register(_ r: any RoutesBuilder) {
        let c = r.grouped("danh-muc", ":catalog")
        let filters: [ParamSpec] = [.page, .search, .unitCode, .choice("trang_thai", ["active", "inactive", "all"], "Trạng thái"),
                                    .text("sap_xep", max: 40, "Sắp xếp"), .choice("chieu", ["tang", "giam"], "Chiều sắp xếp")]
            + ["khoi", "cap", "loai", "chuc_vu", "co_quan"].map { ParamSpec.text($0, max: 50, "Bộ lọc") }
        c.get(use: list).reads(filters)
        c.get("xuat", use: export).reads(filters + [.format])
        c.get("moi", use: newForm).reads(.text("cap_tren", max: 50, "Cơ quan cấp trên"))
        c.post("moi", use: create)
        c.get(":id", use: show).reads(.saved, .int("phien", 0...1_000_000, "Số phiên"))
        c.get(":id", "sua", use: editForm)
        c.post(":id", "sua", use: update)
        c.get(":id", "ngung", use: confirmDeactivate)
        c.post(":id", "ngung", use: deactivate)
        c.post(":id", "kich-hoat", use: reactivate)
    }

    static func service(_ req: Request) throws -> CatalogService {
        guard let adapter = CatalogRegistry.adapter(req.parameters.get("catalog") ?? "", req.application) else {
            throw Abort(.notFound, reason: "Không có danh mục này.")
        }
        return CatalogService(adapter: adapter, store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    static func id(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw Abort(.notFound, reason: "Không tìm thấy bản ghi.")
        }
        return id
    }

    static func query(_ req: Request, adapter: any CatalogAdapter) -> ListQuery {
        var q = ListQuery()
        q.q = req.input.text("q")
        q.status = req.input.text("trang_thai").nonEmpty(or: "active")
        q.orgCode = req.input.text("don_vi")
        for key in adapter.listFilters { q.choices[key] = req.input.text(key).nonEmpty }
        q.page = req.input.page
        q.sort = req.input.text("sap_xep").nonEmpty(or: "ma")
        q.descending = req.input.text("chieu") == "giam"
        return q
    }

    static func base(_ spec: CatalogSpec) -> String { "/danh-muc/\(spec.key)" }

    @Sendable static func list(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let q = query(req, adapter: svc.adapter)
        let (page, refs) = try await svc.listWithRefs(q)
        return req.page(CatalogViews.list(svc: svc, q: q, page: page, refs: refs, req: req))
    }

    @Sendable static func export(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let rows = try await svc.exportRows(query(req, adapter: svc.adapter))
        let format = req.input.text("dinh_dang").nonEmpty(or: "xlsx")
        return try Download.table(rows, name: svc.spec.key, format: format, at: req.now)
    }

    @Sendable static func show(_ req: Request) async throws -> Response {
        try await showPage(req, catalog: req.parameters.get("catalog") ?? "", id: id(req))
    }

    /// A record's page; for a user account, with its roles section.
    static func showPage(_ req: Request, catalog: String, id: UUID, problems: [String] = [],
                         status: HTTPStatus = .ok) async throws -> Response {
        guard let adapter = CatalogRegistry.adapter(catalog, req.application) else { throw Abort(.notFound) }
        let svc = CatalogService(adapter: adapter, store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
        let (row, refs) = try await svc.row(id)
        var mayChange = true
        if catalog == "nguoi-dung" { mayChange = try await RoleService.refusal(principal: svc.principal, target: id, db: req.db) == nil }
        var view = CatalogViews.show(svc: svc, row: row, refs: refs, req: req, mayChange: mayChange)
        if catalog == "nguoi-dung" {
            view.body = "\(view.body)\(try await RoleController.section(req, userID: id, problems: problems))"
        }
        return req.page(view, status: status)
    }

    @Sendable static func newForm(_ req: Request) async throws -> Response {
        let svc = try service(req)
        try svc.principal.requireAnywhere(svc.adapter.manageAction)
        let refs = try await RefIndex.load(on: req.db)
        var initial: RawRecord = [:]
        if let parent = req.input.text("cap_tren").nonEmpty { initial["ma_cap_tren"] = parent }
        return req.page(CatalogViews.form(svc: svc, raw: initial, id: nil, problems: [], refs: refs, req: req))
    }

    static func formValues(_ req: Request, spec: CatalogSpec) -> RawRecord {
        var raw: RawRecord = [:]
        for f in spec.fields { raw[f.key] = (try? req.content.get(String.self, at: f.key)) ?? "" }
        return raw
    }

    @Sendable static func create(_ req: Request) async throws -> Response {
        try await save(req, existing: nil)
    }

    @Sendable static func update(_ req: Request) async throws -> Response {
        try await save(req, existing: id(req))
    }

    static func save(_ req: Request, existing: UUID?) async throws -> Response {
        let svc = try service(req)
        let raw = formValues(req, spec: svc.spec)
        do {
            let id = try await svc.save(raw, existing: existing)
            return req.redirect(to: "\(base(svc.spec))/\(id.uuidString)?luu=1")
        } catch let p as CatalogProblems {
            let refs = try await RefIndex.load(on: req.db)
            let view = CatalogViews.form(svc: svc, raw: raw, id: existing, problems: p.problems, refs: refs, req: req)
            return req.page(view, status: .unprocessableEntity)
        }
    }

    @Sendable static func editForm(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let (row, refs) = try await svc.row(id(req))
        try svc.principal.require(svc.adapter.manageAction, at: row.scopePath)
        return req.page(CatalogViews.form(svc: svc, raw: row.raw, id: row.id, problems: [], refs: refs, req: req))
    }

    @Sendable static func confirmDeactivate(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let (row, _) = try await svc.row(id(req))
        try svc.principal.require(svc.adapter.manageAction, at: row.scopePath)
        return req.page(CatalogViews.confirm(svc: svc, row: row, req: req))
    }

    @Sendable static func deactivate(_ req: Request) async throws -> Response {
        try await setActive(req, false)
    }

    @Sendable static func reactivate(_ req: Request) async throws -> Response {
        try await setActive(req, true)
    }

    static func setActive(_ req: Request, _ active: Bool) async throws -> Response {
        let svc = try service(req)
        let id = try id(req)
        do {
            try await svc.setActive(id, active)
            return req.redirect(to: "\(base(svc.spec))/\(id.uuidString)?luu=1")
        } catch let p as CatalogProblems {
            let (row, refs) = try await svc.row(id)
            var view = CatalogViews.show(svc: svc, row: row, refs: refs, req: req)
            view.flash = "Không thể ngừng hoạt động: " + p.problems.map(\.message).joined(separator: "; ")
            view.flashIsError = true
            return req.page(view, status: .conflict)
        }
    }
}

/// Catalogs by URL key.
enum CatalogRegistry {
    static func adapters(_ app: Application) -> [any CatalogAdapter] {
        let settings = app.settings
        return [OrganizationCatalog(), PositionGroupCatalog(), PositionCatalog(), PeopleCatalog(),
                UserCatalog(bcryptCost: settings.bcryptCost, passwordPolicy: settings.passwordPolicy, clock: app.clock),
                ProductCatalog(), ViolationCatalog(), PriorLevelCatalog()]
    }

    static func adapter(_ key: String, _ app: Application) -> (any CatalogAdapter)? {
        adapters(app).first { $0.spec.key == key }
    }
}
