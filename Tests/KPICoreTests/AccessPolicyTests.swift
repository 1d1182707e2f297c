import KPICore
import XCTest

/// The permission matrix of DOMAIN.md §2, written out by hand: every role × action, inside its
/// scope and outside it.
final class AccessPolicyTests: XCTestCase {
    /// Which roles may do each action inside their scope (the specification, not the code).
    let expected: [Action: Set<String>] = [
        .viewCatalog: ["quan-tri-he-thong", "quan-tri-don-vi", "co-quan-tham-muu", "lanh-dao", "can-bo", "kiem-tra-giam-sat", "api-client"],
        .manageCatalog: ["quan-tri-he-thong", "quan-tri-don-vi", "api-client"],
        .exportCatalog: ["quan-tri-he-thong", "quan-tri-don-vi", "co-quan-tham-muu", "lanh-dao", "kiem-tra-giam-sat", "api-client"],
        .manageUsers: ["quan-tri-he-thong", "quan-tri-don-vi"],
        .manageRoles: ["quan-tri-he-thong", "quan-tri-don-vi"],
        .viewAudit: ["quan-tri-he-thong", "kiem-tra-giam-sat"],
        .configureFramework: ["co-quan-tham-muu"],
        .leadWork: ["lanh-dao", "api-client"],
        .viewEvaluations: ["co-quan-tham-muu", "lanh-dao", "kiem-tra-giam-sat", "api-client"],
        .runEvaluation: ["co-quan-tham-muu", "lanh-dao"],
        .manageSettings: ["quan-tri-he-thong"],
        .recordConclusion: ["co-quan-tham-muu", "kiem-tra-giam-sat"],
    ]

    let scope = "/P/A/"
    let inside = "/P/A/U1/"
    let outside = "/P/B/"

    func testEveryRoleActionAndScope() {
        XCTAssertEqual(Set(expected.keys), Set(Action.allCases), "every action has a row in the matrix")
        for role in Role.allCases {
            let grants = [Grant(role: role, scopePath: scope)]
            for action in Action.allCases {
                let may = expected[action]!.contains(role.rawValue)
                XCTAssertEqual(AccessPolicy.allows(grants, action, at: inside), may, "\(role) \(action) inside")
                XCTAssertEqual(AccessPolicy.allows(grants, action, at: scope), may, "\(role) \(action) at scope root")
                XCTAssertFalse(AccessPolicy.allows(grants, action, at: outside), "\(role) \(action) outside")
                XCTAssertFalse(AccessPolicy.allows(grants, action, at: "/P/"), "\(role) \(action) above scope")
            }
        }
    }

    func testSiblingWithSamePrefixIsOutside() {
        // "/P/A1/" starts with "/P/A" but is not below "/P/A/".
        let grants = [Grant(role: .unitAdmin, scopePath: "/P/A/")]
        XCTAssertFalse(AccessPolicy.allows(grants, .manageCatalog, at: "/P/A1/"))
    }

    func testNoGrantsNoAccess() {
        for action in Action.allCases {
            XCTAssertFalse(AccessPolicy.allows([], action, at: inside))
            XCTAssertFalse(AccessPolicy.allowsAnywhere([], action))
        }
    }

    func testSystemWideGrantCoversEverything() {
        let grants = [Grant(role: .systemAdmin, scopePath: "/")]
        XCTAssertTrue(AccessPolicy.allows(grants, .manageCatalog, at: "/"))
        XCTAssertTrue(AccessPolicy.allows(grants, .manageCatalog, at: outside))
    }

    func testScopesDropCoveredOnes() {
        let grants = [Grant(role: .leader, scopePath: "/P/A/"), Grant(role: .staff, scopePath: "/P/A/U1/"),
                      Grant(role: .staff, scopePath: "/P/C/")]
        XCTAssertEqual(AccessPolicy.scopes(grants, .viewCatalog), ["/P/A/", "/P/C/"])
        XCTAssertEqual(AccessPolicy.scopes(grants, .leadWork), ["/P/A/"])
    }

    func testWhoMayGrantWhat() {
        let sys = [Grant(role: .systemAdmin, scopePath: "/")]
        let unit = [Grant(role: .unitAdmin, scopePath: scope)]
        for role in Role.allCases {
            XCTAssertTrue(AccessPolicy.mayGrant(sys, role: role, at: inside))
            XCTAssertEqual(AccessPolicy.mayGrant(unit, role: role, at: inside), role == .leader || role == .staff, "\(role)")
            XCTAssertFalse(AccessPolicy.mayGrant(unit, role: role, at: outside))
        }
        XCTAssertFalse(AccessPolicy.mayGrant([Grant(role: .leader, scopePath: scope)], role: .staff, at: inside))
    }
}
