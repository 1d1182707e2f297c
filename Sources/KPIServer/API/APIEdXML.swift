import Fluent
import Foundation
import KPICore
import OpenAPIRuntime
import Vapor

/// Văn bản edXML through the API (issue 20, item 5): the package as the body (`application/xml`), read
/// within its own bound (`APIIdempotency.limit`); a refused package is a 422 whose `errors[0].field` is the
/// element at fault.
extension KPIAPI {
    func receiveEdXML(_ input: Operations.ReceiveEdXML.Input) async throws -> Operations.ReceiveEdXML.Output {
        let (req, _, p) = try APIContext.require(.tasksWrite)
        guard case .xml(let body) = input.body else {
            throw APIProblem(.unsupportedMediaType, "unsupported-media-type", "Gửi gói edXML với Content-Type application/xml.")
        }
        let data = try await Data(collecting: body, upTo: APIIdempotency.limit(req))
        let receipt: EdXMLReceiver.Receipt
        do {
            receipt = try await EdXMLReceiver(work: APITasks.service(req, p)).receive(data, today: req.application.clock.today)
        } catch let e as EdXMLProblem {
            throw APIProblem(.unprocessableEntity, "edxml-refused", "Gói edXML không được nhận: \(e.message)",
                             errors: [(field: e.element, message: e.message)])
        }
        let tasks = try await WorkTask.query(on: req.db).filter(\.$id ~~ receipt.tasks).sort(\.$code).all()
        let pkg = receipt.package
        let shown = Components.Schemas.EdXMLReceipt(
            documentId: pkg.documentID, number: pkg.number, promulgationDate: pkg.promulgationDate.iso,
            issuerCode: receipt.issuer.code, signed: pkg.signed,
            signature: .init(status: .init(rawValue: receipt.signature.code) ?? .khongKy, label: receipt.signature.label),
            attachments: pkg.attachments.count,
            tasks: try await APITasks.render(tasks, db: req.db))
        return receipt.existed ? .ok(.init(body: .json(shown))) : .created(.init(body: .json(shown)))
    }

    func listEdXMLStatus(_ input: Operations.ListEdXMLStatus.Input) async throws -> Operations.ListEdXMLStatus.Output {
        let (req, _, p) = try APIContext.require(.tasksRead)
        let documentID = input.query.documentId
        try APIValidate.length(documentID, "documentId", max: 200, min: 1)
        let query = EdXMLReceiptRecord.query(on: req.db).filter(\.$documentID == documentID)
        if let sender = input.query.senderId { query.filter(\.$senderID == AgencyIdentifier.normalize(sender)) }
        let svc = APITasks.service(req, p)
        var items: [Components.Schemas.EdXMLStatusList.ItemsPayloadPayload] = []
        for receipt in try await query.all() {
            guard let t = try await WorkTask.find(receipt.taskID, on: req.db), svc.mayView(t, participants: []) else { continue }
            let unit = try await Organization.find(t.organizationID, on: req.db)
            for m in try await EdXMLStatuses.messages(t, receipt: receipt, on: req.db) {
                items.append(.init(taskCode: t.code, unitCode: unit?.code ?? "",
                                   statusCode: .init(rawValue: m.entry.code.rawValue) ?? ._03, description: m.entry.code.label,
                                   at: m.entry.at, xml: m.xml))
            }
        }
        guard !items.isEmpty else {
            throw APIProblem(.notFound, "document-not-found",
                             "Không có văn bản edXML mã «\(documentID)» đã nhận trong phạm vi của ứng dụng.")
        }
        return .ok(.init(body: .json(.init(items: items))))
    }
}
