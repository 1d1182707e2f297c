import Fluent
import Foundation
@testable import KPIServer
import KPICore
import SQLKit
import XCTVapor

/// The permission matrix (issue 16): every route the router knows × every demo role, an account
/// outside the records' scope and a visitor, with the answer the policy gives — written out by hand
/// from DOMAIN.md §2 and the rules of issue 16 (who decides on whose record), never recorded from
/// the server's answers. A route without a row fails the test, so a new route needs its row.
///
/// The records asked about all sit in Ban Tổ chức Tỉnh ủy, phòng 3 (BTCTU-P3): the task, sheet and
/// notice of `canbo` (a specialist there), led by `lanhdao` (head of the room) under `truongban`
/// (head of the board); `thammuu` advises and `kiemtra` inspects province-wide; `quantri` administers
/// the system, `quantri.snv` Sở Nội vụ only; `ngoai` is a specialist of Sở Nội vụ (outside).
final class PermissionMatrixTests: XCTestCase {
    /// The columns, in order.
    static let actors: [String?] = ["quantri", "quantri.snv", "thammuu", "truongban", "lanhdao", "canbo", "kiemtra", "ngoai", nil]

    /// One row per route (the catalog and task-action parameters spelled out), one letter per actor:
    /// `o` the route serves them (a page, a file, a redirect on success, or the form's own refusal
    /// of missing fields: 400, 409, 422 — the handler was theirs to reach); `x` refused (403, or the
    /// 404 of a record outside their scope); `s` sent to sign in.
    static let matrix: [String: String] = {
        var m: [String: String] = [
            // Signing in and one's own account.
            "GET dang-nhap": "ooooooooo",
            "POST dang-nhap": "ooooooooo",
            "GET dang-nhap/ma-xac-thuc": "ooooooooo",
            "POST dang-nhap/ma-xac-thuc": "ooooooooo",
            // Single sign-on is not configured in these tests: its start and return are not found for anyone.
            "GET dang-nhap/sso": "xxxxxxxxx",
            "GET dang-nhap/sso/ve": "xxxxxxxxx",
            "POST dang-xuat": "oooooooos",
            "GET doi-mat-khau": "oooooooos",
            "POST doi-mat-khau": "oooooooos",
            "GET xac-thuc-hai-buoc": "oooooooos",
            "POST xac-thuc-hai-buoc/bat-dau": "oooooooos",
            "POST xac-thuc-hai-buoc/xac-nhan": "oooooooos",
            "POST xac-thuc-hai-buoc/ma-khoi-phuc": "oooooooos",
            "POST xac-thuc-hai-buoc/tat": "oooooooos",
            "GET phien-dang-nhap": "oooooooos",
            "POST phien-dang-nhap/ket-thuc-khac": "oooooooos",
            // Another account's session: nobody's but its owner's (the session is ngoai's).
            "POST phien-dang-nhap/:id/ket-thuc": "xxxxxxxos",
            "GET healthz": "ooooooooo",
            // Metrics: only with KPI_METRICS_TOKEN (not set here), and then to its bearer only (MetricsTests).
            "GET metrics": "xxxxxxxxx",
            // The user guide and its pictures: open to everyone, signed in or not.
            "GET huong-dan": "ooooooooo",
            // A forgotten password: anyone may ask (the same answer always); a link that does not exist
            // is not found for anyone.
            "GET quen-mat-khau": "ooooooooo",
            "POST quen-mat-khau": "ooooooooo",
            "GET dat-mat-khau/:token": "xxxxxxxxx",
            "POST dat-mat-khau/:token": "xxxxxxxxx",
            // Accounts in bulk: administrators of the unit (BTCTU-P3 is outside Sở Nội vụ).
            "GET nguoi-dung/tao-hang-loat": "ooxxxxxxs",
            "POST nguoi-dung/tao-hang-loat": "oxxxxxxxs",
            "GET huong-dan/anh/:file": "ooooooooo",
            "GET /": "oooooooos",
            // Notices: everyone has their own; the notice asked about is canbo's.
            "GET thong-bao": "oooooooos",
            "GET thong-bao/tong-hop": "oooooooos",
            "POST thong-bao/da-doc": "oooooooos",
            "GET thong-bao/:id": "xxxxxoxxs",
            // One's own personal data and the notice about it: everyone signed in, their own only.
            "GET du-lieu-cua-toi": "oooooooos",
            "POST du-lieu-cua-toi/da-doc": "oooooooos",
            // How one's own notices come by mail: everyone, for their own account only.
            "GET thong-bao/cai-dat": "oooooooos",
            "POST thong-bao/cai-dat": "oooooooos",
            // Accounts (manageUsers, manageRoles: system and unit admins within their subtree; the
            // target account is a specialist's in BTCTU-P3, outside Sở Nội vụ).
            "POST nguoi-dung/:id/quyen": "oxxxxxxxs",
            "GET nguoi-dung/:id/quyen/:grant/thu-hoi": "oxxxxxxxs",
            "POST nguoi-dung/:id/quyen/:grant/thu-hoi": "oxxxxxxxs",
            "POST nguoi-dung/:id/dat-lai-mat-khau": "oxxxxxxxs",
            "POST nguoi-dung/:id/ket-thuc-phien": "oxxxxxxxs",
            "POST nguoi-dung/:id/dat-lai-xac-thuc": "oxxxxxxxs",
            // Import: whoever manages some catalog (admins; the advisory body for products and
            // violation types).
            "GET nhap-du-lieu": "oooxxxxxs",
            "POST nhap-du-lieu": "oooxxxxxs",
            "POST nhap-du-lieu/xac-nhan": "oooxxxxxs",
            // Settings and the working-day calendar: system administrators (granted at the root).
            "GET cai-dat": "oxxxxxxxs",
            "POST cai-dat": "oxxxxxxxs",
            "POST cai-dat/lich": "oxxxxxxxs",
            "GET cai-dat/lich/:id/xoa": "oxxxxxxxs",
            "POST cai-dat/lich/:id/xoa": "oxxxxxxxs",
            // The outbox (every mail the system sends) is the system administrators'.
            "GET cai-dat/thu-di": "oxxxxxxxs",
            "POST cai-dat/thu-di/thu-thu": "oxxxxxxxs",
            "POST cai-dat/thu-di/gui-lai": "oxxxxxxxs",
            // Audit trail: system admins and inspectors.
            "GET nhat-ky": "oxxxxxoxs",
            "GET nhat-ky/xuat": "oxxxxxoxs",
            // Frameworks: configured by the advisory body, read by those who view evaluations.
            "GET khung-danh-gia": "xxoooxoxs",
            "GET khung-danh-gia/xuat": "xxoooxoxs",
            "GET khung-danh-gia/:id": "xxoooxoxs",
            "GET khung-danh-gia/:id/so-sanh": "xxoooxoxs",
            "GET khung-danh-gia/:id/xem-truoc": "xxoooxoxs",
            "GET khung-danh-gia/:id/sua": "xxoxxxxxs",
            "POST khung-danh-gia/:id/sua": "xxoxxxxxs",
            "POST khung-danh-gia/:id/nhap": "xxoxxxxxs",
            "POST khung-danh-gia/:id/kiem-tra": "xxoxxxxxs",
            "POST khung-danh-gia/:id/ban-hanh": "xxoxxxxxs",
            "POST khung-danh-gia/:id/phai-sinh": "xxoxxxxxs",
            // Feedback (góp ý): everyone sends and lists their own; the one asked about is canbo's,
            // read by canbo and the advisory body (province-wide), answered by the advisory body only.
            "GET gop-y": "oooooooos",
            "GET gop-y/moi": "oooooooos",
            "POST gop-y/moi": "oooooooos",
            "GET gop-y/:id": "xxoxxoxxs",
            "POST gop-y/:id/tra-loi": "xxoxxxxxs",
            // Results: one's own, and those of the people one leads, advises on or inspects.
            "GET ket-qua": "oooooooos",
            "GET ket-qua/xuat": "oooooooos",
            "GET ket-qua/:period/:person": "xxoooooxs",
            // Work. Everyone has their own list, export and calendar; leaders assign and run the
            // board; the task asked about is canbo's, awaiting acceptance, in BTCTU-P3.
            "GET viec": "oooooooos",
            "GET viec/xuat": "oooooooos",
            "GET viec/lich": "oooooooos",
            // The unit board is the leaders' tool for running work (advisers and inspectors read results).
            "GET viec/bang": "xxxooxxxs",
            "GET viec/moi": "oooooooos",
            "POST viec/moi": "oooooooos",
            "GET viec/van-ban-den": "xxxooxxxs",
            "POST viec/van-ban-den": "xxxooxxxs",
            "GET viec/hang-loat": "xxxooxxxs",
            "POST viec/hang-loat": "xxxooxxxs",
            "GET viec/thuong-xuyen": "xxxooxxxs",
            "POST viec/thuong-xuyen": "xxxooxxxs",
            "POST viec/thuong-xuyen/:id/ngung": "xxxooxxxs",
            "GET viec/:id": "xxoooooxs",
            "GET viec/:id/minh-chung/:eid": "xxoooooxs",
            "POST viec/:id/minh-chung": "xxxxxoxxs",
            "POST viec/:id/minh-chung/:eid/go": "xxxxxoxxs",
            // Coordination is rated by the task's lead (its assignee).
            "POST viec/:id/danh-gia-phoi-hop": "xxxxxoxxs",
            "POST viec/:id/lien-ket-danh-gia": "xxxooxxxs",
            "POST viec/:id/lien-ket-danh-gia/:lid/dong": "xxxooxxxs",
            // Acceptance: the leaders of the task's unit, never its assignee.
            "POST viec/:id/nghiem-thu": "xxxooxxxs",
            "POST viec/:id/tra-lai": "xxxooxxxs",
            // A decision waiting for a second leader (none is waiting on this task): the deciders
            // reach it, never the task's lead.
            "POST viec/:id/xac-nhan-de-nghi": "xxxooxxxs",
            "POST viec/:id/bac-de-nghi": "xxxooxxxs",
            // Progress: the assignee.
            "POST viec/:id/tien-do": "xxxxxoxxs",
            // Printed one-time rating slips: the task's assigner and the leaders of its unit.
            "POST viec/:id/lien-ket-danh-gia/:lid/phieu": "xxxooxxxs",
            // How an agency takes receipt codes: its leaders (truongban for BTCTU) and administrators
            // (quantri; quantri.snv only for Sở Nội vụ, so the page but not BTCTU).
            "GET danh-gia-cong-khai": "ooxoxxxxs",
            "POST danh-gia-cong-khai/che-do": "oxxoxxxxs",
            "POST danh-gia-cong-khai/nhap": "oxxoxxxxs",
            // Public rating by a citizen's link: open to anyone holding the link.
            "GET danh-gia/:token": "ooooooooo",
            "POST danh-gia/:token": "ooooooooo",
            "GET danh-gia/:token/qr.svg": "ooooooooo",
            // Discipline and leave: leaders and the advisory body enter them in their scope; the
            // lists show what one may see (one's own at least).
            "GET ky-luat": "oooooooos",
            "GET ky-luat/moi": "xxoooxxxs",
            "POST ky-luat/moi": "xxoooxxxs",
            "POST ky-luat/:id/huy": "xxoooxxxs",
            "GET nghi-che-do": "oooooooos",
            "GET nghi-che-do/moi": "oooooxxxs",
            "POST nghi-che-do/moi": "oooooxxxs",
            "POST nghi-che-do/:id/huy": "oxoooxxxs",
            // Delegations (ủy quyền): everyone sees their own list; only a head with a grant of their
            // own hands it on. The one asked about is lanhdao's to canbo from tomorrow: taken back by
            // its head or a system administrator (then 409 for the next), refused to its deputy and to
            // the inspector who may read it, not found for the rest.
            // Conclusions of degradation or corruption: entered and voided by the advisory body and the
            // inspection role (the one asked about is thammuu's, about a specialist of BTCTU-P3).
            "GET ky-luat/ket-luan": "oooooooos",
            "GET ky-luat/ket-luan/moi": "xxoxxxoxs",
            "POST ky-luat/ket-luan/moi": "xxoxxxoxs",
            "POST ky-luat/ket-luan/:id/huy": "xxoxxxoxs",
            // What an agency publishes to its people, and its own settings (chosen by its head or administrators).
            "GET cong-khai": "oooooooos",
            // A person's history (canbo's): canbo, the leaders above, the advisory body and inspection.
            "GET ket-qua/nguoi/:person": "xxoooooxs",
            // Lists for personnel work: those who see evaluations; the rules: the province's advisory body.
            "GET bao-cao": "xxoooxoxs",
            "GET bao-cao/so-ket": "xxoooxoxs",
            "GET bao-cao/cong-bang": "xxoxxxoxs",
            "GET bao-cao/cong-bang/quy-tac": "xxoxxxxxs",
            "POST bao-cao/cong-bang/quy-tac": "xxoxxxxxs",
            "GET bao-cao/cong-tac-can-bo": "xxoooxoxs",
            "GET bao-cao/cong-tac-can-bo/quy-tac": "xxoxxxxxs",
            "POST bao-cao/cong-tac-can-bo/quy-tac": "xxoxxxxxs",
            "GET co-quan/cai-dat": "ooxoxxxxs",
            "POST co-quan/cai-dat": "oxxoxxxxs",
            "GET uy-quyen": "oooooooos",
            "GET uy-quyen/moi": "xxxooxxxs",
            "POST uy-quyen/moi": "xxxooxxxs",
            "POST uy-quyen/:id/thu-hoi": "oxxxoxxxs",
            // A proposal waiting for a second person (about a specialist of BTCTU-P3, by an account
            // outside the matrix): confirmed or refused by whoever may decide about that person —
            // the person themself (canbo is not) never; put back before each actor's try.
            "POST nghi-che-do/de-nghi/:id/xac-nhan": "oxoooxxxs",
            "POST nghi-che-do/de-nghi/:id/bac": "oxoooxxxs",
            "POST ky-luat/de-nghi/:id/xac-nhan": "xxoooxxxs",
            "POST ky-luat/de-nghi/:id/bac": "xxoooxxxs",
            // Evaluation periods: BTCTU's, run by its leaders (truongban) and the advisory body, viewed
            // by inspectors; a room's head (lanhdao) works on his staff's sheets, not on the period.
            "GET ky-danh-gia": "xxoooxoxs",
            "POST ky-danh-gia": "xxoooxxxs",
            "GET ky-danh-gia/:id": "xxooxxoxs",
            "POST ky-danh-gia/:id/buoc": "xxooxxxxs",
            "POST ky-danh-gia/:id/tinh-lai": "xxooxxxxs",
            "GET ky-danh-gia/:id/phe-duyet": "xxxoxxxxs",
            "POST ky-danh-gia/:id/phe-duyet": "xxxoxxxxs",
            "GET ky-danh-gia/:id/danh-sach": "xxooxxoxs",
            // Re-review (phúc tra) is the advisory body's.
            "POST ky-danh-gia/:id/phuc-tra": "xxoxxxxxs",
            // canbo's sheet: canbo assesses themself; the leaders over canbo's unit review (lanhdao, the
            // evaluator, or truongban above him when he cannot).
            "GET danh-gia-cua-toi": "oooooooos",
            "GET ky-danh-gia/:id/phieu/:person": "xxoooooxs",
            "GET ky-danh-gia/:id/phieu/:person/in": "xxoooooxs",
            "POST ky-danh-gia/:id/phieu/:person/tu-danh-gia": "xxxxxoxxs",
            "POST ky-danh-gia/:id/phieu/:person/danh-gia": "xxxooxxxs",
            "POST ky-danh-gia/:id/phieu/:person/kien-nghi": "xxxxxoxxs",
            // A complaint and a re-review case that do not exist: refused for everyone.
            "POST ky-danh-gia/:id/kien-nghi/:cid": "xxxxxxxxs",
            "POST ky-danh-gia/:id/phuc-tra/:rid": "xxxxxxxxs",
        ]
        // Catalogs. The organization and the person asked about are in BTCTU-P3; job-position
        // groups and positions are province-wide; products and violation types belong to the
        // advisory body; the account is the test's own specialist account in BTCTU-P3. Last years' levels
        // are results: the advisory body keeps them, those who see evaluations read them, administrators neither.
        let catalogs: [(String, list: String, export: String, new: String, show: String, change: String)] = [
            ("co-quan", "oooooooos", "oooooxoxs", "ooxxxxxxs", "oxoooooxs", "oxxxxxxxs"),
            ("can-bo", "oooooooos", "oooooxoxs", "ooxxxxxxs", "oxoooooxs", "oxxxxxxxs"),
            ("nhom-vi-tri", "oooooooos", "oooooxoxs", "ooxxxxxxs", "oooooooos", "oxxxxxxxs"),
            ("vi-tri-viec-lam", "oooooooos", "oooooxoxs", "ooxxxxxxs", "oooooooos", "oxxxxxxxs"),
            ("san-pham", "oooooooos", "oooooxoxs", "xxoxxxxxs", "oooooooos", "xxoxxxxxs"),
            ("vi-pham", "oooooooos", "oooooxoxs", "xxoxxxxxs", "oooooooos", "xxoxxxxxs"),
            ("xep-loai-nam-truoc", "xxoooxoxs", "xxoooxoxs", "xxoxxxxxs", "xxoooxoxs", "xxoxxxxxs"),
            ("nguoi-dung", "ooxxxxxxs", "ooxxxxxxs", "ooxxxxxxs", "oxxxxxxxs", "oxxxxxxxs"),
        ]
        for c in catalogs {
            m["GET nhap-du-lieu/mau/\(c.0)"] = c.new
            m["GET danh-muc/\(c.0)"] = c.list
            m["GET danh-muc/\(c.0)/xuat"] = c.export
            m["GET danh-muc/\(c.0)/moi"] = c.new
            m["POST danh-muc/\(c.0)/moi"] = c.new
            m["GET danh-muc/\(c.0)/:id"] = c.show
            for change in ["GET :id/sua", "POST :id/sua", "GET :id/ngung", "POST :id/ngung", "POST :id/kich-hoat"] {
                let parts = change.split(separator: " ")
                m["\(parts[0]) danh-muc/\(c.0)/\(parts[1])"] = c.change
            }
        }
        return m.merging(apiRows) { $1 }
    }()

