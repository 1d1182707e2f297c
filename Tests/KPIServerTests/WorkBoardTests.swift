import Fluent
import Foundation
import KPICore
import SQLKit
@testable import KPIServer
import XCTVapor

/// The unit board: units under the chosen one with their subtrees, the unit's own people, overdue
/// counts, drilling down and up, rights, and the board cache's freshness.
final class WorkBoardTests: XCTestCase {
    /// Makes the demo leader (head of BTCTU-P3) a leader of the whole BTCTU agency too.
    func leadAgency(_ app: Application) async throws {
        let user = try await User.query(on: app.db).filter(\.$username == "lanhdao").first()
        let agency = try await Organization.query(on: app.db).filter(\.$code == "BTCTU").first()
        let g = RoleGrant()
        g.userID = try XCTUnwrap(user?.id)
        g.role = Role.leader.rawValue
        g.organizationID = agency?.id
        g.scopePath = try XCTUnwrap(agency?.path)
        g.grantedBy = "test"
        try await g.create(on: app.db)
    }

    /// The board as its CSV export: line name → (overdue, counts by state label).
    func board(_ b: inout Browser, _ query: String) async throws -> [String: [String: String]] {
        let res = try await b.get("/viec/bang?\(query)&dinh_dang=csv")
        XCTAssertEqual(res.status, .ok, res.text)
        let rows = CSV.parse(res.text)
        let header = try XCTUnwrap(rows.first)
        var out: [String: [String: String]] = [:]
        for r in rows.dropFirst() where r.count == header.count {
            out[r[2].isEmpty ? r[1] : r[2]] = Dictionary(uniqueKeysWithValues: zip(header, r))
        }
        return out
    }

    func testUnitLinesCountTheirSubtreeAndPeopleLinesTheUnitItself() async throws {
        try await withApp { app in
            try await leadAgency(app)
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let today = TestEnv.today.iso
            let p3 = try await Organization.query(on: app.db).filter(\.$code == "BTCTU-P3").first()
            let p3Path = try XCTUnwrap(p3?.path)
            let inP3 = try await WorkTask.query(on: app.db).filter(\.$scopePath, .custom("LIKE"), p3Path + "%").all()
            XCTAssertFalse(inP3.isEmpty, "the demo has tasks in BTCTU-P3")
            let overdue = inP3.filter { DeadlineJob.watched.contains($0.state) && $0.due < today }.count
            XCTAssertGreaterThan(overdue, 0)

            let agency = try await board(&leader, "don_vi=BTCTU")
            let line = try XCTUnwrap(agency["BTCTU-P3"], "a line for the unit under the agency")
            XCTAssertEqual(line["Loại"], "Đơn vị trực thuộc")
            XCTAssertEqual(line["Quá hạn"], String(overdue))
            for state in TaskState.allCases {
                XCTAssertEqual(line[state.label], String(inP3.filter { $0.state == state.rawValue }.count), state.label)
            }
            // The people of P3 are inside its line, not listed at the agency.
            XCTAssertNil(agency["CB-BTCTU-P3-03"])

            // Drilling down: the unit's own people, each with their tasks.
            let unit = try await board(&leader, "don_vi=BTCTU-P3")
            let staff = try XCTUnwrap(unit["CB-BTCTU-P3-03"])
            XCTAssertEqual(staff["Loại"], "Cán bộ")
            let person = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-03").first()
            let theirs = inP3.filter { $0.assigneeID == person?.id }
            XCTAssertEqual(staff["Quá hạn"], String(theirs.filter { DeadlineJob.watched.contains($0.state) && $0.due < today }.count))

            // The page links down to the unit and back up to the agency; overdue lines first.
            let page = try await leader.get("/viec/bang?don_vi=BTCTU")
            XCTAssertTrue(page.text.contains("href=\"/viec/bang?don_vi=BTCTU-P3\""))
            let down = try await leader.get("/viec/bang?don_vi=BTCTU-P3")
            XCTAssertTrue(down.text.contains("Lên Ban Tổ chức Tỉnh ủy"))
            let firstRow = try XCTUnwrap(down.text.range(of: "<tbody><tr").map { down.text[$0.lowerBound...].prefix(40) })
            XCTAssertTrue(firstRow.contains("class=\"late\""), String(firstRow))
        }
    }

