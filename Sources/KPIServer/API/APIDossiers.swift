import Foundation
import KPICore
import Vapor

/// Hồ sơ TTHC through the API (issue 20, item 8): the contract's bounds are checked for the whole batch
/// before any work (400 naming `items[i].field`); what a line means (its dates, its agency, its officer)
/// is `DossierService`'s, which refuses by line and records the rest.
enum APIDossiers {
    static func draft(_ d: Components.Schemas.Dossier, index: Int) throws -> DossierDraft {
        let at = "items[\(index)]"
        try APIValidate.length(d.code, at + ".code", max: DossierCode.maxLength, min: 1)
        try APIValidate.length(d.procedureCode, at + ".procedureCode", max: 50)
        try APIValidate.length(d.procedureName, at + ".procedureName", max: DossierDraft.maxProcedureName)
        try APIValidate.code(d.officer, at + ".officer")
        let received = try APIValidate.date(d.receivedOn, at + ".receivedOn") ?? ""
        let due = try APIValidate.date(d.dueOn, at + ".dueOn") ?? ""
        let finished = try APIValidate.date(d.finishedOn, at + ".finishedOn") ?? ""
        var draft = DossierDraft(code: d.code, procedureCode: d.procedureCode ?? "", procedureName: d.procedureName ?? "",
                                 received: received, due: due, finished: finished, officer: d.officer)
        if let r = d.rating {
            guard (1...5).contains(r.score) else { throw APIValidate.fail(at + ".rating.score", "từ 1 đến 5") }
            try APIValidate.length(r.comment, at + ".rating.comment", max: DossierDraft.maxComment)
            draft.rating = r.score
            draft.ratingComment = r.comment ?? ""
            draft.ratedOn = try APIValidate.date(r.ratedOn, at + ".rating.ratedOn") ?? ""
        }
        return draft
    }

    /// The service's field names (a task form's, for the checks it shares with one) as the contract's.
    static let fields = ["nguoi": "officer", "san_pham": "officer", "bat_dau": "receivedOn", "han": "dueOn", "tieu_de": "procedureName"]

    static func shown(_ o: DossierService.Outcome, index: Int, code: String) -> Components.Schemas.DossierOutcome {
        switch o {
        case .created(let task, let late, let rated):
            .init(index: index, code: code, status: .created, taskCode: task, late: late, rated: rated)
        case .existing(let task, let late, let rated):
            .init(index: index, code: code, status: .existing, taskCode: task, late: late, rated: rated)
        case .refused(let problems):
            .init(index: index, code: code, status: .refused,
                  errors: problems.map { .init(field: "items[\(index)].\(fields[$0.field] ?? $0.field)", message: $0.message) })
        }
    }
}

extension KPIAPI {
    func recordDossiers(_ input: Operations.RecordDossiers.Input) async throws -> Operations.RecordDossiers.Output {
        let (req, _, p) = try APIContext.require(.tasksWrite)
        guard case .json(let body) = input.body else { throw APIProblem.notJSON }
        try APIValidate.batch(body.items.count, max: DossierService.maxItems, noun: "hồ sơ")
        let drafts = try body.items.enumerated().map { try APIDossiers.draft($1, index: $0) }
        let outcomes = try await DossierService(work: APITasks.service(req, p)).record(drafts, today: req.application.clock.today)
        let items = outcomes.enumerated().map { APIDossiers.shown($1, index: $0, code: DossierCode.normalize(drafts[$0].code)) }
        func count(_ s: Components.Schemas.DossierOutcome.StatusPayload) -> Int { items.filter { $0.status == s }.count }
        return .ok(.init(body: .json(.init(received: items.count, created: count(.created), existing: count(.existing),
                                           refused: count(.refused), items: items))))
    }
}