    /// Values that fill each route's parameters beyond the path (a form that passes the field
    /// checks, so that what is tested is who may act).
    static let forms: [String: [String: String]] = [
        "POST viec/:id/nghiem-thu": ["ket_qua": "dat"],
        "POST viec/:id/tra-lai": ["ly_do": "Bổ sung số liệu."],
        "POST viec/:id/tien-do": ["phan_tram": "50"],
        "POST viec/:id/lien-ket-danh-gia/:lid/phieu": ["so_phieu": "2"],
        "POST danh-gia-cong-khai/che-do": ["co_quan": "BTCTU", "che_do": "tu-do"],
        "POST co-quan/cai-dat": ["co_quan": "BTCTU", "cong_khai": "danh-sach"],
        "POST danh-gia-cong-khai/nhap": ["co_quan": "BTCTU", "danh_sach": "BN-2026-0001"],
        "POST nghi-che-do/de-nghi/:id/bac": ["ly_do": "Chưa đủ căn cứ."],
        "POST ky-luat/de-nghi/:id/bac": ["ly_do": "Chưa đủ căn cứ."],
        "POST gop-y/moi": ["chu_de": "khac", "noi_dung": "Góp ý thử của ma trận quyền."],
        "POST gop-y/:id/tra-loi": ["tra_loi": "Trả lời thử của ma trận quyền."],
        "POST cai-dat": ["canh-bao-sap-den-han": "3"],
        "POST thong-bao/cai-dat": ["han": "tong-hop"],
        "POST cai-dat/thu-di/thu-thu": ["dia_chi": "thu.thu@nghean.gov.vn"],
        "POST cai-dat/ung-dung": ["ten": "Ứng dụng của ma trận quyền", "ten_dang_nhap": "api-ma-tran", "gioi_han": "60"],
        "POST cai-dat/ung-dung/:id/khoa-truy-cap": ["nhan": "khóa thử", "quyen_catalog_read": "1", "so_ngay": "30"],
        "POST cai-dat/ung-dung/:id/trang-thai": ["hoat_dong": "1"],
        "POST quen-mat-khau": ["username": "canbo"],
        "POST dat-mat-khau/:token": ["new": "Song Lam xanh 2026", "confirm": "Song Lam xanh 2026"],
        "POST nguoi-dung/tao-hang-loat": ["don_vi": "BTCTU-P3", "cach_gui": "in"],
        "POST cai-dat/lich": ["nam": "2027", "ngay": "05/05/2027", "loai": "nghi", "ten": "Ngày thử của ma trận quyền"],
    ]

