import Fluent
import Foundation
import KPICore

/// What a task's page (/viec/<id>) shows, gathered once by the service: the task and the people
/// around it, its converted quantity and deadline warning, evidence, timeline, sub-tasks, the
/// decision waiting for a second leader, the satisfaction links, and the actions the user is offered
/// (`TaskFlow.offered`). The controller parses the request and the view only draws this.
struct TaskPageModel {
    /// A decision waiting for a second leader, and what this user may do with it.
    struct Pending {
        var decision: PendingDecision
        /// Proposed by this user: they may withdraw it.
        var mine: Bool
        /// Another leader with the authority: they may confirm or refuse it.
        var mayConfirm: Bool
    }

    var task: WorkTask
    var participants: [TaskParticipant]
    var assignee: Person?
    var unitName: String
    /// "Họ và tên (mã)" of each participant, by person.
    var participantNames: [UUID: String]
    var parent: WorkTask?
    var children: [WorkTask]
    var evidence: [Evidence]
    var events: [TaskEventRecord]
    var actor: TaskActor
    var offered: Set<TaskAction>
    var warning: DeadlineWarning?
    /// Khối lượng quy đổi: quantity × factor × complexity factor (the quantity alone when it cannot
    /// be converted).
    var convertedUnits: Rational
    var pending: Pending?
    /// The satisfaction links, and how the agency asks for a receipt code; nil when the section is
    /// not shown (no links, and the user does not decide on the task).
    var ratings: (links: [WorkService.LinkSummary], mode: ReceiptMode)?
    var evidenceTypes: [String]
    var evidenceMaxMegabytes: Int
    /// The edXML package the task was made from, with its signature check (nil for other tasks).
    var edxml: EdXMLReceiptRecord? = nil
}

extension WorkService {
    /// The page model of task `id` for this user; 404 when it is not theirs to see.
    func taskPage(_ id: UUID) async throws -> TaskPageModel {
        let db = store.db
        let (t, parts) = try await find(id)
        // What the page shows besides the task does not depend on each other: read at the same time, each
        // on a connection of its own (a dozen reads one after another were most of the page's wait).
        let svc = self
        let personIDs = Array(Set(parts.compactMap(\.personID) + [t.assigneeID].compactMap { $0 }))
        async let peopleRead = personIDs.isEmpty ? []
            : db.models(Person.self, "SELECT * FROM \(unsafeRaw: Person.schema) WHERE id IN (\(binds: personIDs))")
        async let unitRead = db.model(Organization.self,
                                      "SELECT * FROM \(unsafeRaw: Organization.schema) WHERE id = \(bind: t.organizationID)")
        let parentID = t.parentID
        async let parentRead = parentID == nil ? nil : db.model(WorkTask.self, "SELECT * FROM tasks WHERE id = \(bind: parentID)")
        async let childrenRead = db.models(WorkTask.self, "SELECT * FROM tasks WHERE parent_id = \(bind: id) ORDER BY code")
        async let calendarRead = DeadlineJob.calendar(store)
        async let pendingRead = svc.pendingDecision(id)
        async let linksRead = svc.ratingLinks(id)
        async let evidenceRead = svc.evidence(id)
        async let eventsRead = svc.events(id)
        async let edxmlRead = t.documentID.isEmpty ? nil
            : db.model(EdXMLReceiptRecord.self, "SELECT * FROM \(unsafeRaw: EdXMLReceiptRecord.schema) WHERE task_id = \(bind: id) LIMIT 1")
        let people = try await peopleRead
        let assignee = t.assigneeID.flatMap { a in people.first { $0.id == a } }
        let unit = try await unitRead
        let parent = try await visible([parentRead].compactMap { $0 }, on: db).first
        let children = try await visible(childrenRead, on: db)
        let actor = taskActor(t, assignee: assignee)
        let state = TaskState(rawValue: t.state)
        let offered = state.map { TaskFlow.offered(in: $0, to: actor, hasAssignee: t.assigneeID != nil) } ?? []
        let calendar = try await calendarRead
        let quantity = DecimalText.parse(t.quantity) ?? .zero
        let complexity = DecimalText.parse(t.complexityFactor).map { ComplexityLevel(name: t.complexity, factor: $0) }
        let units = (try? ProductRules.converted(quantity: quantity, factor: DecimalText.parse(t.factor) ?? .one,
                                                 complexity: complexity)) ?? quantity
        let pending = try await pendingRead.map { d in
            TaskPageModel.Pending(decision: d, mine: d.proposedBy == principal.userID, mayConfirm: actor.decides && !actor.isAssignee)
        }
        let links = try await linksRead
        let ratings = actor.decides || !links.isEmpty ? (links, try await PublicRatings.mode(of: t, on: db).0) : nil
        let participantIDs = Set(parts.compactMap(\.personID))
        return TaskPageModel(
            task: t, participants: parts, assignee: assignee, unitName: unit?.name ?? "",
            participantNames: Dictionary(people.filter { participantIDs.contains($0.id!) }.map { ($0.id!, "\($0.fullName) (\($0.code))") },
                                         uniquingKeysWith: { a, _ in a }),
            parent: parent, children: children, evidence: try await evidenceRead, events: try await eventsRead,
            actor: actor, offered: offered,
            warning: WorkService.warning(t, today: store.today, calendar: calendar, soon: settings.warnSoonDays),
            convertedUnits: units, pending: pending, ratings: ratings,
            evidenceTypes: settings.evidenceTypes, evidenceMaxMegabytes: settings.evidenceMaxMegabytes, edxml: try await edxmlRead)
    }
}
