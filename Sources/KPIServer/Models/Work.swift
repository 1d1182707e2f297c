import Fluent
import Foundation
import SQLKit
import Vapor

/// Nhiệm vụ (DOMAIN.md §6). The product is copied onto the task when it is assigned (code, name,
/// unit, factor, complexity), so that a later change of the catalog does not rewrite past work.
final class WorkTask: Model, @unchecked Sendable {
    static let schema = "tasks"

    @ID var id: UUID?
    /// "NV-…": what people quote on the phone and in documents.
    @Field(key: "code") var code: String
    @Field(key: "title") var title: String
    @Field(key: "search_text") var searchText: String
    @Field(key: "description") var details: String
    /// A `TaskSource` raw value.
    @Field(key: "source") var source: String
    @Field(key: "doc_number") var documentNumber: String
    @Field(key: "doc_date") var documentDate: String
    @Field(key: "doc_issuer") var documentIssuer: String
    /// The sending system's own id of the document (API, edXML `DocumentId`), or "".
    @Field(key: "doc_id") var documentID: String
    @OptionalField(key: "product_id") var productID: UUID?
    @Field(key: "product_code") var productCode: String
    @Field(key: "product_name") var productName: String
    @Field(key: "product_unit") var productUnit: String
    /// Exact decimal texts with a dot.
    @Field(key: "factor") var factor: String
    @Field(key: "complexity") var complexity: String
    @Field(key: "complexity_factor") var complexityFactor: String
    @Field(key: "quantity") var quantity: String
    /// Khối lượng quy đổi: quantity × factor × complexity factor (`ProductRules.converted`), written
    /// out exactly when the task is created, so a period's sums can be taken by the database.
    @Field(key: "units") var units: String
    /// Người chủ trì; nil while a task given to a unit waits for its head to distribute it.
    @OptionalField(key: "assignee_id") var assigneeID: UUID?
    /// The unit the task belongs to (the assignee's, or the unit it was given to).
    @Field(key: "organization_id") var organizationID: UUID
    @Field(key: "scope_path") var scopePath: String
    /// Người giao (nil for a self-proposed task until a leader approves it).
    @OptionalField(key: "assigner_user_id") var assignerUserID: UUID?
    @Field(key: "assigner_name") var assignerName: String
    @OptionalField(key: "proposer_user_id") var proposerUserID: UUID?
    @OptionalField(key: "parent_id") var parentID: UUID?
    /// Tasks created together (one task to several people) share this.
    @OptionalField(key: "batch_id") var batchID: UUID?
    /// For generated recurring tasks: "<recurrence id>:<period key>", unique.
    @OptionalField(key: "recurrence_key") var recurrenceKey: String?
    /// yyyy-MM-dd.
    @Field(key: "start_on") var start: String
    @Field(key: "due_on") var due: String
    @Field(key: "priority") var priority: String
    /// A `TaskState` raw value.
    @Field(key: "state") var state: String
    @Field(key: "percent") var percent: Int
    @Field(key: "major_errors") var majorErrors: Int
    @Field(key: "exempt_errors") var exemptErrors: Int
    @Field(key: "delays") var delays: Int
    /// Delays exempted as due to an objective cause, and who confirmed it and why (miễn trừ chậm tiến độ).
    @Field(key: "exempt_delays") var exemptDelays: Int
    @Field(key: "delay_exempt_by") var delayExemptBy: String
    @Field(key: "delay_exempt_reason") var delayExemptReason: String
    @Field(key: "submitted_on") var submittedOn: String
    @Field(key: "requested_due") var requestedDue: String
    @Field(key: "completed_on") var completedOn: String
    /// "dat", "chua-dat", "mien-tru" or "".
    @Field(key: "verdict") var verdict: String
    /// The form's one-time token: a second post of the same form (double click, two tabs) finds
    /// the task already made instead of making another.
    @Field(key: "creation_token") var creationToken: String
    /// Bumped by every change: a form that carries an older version is refused.
    @Field(key: "version") var version: Int
    @OptionalField(key: "created_at") var createdAt: Date?
    @OptionalField(key: "updated_at") var updatedAt: Date?

    init() {}
}

/// Người/đơn vị phối hợp of a task, with the coordination rating the lead gives when it closes.
final class TaskParticipant: Model, @unchecked Sendable {
    static let schema = "task_participants"

    @ID var id: UUID?
    @Field(key: "task_id") var taskID: UUID
    @OptionalField(key: "person_id") var personID: UUID?
    @OptionalField(key: "organization_id") var organizationID: UUID?
    /// 1–5, 0 while not rated.
    @Field(key: "rating") var rating: Int
    @Field(key: "rating_note") var ratingNote: String

    init() {}
}