    func testBoardRights() async throws {
        try await withApp { app in
            var staff = Browser(app)
            try await staff.login("canbo")
            let refused = try await staff.get("/viec/bang")
            XCTAssertEqual(refused.status, .forbidden)
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let other = try await leader.get("/viec/bang?don_vi=BTCTU-P4")
            XCTAssertEqual(other.status, .forbidden)
            let up = try await leader.get("/viec/bang?don_vi=BTCTU")
            XCTAssertEqual(up.status, .forbidden)
            let unknown = try await leader.get("/viec/bang?don_vi=KHONG-CO")
            XCTAssertEqual(unknown.status, .notFound)
            XCTAssertTrue(unknown.text.contains("Không có đơn vị mã"))
            let own = try await leader.get("/viec/bang")
            XCTAssertEqual(own.status, .ok)
            XCTAssertFalse(own.text.contains("Lên "), "no way up to a unit the leader does not lead")
        }
    }

    func testAWriteShowsAtOnceAndAnotherProcessesWriteAfterRefresh() async throws {
        try await withApp { app in
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let assigned = TaskState.assigned.label
            let before = try await board(&leader, "don_vi=BTCTU-P3")
            let n0 = Int(before["CB-BTCTU-P3-03"]?[assigned] ?? "0") ?? 0

            // A task given through the application is counted at once.
            try await leader.get("/viec/moi")
            let made = try await leader.post("/viec/moi", ["tieu_de": "Việc đếm trên bảng", "nguon": "phat-sinh",
                                                           "san_pham": "SP-CM-02",
                                                           "so_luong": "1", "bat_dau": TestEnv.today.display,
                                                           "han": TestEnv.today.adding(days: 5).display, "uu_tien": "binh-thuong",
                                                           "nguoi": "CB-BTCTU-P3-03", "token": UUID().uuidString])
            XCTAssertEqual(made.status, .seeOther, made.text)
            let after = try await board(&leader, "don_vi=BTCTU-P3")
            XCTAssertEqual(after["CB-BTCTU-P3-03"]?[assigned], String(n0 + 1))

            // A change this process did not make (another server process) shows on "Cập nhật ngay".
            let sql = app.db.sql
            try await sql.raw("UPDATE tasks SET state = 'da-huy' WHERE title = 'Việc đếm trên bảng'").run()
            let cached = try await board(&leader, "don_vi=BTCTU-P3")
            XCTAssertEqual(cached["CB-BTCTU-P3-03"]?[assigned], String(n0 + 1))
            let fresh = try await board(&leader, "don_vi=BTCTU-P3&moi=1")
            XCTAssertEqual(fresh["CB-BTCTU-P3-03"]?[assigned], String(n0))
            let page = try await leader.get("/viec/bang?don_vi=BTCTU-P3")
            XCTAssertTrue(page.text.contains("Số liệu lúc"))
            XCTAssertTrue(page.text.contains("Cập nhật ngay"))
        }
    }

    func testListTotalsFiltersAndPagesPastTheEnd() async throws {
        try await withApp { app in
            var staff = Browser(app)
            try await staff.login("canbo")
            let person = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-03").first()
            let mine = try await WorkTask.query(on: app.db).filter(\.$assigneeID == person?.id).all()
            let open = mine.filter { WorkService.openStates.contains($0.state) }
            XCTAssertFalse(open.isEmpty)
            let page = try await staff.get("/viec")
            XCTAssertTrue(page.text.contains("<p class=\"count\">\(open.count) nhiệm vụ</p>"), page.text)
            for t in open { XCTAssertTrue(page.text.contains(t.code), t.code) }
            // Each row names its assignee and unit (read by a second query).
            let unit = try await Organization.find(open[0].organizationID, on: app.db)
            XCTAssertTrue(page.text.contains(try XCTUnwrap(person?.fullName)))
            XCTAssertTrue(page.text.contains("<small>\(try XCTUnwrap(unit?.name))</small>"))
            let all = try await staff.get("/viec?trang_thai=tat-ca")
            XCTAssertTrue(all.text.contains("<p class=\"count\">\(mine.count) nhiệm vụ</p>"))
            let today = TestEnv.today.iso
            let late = open.filter { DeadlineJob.watched.contains($0.state) && $0.due < today }
            let overdue = try await staff.get("/viec?trang_thai=qua-han")
            XCTAssertTrue(overdue.text.contains("<p class=\"count\">\(late.count) nhiệm vụ</p>"))
            // Past the last page: the total still shows, with no rows.
            let past = try await staff.get("/viec?trang=9")
            XCTAssertTrue(past.text.contains("<p class=\"count\">\(open.count) nhiệm vụ</p>"))
            XCTAssertTrue(past.text.contains("Không có nhiệm vụ nào khớp bộ lọc."))
            let search = try await staff.get("/viec?trang_thai=tat-ca&q=\(open[0].code)")
            XCTAssertTrue(search.text.contains("<p class=\"count\">1 nhiệm vụ</p>"))
        }
    }
}
