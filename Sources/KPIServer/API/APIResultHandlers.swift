import Fluent
import Foundation
import KPICore
import Vapor

/// Periods and results through the API (issue 20, item 1): the evaluation periods of the agencies
/// the client's subtree lies in or holds, and the official results of its people. Only a published
/// or locked period's results leave the system, unless the token holds `results:read-unpublished`.
enum APIResults {
    /// The agencies' paths a period may belong to for the client to read it: every node of its
    /// subtrees and every node above them (a client given one unit reads that unit's agency's periods).
    static func periodFilter(_ query: QueryBuilder<EvaluationPeriod>, scopes: [String]) {
        let above = Set(scopes.flatMap(OrgPath.ancestors))
        query.group(.or) { or in
            for s in scopes { or.filter(\.$scopePath, .custom("LIKE"), s + "%") }
            or.filter(\.$scopePath ~~ Array(above))
        }
    }

    static func published(_ state: String) -> Bool {
        [EvaluationState.published.rawValue, EvaluationState.locked.rawValue].contains(state)
    }

    static func render(_ p: EvaluationPeriod, refs: RefIndex) throws -> Components.Schemas.Period {
        .init(id: try p.requireID().uuidString, code: p.code,
              kind: Components.Schemas.Period.KindPayload(rawValue: p.kind) ?? .month, organizationCode: refs.orgCode(p.organizationID),
              state: Components.Schemas.PeriodState(rawValue: p.state) ?? .mo, published: published(p.state), lockedAt: p.lockedAt)
    }

    /// A score in hundredths as the contract writes it ("87.50").
    static func score(_ hundredths: Int?) -> String? {
        hundredths.map { h in
            let sign = h < 0 ? "-" : ""
            let m = h.magnitude
            return "\(sign)\(m / 100).\(m % 100 < 10 ? "0" : "")\(m % 100)"
        }
    }

    static func uuid(_ text: String?, _ field: String) throws -> UUID? {
        guard let text else { return nil }
        guard let id = UUID(uuidString: text) else { throw APIValidate.fail(field, "là một mã định danh UUID") }
        return id
    }
}

extension KPIAPI {
    func listPeriods(_ input: Operations.ListPeriods.Input) async throws -> Operations.ListPeriods.Output {
        let (req, _, p) = try APIContext.require(.resultsRead)
        let q = input.query
        let paging = try APIPaging(q: nil, status: nil, limit: q.limit, cursor: nil)
        let after = try APIResults.uuid(q.cursor, "cursor")
        let refs = try await RefIndex.load(on: req.db)
        let query = EvaluationPeriod.query(on: req.db)
        APIResults.periodFilter(query, scopes: p.scopes(.viewEvaluations))
        if let under = try APICatalog.subtree(q.under, principal: p, refs: refs) {
            query.filter(\.$scopePath, .custom("LIKE"), under + "%")
        }
        if let kind = q.kind { query.filter(\.$kind == kind.rawValue) }
        if let state = q.state { query.filter(\.$state == state.rawValue) }
        if let after { query.filter(\.$id > after) }
        let rows = try await query.sort(\.$id).limit(paging.limit + 1).all()
        let (kept, next) = paging.page(rows) { $0.id?.uuidString ?? "" }
        return .ok(.init(body: .json(.init(items: try kept.map { try APIResults.render($0, refs: refs) }, next: next))))
    }

    func listResults(_ input: Operations.ListResults.Input) async throws -> Operations.ListResults.Output {
        let (req, client, p) = try APIContext.require(.resultsRead)
        let paging = try APIPaging(q: nil, status: nil, limit: input.query.limit, cursor: input.query.cursor)
        let notFound = APIProblem(.notFound, "period-not-found",
                                  "Không có kỳ đánh giá này, hoặc kỳ ngoài phạm vi của ứng dụng.")
        guard let id = try APIResults.uuid(input.path.id, "id") else { throw notFound }
        let query = EvaluationPeriod.query(on: req.db).filter(\.$id == id)
        let scopes = p.scopes(.viewEvaluations)
        APIResults.periodFilter(query, scopes: scopes)
        guard let period = try await query.first() else { throw notFound }
        guard APIResults.published(period.state) || client.scopes.contains(.resultsReadUnpublished) else {
            let step = EvaluationState(rawValue: period.state)?.label ?? period.state
            throw APIProblem(.forbidden, "results-unpublished", """
                Kết quả của kỳ \(period.code) chưa công khai (bước «\(step)»). \
                Chỉ khóa có quyền «results:read-unpublished» mới đọc được.
                """)
        }
        let refs = try await RefIndex.load(on: req.db)
        let rows = Evaluation.query(on: req.db).filter(\.$periodID == id)
        rows.group(.or) { or in for s in scopes { or.filter(\.$scopePath, .custom("LIKE"), s + "%") } }
        if let after = paging.after { rows.filter(\.$personCode > after) }
        let found = try await rows.sort(\.$personCode).limit(paging.limit + 1).all()
        let (kept, next) = paging.page(found) { $0.personCode }
        let people = kept.isEmpty ? [] : try await Person.query(on: req.db).filter(\.$id ~~ kept.map(\.personID)).all()
        let byID = Dictionary(uniqueKeysWithValues: people.compactMap { x in x.id.map { ($0, x) } })
        let items: [Components.Schemas.Result] = kept.map { e in
            let level = Level(rawValue: e.level)
            return .init(personCode: e.personCode, fullName: byID[e.personID]?.fullName ?? "",
                         organizationCode: byID[e.personID].map { refs.orgCode($0.organizationID) } ?? "", isLeader: e.isLeader,
                         score: level == nil ? nil : APIResults.score(e.hundredths),
                         level: level.flatMap { Components.Schemas.Result.LevelPayload(rawValue: $0.rawValue) },
                         levelName: level?.label, revision: e.revision)
        }
        return .ok(.init(body: .json(.init(period: try APIResults.render(period, refs: refs), items: items, next: next))))
    }
}