/// One line of a task's timeline (diễn biến): who did what, when, from which state to which.
final class TaskEventRecord: Model, @unchecked Sendable {
    static let schema = "task_events"

    @ID var id: UUID?
    @Field(key: "task_id") var taskID: UUID
    @Field(key: "at") var at: Date
    @Field(key: "actor_name") var actorName: String
    @Field(key: "kind") var kind: String
    @Field(key: "from_state") var fromState: String
    @Field(key: "to_state") var toState: String
    @Field(key: "note") var note: String

    init() {}
}

/// Minh chứng: a stored file (by SHA-256), a document reference or a link.
final class Evidence: Model, @unchecked Sendable {
    static let schema = "evidence"

    @ID var id: UUID?
    @Field(key: "task_id") var taskID: UUID
    /// "tep", "van-ban" or "lien-ket".
    @Field(key: "kind") var kind: String
    @Field(key: "name") var name: String
    @Field(key: "sha256") var sha256: String
    @Field(key: "size") var size: Int
    @Field(key: "reference") var reference: String
    @Field(key: "added_by") var addedBy: String
    @OptionalField(key: "created_at") var createdAt: Date?

    init() {}
}

/// Thông báo in the notification centre. `dedupeKey` is unique: the same warning for the same
/// task, due date and user is written once, however many job runs see it.
final class Notice: Model, @unchecked Sendable {
    static let schema = "notices"

    @ID var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @OptionalField(key: "task_id") var taskID: UUID?
    @Field(key: "kind") var kind: String
    @Field(key: "title") var title: String
    @Field(key: "dedupe_key") var dedupeKey: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "read_at") var readAt: Date?
    /// Where the notice leads when it is not about a task (an evaluation sheet, a period).
    @OptionalField(key: "link") var link: String?
    /// Where its mail stands (`MailState`); nil: not yet seen by the mail router.
    @OptionalField(key: "mail_state") var mailState: String?

    init() {}

    enum MailState {
        /// Queued in the outbox as a mail of its own.
        static let queued = "gui"
        /// Waiting for the person's daily digest.
        static let digest = "tong-hop"
        /// No mail: the person chose none, has no address, or mail is off.
        static let done = "xong"
    }
}

/// Ngày nghỉ lễ (kind "nghi") or ngày làm bù ("lam-bu"): the working-day calendar as data.
final class CalendarDay: Model, @unchecked Sendable {
    static let schema = "calendar_days"

    @ID var id: UUID?
    /// yyyy-MM-dd.
    @Field(key: "day") var day: String
    @Field(key: "kind") var kind: String
    @Field(key: "name") var name: String

    init() {}
}

/// A lease on a periodic job (SQLite: one runner at a time across processes).
final class JobLock: Model, @unchecked Sendable {
    static let schema = "job_locks"

    @ID(custom: "name", generatedBy: .user) var id: String?
    @Field(key: "holder") var holder: String
    @Field(key: "expires_at") var expiresAt: Date

    init() {}
}

/// A named sequence ("tasks-2026"): task codes NV-2026-000001, …, never twice the same (numbers taken ahead of a
/// transaction that then fails are skipped: `WorkService.reserveNumbers`).
final class Counter: Model, @unchecked Sendable {
    static let schema = "counters"

    @ID(custom: "name", generatedBy: .user) var id: String?
    @Field(key: "value") var value: Int64

    init() {}

    /// The next value of `name`, inside the caller's transaction (the row stays locked until it ends).
    static func next(_ name: String, on db: any Database) async throws -> Int64 {
        guard let value = try await db.value("""
            INSERT INTO counters (name, value) VALUES (\(bind: name), 1)
            ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value
            """, as: Int64.self) else { throw Abort(.internalServerError) }
        return value
    }

