import KPICore
import XCTest

/// The task state machine (DOMAIN.md §6): every transition allowed from the right state by the
/// right person, refused otherwise with a Vietnamese message and no change.
final class TaskFlowTests: XCTestCase {
    let assignee = TaskActor(isAssignee: true)
    let assigner = TaskActor(isAssigner: true)
    let leader = TaskActor(leadsScope: true)
    let stranger = TaskActor()
    let start = DateOnly(parsing: "02/11/2026")!
    let due = DateOnly(parsing: "13/11/2026")!

    func task(_ state: TaskState) -> TaskSnapshot { TaskSnapshot(state: state, start: start, due: due) }

    func ok(_ e: TaskEvent, _ t: TaskSnapshot, _ a: TaskActor, on day: String = "10/11/2026", file: StaticString = #filePath,
            line: UInt = #line) -> TaskSnapshot {
        switch TaskFlow.apply(e, to: t, by: a, on: DateOnly(parsing: day)!) {
        case .success(let s): return s
        case .failure(let f): XCTFail("refused: \(f.message)", file: file, line: line); return t
        }
    }

    func refused(_ e: TaskEvent, _ t: TaskSnapshot, _ a: TaskActor) -> String {
        if case .failure(let f) = TaskFlow.apply(e, to: t, by: a, on: DateOnly(parsing: "10/11/2026")!) { return f.message }
        XCTFail("allowed \(e) from \(t.state) by \(a)")
        return ""
    }

    func testTheHappyPathWithAReturn() {
        var t = ok(.start, task(.assigned), assignee)
        XCTAssertEqual(t.state, .inProgress)
        t = ok(.progress(percent: 60, note: "Đã có dự thảo"), t, assignee)
        XCTAssertEqual(t.percent, 60)
        t = ok(.submit(evidence: 1, note: ""), t, assignee, on: "12/11/2026")
        XCTAssertEqual(t.state, .awaitingAcceptance)
        t = ok(.returnForRework(reason: "Thiếu số liệu quý III", exempt: false), t, assigner)
        XCTAssertEqual(t.state, .inProgress)
        XCTAssertEqual(t.majorErrors, 1, "a return counts as a major error")
        t = ok(.submit(evidence: 2, note: ""), t, assignee, on: "16/11/2026")
        t = ok(.accept(.pass), t, leader, on: "17/11/2026")
        XCTAssertEqual(t.state, .completed)
        XCTAssertEqual(t.delays, 1, "submitted after the due date")
        XCTAssertEqual(t.majorErrors, 1)
    }

    func testVerdictsCountErrorsAndExemptions() {
        let waiting = ok(.submit(evidence: 1, note: ""), task(.inProgress), assignee)
        XCTAssertEqual(ok(.accept(.fail(errors: 2)), waiting, assigner).majorErrors, 2)
        let exempt = ok(.accept(.exempt(errors: 1, confirmedBy: "Giám đốc Sở")), waiting, assigner)
        XCTAssertEqual(exempt.majorErrors, 1)
        XCTAssertEqual(exempt.exemptErrors, 1)
        XCTAssertEqual(exempt.delays, 0, "submitted on time")
        XCTAssertTrue(refused(.accept(.fail(errors: 0)), waiting, assigner).contains("ít nhất 1 lỗi lớn"))
        XCTAssertTrue(refused(.accept(.exempt(errors: 1, confirmedBy: " ")), waiting,
                              assigner).contains("người có thẩm quyền xác nhận"))
        let exemptReturn = ok(.returnForRework(reason: "Thiếu dữ liệu do hệ thống tỉnh lỗi", exempt: true), waiting, leader)
        XCTAssertEqual(exemptReturn.exemptErrors, 1)
    }

    /// A hostile error count (issue 16: `so_loi=9223372036854775807` trapped the server) is refused
    /// with a message; the largest allowed count is recorded exactly.
    func testErrorCountsAreBounded() {
        let waiting = task(.awaitingAcceptance)
        XCTAssertEqual(refused(.accept(.fail(errors: Int.max)), waiting, assigner),
                       "Số lỗi lớn của một lần nghiệm thu phải từ 1 đến 100.")
        XCTAssertEqual(refused(.accept(.exempt(errors: Int.max, confirmedBy: "Giám đốc")), waiting, assigner),
                       "Số lỗi lớn của một lần nghiệm thu phải từ 1 đến 100.")
        XCTAssertEqual(refused(.accept(.fail(errors: Int.min)), waiting, assigner),
                       "Kết quả chưa đạt phải có ít nhất 1 lỗi lớn.")
        var t = waiting
        t.majorErrors = Int.max - 10
        XCTAssertEqual(ok(.accept(.fail(errors: 100)), t, assigner).majorErrors, Int.max, "totals saturate instead of trapping")
        XCTAssertEqual(ok(.accept(.fail(errors: 100)), waiting, assigner).majorErrors, 100)
    }

