import Foundation
import KPICore
import XCTest

/// Ủy quyền: the form's bounds, the states a list shows, and on whose behalf an action is done.
final class DelegationRulesTests: XCTestCase {
    let today = DateOnly(year: 2026, month: 12, day: 2)!

    func d(_ scope: String, from: Int, to: Int, deputy: UUID = UUID(uuidString: "00000000-0000-0000-0000-000000000002")!,
           head: UUID = UUID(uuidString: "00000000-0000-0000-0000-000000000001")!) -> Delegation {
        Delegation(id: UUID(), delegatorUserID: head, delegatorName: "Trưởng phòng", delegatorUsername: "truongphong",
            deputyUserID: deputy,
                   deputyName: "Phó phòng", scopePath: scope, scopeName: "Phòng 3", from: today.adding(days: from),
                   to: today.adding(days: to), reason: "Đi công tác")
    }

    func testDraftBounds() {
        func problems(_ from: String, _ to: String, _ reason: String = "Đi công tác") -> [String] {
            switch DelegationDraft(scope: "/a/", deputy: "pho", from: from, to: to, reason: reason).check(today: today) {
            case .success: return []
            case let .failure(p): return p.list.map(\.field)
            }
        }
        XCTAssertEqual(problems("02/12/2026", "02/12/2026"), [], "one day, today")
        XCTAssertEqual(problems("02/12/2026", "01/03/2027"), [], "90 days, both ends included")
        XCTAssertEqual(problems("02/12/2026", "02/03/2027"), ["den_ngay"], "91 days")
        XCTAssertEqual(problems("01/12/2026", "05/12/2026"), ["tu_ngay"], "begins yesterday")
        XCTAssertEqual(problems("05/12/2026", "04/12/2026"), ["den_ngay"])
        XCTAssertEqual(problems("ngày mai", "31/02/2026"), ["tu_ngay", "den_ngay"])
        XCTAssertEqual(problems("02/12/2026", "03/12/2026", " \n "), ["ly_do"])
        XCTAssertEqual(problems("02/12/2026", "03/12/2026", String(repeating: "a", count: 301)), ["ly_do"])
        if case let .success(c) = DelegationDraft(scope: "/a/", deputy: "pho", from: "2026-12-03", to: "04/12/2026",
                                                  reason: "  Nghỉ   phép ").check(today: today) {
            XCTAssertEqual(c.from, today.adding(days: 1))
            XCTAssertEqual(c.reason, "Nghỉ phép")
        } else {
            XCTFail("ISO and dd/MM/yyyy both read")
        }
    }

    func testStates() {
        let (from, to) = (today.adding(days: 1), today.adding(days: 3))
        XCTAssertEqual(DelegationState.of(from: from, to: to, revoked: false, on: today), .upcoming)
        XCTAssertEqual(DelegationState.of(from: from, to: to, revoked: false, on: from), .active)
        XCTAssertEqual(DelegationState.of(from: from, to: to, revoked: false, on: to), .active)
        XCTAssertEqual(DelegationState.of(from: from, to: to, revoked: false, on: to.adding(days: 1)), .ended)
        XCTAssertEqual(DelegationState.of(from: from, to: to, revoked: true, on: from), .revoked)
    }

    func testIndexAndOnWhoseBehalf() {
        let room = d("/a/b/", from: 0, to: 2)
        let later = d("/a/c/", from: 5, to: 6)
        let index = DelegationIndex([room, later])
        let deputy = room.deputyUserID, head = room.delegatorUserID
        XCTAssertEqual(index.acting(deputy, on: today).map(\.scopePath), ["/a/b/"])
        XCTAssertEqual(index.acting(deputy, on: today.adding(days: 5)).map(\.scopePath), ["/a/c/"])
        XCTAssertEqual(index.acting(deputy, on: today.adding(days: 3)), [])
        XCTAssertEqual(index.given(head, on: today).map(\.scopePath), ["/a/b/"])
        XCTAssertEqual(index.acting(head, on: today), [], "the head acts in their own right")

        let acting = index.acting(deputy, on: today)
        XCTAssertEqual(DelegationIndex.onBehalf(at: "/a/b/x/", acting: acting, ownLeaderScopes: [])?.id, room.id)
        XCTAssertNil(DelegationIndex.onBehalf(at: "/a/", acting: acting, ownLeaderScopes: []), "above the delegated unit")
        XCTAssertNil(DelegationIndex.onBehalf(at: "/a/b/x/", acting: acting, ownLeaderScopes: ["/a/b/x/"]),
                     "where the deputy leads in their own right, not on another's behalf")
        XCTAssertNil(DelegationIndex.onBehalf(at: "/a/b/", acting: [], ownLeaderScopes: []))
        // Two delegations around the same place: the nearest unit names the head.
        let inner = d("/a/b/x/", from: 0, to: 1)
        XCTAssertEqual(DelegationIndex.onBehalf(at: "/a/b/x/y/", acting: [room, inner], ownLeaderScopes: [])?.id, inner.id)
    }
}