    /// Mã nhiệm vụ: NV-2026-000123, from the year and the number the counter gave (six digits at least).
    static func taskCode(year: Int, number: Int64) -> String {
        func padded(_ v: Int64, _ width: Int) -> String {
            let digits = String(v.magnitude)
            return (v < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "NV-" + padded(Int64(year), 4) + "-" + padded(number, 6)
    }

    /// `reserve` by a statement of its own on PostgreSQL (never inside a transaction: `db` autocommits), committed without
    /// waiting for its flush (`AsyncCommit`): a task is only ever written with a reserved number by a transaction
    /// committed afterwards, whose flush covers the reservation, and numbers lost with a crash were used by nothing.
    static func reserveAhead(_ name: String, _ count: Int, on db: any Database) async throws -> Int64 {
        guard db.isPostgres else { return try await reserve(name, count, on: db) }
        guard let value = try await db.value("""
            WITH \(unsafeRaw: AsyncCommit.cte) INSERT INTO counters (name, value) SELECT \(bind: name), \(bind: count) FROM quick
            ON CONFLICT (name) DO UPDATE SET value = counters.value + \(bind: count) RETURNING value
            """, as: Int64.self) else { throw Abort(.internalServerError) }
        return value
    }

    /// Takes the next `count` values of `name` at once, inside the caller's transaction; returns the last.
    static func reserve(_ name: String, _ count: Int, on db: any Database) async throws -> Int64 {
        guard let value = try await db.value("""
            INSERT INTO counters (name, value) VALUES (\(bind: name), \(bind: count))
            ON CONFLICT (name) DO UPDATE SET value = counters.value + \(bind: count) RETURNING value
            """, as: Int64.self) else { throw Abort(.internalServerError) }
        return value
    }
}

/// Nhiệm vụ thường xuyên: a task given again every week, month or quarter; the scheduler makes each
/// occurrence once (its `recurrence_key` on the task is unique).
final class RecurringTask: Model, @unchecked Sendable {
    static let schema = "recurring_tasks"

    @ID var id: UUID?
    @Field(key: "title") var title: String
    @Field(key: "product_code") var productCode: String
    @Field(key: "quantity") var quantity: String
    @Field(key: "complexity") var complexity: String
    @Field(key: "assignee_id") var assigneeID: UUID
    @Field(key: "scope_path") var scopePath: String
    /// A `Recurrence.Kind` raw value and its due day.
    @Field(key: "kind") var kind: String
    @Field(key: "due_day") var dueDay: Int
    /// The leader who set it up: each occurrence is assigned in their name, with their rights at the time.
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_by_name") var createdByName: String
    @Field(key: "active") var active: Bool
    @OptionalField(key: "created_at") var createdAt: Date?

    init() {}
}

/// Liên kết đánh giá hài lòng: a public address (and its QR code) where the people served by a task
/// rate it without signing in.
final class RatingLink: Model, @unchecked Sendable {
    static let schema = "rating_links"

    @ID var id: UUID?
    /// Random, unguessable; the public address is /danh-gia/<token>.
    @Field(key: "token") var token: String
    @Field(key: "task_id") var taskID: UUID
    @Field(key: "scope_path") var scopePath: String
    @Field(key: "active") var active: Bool
    @Field(key: "created_by_name") var createdByName: String
    @OptionalField(key: "created_at") var createdAt: Date?

    init() {}
}

/// One rating 1–5 with a comment, one per receipt code (mã biên nhận, số phiếu) and link.
final class Rating: Model, @unchecked Sendable {
    static let schema = "ratings"

    @ID var id: UUID?
    @Field(key: "link_id") var linkID: UUID
    @Field(key: "task_id") var taskID: UUID
    @Field(key: "receipt_code") var receiptCode: String
    @Field(key: "score") var score: Int
    @Field(key: "comment") var comment: String
    @OptionalField(key: "created_at") var createdAt: Date?

    init() {}
}

/// Loại vi phạm (catalog): what a violation of discipline deducts from indicator group (iv).
final class ViolationType: Model, @unchecked Sendable {
    static let schema = "violation_types"

    @ID var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Field(key: "search_text") var searchText: String
    /// Points deducted each time, exact decimal text with a dot.
    @Field(key: "deduction") var deduction: String
    @Field(key: "description") var details: String
    /// Always "/": the catalog is province-wide.
    @Field(key: "scope_path") var scopePath: String
    @Field(key: "active") var active: Bool
    @OptionalField(key: "updated_at") var updatedAt: Date?

    init() {}
}

/// Ghi nhận kỷ luật, kỷ cương of a person: a violation of a catalogued type ("vi-pham") or a
/// disciplinary decision ("ky-luat") with its level, number and date. Never deleted: voided with a reason.
final class DisciplineRecord: Model, @unchecked Sendable {
    static let schema = "discipline_records"

    @ID var id: UUID?
    @Field(key: "person_id") var personID: UUID
    @Field(key: "scope_path") var scopePath: String
    @Field(key: "kind") var kind: String
    @Field(key: "violation_code") var violationCode: String
    @Field(key: "violation_name") var violationName: String
    @Field(key: "deduction") var deduction: String
    @Field(key: "level") var level: String
    @Field(key: "decision_number") var decisionNumber: String
    @Field(key: "decision_date") var decisionDate: String
    /// yyyy-MM-dd: when it happened (the decision's date for a decision).
    @Field(key: "occurred_on") var occurredOn: String
    @Field(key: "note") var note: String
    @Field(key: "entered_by") var enteredBy: String
    @Field(key: "voided") var voided: Bool
    @Field(key: "void_reason") var voidReason: String
    @OptionalField(key: "created_at") var createdAt: Date?

    init() {}
}
