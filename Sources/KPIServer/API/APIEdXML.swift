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
            issuerCode: receipt.issuer.code, signed: pkg.signed, attachments: pkg.attachments.count,
            tasks: try await APITasks.render(tasks, db: req.db))
        return receipt.existed ? .ok(.init(body: .json(shown))) : .created(.init(body: .json(shown)))
    }
}