    /// A leader carrying out their own task decides nothing on it (issue 16).
    func testNobodyDecidesOnTheirOwnTask() {
        let selfLeader = TaskActor(isAssignee: true, isAssigner: true, leadsScope: true)
        XCTAssertEqual(refused(.accept(.pass), task(.awaitingAcceptance), selfLeader), SeparationOfDuties.ownTask)
        var asked = task(.extensionRequested)
        asked.requestedDue = due.adding(days: 5)
        XCTAssertEqual(refused(.approveExtension, asked, selfLeader), SeparationOfDuties.ownTask)
        XCTAssertEqual(refused(.cancel(reason: "x"), task(.inProgress), TaskActor(isAssignee: true, leadsScope: true)),
                       SeparationOfDuties.ownTask)
        XCTAssertEqual(refused(.approveProposal, task(.proposed), selfLeader), SeparationOfDuties.ownTask)
        XCTAssertEqual(ok(.start, task(.assigned), selfLeader).state, .inProgress, "carrying it out is theirs")
        XCTAssertEqual(ok(.accept(.pass), task(.awaitingAcceptance), leader).state, .completed, "another leader decides")
    }

    /// A document system reporting the assignee's work (issue 20) carries it out but asks for no
    /// extension, and a system (or anyone) that sent the submission does not judge it.
    func testASystemReportingForTheAssigneeWorksButDoesNotJudgeWhatItSent() {
        let system = TaskActor(leadsScope: true, reportsForAssignee: true)
        XCTAssertEqual(ok(.progress(percent: 30, note: ""), task(.assigned), system).state, .inProgress)
        XCTAssertEqual(ok(.submit(evidence: 1, note: ""), task(.inProgress), system).state, .awaitingAcceptance)
        XCTAssertEqual(refused(.requestExtension(newDue: due.adding(days: 3), reason: "x"), task(.inProgress), system),
                       "Chỉ người được giao nhiệm vụ mới thực hiện được thao tác này.")
        var sender = system
        sender.sentSubmission = true
        XCTAssertEqual(refused(.accept(.pass), task(.awaitingAcceptance), sender), SeparationOfDuties.ownSubmission)
        XCTAssertEqual(refused(.returnForRework(reason: "x", exempt: false), task(.awaitingAcceptance), sender),
                       SeparationOfDuties.ownSubmission)
        XCTAssertEqual(ok(.accept(.pass), task(.awaitingAcceptance), system).state, .completed, "what another sent, it may judge")
        XCTAssertEqual(ok(.cancel(reason: "Văn bản bị thu hồi"), task(.inProgress), sender).state, .cancelled)
    }

    func testAnApprovedExtensionIsNotADelay() {
        let asked = ok(.requestExtension(newDue: DateOnly(parsing: "20/11/2026")!, reason: "Chờ số liệu"), task(.inProgress),
                       assignee)
        XCTAssertEqual(asked.state, .extensionRequested)
        let granted = ok(.approveExtension, asked, assigner)
        XCTAssertEqual(granted.due, DateOnly(parsing: "20/11/2026"))
        let submitted = ok(.submit(evidence: 1, note: ""), granted, assignee, on: "19/11/2026")
        XCTAssertEqual(ok(.accept(.pass), submitted, assigner, on: "23/11/2026").delays, 0)
        let refusedExt = ok(.refuseExtension(reason: "Không có căn cứ"), asked, leader)
        XCTAssertEqual(refusedExt.due, due)
        XCTAssertEqual(refusedExt.state, .inProgress)
    }

