import Fluent
import Foundation
import KPICore
import SQLKit

/// Tasks, their participants, timeline and evidence; notifications; the working-day calendar
/// (seeded with the 2026 public holidays); job leases.
struct CreateWork: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(WorkTask.schema)
            .id()
            .field("code", .string, .required).unique(on: "code")
            .field("title", .string, .required)
            .field("search_text", .string, .required)
            .field("description", .sql(unsafeRaw: "TEXT"), .required)
            .field("source", .string, .required)
            .field("doc_number", .string, .required)
            .field("doc_date", .string, .required)
            .field("doc_issuer", .string, .required)
            .field("product_id", .uuid, .references(Product.schema, "id"))
            .field("product_code", .string, .required)
            .field("product_name", .string, .required)
            .field("product_unit", .string, .required)
            .field("factor", .string, .required)
            .field("complexity", .string, .required)
            .field("complexity_factor", .string, .required)
            .field("quantity", .string, .required)
            .field("assignee_id", .uuid, .references(Person.schema, "id"))
            .field("organization_id", .uuid, .required, .references(Organization.schema, "id"))
            .field("scope_path", .string, .required)
            .field("assigner_user_id", .uuid, .references(User.schema, "id"))
            .field("assigner_name", .string, .required)
            .field("proposer_user_id", .uuid, .references(User.schema, "id"))
            .field("parent_id", .uuid, .references(WorkTask.schema, "id"))
            .field("batch_id", .uuid)
            .field("recurrence_key", .string).unique(on: "recurrence_key")
            .field("start_on", .string, .required)
            .field("due_on", .string, .required)
            .field("priority", .string, .required)
            .field("state", .string, .required)
            .field("percent", .int, .required)
            .field("major_errors", .int, .required)
            .field("exempt_errors", .int, .required)
            .field("delays", .int, .required)
            .field("submitted_on", .string, .required)
            .field("requested_due", .string, .required)
            .field("completed_on", .string, .required)
            .field("verdict", .string, .required)
            .field("creation_token", .string, .required).unique(on: "creation_token")
            .field("version", .int, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await SQLIndex.create(db, "tasks_assignee_state", on: WorkTask.schema, "assignee_id, state, due_on")
        try await SQLIndex.create(db, "tasks_assigner", on: WorkTask.schema, "assigner_user_id, state, due_on")
        try await SQLIndex.create(db, "tasks_state_due", on: WorkTask.schema, "state, due_on")
        try await SQLIndex.create(db, "tasks_org_state", on: WorkTask.schema, "organization_id, state, due_on")
        try await SQLIndex.create(db, "tasks_parent", on: WorkTask.schema, "parent_id")
        try await SQLIndex.path(db, "tasks_scope", on: WorkTask.schema, column: "scope_path")

        try await db.schema(TaskParticipant.schema)
            .id()
            .field("task_id", .uuid, .required, .references(WorkTask.schema, "id"))
            .field("person_id", .uuid, .references(Person.schema, "id"))
            .field("organization_id", .uuid, .references(Organization.schema, "id"))
            .field("rating", .int, .required)
            .field("rating_note", .string, .required)
            .create()
        try await SQLIndex.create(db, "task_participants_task", on: TaskParticipant.schema, "task_id")
        try await SQLIndex.create(db, "task_participants_person", on: TaskParticipant.schema, "person_id")

        try await db.schema(TaskEventRecord.schema)
            .id()
            .field("task_id", .uuid, .required, .references(WorkTask.schema, "id"))
            .field("at", .datetime, .required)
            .field("actor_name", .string, .required)
            .field("kind", .string, .required)
            .field("from_state", .string, .required)
            .field("to_state", .string, .required)
            .field("note", .sql(unsafeRaw: "TEXT"), .required)
            .create()
        try await SQLIndex.create(db, "task_events_task", on: TaskEventRecord.schema, "task_id, at")

        try await db.schema(Evidence.schema)
            .id()
            .field("task_id", .uuid, .required, .references(WorkTask.schema, "id"))
            .field("kind", .string, .required)
            .field("name", .string, .required)
            .field("sha256", .string, .required)
            .field("size", .int64, .required)
            .field("reference", .string, .required)
            .field("added_by", .string, .required)
            .field("created_at", .datetime)
            .create()
        try await SQLIndex.create(db, "evidence_task", on: Evidence.schema, "task_id")

        try await db.schema(Notice.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .field("task_id", .uuid, .references(WorkTask.schema, "id"))
            .field("kind", .string, .required)
            .field("title", .string, .required)
            .field("dedupe_key", .string, .required).unique(on: "dedupe_key")
            .field("created_at", .datetime, .required)
            .field("read_at", .datetime)
            .create()
        try await SQLIndex.create(db, "notices_user", on: Notice.schema, "user_id, created_at")

        try await db.schema(CalendarDay.schema)
            .id()
            .field("day", .string, .required).unique(on: "day")
            .field("kind", .string, .required)
            .field("name", .string, .required)
            .create()
        for (day, name) in WorkCalendar.vietnam2026Holidays {
            let d = CalendarDay()
            d.day = day.iso; d.kind = "nghi"; d.name = name
            try await d.create(on: db)
        }

        try await db.schema(Counter.schema)
            .field("name", .string, .identifier(auto: false))
            .field("value", .int64, .required)
            .create()

        try await db.schema(JobLock.schema)
            .field("name", .string, .identifier(auto: false))
            .field("holder", .string, .required)
            .field("expires_at", .datetime, .required)
            .create()
    }

    func revert(on db: any Database) async throws {
        for schema in [JobLock.schema, Counter.schema, CalendarDay.schema, Notice.schema, Evidence.schema, TaskEventRecord.schema,
                       TaskParticipant.schema, WorkTask.schema] {
            try await db.schema(schema).delete()
        }
    }
}

