import KPICore
import XCTest

/// Agencies as data (issue 18): who belongs where, who evaluates an agency's head, what the marks may not do.
final class AgenciesTests: XCTestCase {
    // Province /P/; Sở /P/S/ with a room /P/S/r/ and a Chi cục /P/S/c/ (its own agency, room /P/S/c/r/);
    // a commune /P/X/ (not an agency) with its Đảng ủy /P/X/d/ and UBND /P/X/u/ (agencies).
    let map = AgencyMap([
        .init(path: "/P/S/", code: "S", name: "Sở", block: "chinh-quyen"),
        .init(path: "/P/S/c/", code: "C", name: "Chi cục", block: "chinh-quyen"),
        .init(path: "/P/X/d/", code: "D", name: "Đảng ủy xã", block: "dang", headEvaluatorPath: "/P/B/"),
        .init(path: "/P/X/u/", code: "U", name: "UBND xã", block: "chinh-quyen"),
    ])

    func testEachPersonBelongsToTheNearestMarkedNodeAtOrAboveTheirUnit() {
        XCTAssertEqual(map.agency(of: "/P/S/r/")?.code, "S")
        XCTAssertEqual(map.agency(of: "/P/S/")?.code, "S")
        XCTAssertEqual(map.agency(of: "/P/S/c/r/")?.code, "C")
        XCTAssertEqual(map.agency(of: "/P/X/d/v/")?.code, "D")
        XCTAssertNil(map.agency(of: "/P/X/"), "the commune node only groups its bodies")
        XCTAssertNil(map.agency(of: "/P/"))
        XCTAssertEqual(map.nested(under: "/P/S/"), ["/P/S/c/"])
        XCTAssertEqual(map.nested(under: "/P/"), ["/P/S/", "/P/X/d/", "/P/X/u/"], "only the outermost agencies below")
        XCTAssertEqual(map.nested(under: "/P/S/c/"), [])
    }

    func testWhoEvaluatesAnAgencysHead() {
        // Staff: their unit; a room's head: the unit above.
        XCTAssertEqual(map.evaluatorScope(unitPath: "/P/S/r/", isLeader: false), "/P/S/r/")
        XCTAssertEqual(map.evaluatorScope(unitPath: "/P/S/r/", isLeader: true), "/P/S/")
        // An agency's head: the configured unit, else the agency above, else the node above.
        XCTAssertEqual(map.evaluatorScope(unitPath: "/P/X/d/", isLeader: true), "/P/B/")
        XCTAssertEqual(map.evaluatorScope(unitPath: "/P/S/c/", isLeader: true), "/P/S/", "the Chi cục's head: the Sở above")
        XCTAssertEqual(map.evaluatorScope(unitPath: "/P/X/u/", isLeader: true), "/P/X/", "no agency above: the node above")
        XCTAssertEqual(map.evaluatorScope(unitPath: "/P/S/", isLeader: true), "/P/")
        // The root's leaders have nobody above: two people decide.
        XCTAssertEqual(map.evaluatorScope(unitPath: "/P/", isLeader: true), "/P/")
        XCTAssertTrue(map.needsSecondPerson(unitPath: "/P/", isLeader: true))
        XCTAssertFalse(map.needsSecondPerson(unitPath: "/P/X/d/", isLeader: true))
        XCTAssertFalse(map.needsSecondPerson(unitPath: "/P/", isLeader: false))
        // Without marks the chain is the tree's: what an installation had before agencies were data.
        let unmarked = AgencyMap([])
        XCTAssertEqual(unmarked.evaluatorScope(unitPath: "/P/S/", isLeader: true), "/P/")
        XCTAssertEqual(unmarked.evaluatorScope(unitPath: "/P/S/r/", isLeader: true), "/P/S/")
    }