    /// Nghị định 335 Điều 14: a delay confirmed as due to an objective cause is recorded, not penalized.
    func testALateCompletionCanBeExemptedWithWhoAndWhy() {
        let late = ok(.submit(evidence: 1, note: ""), task(.inProgress), assignee, on: "17/11/2026")
        let why = DelayExemption(confirmedBy: "Giám đốc Sở Nội vụ", reason: "Mưa lũ, cơ quan phải sơ tán từ 12/11")
        let exempted = ok(.accept(.pass, delayExemption: why), late, assigner, on: "18/11/2026")
        XCTAssertEqual(exempted.delays, 1)
        XCTAssertEqual(exempted.exemptDelays, 1)
        let plain = ok(.accept(.pass), late, assigner, on: "18/11/2026")
        XCTAssertEqual(plain.exemptDelays, 0)
        // With a verdict of errors the two exemptions are independent.
        let both = ok(.accept(.fail(errors: 2), delayExemption: why), late, assigner)
        XCTAssertEqual([both.majorErrors, both.exemptErrors, both.delays, both.exemptDelays], [2, 0, 1, 1])
        // Per interval: every delay of the completion is exempted.
        if case .success(let s) = TaskFlow.apply(.accept(.pass, delayExemption: why), to: late, by: assigner,
                                                 on: DateOnly(parsing: "18/11/2026")!, delayRule: .perInterval) {
            XCTAssertEqual(s.exemptDelays, s.delays)
        } else { XCTFail("refused") }

        // On time: nothing to exempt. Without who or why: refused. Nothing changes.
        let onTime = ok(.submit(evidence: 1, note: ""), task(.inProgress), assignee, on: "12/11/2026")
        XCTAssertTrue(refused(.accept(.pass, delayExemption: why), onTime, assigner).contains("không có chậm tiến độ"))
        XCTAssertTrue(refused(.accept(.pass, delayExemption: DelayExemption(confirmedBy: " ", reason: "Lũ")), late, assigner)
            .contains("người có thẩm quyền xác nhận"))
        XCTAssertTrue(refused(.accept(.pass, delayExemption: DelayExemption(confirmedBy: "Giám đốc", reason: "")), late, assigner)
            .contains("nguyên nhân khách quan"))
        XCTAssertTrue(refused(.accept(.pass, delayExemption: why), late, assignee).contains("tự"), "not on one's own task")
    }

    func testWrongStateWrongPersonAndBadInputChangeNothing() {
        XCTAssertTrue(refused(.start, task(.assigned), assigner).contains("Chỉ người được giao"))
        XCTAssertTrue(refused(.accept(.pass), task(.inProgress), assigner).contains("«Đang thực hiện», không thể nghiệm thu"))
        XCTAssertTrue(refused(.accept(.pass), ok(.submit(evidence: 1, note: ""), task(.inProgress), assignee),
                              assignee) == SeparationOfDuties.ownTask, "the assignee never decides on their own task")
        XCTAssertTrue(refused(.submit(evidence: 0, note: ""), task(.inProgress), assignee).contains("ít nhất một minh chứng"))
        XCTAssertTrue(refused(.progress(percent: 120, note: ""), task(.inProgress), assignee).contains("từ 0 đến 100"))
        XCTAssertTrue(refused(.requestExtension(newDue: start, reason: "x"), task(.inProgress),
                              assignee).contains("phải sau hạn hiện tại"))
        XCTAssertTrue(refused(.requestExtension(newDue: DateOnly(parsing: "30/11/2026")!, reason: "x"), task(.completed),
                              assignee).contains("«Hoàn thành», không thể xin gia hạn"))
        XCTAssertTrue(refused(.cancel(reason: ""), task(.inProgress), assigner).contains("lý do hủy"))
        XCTAssertTrue(refused(.cancel(reason: "Trùng việc"), task(.cancelled), assigner).contains("không thể hủy"))
        XCTAssertTrue(refused(.cancel(reason: "Trùng việc"), task(.inProgress), stranger).contains("Chỉ người giao việc"))
        XCTAssertTrue(refused(.returnForRework(reason: "", exempt: false), ok(.submit(evidence: 1, note: ""), task(.inProgress), assignee),
                              assigner).contains("lý do trả lại"))
    }

    func testSelfProposedTasksWaitForApproval() {
        XCTAssertTrue(refused(.start, task(.proposed), assignee).contains("«Chờ duyệt đề xuất»"))
        XCTAssertEqual(ok(.approveProposal, task(.proposed), leader).state, .assigned)
        XCTAssertEqual(ok(.declineProposal(reason: "Không thuộc nhiệm vụ được giao"), task(.proposed), leader).state, .declined)
        XCTAssertTrue(refused(.approveProposal, task(.proposed), assignee) == SeparationOfDuties.ownTask)
    }