/// Recurring tasks and the beneficiaries' ratings (public links with a QR code).
struct CreateRecurringAndRatings: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(RecurringTask.schema)
            .id()
            .field("title", .string, .required)
            .field("product_code", .string, .required)
            .field("quantity", .string, .required)
            .field("complexity", .string, .required)
            .field("assignee_id", .uuid, .required, .references(Person.schema, "id"))
            .field("scope_path", .string, .required)
            .field("kind", .string, .required)
            .field("due_day", .int, .required)
            .field("created_by", .uuid, .required, .references(User.schema, "id"))
            .field("created_by_name", .string, .required)
            .field("active", .bool, .required)
            .field("created_at", .datetime)
            .create()
        try await SQLIndex.path(db, "recurring_tasks_scope", on: RecurringTask.schema, column: "scope_path")

        try await db.schema(RatingLink.schema)
            .id()
            .field("token", .string, .required).unique(on: "token")
            .field("task_id", .uuid, .required, .references(WorkTask.schema, "id"))
            .field("scope_path", .string, .required)
            .field("active", .bool, .required)
            .field("created_by_name", .string, .required)
            .field("created_at", .datetime)
            .create()
        try await SQLIndex.create(db, "rating_links_task", on: RatingLink.schema, "task_id")
        try await db.schema(Rating.schema)
            .id()
            .field("link_id", .uuid, .required, .references(RatingLink.schema, "id"))
            .field("task_id", .uuid, .required, .references(WorkTask.schema, "id"))
            .field("receipt_code", .string, .required)
            .field("score", .int, .required)
            .field("comment", .sql(unsafeRaw: "TEXT"), .required)
            .field("created_at", .datetime)
            .unique(on: "link_id", "receipt_code")
            .create()
        try await SQLIndex.create(db, "ratings_task", on: Rating.schema, "task_id")
    }

    func revert(on db: any Database) async throws {
        for schema in [Rating.schema, RatingLink.schema, RecurringTask.schema] { try await db.schema(schema).delete() }
    }
}

