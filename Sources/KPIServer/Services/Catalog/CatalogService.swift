import Foundation
import Fluent
import KPICore
import Vapor

/// The use cases every catalog shares: list, view, save, (de)activate, import, export. Each checks
/// the permission policy on the server, writes in one transaction and leaves an audit entry.
struct CatalogService: Sendable {
    let adapter: any CatalogAdapter
    let store: Store
    let principal: Principal
    let actor: Actor

    var spec: CatalogSpec { adapter.spec }

    func list(_ q: ListQuery) async throws -> ListPage {
        try await listWithRefs(q).0
    }

    /// The page and the reference index it was resolved with (for display).
    func listWithRefs(_ q: ListQuery) async throws -> (ListPage, RefIndex) {
        try principal.requireAnywhere(adapter.viewAction)
        let refs = try await RefIndex.load(on: store.db)
        return (try await adapter.list(q, scopes: principal.scopes(adapter.viewAction), refs: refs, db: store.db), refs)
    }

    /// A record the user may see, or 404 (not 403: nothing tells that it exists elsewhere).
    func row(_ id: UUID) async throws -> (CatalogRow, RefIndex) {
        let refs = try await RefIndex.load(on: store.db)
        guard let row = try await adapter.row(id: id, refs: refs, db: store.db),
              principal.can(adapter.viewAction, at: row.scopePath)
                || (row.scopePath == "/" && adapter.viewAction == .viewCatalog) else {
            throw Abort(.notFound, reason: "Không tìm thấy bản ghi hoặc bản ghi ngoài phạm vi của bạn.")
        }
        return (row, refs)
    }

    /// Saves a form; returns the record id. Field problems come back as `CatalogProblems`.
    func save(_ raw: RawRecord, existing: UUID?) async throws -> UUID {
        // Who may act is settled before the form is read: a refusal, never the form's problems.
        if let existing {
            let (row, _) = try await row(existing)
            try principal.require(adapter.manageAction, at: row.scopePath)
        } else {
            try principal.requireAnywhere(adapter.manageAction)
        }
        let checked = spec.check(raw)
        guard checked.problems.isEmpty else { throw CatalogProblems(checked.problems) }
        return try await store.write { [adapter, principal, actor] db in
            let refs = try await RefIndex.load(on: db)
            return try await Self.apply(adapter, checked.values, existing: existing, refs: refs, db: db,
                                        principal: principal, actor: actor, action: "save").id
        }
    }

    struct Applied {
        var id: UUID
        var changed: Bool
        var created: Bool
    }

    /// Plans, authorizes, writes and audits one record inside the caller's transaction.
    static func apply(_ adapter: any CatalogAdapter, _ values: [String: FieldValue], existing: UUID?,
                      refs: RefIndex, db: any Database, principal: Principal, actor: Actor,
                      action: String) async throws -> Applied {
        refs.visible = { principal.can(.viewCatalog, at: $0) }
        let plan = try await adapter.plan(values, existing: existing, refs: refs, db: db)
        let scopes = [plan.beforeScope, plan.afterScope].compactMap { $0 }
        guard scopes.allSatisfy({ principal.can(adapter.manageAction, at: $0) }) else {
            throw CatalogProblems("ma", "Mã", "ngoài phạm vi quản lý của bạn")
        }
        try await adapter.authorize(plan, existing: existing, principal: principal, db: db)
        if let before = plan.before, before == plan.after, let existing {
            return Applied(id: existing, changed: false, created: false)
        }
        let id = try await plan.commit()
        try await AuditLog.append(on: db, actor: actor,
                                  action: """
                                      \(adapter.entityType).\(plan.before == nil ? "create" : "update")\
                                      \(action == "import" ? ".import" : "")
                                      """,
                                  entityType: adapter.entityType, entityID: id.uuidString,
                                  scopePath: plan.afterScope, before: plan.before, after: plan.after)
        return Applied(id: id, changed: true, created: plan.before == nil)
    }

    func setActive(_ id: UUID, _ active: Bool) async throws {
        let (row, _) = try await row(id)
        try principal.require(adapter.manageAction, at: row.scopePath)
        try await store.write { [adapter, actor, principal] db in
            try await adapter.authorizeSetActive(id, principal: principal, db: db)
            try await adapter.setActive(id, active, db: db)
            try await AuditLog.append(on: db, actor: actor,
                                      action: "\(adapter.entityType).\(active ? "reactivate" : "deactivate")",
                                      entityType: adapter.entityType, entityID: id.uuidString, scopePath: row.scopePath,
                                      before: ["hoat_dong": row.active ? "1" : "0"], after: ["hoat_dong": active ? "1" : "0"])
        }
    }

    /// Every record the user may see, for an export, with the same filters as the list.
    func exportRows(_ q: ListQuery) async throws -> [[String]] {
        try principal.requireAnywhere(adapter.viewAction == .viewCatalog ? .exportCatalog : adapter.viewAction)
        var all = q
        all.page = 1
        all.perPage = 1_000_000
        let page = try await list(all)
        let header = spec.fields.filter { $0.key != "mat_khau_tam" }.map(\.label) + ["Trạng thái"]
        let body = page.rows.map { r in
            spec.fields.filter { $0.key != "mat_khau_tam" }.map { CatalogForms.exportValue($0,
                r.raw[$0.key] ?? "") } + [r.active ? "Đang hoạt động" : "Ngừng hoạt động"]
        }
        let actor = actor
        let entity = adapter.entityType
        try await store.write { db in
            try await AuditLog.append(on: db, actor: actor, action: "\(entity).export", entityType: entity,
                                      entityID: "-", scopePath: "/", after: ["rows": String(body.count), "q": q.q])
        }
        return [header] + body
    }
}

extension Principal {
    func requireAnywhere(_ action: Action) throws {
        guard canAnywhere(action) else { throw Abort(.forbidden, reason: Principal.refusal) }
    }
}
