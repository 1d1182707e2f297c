import Fluent
import Foundation
@testable import KPIServer
import XCTVapor

/// The menu shows a user exactly the areas whose pages serve them: it asks the same rule
/// (`Area.isOpen`) as the pages, and this checks the pages' answers against the links shown.
final class MenuTests: XCTestCase {
    /// Areas whose page refuses those it does not serve (the others show a visitor's own records,
    /// possibly none).
    static let guarded: Set<Area> = [.organizations, .positions, .people, .products, .periods, .frameworks, .users, .imports, .audit]

    func testEveryLinkShownOpensAndEveryGuardedAreaHiddenRefuses() async throws {
        try await withApp { app in
            // Every demonstration role of the permission matrix (its outside account is made by its own fixtures).
            for (n, actor) in PermissionMatrixTests.actors.compactMap({ $0 }).filter({ $0 != "ngoai" }).enumerated() {
                var b = Browser(app)
                b.peer = "127.0.5.\(n + 1)"
                try await b.login(actor)
                let principal = try await Browser.principal(app, actor)
                let home = try await b.get("/")
                XCTAssertEqual(home.status, .ok, actor)
                let menu = try XCTUnwrap(home.text.components(separatedBy: "<nav class=\"menu\"").dropFirst().first?
                    .components(separatedBy: "</nav>").first, actor)
                let shown = Set(menu.components(separatedBy: "href=\"").dropFirst().compactMap { $0.split(separator: "\"").first }
                    .map(String.init))
                for area in Area.allCases {
                    let page = try await b.get(area.path)
                    if shown.contains(area.path) {
                        XCTAssertEqual(page.status, .ok, "\(actor): «\(area.label)» is in the menu")
                        XCTAssertTrue(area.isOpen(to: principal), "\(actor) \(area)")
                    } else if Self.guarded.contains(area) {
                        XCTAssertEqual(page.status, .forbidden, "\(actor): «\(area.label)» is not in the menu")
                    }
                }
                XCTAssertTrue(shown.contains("/ket-qua"), "\(actor): everyone signed in sees the results")
            }
        }
    }
}