/// Discipline: the catalog of violation types (seeded with common ones) and the records.
struct CreateDiscipline: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(ViolationType.schema)
            .id()
            .field("code", .string, .required).unique(on: "code")
            .field("name", .string, .required)
            .field("search_text", .string, .required)
            .field("deduction", .string, .required)
            .field("description", .string, .required)
            .field("scope_path", .string, .required)
            .field("active", .bool, .required)
            .field("updated_at", .datetime)
            .create()
        for (code, name, points) in [("VP-01", "Đi muộn, về sớm không có lý do", "0.5"), ("VP-02",
                                                                                          "Nghỉ làm không xin phép", "2"),
                                     ("VP-03", "Vi phạm quy tắc ứng xử, văn hóa công sở", "1"),
                                     ("VP-04", "Không chấp hành sự phân công của cấp trên", "3")] {
            let t = ViolationType()
            t.code = code; t.name = name; t.searchText = TextNormalizer.fold(code + " " + name); t.deduction = points
            t.details = ""; t.scopePath = "/"; t.active = true
            try await t.create(on: db)
        }
        try await db.schema(DisciplineRecord.schema)
            .id()
            .field("person_id", .uuid, .required, .references(Person.schema, "id"))
            .field("scope_path", .string, .required)
            .field("kind", .string, .required)
            .field("violation_code", .string, .required)
            .field("violation_name", .string, .required)
            .field("deduction", .string, .required)
            .field("level", .string, .required)
            .field("decision_number", .string, .required)
            .field("decision_date", .string, .required)
            .field("occurred_on", .string, .required)
            .field("note", .sql(unsafeRaw: "TEXT"), .required)
            .field("entered_by", .string, .required)
            .field("voided", .bool, .required)
            .field("void_reason", .string, .required)
            .field("created_at", .datetime)
            .create()
        try await SQLIndex.create(db, "discipline_person", on: DisciplineRecord.schema, "person_id, occurred_on")
        try await SQLIndex.path(db, "discipline_scope", on: DisciplineRecord.schema, column: "scope_path")
    }

    func revert(on db: any Database) async throws {
        try await db.schema(DisciplineRecord.schema).delete()
        try await db.schema(ViolationType.schema).delete()
    }
}

/// The unit board counts a unit's tasks by unit, assignee and state from the index alone
/// (an index-only scan on PostgreSQL): the unit/state/due index gains the assignee.
struct AddBoardIndex: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await SQLIndex.create(db, "tasks_org_board", on: WorkTask.schema, "organization_id, state, due_on, assignee_id")
        try await db.sql.raw("DROP INDEX IF EXISTS tasks_org_state").run()
    }

    func revert(on db: any Database) async throws {
        try await SQLIndex.create(db, "tasks_org_state", on: WorkTask.schema, "organization_id, state, due_on")
        try await db.sql.raw("DROP INDEX IF EXISTS tasks_org_board").run()
    }
}

/// Kỳ đánh giá (issue 6): one row per agency and period.
struct CreateEvaluationPeriods: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(EvaluationPeriod.schema)
            .id()
            .field("code", .string, .required)
            .field("kind", .string, .required)
            .field("organization_id", .uuid, .required, .references(Organization.schema, "id"))
            .field("scope_path", .string, .required)
            .field("state", .string, .required)
            .field("dirty", .bool, .required)
            .field("computed_at", .datetime)
            .field("people", .int, .required)
            .field("opened_by", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "organization_id", "code")
            .create()
        try await SQLIndex.path(db, "evaluation_periods_scope", on: EvaluationPeriod.schema, column: "scope_path")
        // A person's tasks of a period, for the scores.
        try await SQLIndex.create(db, "tasks_assignee_due", on: WorkTask.schema, "assignee_id, due_on")
    }

    func revert(on db: any Database) async throws {
        try await db.sql.raw("DROP INDEX IF EXISTS tasks_assignee_due").run()
        try await db.schema(EvaluationPeriod.schema).delete()
    }
}