    /// Every event from every state by every kind of person: either a clear refusal or a change
    /// that keeps the counters sane; never a crash.
    func testEveryEventFromEveryState() {
        let events: [TaskEvent] = [.approveProposal, .declineProposal(reason: "r"), .start, .progress(percent: 50, note: ""),
                                   .requestExtension(newDue: DateOnly(parsing: "30/11/2026")!, reason: "r"), .approveExtension,
                                   .refuseExtension(reason: "r"), .submit(evidence: 1, note: ""), .accept(.pass), .accept(.fail(errors: 1)),
                                   .returnForRework(reason: "r", exempt: false), .cancel(reason: "r")]
        for state in TaskState.allCases {
            var t = task(state)
            if state == .extensionRequested { t.requestedDue = DateOnly(parsing: "30/11/2026") }
            for e in events {
                for a in [assignee, assigner, leader, stranger] {
                    switch TaskFlow.apply(e, to: t, by: a, on: DateOnly(parsing: "10/11/2026")!) {
                    case .success(let s):
                        XCTAssertTrue(state.isOpen, "\(e) changed a closed task (\(state))")
                        XCTAssertGreaterThanOrEqual(s.majorErrors, s.exemptErrors)
                    case .failure(let f):
                        XCTAssertFalse(f.message.isEmpty)
                    }
                }
            }
        }
    }

    func testDelaysPerInterval() {
        let s = DateOnly(parsing: "01/11/2026")!, d = DateOnly(parsing: "11/11/2026")!   // a 10-day interval
        XCTAssertEqual(TaskFlow.delays(completedOn: d, start: s, due: d, rule: .perInterval), 0)
        XCTAssertEqual(TaskFlow.delays(completedOn: d.adding(days: 1), start: s, due: d, rule: .perInterval), 1)
        XCTAssertEqual(TaskFlow.delays(completedOn: d.adding(days: 10), start: s, due: d, rule: .perInterval), 1)
        XCTAssertEqual(TaskFlow.delays(completedOn: d.adding(days: 11), start: s, due: d, rule: .perInterval), 2)
        XCTAssertEqual(TaskFlow.delays(completedOn: d.adding(days: 25), start: s, due: d, rule: .once), 1)
    }
}

/// Working days with Vietnamese holidays and swaps; deadline warnings.
final class WorkCalendarTests: XCTestCase {
    func d(_ s: String) -> DateOnly { DateOnly(parsing: s)! }

    func testDayArithmetic() {
        XCTAssertEqual(d("01/01/1970").dayNumber, 0)
        XCTAssertEqual(d("23/11/2026").weekday, 1, "a Monday")
        XCTAssertEqual(d("28/02/2028").adding(days: 2), d("01/03/2028"), "2028 is a leap year")
        for n in stride(from: -25_567, to: 376_000, by: 97) { XCTAssertEqual(DateOnly(dayNumber: n)?.dayNumber, n) }
        XCTAssertNil(DateOnly(dayNumber: 800_000), "beyond 2999")
    }

    func testTetAndWeekendsAreNotWorkingDays() {
        let cal = WorkCalendar.vietnam2026
        XCTAssertFalse(cal.isWorkingDay(d("17/02/2026")), "mùng 1 Tết Bính Ngọ")
        XCTAssertFalse(cal.isWorkingDay(d("21/11/2026")), "a Saturday")
        XCTAssertTrue(cal.isWorkingDay(d("23/11/2026")))
        // Friday 13/02/2026 + 1 working day skips the weekend and the five days of Tết.
        XCTAssertEqual(cal.adding(workingDays: 1, to: d("13/02/2026")), d("23/02/2026"))
        XCTAssertEqual(cal.adding(workingDays: -1, to: d("23/02/2026")), d("13/02/2026"))
        var swapped = cal
        swapped.workingWeekends.insert(d("21/11/2026"))
        XCTAssertTrue(swapped.isWorkingDay(d("21/11/2026")), "làm bù on a Saturday")
        XCTAssertEqual(cal.workingDays(from: d("20/11/2026"), to: d("24/11/2026")), 2)
    }

    func testDeadlineWarnings() {
        let cal = WorkCalendar.vietnam2026
        let monday = d("23/11/2026")
        XCTAssertEqual(DeadlineWarning.of(due: d("20/11/2026"), today: monday, calendar: cal), .overdue)
        XCTAssertEqual(DeadlineWarning.of(due: monday, today: monday, calendar: cal), .dueToday)
        XCTAssertEqual(DeadlineWarning.of(due: d("25/11/2026"), today: monday, calendar: cal), .dueSoon)
        XCTAssertNil(DeadlineWarning.of(due: d("26/11/2026"), today: monday, calendar: cal))
        // Friday before a weekend: Tuesday is 2 working days away, so it is due soon.
        XCTAssertEqual(DeadlineWarning.of(due: d("24/11/2026"), today: d("20/11/2026"), calendar: cal), .dueSoon)
    }
}