    /// Parameters of the router spelled out in the matrix.
    static let expansions: [String: [String]] = [
        ":catalog": ["co-quan", "nhom-vi-tri", "vi-tri-viec-lam", "can-bo", "nguoi-dung", "san-pham", "vi-pham", "xep-loai-nam-truoc"],
        ":action": ["nghiem-thu", "tra-lai", "tien-do", "xac-nhan-de-nghi", "bac-de-nghi"],
    ]

    /// The router's routes, with the spelled-out parameters, as matrix keys.
    static func keys(_ app: Application) -> [String] {
        var out: [String] = []
        for route in app.routes.all where [.GET, .POST, .DELETE].contains(route.method) {
            var variants = [""]
            for part in route.path.map(\.description) {
                let values = expansions[part] ?? [part]
                variants = variants.flatMap { v in values.map { v.isEmpty ? $0 : v + "/" + $0 } }
            }
            out += variants.map { "\(route.method.rawValue) \($0.isEmpty ? "/" : $0)" }
        }
        return out
    }

    func testEveryRouteHasARowAndEveryRowARoute() async throws {
        try await withApp(demo: false) { app in
            let keys = Set(Self.keys(app))
            XCTAssertGreaterThan(keys.count, 120, "read from the router")
            XCTAssertEqual(keys.subtracting(Self.matrix.keys).sorted(), [], "routes without a row in the permission matrix")
            XCTAssertEqual(Set(Self.matrix.keys).subtracting(keys).sorted(), [], "rows for routes that no longer exist")
            for (key, row) in Self.matrix { XCTAssertEqual(row.count, Self.actors.count, key) }
        }
    }

