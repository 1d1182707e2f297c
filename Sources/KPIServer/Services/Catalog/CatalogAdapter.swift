import Foundation
import Fluent
import KPICore
import Vapor

/// A catalog record as plain strings by field key: as forms, files and audit snapshots see it.
typealias RawRecord = [String: String]

/// One record of a catalog, ready for display.
struct CatalogRow: Sendable {
    var id: UUID
    var raw: RawRecord
    var scopePath: String
    var active: Bool
    var title: String
}

/// Filters, sort and page of a list.
struct ListQuery: Sendable {
    var q = ""
    /// "active" (default), "inactive" or "all".
    var status = "active"
    /// Restricts to the subtree of this organization code.
    var orgCode = ""
    /// Choice filters by field key.
    var choices: [String: String] = [:]
    var page = 1
    var perPage = 50
    var sort = "ma"
    var descending = false
}

struct ListPage: Sendable {
    var rows: [CatalogRow]
    var total: Int
}

/// Problems that stop a save, each tied to a field where possible.
struct CatalogProblems: Error {
    var problems: [FieldProblem]
    init(_ problems: [FieldProblem]) { self.problems = problems }
    init(_ key: String, _ label: String, _ message: String) {
        problems = [FieldProblem(fieldKey: key, fieldLabel: label, message: message)]
    }
}

/// A change worked out but not yet written.
struct PlannedChange {
    var before: RawRecord?
    var after: RawRecord
    /// Where the record sits before and after: both must be inside the user's scope.
    var beforeScope: String?
    var afterScope: String
    /// Writes the change and returns the record's id.
    var commit: () async throws -> UUID
}

/// What differs between catalogs; `CatalogService` does the rest the same way for all.
protocol CatalogAdapter: Sendable {
    var spec: CatalogSpec { get }
    /// Entity name in the audit trail.
    var entityType: String { get }
    /// Choice fields offered as list filters.
    var listFilters: [String] { get }
    /// Field keys shown as list columns.
    var listColumns: [String] { get }
    /// Whether the list can be filtered by organization subtree.
    var filtersByOrganization: Bool { get }
    /// The permission to see records, and to change them.
    var viewAction: Action { get }
    var manageAction: Action { get }

    func list(_ q: ListQuery, scopes: [String], refs: RefIndex, db: any Database) async throws -> ListPage
    func row(id: UUID, refs: RefIndex, db: any Database) async throws -> CatalogRow?
    func id(code: String, db: any Database) async throws -> UUID?
    /// The record an imported row updates (by default the one with its code).
    func id(values: [String: FieldValue], db: any Database) async throws -> UUID?
    /// What makes an imported row one record (by default its code), and how a problem names it.
    func importKey(_ values: [String: FieldValue]) -> (key: String, label: String)
    /// Checks the values against the other catalogs and plans the write.
    func plan(_ values: [String: FieldValue], existing: UUID?, refs: RefIndex, db: any Database) async throws -> PlannedChange
    func setActive(_ id: UUID, _ active: Bool, db: any Database) async throws
    /// Refuses a change the scope check allows but the catalog's own rules do not (accounts:
    /// `AccountRules`). Runs in the writing transaction, before the write.
    func authorize(_ plan: PlannedChange, existing: UUID?, principal: Principal, db: any Database) async throws
    /// The same for (de)activating a record.
    func authorizeSetActive(_ id: UUID, principal: Principal, db: any Database) async throws
}

extension CatalogAdapter {
    var filtersByOrganization: Bool { true }
    var viewAction: Action { .viewCatalog }
    var manageAction: Action { .manageCatalog }
    func authorize(_ plan: PlannedChange, existing: UUID?, principal: Principal, db: any Database) async throws {}
    func authorizeSetActive(_ id: UUID, principal: Principal, db: any Database) async throws {}
    func id(values: [String: FieldValue], db: any Database) async throws -> UUID? {
        try await id(code: values["ma"]?.text ?? "", db: db)
    }
    func importKey(_ values: [String: FieldValue]) -> (key: String, label: String) {
        let code = values["ma"]?.text ?? ""
        return (code, "«Mã»: mã «\(code)»")
    }

    /// Problem for a reference that does not resolve, worded so as not to reveal records outside scope.
    func unknown(_ key: String, _ code: String) -> CatalogProblems {
        let label = spec.field(key)?.label ?? key
        return CatalogProblems(key, label, "mã «\(code)» không tồn tại hoặc ngoài phạm vi của bạn")
    }

    func text(_ v: [String: FieldValue], _ key: String) -> String { v[key]?.text ?? "" }

    func page<M: Model>(_ base: QueryBuilder<M>, _ q: ListQuery, code: KeyPath<M, FieldProperty<M, String>>,
                        name: KeyPath<M, FieldProperty<M, String>>, map: (M) throws -> CatalogRow) async throws -> ListPage {
        let total = try await base.count()
        let direction: DatabaseQuery.Sort.Direction = q.descending ? .descending : .ascending
        if q.sort == "ten" || q.sort == "ho_ten" { base.sort(name, direction) } else { base.sort(code, direction) }
        let rows = try await base.range(lower: (q.page - 1) * q.perPage, upper: q.page * q.perPage).all()
        return ListPage(rows: try rows.map(map), total: total)
    }
}

/// Applies the search, status, subtree and scope filters shared by every catalog list.
enum ListFilter {
    static func apply<M: Model>(_ query: QueryBuilder<M>, q: ListQuery, scopes: [String],
                                scope: KeyPath<M, FieldProperty<M, String>>,
                                active: KeyPath<M, FieldProperty<M, Bool>>,
                                search: KeyPath<M, FieldProperty<M, String>>,
                                subtree: String?, includeProvinceWide: Bool = true) -> QueryBuilder<M> {
        let folded = TextNormalizer.fold(q.q)
        if !folded.isEmpty { query.filter(search, .custom("LIKE"), "%\(folded)%") }
        switch q.status {
        case "inactive": query.filter(active == false)
        case "all": break
        default: query.filter(active == true)
        }
        if let subtree { query.filter(scope, .custom("LIKE"), subtree + "%") }
        query.group(.or) { or in
            for s in scopes { or.filter(scope, .custom("LIKE"), s + "%") }
            // Province-wide records ("/") are visible to everyone signed in.
            if includeProvinceWide || scopes.isEmpty { or.filter(scope, .equal, includeProvinceWide ? "/" : "-") }
        }
        return query
    }
}
