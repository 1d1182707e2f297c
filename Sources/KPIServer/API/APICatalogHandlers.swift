import Fluent
import Foundation
import KPICore
import Vapor

/// Paging of API lists: by code, after the last code of the page before (a keyset: a row added or
/// removed meanwhile neither repeats nor skips another). The cursor is that code, in plain sight.
struct APIPaging: Sendable {
    var search: String
    var status: String
    var limit: Int
    var after: String?

    static let defaultLimit = 100
    static let maxLimit = 500

    init(q: String?, status: String?, limit: Int?, cursor: String?) throws {
        search = q ?? ""
        guard search.count <= 100 else {
            throw APIProblem(.badRequest, "invalid-parameter", "Tham số «q» dài quá 100 ký tự.")
        }
        self.status = status ?? "active"
        let asked = limit ?? Self.defaultLimit
        guard (1...Self.maxLimit).contains(asked) else {
            throw APIProblem(.badRequest, "invalid-parameter", "Tham số «limit» phải từ 1 đến \(Self.maxLimit).")
        }
        self.limit = asked
        if let cursor {
            guard APITokenRules.accountNameProblem(cursor) == nil else {
                throw APIProblem(.badRequest, "invalid-cursor",
                                 "Tham số «cursor» phải là một mã (giá trị «next» của trang trước).")
            }
            after = cursor
        }
    }

    var listQuery: ListQuery { ListQuery(q: search, status: status) }

    /// The page's rows and the cursor of the next page (fetched `limit + 1` to know if there is one).
    func page<M>(_ rows: [M], code: (M) -> String) -> (rows: [M], next: String?) {
        guard rows.count > limit else { return (rows, nil) }
        let kept = Array(rows.prefix(limit))
        return (kept, kept.last.map(code))
    }
}

/// The catalog reads of the API: the same scope filter as the pages' lists (`ListFilter.apply` with
/// the client's `viewCatalog` scopes), and 404 for a record outside the client's subtree.
enum APICatalog {
    /// The organization with `code` when the principal may see it; else 404 (nothing tells it exists).
    static func visibleOrganization(_ code: String, principal: Principal, refs: RefIndex) throws -> RefIndex.Org {
        guard let o = refs.org(code: code), principal.can(.viewCatalog, at: o.path) else {
            throw APIProblem(.notFound, "organization-not-found",
                             "Không có cơ quan, đơn vị mã «\(code)» hoặc đơn vị ngoài phạm vi của ứng dụng.")
        }
        return o
    }

    static func subtree(_ under: String?, principal: Principal, refs: RefIndex) throws -> String? {
        try APIValidate.code(under, "under")
        return try under.map { try visibleOrganization($0, principal: principal, refs: refs).path }
    }

    /// One page of a catalog's list: the pages' scope filter (`ListFilter.apply` with the client's
    /// `viewCatalog` scopes), the subtree asked for, the records after the cursor, by code.
    static func list<M: Model>(_: M.Type, _ req: Request, _ p: Principal, q: String?, status: String?, limit: Int?, cursor: String?,
                               under: String?, scope: KeyPath<M, FieldProperty<M, String>>, active: KeyPath<M, FieldProperty<M, Bool>>,
                               search: KeyPath<M, FieldProperty<M, String>>, code: KeyPath<M, FieldProperty<M, String>>,
                               refine: (QueryBuilder<M>) -> Void = { _ in })
    async throws -> (rows: [M], next: String?, refs: RefIndex) {
        let paging = try APIPaging(q: q, status: status, limit: limit, cursor: cursor)
        let refs = try await RefIndex.load(on: req.db)
        let base = ListFilter.apply(M.query(on: req.db), q: paging.listQuery, scopes: p.scopes(.viewCatalog), scope: scope,
                                    active: active, search: search, subtree: try subtree(under, principal: p, refs: refs))
        refine(base)
        if let after = paging.after { base.filter(code, .greaterThan, after) }
        let rows = try await base.sort(code).limit(paging.limit + 1).all()
        let (kept, next) = paging.page(rows) { $0[keyPath: code].wrappedValue }
        return (kept, next, refs)
    }

    static func organization(_ o: Organization, refs: RefIndex) throws -> Components.Schemas.Organization {
        let parent = refs.orgCode(o.parentID)
        return .init(id: try o.requireID().uuidString, code: o.code, name: o.name, block: o.block, level: o.level,
                     parentCode: parent.isEmpty ? nil : parent, identifier: o.identifier.nilIfEmpty, isAgency: o.isAgency,
                     active: o.active)
    }

