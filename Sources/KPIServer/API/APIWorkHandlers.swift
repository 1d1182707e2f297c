import Fluent
import Foundation
import KPICore
import OpenAPIRuntime
import Vapor

/// Handling a task through the API (issue 20, item 1): the document system in which the assignee
/// processes a directive reports the handling — progress, evidence, submission — and, where the
/// client's grant allows, accepts or returns the result. Every action goes through `WorkService.act`
/// and `TaskFlow` as on the task's page (same states, versions, separation of duties, audit).
enum APIWork {
    /// The task of `code` the client may see, else 404.
    static func task(_ code: String, _ req: Request, _ svc: WorkService) async throws -> WorkTask {
        try APIValidate.code(code, "code")
        guard let t = try await WorkTask.query(on: req.db).filter(\.$code == code).first() else { throw APITasks.notFound(code) }
        let parts = try await TaskParticipant.query(on: req.db).filter(\.$taskID == t.requireID()).all()
        guard svc.mayView(t, participants: parts) else { throw APITasks.notFound(code) }
        return t
    }

    /// A refusal of the workflow as a problem: not the client's to do (403), the task moved on since
    /// it was read (409 `task-changed`), or its state does not allow it (409 `task-state`).
    static func problem(_ error: any Error) -> any Error {
        switch error {
        case let r as WorkService.Refused:
            if r.forbidden { return APIProblem(.forbidden, "action-forbidden", r.message) }
            if r.message == WorkService.stale {
                return APIProblem(.conflict, "task-changed", """
                    Nhiệm vụ đã thay đổi kể từ khi đọc (version đã cũ). Đọc lại nhiệm vụ rồi thao tác \
                    lại nếu vẫn cần.
                    """)
            }
            return APIProblem(.conflict, "task-state", r.message)
        case let e as WorkService.Invalid:
            return APIProblem(.unprocessableEntity, "invalid-fields", "Dữ liệu không hợp lệ; xem từng lỗi trong «errors».",
                              errors: e.problems.map { (field: field($0.field), message: $0.message) })
        default:
            return error
        }
    }

    static func field(_ form: String) -> String {
        ["tep": "name", "so_van_ban": "text", "lien_ket": "text", "loai": "kind"][form] ?? form
    }

    /// Runs one workflow event on the task of `code` at the client's `version` and answers the task.
    static func act(_ code: String, version: Int, _ event: TaskEvent) async throws -> Components.Schemas.Task {
        let (req, _, p) = try APIContext.require(.tasksWrite)
        let svc = APITasks.service(req, p)
        let t = try await task(code, req, svc)
        do {
            let done = try await svc.act(t.requireID(), version: version, event)
            return try await APITasks.render([done], db: req.db)[0]
        } catch {
            throw problem(error)
        }
    }

    /// A free text the workflow requires (a reason): not blank once cleaned, within `max`.
    static func required(_ value: String, _ name: String, max: Int = 1_000) throws -> String {
        try APIValidate.length(value, name, max: max)
        guard !TextNormalizer.clean(value).isEmpty else { throw invalid(name, "không được để trống") }
        return value
    }

    /// A value the schema allows but the rules do not (one field against another, an empty file).
    static func invalid(_ field: String, _ message: String) -> APIProblem {
        APIProblem(.unprocessableEntity, "invalid-fields", "«\(field)» không hợp lệ: \(message).",
                   errors: [(field: field, message: message)])
    }

    static func render(_ e: Evidence) throws -> Components.Schemas.Evidence {
        .init(id: try e.requireID().uuidString, kind: e.kind, name: e.name, size: e.size, sha256: e.sha256.nilIfEmpty,
              addedBy: e.addedBy, createdAt: e.createdAt ?? Date(timeIntervalSince1970: 0))
    }
}

extension KPIAPI {
    func reportProgress(_ input: Operations.ReportProgress.Input) async throws -> Operations.ReportProgress.Output {
        guard case .json(let b) = input.body else { throw APIProblem.notJSON }
        try APIValidate.length(b.note, "note", max: 1_000)
        guard (0...100).contains(b.percent) else { throw APIValidate.fail("percent", "từ 0 đến 100") }
        return .ok(.init(body: .json(try await APIWork.act(input.path.code, version: b.version,
                                                           .progress(percent: b.percent, note: b.note ?? "")))))
    }

    func submitTask(_ input: Operations.SubmitTask.Input) async throws -> Operations.SubmitTask.Output {
        guard case .json(let b) = input.body else { throw APIProblem.notJSON }
        try APIValidate.length(b.note, "note", max: 1_000)
        // The evidence count is read inside the transaction (`WorkService.withEvidence`).
        return .ok(.init(body: .json(try await APIWork.act(input.path.code, version: b.version, .submit(evidence: 0, note: b.note ?? "")))))
    }

