import KPICore
import XCTest

/// The task form's rules, batch lines, evidence kinds and recurring due dates.
final class TaskRulesTests: XCTestCase {
    func draft(_ change: (inout TaskDraft) -> Void = { _ in }) -> TaskDraft {
        var d = TaskDraft(title: "Báo cáo tháng", start: "01/12/2026", due: "15/12/2026")
        d.quantity = "2,5"
        change(&d)
        return d
    }

    func problems(_ d: TaskDraft) -> [String] {
        if case .failure(let p) = d.check() { return p.list.map(\.field) }
        return []
    }

    func testAValidDraftParsesDatesAndDecimalQuantity() throws {
        let c = try draft().check().get()
        XCTAssertEqual(c.start, DateOnly(year: 2026, month: 12, day: 1))
        XCTAssertEqual(c.quantity, try Rational(5, 2))
        XCTAssertEqual(c.source, .adHoc)
        let iso = try draft { $0.start = "2026-12-01"; $0.due = "2026-12-01" }.check().get()
        XCTAssertEqual(iso.start, iso.due, "a task may be due the day it starts")
    }

    func testEachBadFieldIsNamed() {
        XCTAssertEqual(problems(draft { $0.title = "  " }), ["tieu_de"])
        XCTAssertEqual(problems(draft { $0.due = "30/11/2026" }), ["han"])
        XCTAssertEqual(problems(draft { $0.due = "31/02/2026" }), ["han"])
        XCTAssertEqual(problems(draft { $0.quantity = "0" }), ["so_luong"])
        XCTAssertEqual(problems(draft { $0.quantity = "-1" }), ["so_luong"])
        XCTAssertEqual(problems(draft { $0.quantity = "hai" }), ["so_luong"])
        XCTAssertEqual(problems(draft { $0.source = "van-ban-chi-dao" }), ["so_van_ban"])
        XCTAssertEqual(problems(draft { $0.source = "khac" }), ["nguon"])
        XCTAssertEqual(problems(draft { $0.priority = "rat-cao" }), ["uu_tien"])
        XCTAssertEqual(problems(draft { $0.documentDate = "hôm qua" }), ["ngay_van_ban"])
        XCTAssertEqual(problems(draft { $0.title = ""; $0.quantity = "0" }), ["tieu_de", "so_luong"], "all problems at once")
    }

    func testBatchLinesFromASpreadsheet() {
        let text = """
            Tên nhiệm vụ\tMã người được giao\tMã sản phẩm\tSố lượng\tHạn
            Báo cáo tuần 49\tCB-01\tSP-CM-02\t1\t04/12/2026

            Công văn trả lời\tCB-02\tSP-CM-01\t2\t10/12/2026\tPhức tạp
            Thiếu cột\tCB-03
            Dòng chấm phẩy;CB-04;SP-CM-01;1;11/12/2026
            """
        let (lines, problems) = TaskBatch.parse(text, start: DateOnly(year: 2026, month: 12, day: 1)!, source: .plan)
        XCTAssertEqual(lines.map(\.number), [2, 4, 6])
        XCTAssertEqual(lines.map(\.assigneeCode), ["CB-01", "CB-02", "CB-04"])
        XCTAssertEqual(lines[1].draft.complexity, "Phức tạp")
        XCTAssertEqual(lines[0].draft.source, "ke-hoach")
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems[0].hasPrefix("Dòng 5:"))
    }

    func testEvidenceKindsAreCheckedByExtensionContentAndSize() {
        let policy = EvidencePolicy(maxBytes: 1000)
        XCTAssertNil(policy.refusal(filename: "a.pdf", size: 10, head: Array("%PDF-1.7".utf8)))
        XCTAssertNil(policy.refusal(filename: "Ảnh.JPG", size: 10, head: [0xFF, 0xD8, 0xFF, 0xE0]))
        XCTAssertNil(policy.refusal(filename: "b.docx", size: 10, head: [0x50, 0x4B, 0x03, 0x04]))
        XCTAssertNotNil(policy.refusal(filename: "virus.exe", size: 10, head: [0x4D, 0x5A]))
        XCTAssertNotNil(policy.refusal(filename: "virus.pdf", size: 10, head: [0x4D, 0x5A]), "renamed executable")
        XCTAssertNotNil(policy.refusal(filename: "big.pdf", size: 1001, head: Array("%PDF".utf8)))
        XCTAssertNotNil(policy.refusal(filename: "empty.pdf", size: 0, head: []))
        XCTAssertNotNil(policy.refusal(filename: "noext", size: 10, head: [1]))
        XCTAssertEqual(EvidencePolicy.contentType("XLSX"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    }

    func testRecurringDueDatesSkipDaysOff() {
        let cal = WorkCalendar.vietnam2026
        func d(_ s: String) -> DateOnly { DateOnly(parsing: s)! }
        let weekly = Recurrence(kind: .weekly, dueDay: 5)
        let w = weekly.occurrence(containing: d("25/11/2026"), calendar: cal)
        XCTAssertEqual(w.key, "2026-W48")
        XCTAssertEqual(w.start, d("23/11/2026"))
        XCTAssertEqual(w.due, d("27/11/2026"))
        // Friday 1 May 2026 is a holiday, and Thursday 30 April: the report is due Wednesday 29.
        XCTAssertEqual(weekly.occurrence(containing: d("28/04/2026"), calendar: cal).due, d("29/04/2026"))
        let monthly = Recurrence(kind: .monthly, dueDay: 0)
        let m = monthly.occurrence(containing: d("10/10/2026"), calendar: cal)
        XCTAssertEqual(m.key, "2026-10")
        XCTAssertEqual(m.due, d("30/10/2026"), "31/10 is a Saturday: the last working day")
        let quarterly = Recurrence(kind: .quarterly, dueDay: 20)
        let q = quarterly.occurrence(containing: d("05/08/2026"), calendar: cal)
        XCTAssertEqual(q.key, "2026-Q3")
        XCTAssertEqual(q.start, d("01/07/2026"))
        XCTAssertEqual(q.due, d("18/09/2026"), "20/9 is a Sunday")
        XCTAssertNotNil(Recurrence(kind: .weekly, dueDay: 6).problem)
        XCTAssertNotNil(Recurrence(kind: .monthly, dueDay: 31).problem)
        XCTAssertNil(Recurrence(kind: .monthly, dueDay: 0).problem)
        // The ISO week of 1 January 2027 (a Friday) belongs to 2026.
        XCTAssertEqual(weekly.occurrence(containing: d("01/01/2027"), calendar: cal).key, "2026-W53")
    }

    func testProductScope() {
        let g = UUID(), other = UUID(), pos = UUID()
        XCTAssertTrue(ProductScope.applies(productGroup: g, productPosition: nil, productScope: "/", personGroup: g, personPosition: pos,
                                           personScope: "/a/b/"))
        XCTAssertFalse(ProductScope.applies(productGroup: g, productPosition: nil, productScope: "/", personGroup: other,
                                            personPosition: pos, personScope: "/a/"))
        XCTAssertFalse(ProductScope.applies(productGroup: g, productPosition: UUID(), productScope: "/", personGroup: g,
                                            personPosition: pos, personScope: "/a/"))
        XCTAssertFalse(ProductScope.applies(productGroup: g, productPosition: nil, productScope: "/x/", personGroup: g,
                                            personPosition: pos, personScope: "/a/"))
        XCTAssertFalse(ProductScope.applies(productGroup: g, productPosition: nil, productScope: "/", personGroup: nil,
                                            personPosition: nil, personScope: "/a/"))
    }
}
