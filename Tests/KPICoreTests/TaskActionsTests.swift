import KPICore
import XCTest

/// The actions a task's page offers (`TaskFlow.offered`) against the state machine that carries them
/// out: in every state, for every kind of actor, an action is offered exactly when `apply` accepts
/// each of its events with valid values.
final class TaskActionsTests: XCTestCase {
    let start = DateOnly(parsing: "02/11/2026")!
    let due = DateOnly(parsing: "13/11/2026")!
    let today = DateOnly(parsing: "10/11/2026")!

    /// Every combination of the five facts about a user (or a connected system) and a task.
    var actors: [TaskActor] {
        (0..<32).map { bits in
            TaskActor(isAssignee: bits & 1 != 0, isAssigner: bits & 2 != 0, leadsScope: bits & 4 != 0,
                      reportsForAssignee: bits & 8 != 0, sentSubmission: bits & 16 != 0)
        }
    }

    /// The events behind an action, each with values `apply` accepts.
    func events(_ action: TaskAction) -> [TaskEvent]? {
        switch action {
        case .start: [.start]
        case .progress: [.progress(percent: 40, note: "")]
        case .submit: [.submit(evidence: 1, note: "")]
        case .requestExtension: [.requestExtension(newDue: DateOnly(parsing: "20/11/2026")!, reason: "Chờ số liệu")]
        case .decideProposal: [.approveProposal, .declineProposal(reason: "Trùng việc")]
        case .decideExtension: [.approveExtension, .refuseExtension(reason: "Không có căn cứ")]
        case .accept: [.accept(.pass), .accept(.fail(errors: 1)), .returnForRework(reason: "Thiếu số liệu", exempt: false)]
        case .cancel: [.cancel(reason: "Không còn cần")]
        case .addEvidence, .assign, .addSubtask, .rateParticipants: nil
        }
    }

    func testEachOfferedEventIsAcceptedAndEachAcceptedEventIsOffered() {
        var checked = 0
        for state in TaskState.allCases {
            var snapshot = TaskSnapshot(state: state, start: start, due: due)
            if state == .extensionRequested { snapshot.requestedDue = DateOnly(parsing: "20/11/2026")! }
            for actor in actors {
                let offered = TaskFlow.offered(in: state, to: actor, hasAssignee: true)
                for action in TaskAction.allCases {
                    guard let events = events(action) else { continue }
                    for event in events {
                        let accepted = if case .success = TaskFlow.apply(event, to: snapshot, by: actor, on: today) { true } else { false }
                        XCTAssertEqual(offered.contains(action), accepted, "\(action) / \(event) in \(state) for \(actor)")
                        checked += 1
                    }
                }
            }
        }
        // 8 states × 32 actors × 12 events.
        XCTAssertEqual(checked, 8 * 32 * 12)
    }

    func testTheOwnTaskOffersWorkButNoDecision() {
        let selfLeader = TaskActor(isAssignee: true, isAssigner: true, leadsScope: true)
        XCTAssertEqual(TaskFlow.offered(in: .inProgress, to: selfLeader, hasAssignee: true),
                       [.progress, .submit, .requestExtension, .addEvidence, .addSubtask])
        XCTAssertEqual(TaskFlow.offered(in: .awaitingAcceptance, to: selfLeader, hasAssignee: true), [.addSubtask])
    }

    func testOnlyTheUnitsLeadersAssignAndOnlyTheLeadRatesParticipants() {
        XCTAssertEqual(TaskFlow.offered(in: .assigned, to: TaskActor(leadsScope: true), hasAssignee: false),
                       [.cancel, .assign, .addSubtask])
        XCTAssertEqual(TaskFlow.offered(in: .assigned, to: TaskActor(isAssigner: true), hasAssignee: false), [.cancel, .addSubtask])
        XCTAssertEqual(TaskFlow.offered(in: .completed, to: TaskActor(isAssignee: true), hasAssignee: true), [.rateParticipants])
        XCTAssertEqual(TaskFlow.offered(in: .completed, to: TaskActor(leadsScope: true), hasAssignee: true), [.addSubtask])
        XCTAssertEqual(TaskFlow.offered(in: .inProgress, to: TaskActor(), hasAssignee: true), [])
    }
}