    func acceptTask(_ input: Operations.AcceptTask.Input) async throws -> Operations.AcceptTask.Output {
        guard case .json(let b) = input.body else { throw APIProblem.notJSON }
        let verdict: Verdict
        switch b.result {
        case .dat:
            guard b.errors == nil, b.confirmedBy == nil else {
                throw APIWork.invalid("errors", "chỉ ghi số lỗi lớn và người xác nhận khi kết quả chưa đạt")
            }
            verdict = .pass
        case .chuaDat:
            guard let n = b.errors else { throw APIWork.invalid("errors", "kết quả chưa đạt cần số lỗi lớn (1–100)") }
            verdict = .fail(errors: n)
        case .mienTru:
            guard let n = b.errors else { throw APIWork.invalid("errors", "kết quả chưa đạt cần số lỗi lớn (1–100)") }
            verdict = .exempt(errors: n, confirmedBy: try APIWork.required(b.confirmedBy ?? "", "confirmedBy", max: 200))
        }
        if let n = b.errors, !(1...TaskFlow.maxErrorsPerVerdict).contains(n) { throw APIValidate.fail("errors", "từ 1 đến 100") }
        var exemption: DelayExemption?
        if let d = b.delayExemption {
            exemption = DelayExemption(confirmedBy: try APIWork.required(d.confirmedBy, "delayExemption.confirmedBy", max: 200),
                                       reason: try APIWork.required(d.reason, "delayExemption.reason"))
        }
        return .ok(.init(body: .json(try await APIWork.act(input.path.code, version: b.version,
                                                           .accept(verdict, delayExemption: exemption)))))
    }

    func returnTask(_ input: Operations.ReturnTask.Input) async throws -> Operations.ReturnTask.Output {
        guard case .json(let b) = input.body else { throw APIProblem.notJSON }
        let reason = try APIWork.required(b.reason, "reason")
        return .ok(.init(body: .json(try await APIWork.act(input.path.code, version: b.version,
                                                           .returnForRework(reason: reason, exempt: b.objectiveCause ?? false)))))
    }

    func listEvidence(_ input: Operations.ListEvidence.Input) async throws -> Operations.ListEvidence.Output {
        let (req, _, p) = try APIContext.require(.tasksRead)
        let svc = APITasks.service(req, p)
        let t = try await APIWork.task(input.path.code, req, svc)
        let items = try await svc.evidence(t.requireID()).map(APIWork.render)
        return .ok(.init(body: .json(.init(items: items))))
    }

    func addEvidenceFile(_ input: Operations.AddEvidenceFile.Input) async throws -> Operations.AddEvidenceFile.Output {
        let (req, _, p) = try APIContext.require(.tasksWrite)
        let name = input.query.name
        guard (1...255).contains(name.count), !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "/" || $0 == "\\" }) else {
            throw APIValidate.fail("name", "là tên tệp có phần mở rộng, 1–255 ký tự, không có / hay \\")
        }
        guard case .binary(let body) = input.body else {
            throw APIProblem(.unsupportedMediaType, "unsupported-media-type",
                             "Gửi nội dung tệp với Content-Type application/octet-stream.")
        }
        let svc = APITasks.service(req, p)
        let t = try await APIWork.task(input.path.code, req, svc)
        // The middleware has already read the body within the evidence limit (`APIIdempotency.limit`).
        let data = try await Data(collecting: body, upTo: APIIdempotency.limit(req))
        guard !data.isEmpty else { throw APIWork.invalid("body", "tệp trống; gửi nội dung tệp làm thân yêu cầu") }
        do {
            let e = try await svc.addFile(t.requireID(), filename: name, data: data)
            return .created(.init(body: .json(try APIWork.render(e))))
        } catch {
            throw APIWork.problem(error)
        }
    }

    func addEvidenceReference(_ input: Operations.AddEvidenceReference.Input) async throws -> Operations.AddEvidenceReference.Output {
        let (req, _, p) = try APIContext.require(.tasksWrite)
        guard case .json(let b) = input.body else { throw APIProblem.notJSON }
        let text = try APIWork.required(b.text, "text")
        let svc = APITasks.service(req, p)
        let t = try await APIWork.task(input.path.code, req, svc)
        do {
            let e = try await svc.addReference(t.requireID(), kind: b.kind.rawValue, text: text)
            return .created(.init(body: .json(try APIWork.render(e))))
        } catch {
            throw APIWork.problem(error)
        }
    }
}