    func testEveryRouteAnswersEachRoleAsThePolicySays() async throws {
        try await withApp { app in
            let ids = try await Self.records(app)
            var browsers: [Browser] = []
            for (n, actor) in Self.actors.enumerated() {
                var b = Browser(app)
                b.peer = "127.0.3.\(n + 1)"
                // A visitor holds the sign-in page's form token, as a browser would.
                if let actor { try await b.login(actor) } else { try await b.get("/dang-nhap") }
                browsers.append(b)
            }
            // Sessions some routes end (sign-out, the password, another's session) are the test's
            // throwaway ones; `ngoai`'s own second session is the one "another session" ends.
            var mismatches: [String] = []
            for key in Self.keys(app).sorted() {
                guard let row = Self.matrix[key] else { continue }
                let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
                let (method, pattern) = (parts[0], parts[1])
                for (n, actor) in Self.actors.enumerated() {
                    let expected = Array(row)[n]
                    let throwaway = ["dang-xuat", "doi-mat-khau", "dang-nhap", "dang-nhap/ma-xac-thuc"].contains(pattern)
                    var b = browsers[n]
                    if throwaway {
                        b = Browser(app)
                        b.peer = "127.0.4.\(n + 1)"
                        if let actor { try await b.login(actor) } else { try await b.get("/dang-nhap") }
                    }
                    if pattern.contains("/de-nghi/:id/") { try await Self.proposals(app, ids: ids) }
                    let path = "/" + Self.fill(pattern, ids: ids)
                    var form = Self.forms[key] ?? [:]
                    if pattern.hasPrefix("viec/:id/") {
                        // A task's forms carry the version the user saw: the current one.
                        form["phien_ban"] = String(try await WorkTask.find(UUID(uuidString: ids["viec/:id"]!), on: app.db)!.version)
                    }
                    let target = path == "//" ? "/" : path
                    let res = switch method {
                    case "GET": try await b.get(target)
                    case "DELETE": try await b.send(.DELETE, target, headers: [:], body: ByteBuffer())
                    default: try await b.post(target, form)
                    }
                    let got: Character = switch res.status {
                    case .forbidden, .notFound: "x"
                    case .seeOther where res.location.hasPrefix("/dang-nhap?"): "s"
                    case _ where res.status.code >= 500: "!"
                    case .unauthorized where !pattern.hasPrefix("dang-nhap"): "s"
                    default: "o"
                    }
                    if got != expected {
                        mismatches.append("\(key) as \(actor ?? "khách"): expected \(expected), "
                                          + "got \(res.status.code) \(res.location) \(res.text.prefix(160))")
                    }
                    if !throwaway { browsers[n] = b }
                    // An action that ended this browser's session (none should): sign in again.
                    if let actor, !throwaway, browsers[n].cookies[SessionMiddleware.cookieName] == nil {
                        browsers[n] = Browser(app); browsers[n].peer = "127.0.3.\(n + 1)"; try await browsers[n].login(actor)
                    }
                }
            }
            XCTAssertEqual(mismatches, [], "\(mismatches.count) answers differ from the policy")
        }
    }

    static func fill(_ pattern: String, ids: [String: String]) -> String {
        let parts = pattern.split(separator: "/").map(String.init)
        return parts.enumerated().map { i, p in
            guard p.hasPrefix(":") else { return p }
            let before = i > 0 ? parts[i - 1] : ""
            return ids[parts[0...i].joined(separator: "/")] ?? ids["\(before)/\(p)"] ?? ids[p] ?? UUID().uuidString
        }.joined(separator: "/")
    }
}
