import Fluent
import Foundation
@testable import KPIServer
import KPICore
import SQLKit
import XCTVapor

/// Issue 16, hole 1: any signed-in user could stop the server with one request
/// (`/thong-bao?trang=9223372036854775807`). Every route the router knows — read from the
/// application, so a new route is swept by default — is called as each demo role and as a visitor,
/// with hostile values in its path and in each parameter it declares. Nothing may answer 5xx, no
/// handler may read a parameter it did not declare, and the server answers normally at the end.
final class ParameterSweepTests: XCTestCase {
    /// Values a parameter might receive from a hostile or careless client, by the declared kind.
    static func hostile(_ kind: ParamSpec.Kind) -> [String] {
        switch kind {
        case .integer: ["9223372036854775807", "-9223372036854775808", "99999999999999999999999", "-1", "abc", ""]
        case .text(let max): ["", "１２<script>../\u{0}", String(repeating: "ư", count: max + 1)]
        case .choice: ["abc", "", "9223372036854775807"]
        case .flag: ["2", ""]
        case .uuid: ["abc", "9223372036854775807"]
        }
    }
    /// Hostile values for a path segment (already percent-encoded).
    static let hostilePath = ["9223372036854775807", "-1", "%00", String(repeating: "a", count: 2_000)]

    func testEveryRouteSurvivesHostileParameters() async throws {
        try await withApp { app in
            let ids = try await Self.realIDs(app)
            let routes = app.routes.all.filter { $0.method == .GET || $0.method == .POST }
            XCTAssertGreaterThan(routes.count, 80, "the router's routes are read, not a list")
            var failures: [String] = []
            var sent = 0
            let roles: [String?] = DemoData.logins.map(\.0) + [nil]
            for (n, role) in roles.enumerated() {
                var b = Browser(app)
                b.peer = "127.0.1.\(n + 1)"
                if let role { try await b.login(role) }
                for route in routes {
                    let ends = route.path.map(\.description).joined(separator: "/")
                    let signs = ["dang-nhap", "dang-xuat", "doi-mat-khau"].contains(ends)
                    // Sign-in, sign-out and the password form change the session: a throwaway browser.
                    var client = signs ? Browser(app) : b
                    if signs { client.peer = "127.0.2.\(n + 1)"; if let role { try await client.login(role) } }
                    for (k, path) in Self.paths(route, ids).enumerated() {
                        // A role refused before any work (sign-in, 403, 404) gets one request with
                        // every parameter hostile at once; a role that reaches the handler gets each
                        // parameter with each hostile value.
                        var reached = true
                        let cases = Self.cases(route)
                        for (c, (params, source)) in cases.enumerated() where reached || c == 0 || c == cases.count - 1 {
                            let query = params.filter { $0.source == .query }
                                .map { Browser.encode($0.name) + "=" + Browser.encode($0.value) }
                            let form = Dictionary(params.filter { $0.source == .form }.map { ($0.name, $0.value) }) { a, _ in a }
                            let q = query.isEmpty ? "" : "?" + query.joined(separator: "&")
                            let res = route.method == .GET ? try await client.get(path + q) : try await client.post(path + q, form)
                            sent += 1
                            let refused = [.forbidden, .notFound, .unauthorized].contains(res.status)
                                || (res.status == .seeOther && res.location.hasPrefix("/dang-nhap"))
                            if c == 0 && (k > 0 || refused) { reached = false }
                            if res.status.code >= 500 {
                                failures.append("""
                                    \(role ?? "khách") \(route.method) /\(path.prefix(120))\(q.prefix(80)) \(source) \
                                    → \(res.status.code): \
                                    \(res.text.prefix(200))
                                    """)
                            }
                        }
                    }
                    if !signs { b = client }
                    if let role, b.cookies[SessionMiddleware.cookieName] == nil {
                        b = Browser(app); b.peer = "127.0.1.\(n + 1)"; try await b.login(role)
                    }
                }
            }
            XCTAssertEqual(failures, [], "\(failures.count) of \(sent) requests answered 5xx")
            XCTAssertEqual(app.storage[UndeclaredReadsKey.self]?.all ?? [], [], "parameters read without a declaration")
            var admin = Browser(app)
            try await admin.login("quantri")
            let health = try await admin.get("/healthz").status
            XCTAssertEqual(health, .ok)
            let home = try await admin.get("/").status
            XCTAssertEqual(home, .ok, "the server still answers")
        }
    }