    static func position(_ p: Position, refs: RefIndex) throws -> Components.Schemas.Position {
        let org = refs.orgCode(p.organizationID)
        return .init(id: try p.requireID().uuidString, code: p.code, name: p.name, groupCode: refs.groupsByID[p.groupID]?.code ?? "",
                     organizationCode: org.isEmpty ? nil : org, active: p.active)
    }

    static func person(_ p: Person, refs: RefIndex) throws -> Components.Schemas.Person {
        let position = p.positionID.flatMap { refs.positionsByID[$0]?.code }
        return .init(id: try p.requireID().uuidString, code: p.code, fullName: p.fullName, staffKind: p.staffKind,
                     organizationCode: refs.orgCode(p.organizationID), positionCode: position, leadershipRank: p.leadershipRank,
                     active: p.active)
    }
}

extension KPIAPI {
    func listOrganizations(_ input: Operations.ListOrganizations.Input) async throws -> Operations.ListOrganizations.Output {
        let (req, _, p) = try APIContext.require(.catalogRead)
        let q = input.query
        // As the contract writes it (upper-case), not normalized: a lower-case one breaks its pattern.
        let identifier = q.identifier
        if let identifier, let problem = AgencyIdentifier.problem(identifier) { throw APIValidate.fail("identifier", problem) }
        let page = try await APICatalog.list(Organization.self, req, p, q: q.q, status: q.status?.rawValue, limit: q.limit,
                                             cursor: q.cursor, under: q.under, scope: \.$path, active: \.$active,
                                             search: \.$searchText, code: \.$code) { query in
            if let identifier { query.filter(\.$identifier == identifier) }
        }
        let items = try page.rows.map { try APICatalog.organization($0, refs: page.refs) }
        return .ok(.init(body: .json(.init(items: items, next: page.next))))
    }

    func getOrganization(_ input: Operations.GetOrganization.Input) async throws -> Operations.GetOrganization.Output {
        let (req, _, p) = try APIContext.require(.catalogRead)
        let refs = try await RefIndex.load(on: req.db)
        let o = try APICatalog.visibleOrganization(input.path.code, principal: p, refs: refs)
        guard let record = try await Organization.find(o.id, on: req.db) else {
            throw APIProblem(.notFound, "organization-not-found", "Không có cơ quan, đơn vị mã «\(input.path.code)».")
        }
        return .ok(.init(body: .json(try APICatalog.organization(record, refs: refs))))
    }

    func listPositions(_ input: Operations.ListPositions.Input) async throws -> Operations.ListPositions.Output {
        let (req, _, p) = try APIContext.require(.catalogRead)
        let q = input.query
        let page = try await APICatalog.list(Position.self, req, p, q: q.q, status: q.status?.rawValue, limit: q.limit,
                                             cursor: q.cursor, under: q.under, scope: \.$scopePath, active: \.$active,
                                             search: \.$searchText, code: \.$code)
        let items = try page.rows.map { try APICatalog.position($0, refs: page.refs) }
        return .ok(.init(body: .json(.init(items: items, next: page.next))))
    }

    func listPeople(_ input: Operations.ListPeople.Input) async throws -> Operations.ListPeople.Output {
        let (req, _, p) = try APIContext.require(.catalogRead)
        let q = input.query
        let page = try await APICatalog.list(Person.self, req, p, q: q.q, status: q.status?.rawValue, limit: q.limit,
                                             cursor: q.cursor, under: q.under, scope: \.$scopePath, active: \.$active,
                                             search: \.$searchText, code: \.$code)
        let items = try page.rows.map { try APICatalog.person($0, refs: page.refs) }
        return .ok(.init(body: .json(.init(items: items, next: page.next))))
    }

    func getPerson(_ input: Operations.GetPerson.Input) async throws -> Operations.GetPerson.Output {
        let (req, _, p) = try APIContext.require(.catalogRead)
        guard let person = try await Person.query(on: req.db).filter(\.$code == input.path.code).first(),
              p.can(.viewCatalog, at: person.scopePath) else {
            throw APIProblem(.notFound, "person-not-found",
                             "Không có cán bộ mã «\(input.path.code)» hoặc cán bộ ngoài phạm vi của ứng dụng.")
        }
        let refs = try await RefIndex.load(on: req.db)
        return .ok(.init(body: .json(try APICatalog.person(person, refs: refs))))
    }
}
