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
        let assignee = try await Person.find(t.assigneeID, on: db)
        let unit = try await Organization.find(t.organizationID, on: db)
        let people = try await Person.query(on: db).filter(\.$id ~~ parts.compactMap(\.personID)).all()
        let parent = try await visible([WorkTask.find(t.parentID, on: db)].compactMap { $0 }, on: db).first
        let children = try await visible(WorkTask.query(on: db).filter(\.$parentID == id).sort(\.$code).all(), on: db)
        let actor = taskActor(t, assignee: assignee)
        let state = TaskState(rawValue: t.state)
        let offered = state.map { TaskFlow.offered(in: $0, to: actor, hasAssignee: t.assigneeID != nil) } ?? []
        let calendar = try await DeadlineJob.calendar(store)
        let quantity = DecimalText.parse(t.quantity) ?? .zero
        let complexity = DecimalText.parse(t.complexityFactor).map { ComplexityLevel(name: t.complexity, factor: $0) }
        let units = (try? ProductRules.converted(quantity: quantity, factor: DecimalText.parse(t.factor) ?? .one,
                                                 complexity: complexity)) ?? quantity
        let pending = try await pendingDecision(id).map { d in
            TaskPageModel.Pending(decision: d, mine: d.proposedBy == principal.userID, mayConfirm: actor.decides && !actor.isAssignee)
        }
        let links = try await ratingLinks(id)
        let ratings = actor.decides || !links.isEmpty ? (links, try await PublicRatings.mode(of: t, on: db).0) : nil
        let edxml = t.documentID.isEmpty ? nil : try await EdXMLReceiptRecord.query(on: db).filter(\.$taskID == id).first()
        return TaskPageModel(
            task: t, participants: parts, assignee: assignee, unitName: unit?.name ?? "",
            participantNames: Dictionary(people.map { ($0.id!, "\($0.fullName) (\($0.code))") }, uniquingKeysWith: { a, _ in a }),
            parent: parent, children: children, evidence: try await evidence(id), events: try await events(id),
            actor: actor, offered: offered,
            warning: WorkService.warning(t, today: store.today, calendar: calendar, soon: settings.warnSoonDays),
            convertedUnits: units, pending: pending, ratings: ratings,
            evidenceTypes: settings.evidenceTypes, evidenceMaxMegabytes: settings.evidenceMaxMegabytes, edxml: edxml)
    }
}