    /// The hole as reported, and the same pattern on every paged list: a refusal saying what is
    /// wrong, never a crash.
    func testHugePageNumbersAreRefusedWithAMessage() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            for list in ["/thong-bao", "/viec", "/danh-muc/can-bo", "/danh-muc/nguoi-dung", "/nhat-ky", "/ky-luat", "/nghi-che-do"] {
                for page in ["9223372036854775807", "-5", "abc"] {
                    let res = try await b.get("\(list)?trang=\(page)")
                    XCTAssertEqual(res.status, .badRequest, list)
                    XCTAssertTrue(res.text.contains("«Trang» phải là số nguyên từ 1 đến 100.000."), list)
                }
                let ok = try await b.get("\(list)?trang=100000").status
                XCTAssertEqual(ok, .ok, "the largest page is an empty page, not an error")
            }
        }
    }

    /// Path values for a route: hostile ones for each parameter, and one real record.
    static func paths(_ route: Route, _ ids: [String: String]) -> [String] {
        let parts = route.path.map(\.description)
        func fill(_ hostile: String?) -> String {
            var out: [String] = []
            for (i, p) in parts.enumerated() {
                guard p.hasPrefix(":") else { out.append(p); continue }
                if let hostile { out.append(hostile); continue }
                let before = i > 0 ? parts[i - 1] : ""
                out.append(ids["\(before)/\(p)"] ?? ids[p] ?? UUID().uuidString)
            }
            return out.joined(separator: "/")
        }
        guard parts.contains(where: { $0.hasPrefix(":") }) else { return [fill(nil)] }
        return [fill(nil)] + hostilePath.map { fill($0) }
    }

    /// The parameter sets to send: none; each declared parameter with each hostile value of its
    /// kind; an oversized undeclared form field; and last, every parameter hostile at once.
    static func cases(_ route: Route) -> [([(name: String, value: String, source: ParamSpec.Source)], String)] {
        var out: [([(name: String, value: String, source: ParamSpec.Source)], String)] = [([], "")]
        for p in route.declaredParams {
            for v in hostile(p.kind) { out.append(([(p.name, v, p.source)], p.name)) }
        }
        if route.method == .POST {
            out.append(([("ghi_chu", String(repeating: "x", count: ParamSpec.undeclaredFormMax + 1), .form)], "ghi_chu"))
        }
        out.append((route.declaredParams.map { ($0.name, "9223372036854775807", $0.source) }, "tất cả"))
        return out
    }

    /// One real record for each kind of path parameter, so that handlers get past their lookups.
    static func realIDs(_ app: Application) async throws -> [String: String] {
        let sql = app.db.sql
        func first(_ query: SQLQueryString) async throws -> String? {
            guard let row = try await sql.raw(query).first() else { return nil }
            if let id = try? row.decode(column: "v", as: UUID.self) { return id.uuidString }
            return try? row.decode(column: "v", as: String.self)
        }
        var ids: [String: String] = [":catalog": "can-bo", ":action": "nghiem-thu", ":person": "CB-BTCTU-P3-03"]
        let lookups: [(String, SQLQueryString)] = [
            ("viec/:id", "SELECT id AS v FROM tasks WHERE state = 'cho-nghiem-thu' ORDER BY code LIMIT 1"),
            ("ky-danh-gia/:id", "SELECT id AS v FROM evaluation_periods ORDER BY code LIMIT 1"),
            ("thong-bao/:id", "SELECT id AS v FROM notices LIMIT 1"),
            ("ky-luat/:id", "SELECT id AS v FROM discipline_records LIMIT 1"),
            ("nghi-che-do/:id", "SELECT id AS v FROM leave_records LIMIT 1"),
            ("thuong-xuyen/:id", "SELECT id AS v FROM recurring_tasks LIMIT 1"),
            (":catalog/:id", "SELECT id AS v FROM people WHERE code = 'CB-BTCTU-P3-04'"),
            ("khung-danh-gia/:id", "SELECT id AS v FROM frameworks ORDER BY code LIMIT 1"),
            ("minh-chung/:eid", "SELECT id AS v FROM evidence LIMIT 1"),
            ("danh-gia/:token", "SELECT token AS v FROM rating_links LIMIT 1"),
            ("lien-ket-danh-gia/:lid", "SELECT id AS v FROM rating_links LIMIT 1"),
            ("ket-qua/:period", "SELECT period AS v FROM score_inputs LIMIT 1"),
            ("kien-nghi/:cid", "SELECT id AS v FROM complaints LIMIT 1"),
            ("phuc-tra/:rid", "SELECT id AS v FROM re_reviews LIMIT 1"),
        ]
        for (key, q) in lookups { ids[key] = try await first(q) }
        // An account of its own for the account routes, so that a reset during the sweep locks
        // nobody the sweep signs in as.
        let person = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-04").first()!
        let target = User()
        target.id = UUID(); target.username = "sweep.target"; target.passwordHash = "x"; target.personID = person.id
        target.scopePath = person.scopePath; target.mustChangePassword = true; target.failedAttempts = 0; target.active = true
        try await target.create(on: app.db)
        ids["nguoi-dung/:id"] = target.id!.uuidString
        let grant = RoleGrant()
        grant.userID = target.id!; grant.role = Role.staff.rawValue; grant.scopePath = person.scopePath; grant.grantedBy = "test"
        try await grant.create(on: app.db)
        ids["quyen/:grant"] = grant.id!.uuidString
        return ids
    }
}
