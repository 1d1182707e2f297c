import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// What a task made from an edXML package keeps of it (issue 20, item 5): the sender and the document, so
/// that the status messages (`EdXMLStatusMessage`) answer the right document; written with the task.
final class EdXMLReceiptRecord: Model, @unchecked Sendable {
    static let schema = "edxml_receipts"

    @ID var id: UUID?
    @Field(key: "task_id") var taskID: UUID
    /// Mã định danh and name of the sending agency (`From`).
    @Field(key: "sender_id") var senderID: String
    @Field(key: "sender_name") var senderName: String
    @Field(key: "document_id") var documentID: String
    @Field(key: "number") var number: String
    /// yyyy-MM-dd.
    @Field(key: "promulgation_date") var promulgationDate: String
    @Field(key: "signed") var signed: Bool
    /// The signature check's outcome (`EdXMLSignatureCheck.Outcome.code`) and its words, shown on the task.
    @Field(key: "signature") var signature: String
    @Field(key: "signature_note") var signatureNote: String
    @OptionalField(key: "created_at") var createdAt: Date?

    init() {}
}

extension EdXMLReceiptRecord: CreationStamped {}

struct CreateEdXMLReceipts: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(EdXMLReceiptRecord.schema)
            .id()
            .field("task_id", .uuid, .required, .references(WorkTask.schema, "id"))
            .field("sender_id", .string, .required)
            .field("sender_name", .string, .required)
            .field("document_id", .string, .required)
            .field("number", .string, .required)
            .field("promulgation_date", .string, .required)
            .field("signed", .bool, .required)
            .field("created_at", .datetime)
            .unique(on: "task_id")
            .create()
        try await SQLIndex.create(db, "edxml_receipts_document", on: EdXMLReceiptRecord.schema, "document_id")
    }

    func revert(on db: any Database) async throws { try await db.schema(EdXMLReceiptRecord.schema).delete() }
}

/// The outcome of the XML-DSig check, kept with the receipt (`EdXMLSignatureCheck`).
struct AddEdXMLSignature: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(EdXMLReceiptRecord.schema)
            .field("signature", .string, .required, .sql(.default("khong-ky")))
            .update()
        try await db.schema(EdXMLReceiptRecord.schema)
            .field("signature_note", .string, .required, .sql(.default("")))
            .update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(EdXMLReceiptRecord.schema).deleteField("signature_note").update()
        try await db.schema(EdXMLReceiptRecord.schema).deleteField("signature").update()
    }
}

/// The status messages of the tasks made from edXML packages: read from each task's timeline
/// (`EdXMLStatusEntry.from`), fetched by the sender through the API and sent by webhook as they happen.
enum EdXMLStatuses {
    struct Shown: Sendable {
        var task: WorkTask
        var unitCode: String
        var message: EdXMLStatusMessage
    }

    /// Every status message of `task` (made from `receipt`), in order.
    static func messages(_ task: WorkTask, receipt: EdXMLReceiptRecord, on db: any Database) async throws -> [EdXMLStatusMessage] {
        let events = try await TaskEventRecord.query(on: db).filter(\.$taskID == task.requireID()).sort(\.$at).all()
        let unit = try await Organization.find(task.organizationID, on: db)
        let organ = EdXMLPackage.Organ(id: unit?.identifier ?? "", name: unit?.name ?? "")
        let date = DateOnly(parsing: receipt.promulgationDate) ?? DateOnly.inVietnam(receipt.createdAt ?? Date())
        return EdXMLStatusEntry.from(timeline: events.map { (kind: $0.kind, toState: $0.toState, at: $0.at, actor: $0.actorName,
                                                              note: $0.note) })
            .map { EdXMLStatusMessage(senderID: receipt.senderID, number: receipt.number, promulgationDate: date,
                                      documentID: receipt.documentID, unit: organ, entry: $0) }
    }

    /// After a line of `task`'s timeline at `now`: queues the status message it announced, if it is a new one
    /// (inside the transaction of the change, like every webhook).
    static func announce(_ db: any Database, _ task: WorkTask, kind: String, toState: String, at now: Date) async throws {
        guard EdXMLStatusCode.announced(kind: kind, toState: toState) != nil, task.source == TaskSource.directive.rawValue,
              !task.documentID.isEmpty,
              let receipt = try await EdXMLReceiptRecord.query(on: db).filter(\.$taskID == task.requireID()).first() else { return }
        for m in try await messages(task, receipt: receipt, on: db) where m.entry.at == now {
            let unit = try await Organization.find(task.organizationID, on: db)
            try await Webhooks.emit(db, .edxmlStatus, scopePath: task.scopePath, data: [
                "documentId": receipt.documentID, "senderId": receipt.senderID, "taskCode": task.code, "unitCode": unit?.code ?? "",
                "statusCode": m.entry.code.rawValue, "description": m.entry.code.label, "xml": m.xml,
            ], at: now, once: "edxml:\(task.code):\(m.entry.code.rawValue)")
        }
    }
}