    func testAPeriodKeepsTheMembersItWasOpenedWith() {
        let sở = PeriodScope(path: "/P/S/", excluded: ["/P/S/c/"])
        XCTAssertTrue(sở.contains("/P/S/r/"))
        XCTAssertFalse(sở.contains("/P/S/c/r/"))
        XCTAssertFalse(sở.contains("/P/X/u/"))
        XCTAssertEqual(PeriodScope.excluded(fromText: sở.excludedText), ["/P/S/c/"])
        XCTAssertEqual(PeriodScope.excluded(fromText: ""), [])
        let scopes = ["/P/S/": sở, "/P/S/c/": PeriodScope(path: "/P/S/c/")]
        XCTAssertEqual(PeriodScope.owner(of: "/P/S/c/r/", among: scopes)?.path, "/P/S/c/")
        XCTAssertEqual(PeriodScope.owner(of: "/P/S/r/", among: scopes)?.path, "/P/S/")
        XCTAssertNil(PeriodScope.owner(of: "/P/X/u/", among: scopes))
        // The Chi cục marked after the Sở's period opened (nothing excluded): its people stay there.
        let opened = PeriodScope(path: "/P/S/")
        XCTAssertTrue(AgencyRules.overlap(PeriodScope(path: "/P/S/c/"), with: opened))
        XCTAssertFalse(AgencyRules.overlap(PeriodScope(path: "/P/S/c/"), with: sở))
        XCTAssertFalse(AgencyRules.overlap(PeriodScope(path: "/P/X/u/"), with: opened))
        XCTAssertFalse(AgencyRules.overlap(PeriodScope(path: "/P/"), with: opened), "a period above is told to leave it out instead")
    }

    func testNestingFollowsTheBlock() {
        XCTAssertNil(AgencyRules.nestingProblem(in: map, under: "/P/"), "a Chi cục in its Sở, same block")
        let publicService = map.changing(node: nil, to: "/P/S/t/", marked: .init(path: "", code: "T", name: "Trung tâm",
                                                                                   block: "su-nghiep"))
        XCTAssertNil(AgencyRules.nestingProblem(in: publicService, under: "/P/S/t/"), "a public service unit under its agency")
        let party = map.changing(node: nil, to: "/P/S/d/", marked: .init(path: "", code: "DB", name: "Đảng bộ Sở", block: "dang"))
        let problem = AgencyRules.nestingProblem(in: party, under: "/P/S/d/")
        XCTAssertEqual(problem?.contains("«Đảng bộ Sở» (khối Đảng)"), true, problem ?? "")
        XCTAssertEqual(problem?.contains("«Sở» (khối Chính quyền)"), true)
        // Changing the outer agency's block is checked against what lies inside it.
        let party2 = map.changing(node: "/P/S/", to: "/P/S/", marked: .init(path: "", code: "S", name: "Sở", block: "dang"))
        XCTAssertNotNil(AgencyRules.nestingProblem(in: party2, under: "/P/S/"))
    }

    func testMovingOrUnmarkingCarriesTheSubtree() {
        // The Sở moved under the commune: its Chi cục moves with it.
        let moved = map.changing(node: "/P/S/", to: "/P/X/S/", marked: map.byPath["/P/S/"])
        XCTAssertEqual(moved.agency(of: "/P/X/S/c/r/")?.code, "C")
        XCTAssertEqual(moved.agency(of: "/P/X/S/r/")?.code, "S")
        XCTAssertNil(moved.agency(of: "/P/S/r/"))
        // Unmarking the Sở: its own rooms' 7 people would have no agency, the Chi cục's 3 keep theirs.
        let unmarked = map.changing(node: "/P/S/", to: "/P/S/", marked: nil)
        let people = ["/P/S/r/": 7, "/P/S/c/r/": 3, "/P/X/u/": 5]
        XCTAssertEqual(AgencyRules.orphans(people: people, oldPath: "/P/S/", newPath: "/P/S/", before: map, after: unmarked), 7)
        XCTAssertEqual(AgencyRules.orphans(people: people, oldPath: "/P/S/", newPath: "/P/X/S/", before: map, after: moved), 0)
        XCTAssertTrue(AgencyRules.orphanProblem(name: "Sở", people: 7).hasPrefix("7 cán bộ của «Sở»"))
    }

    func testTheHeadsEvaluatorStandsOutsideTheAgency() {
        XCTAssertNotNil(AgencyRules.headEvaluatorProblem(agencyName: "Sở", agencyPath: "/P/S/", evaluatorName: "Phòng",
                                                         evaluatorPath: "/P/S/r/"))
        XCTAssertNotNil(AgencyRules.headEvaluatorProblem(agencyName: "Sở", agencyPath: "/P/S/", evaluatorName: "Sở",
                                                         evaluatorPath: "/P/S/"))
        XCTAssertNil(AgencyRules.headEvaluatorProblem(agencyName: "Sở", agencyPath: "/P/S/", evaluatorName: "Ban",
                                                      evaluatorPath: "/P/B/"))
    }
}