/// The evaluation workflow (DOMAIN.md §7): the periods' deadlines and decisions, each person's
/// evaluation sheet, and the immutable revisions written from the lock on.
struct CreateEvaluationWorkflow: AsyncMigration {
    func prepare(on db: any Database) async throws {
        // One column per statement: SQLite adds one at a time.
        for name in ["self_due", "review_due", "approve_due", "objection_until", "approved_by", "decision", "locked_by"] {
            try await db.schema(EvaluationPeriod.schema).field(.definition(name: .key(.string(name)), dataType: .string,
                                                                          constraints: [.required, .sql(.default(""))])).update()
        }
        try await db.schema(EvaluationPeriod.schema).field("approved_at", .datetime).update()
        try await db.schema(EvaluationPeriod.schema).field("locked_at", .datetime).update()
        try await db.schema(EvaluationPeriod.schema).field("version", .int, .required, .sql(.default(0))).update()
        try await db.schema(Notice.schema).field("link", .string).update()

        try await db.schema(Evaluation.schema)
            .id()
            .field("period_id", .uuid, .required, .references(EvaluationPeriod.schema, "id"))
            .field("person_id", .uuid, .required, .references(Person.schema, "id"))
            .field("person_code", .string, .required)
            .field("scope_path", .string, .required)
            .field("is_leader", .bool, .required)
            .field("self_comment", .string, .required)
            .field("self_rubric", .string, .required)
            .field("self_at", .datetime)
            .field("review_comment", .string, .required)
            .field("review_rubric", .string, .required)
            .field("review_task_score", .string, .required)
            .field("reviewed_by", .string, .required)
            .field("reviewed_at", .datetime)
            .field("level", .string, .required)
            .field("hundredths", .int)
            .field("reasons", .string, .required)
            .field("revision", .int, .required)
            .field("updated_at", .datetime)
            .unique(on: "period_id", "person_id")
            .create()
        try await db.schema(EvaluationRevision.schema)
            .id()
            .field("period_id", .uuid, .required, .references(EvaluationPeriod.schema, "id"))
            .field("person_id", .uuid, .required, .references(Person.schema, "id"))
            .field("number", .int, .required)
            .field("kind", .string, .required)
            .field("hundredths", .int)
            .field("level", .string, .required)
            .field("framework_id", .uuid)
            .field("framework_version", .int, .required)
            .field("inputs", .string, .required)
            .field("reasons", .string, .required)
            .field("note", .string, .required)
            .field("author", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "period_id", "person_id", "number")
            .create()
        try await db.schema(Complaint.schema)
            .id()
            .field("period_id", .uuid, .required, .references(EvaluationPeriod.schema, "id"))
            .field("person_id", .uuid, .required, .references(Person.schema, "id"))
            .field("person_code", .string, .required)
            .field("scope_path", .string, .required)
            .field("reasons", .string, .required)
            .field("evidence", .string, .required)
            .field("filed_by", .string, .required)
            .field("filed_at", .datetime, .required)
            .field("answer_due", .string, .required)
            .field("state", .string, .required)
            .field("answer", .string, .required)
            .field("answered_by", .string, .required)
            .field("answered_at", .datetime)
            .field("revision", .int)
            .create()
        try await SQLIndex.create(db, "complaints_period", on: Complaint.schema, "period_id, person_id")
        try await db.schema(ReReview.schema)
            .id()
            .field("period_id", .uuid, .required, .references(EvaluationPeriod.schema, "id"))
            .field("person_id", .uuid, .required, .references(Person.schema, "id"))
            .field("person_code", .string, .required)
            .field("scope_path", .string, .required)
            .field("how", .string, .required)
            .field("opened_by", .string, .required)
            .field("opened_at", .datetime, .required)
            .field("state", .string, .required)
            .field("conclusion", .string, .required)
            .field("concluded_by", .string, .required)
            .field("concluded_at", .datetime)
            .field("revision", .int)
            .create()
        try await SQLIndex.create(db, "re_reviews_period", on: ReReview.schema, "period_id, person_id")
        // Immutable: a correction is a new revision; the database refuses changing an old one.
        try await SQLIndex.appendOnly(db, table: EvaluationRevision.schema, function: "evaluation_revisions_immutable",
                                      message: "evaluation_revisions is immutable", trigger: "evaluation_revisions")
    }

    func revert(on db: any Database) async throws {
        try await db.schema(ReReview.schema).delete()
        try await db.schema(Complaint.schema).delete()
        try await db.schema(EvaluationRevision.schema).delete()
        try await db.schema(Evaluation.schema).delete()
        try await db.schema(Notice.schema).deleteField("link").update()
        for name in ["self_due", "review_due", "approve_due", "objection_until", "approved_by", "decision", "locked_by", "approved_at",
                     "locked_at", "version"] {
            try await db.schema(EvaluationPeriod.schema).deleteField(.string(name)).update()
        }
    }
}
