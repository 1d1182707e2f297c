import Fluent
import Foundation
@testable import KPIServer
import KPICore
import SQLKit
import XCTVapor

/// The records the permission matrix asks about, made through the pages as their users would.
extension PermissionMatrixTests {
    /// The rows of the API and of its clients' page (issue 20), in the matrix's letters.
    static let apiRows: [String: String] = [
        // API clients: the system administrator's (only they may grant the api-client role).
        "GET cai-dat/ung-dung": "oxxxxxxxs",
        "POST cai-dat/ung-dung": "oxxxxxxxs",
        "GET cai-dat/ung-dung/:id": "oxxxxxxxs",
        "POST cai-dat/ung-dung/:id/khoa-truy-cap": "oxxxxxxxs",
        "POST cai-dat/ung-dung/:id/khoa-truy-cap/:token/thu-hoi": "oxxxxxxxs",
        "POST cai-dat/ung-dung/:id/trang-thai": "oxxxxxxxs",
        "POST cai-dat/ung-dung/:id/su-kien/:mid/gui-lai": "oxxxxxxxs",
        // Trusted certificates for edXML signatures: the system administrator's.
        "POST cai-dat/ung-dung/chung-thu": "oxxxxxxxs",
        "POST cai-dat/ung-dung/chung-thu/:cid/go": "oxxxxxxxs",
        // The API's contract and reference page are public; its operations answer a token only,
        // never a session (401 to every signed-in page user: see APITokenTests for the scopes).
        "GET api/v1": "ooooooooo",
        "GET api/v1/tai-lieu": "ooooooooo",
        "GET api/v1/openapi.yaml": "ooooooooo",
        "GET api/v1/me": "sssssssss",
        "GET api/v1/organizations": "sssssssss",
        "GET api/v1/organizations/:code": "sssssssss",
        "GET api/v1/positions": "sssssssss",
        "GET api/v1/people": "sssssssss",
        "GET api/v1/people/:code": "sssssssss",
        "POST api/v1/people/batch": "sssssssss",
        "POST api/v1/dossiers": "sssssssss",
        "POST api/v1/edxml": "sssssssss",
        "GET api/v1/edxml/status": "sssssssss",
        "GET api/v1/tasks": "sssssssss",
        "POST api/v1/tasks": "sssssssss",
        "GET api/v1/tasks/:code": "sssssssss",
        "POST api/v1/tasks/:code/progress": "sssssssss",
        "GET api/v1/tasks/:code/evidence": "sssssssss",
        "POST api/v1/tasks/:code/evidence": "sssssssss",
        "POST api/v1/tasks/:code/references": "sssssssss",
        "POST api/v1/tasks/:code/submit": "sssssssss",
        "POST api/v1/tasks/:code/accept": "sssssssss",
        "POST api/v1/tasks/:code/return": "sssssssss",
        "GET api/v1/periods": "sssssssss",
        "GET api/v1/webhooks": "sssssssss",
        "POST api/v1/webhooks": "sssssssss",
        "DELETE api/v1/webhooks/:id": "sssssssss",
        "GET api/v1/periods/:id/results": "sssssssss",
    ]

    /// The records the matrix asks about, and the outside account.
    static func records(_ app: Application) async throws -> [String: String] {
        let sql = app.db.sql
        func one(_ query: SQLQueryString) async throws -> String {
            let found = try await sql.raw(query).first()
            let row = try XCTUnwrap(found, "\(query)")
            if let id = try? row.decode(column: "v", as: UUID.self) { return id.uuidString }
            return try row.decode(column: "v", as: String.self)
        }
        let p3 = try await one("SELECT path AS v FROM organizations WHERE code = 'BTCTU-P3'")
        let board = try await one("SELECT path AS v FROM organizations WHERE code = 'BTCTU'")
        var ids: [String: String] = [":person": "CB-BTCTU-P3-03"]
        let task = try await one("""
            SELECT t.id AS v FROM tasks t JOIN people p ON p.id = t.assignee_id
            WHERE p.code = 'CB-BTCTU-P3-03' AND t.state = 'dang-thuc-hien' ORDER BY t.code LIMIT 1
            """)
        ids["viec/:id"] = task
        // A file of evidence on it, added by canbo.
        var staff = Browser(app)
        try await staff.login("canbo")
        try await staff.get("/viec/\(task)")
        try await staff.upload("/viec/\(task)/minh-chung", fields: ["loai": "tep"], fileField: "tep", fileName: "bao-cao.pdf",
                               data: Data("%PDF-1.4 bao cao".utf8))
        ids["minh-chung/:eid"] = try await one("""
            SELECT id AS v FROM evidence WHERE task_id = \(bind: UUID(uuidString: task)!) AND name = 'bao-cao.pdf' LIMIT 1
            """)
        // A citizens' rating link on the task, opened by its leader.
        var leader = Browser(app)
        try await leader.login("lanhdao")
        try await leader.get("/viec/\(task)")
        try await leader.post("/viec/\(task)/lien-ket-danh-gia", [:])
        ids["danh-gia/:token"] = try await one("SELECT token AS v FROM rating_links LIMIT 1")
        // A recurring task, a discipline record and a leave record about another specialist of the room.
        try await leader.get("/viec/thuong-xuyen")
        let rec = try await leader.post("/viec/thuong-xuyen", ["tieu_de": "Báo cáo tháng", "nguoi": "CB-BTCTU-P3-03",
                                                                "san_pham": "SP-CM-02",
                                                      "so_luong": "1", "chu_ky": "hang-thang", "ngay_den_han": "0"])
        let problems = rec.text.components(separatedBy: "class=\"problems").dropFirst().first?.prefix(400).description
        XCTAssertEqual(rec.status, .seeOther, problems ?? "")
        try await leader.get("/ky-luat/moi")
        try await leader.post("/ky-luat/moi", ["nguoi": "CB-BTCTU-P3-04", "loai": "vi-pham", "loai_vi_pham": "VP-01",
                                               "ngay": TestEnv.today.adding(days: -2).display, "ghi_chu": "Đến muộn"])
        try await leader.get("/nghi-che-do/moi")
        try await leader.post("/nghi-che-do/moi", ["nguoi": "CB-BTCTU-P3-04", "loai": "om-dau",
                                                   "tu_ngay": TestEnv.today.adding(days: -9).display,
                                                   "den_ngay": TestEnv.today.adding(days: -8).display,
                                                   "can_cu": "Giấy nghỉ ốm số 1"])
        // A delegation from lanhdao to canbo from tomorrow (not yet in force: canbo's answers stay a specialist's).
        try await leader.get("/uy-quyen/moi")
        let delegated = try await leader.post("/uy-quyen/moi", ["pham_vi": p3, "nguoi_duoc_uy_quyen": "canbo",
                                                               "tu_ngay": TestEnv.today.adding(days: 1).display,
                                                               "den_ngay": TestEnv.today.adding(days: 5).display,
                                                                   "ly_do": "Đi công tác"])
        XCTAssertEqual(delegated.status, .seeOther, delegated.text)
        ids["uy-quyen/:id"] = try await one("SELECT id AS v FROM delegations LIMIT 1")
        // A conclusion about another specialist of the room, entered by the advisory body.
        var adviser = Browser(app)
        adviser.peer = "127.0.8.1"
        try await adviser.login("thammuu")
        try await adviser.get("/ky-luat/ket-luan/moi")
        let concluded = try await adviser.post("/ky-luat/ket-luan/moi", [
            "nguoi": "CB-BTCTU-P3-04", "loai": "degradation", "so_quyet_dinh": "12-KL/UBKTTU", "ngay_quyet_dinh": TestEnv.today.display,
            "co_quan": "Ủy ban Kiểm tra Tỉnh ủy", "nam": String(TestEnv.today.year)])
        XCTAssertEqual(concluded.status, .seeOther, concluded.text)
        ids["ket-luan/:id"] = try await one("SELECT id AS v FROM conclusions LIMIT 1")
        // An API client of the whole province with one token, made by the system administrator.
        let adminPrincipal = try await Browser.principal(app, "quantri")
        let clients = APIClientService(store: app.store, principal: adminPrincipal,
                                       actor: Actor(name: "quantri", ip: "-", at: app.clock.now))
        let clientID = try await clients.create(username: "api-thu", name: "Ứng dụng thử", contact: "", orgCode: "",
                                                ratePerMinute: nil, passwordHash: "-")
        ids["ung-dung/:id"] = clientID.uuidString
        ids["khoa-truy-cap/:token"] = try await clients.issue(client: clientID, label: "thử", scopes: [.catalogRead], days: 30,
                                                              rotating: false).id.uuidString
        ids["su-kien/:mid"] = try await Self.parkedDelivery(app, client: clientID)
        ids["chung-thu/:cid"] = try await Self.trustedCertificate(app)
        ids["lien-ket-danh-gia/:lid"] = try await one("""
            SELECT id AS v FROM rating_links WHERE task_id = \(bind: UUID(uuidString: task)!) LIMIT 1
            """)
        ids["thuong-xuyen/:id"] = try await one("SELECT id AS v FROM recurring_tasks WHERE scope_path LIKE \(bind: p3 + "%") LIMIT 1")
        // BTCTU's period of last month, opened and moved to self-assessment by its head: a sheet each.
        var head = Browser(app)
        try await head.login("truongban")
        let month = TestEnv.today.adding(days: -30)
        let code = String(format: "%04d-%02d", month.year, month.month)
        try await head.get("/ky-danh-gia")
        try await head.post("/ky-danh-gia", ["co_quan": "BTCTU", "ky": code])
        let period = try await one("SELECT id AS v FROM evaluation_periods WHERE code = \(bind: code) AND scope_path = \(bind: board)")
        try await head.get("/ky-danh-gia/\(period)")
        try await head.post("/ky-danh-gia/\(period)/buoc", [
            "buoc": "mo", "phien_ban": "0", "han_tu_danh_gia": TestEnv.today.adding(days: 2).display,
            "han_danh_gia": TestEnv.today.adding(days: 5).display, "han_phe_duyet": TestEnv.today.adding(days: 9).display])
        ids["ky-danh-gia/:id"] = try await one("""
            SELECT e.period_id AS v FROM evaluations e JOIN evaluation_periods p ON p.id = e.period_id
            WHERE e.person_code = 'CB-BTCTU-P3-03' AND p.scope_path = \(bind: board) ORDER BY p.code LIMIT 1
            """)
        ids["ket-qua/:period"] = try await one("SELECT period AS v FROM score_inputs LIMIT 1")
        let canbo = try await User.query(on: app.db).filter(\.$username == "canbo").first()!
        ids["thong-bao/:id"] = try await one("SELECT id AS v FROM notices WHERE user_id = \(bind: canbo.id!) LIMIT 1")
        // A piece of feedback sent by canbo (góp ý).
        try await staff.get("/gop-y/moi")
        try await staff.post("/gop-y/moi", ["chu_de": "trang", "trang": "/viec",
                                            "noi_dung": "Góp ý của cán bộ cho ma trận quyền."])
        ids["gop-y/:id"] = try await one("SELECT id AS v FROM feedback LIMIT 1")
        ids["lich/:id"] = try await one("SELECT id AS v FROM calendar_days ORDER BY day LIMIT 1")
        ids["anh/:file"] = "viec-cua-toi.png"
        ids["ky-luat/:id"] = try await one("SELECT id AS v FROM discipline_records WHERE scope_path LIKE \(bind: p3 + "%") LIMIT 1")
        ids["nghi-che-do/:id"] = try await one("SELECT id AS v FROM leave_records WHERE scope_path LIKE \(bind: p3 + "%") LIMIT 1")
        ids["nghi-che-do/de-nghi/:id"] = UUID().uuidString
        ids["ky-luat/de-nghi/:id"] = UUID().uuidString
        ids["khung-danh-gia/:id"] = try await one("SELECT id AS v FROM frameworks WHERE scope_path = '/' ORDER BY code LIMIT 1")
        ids["co-quan/:id"] = try await one("SELECT id AS v FROM organizations WHERE code = 'BTCTU-P3'")
        ids["can-bo/:id"] = try await one("SELECT id AS v FROM people WHERE code = 'CB-BTCTU-P3-04'")
        ids["nhom-vi-tri/:id"] = try await one("SELECT id AS v FROM position_groups ORDER BY code LIMIT 1")
        ids["vi-tri-viec-lam/:id"] = try await one("SELECT id AS v FROM positions ORDER BY code LIMIT 1")
        ids["san-pham/:id"] = try await one("SELECT id AS v FROM products ORDER BY code LIMIT 1")
        ids["vi-pham/:id"] = try await one("SELECT id AS v FROM violation_types ORDER BY code LIMIT 1")
        // Last year's level of a specialist in BTCTU-P3 (Xếp loại các năm trước).
        let specialist = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-04").first()!
        let prior = PriorLevel()
        prior.id = UUID(); prior.personID = specialist.id!; prior.personCode = specialist.code; prior.year = TestEnv.today.year - 1
        prior.level = Level.good.rawValue; prior.basis = ""; prior.scopePath = specialist.scopePath; prior.searchText = specialist.code
        prior.active = true
        try await prior.create(on: app.db)
        ids["xep-loai-nam-truoc/:id"] = prior.id!.uuidString
        // The account the account routes act on: a specialist's in BTCTU-P3.
        let person = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-04").first()!
        let target = try await Self.account("matran.dich", person: person, role: .staff, app: app)
        ids["nguoi-dung/:id"] = target.user.uuidString
        ids["quyen/:grant"] = target.grant.uuidString
        // The outside account: a specialist of Sở Nội vụ, with a second session to end.
        let outsider = try await Person.query(on: app.db).filter(\.$code == "CB-SNV-P1-03").first()!
        _ = try await Self.account("ngoai", person: outsider, role: .staff, app: app, password: DemoData.password)
        var second = Browser(app)
        try await second.login("ngoai")
        ids["phien-dang-nhap/:id"] = try await one("""
            SELECT s.id AS v FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'ngoai' LIMIT 1
            """)
        return ids
    }

    /// The two proposals waiting for a second person (leave from tomorrow for a week; a violation of
    /// today) by the test's specialist account, made again when a route has confirmed or refused them.
    static func proposals(_ app: Application, ids: [String: String]) async throws {
        let person = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-04").first()!
        let forms = [
            LeaveRecord.auditType: ["nguoi": person.code, "loai": "om-dau", "tu_ngay": TestEnv.today.adding(days: 1).iso,
                                    "den_ngay": TestEnv.today.adding(days: 7).iso, "can_cu": "Giấy nghỉ ốm số 9"],
            DisciplineRecord.auditType: ["nguoi": person.code, "loai": "vi-pham", "loai_vi_pham": "VP-01", "ngay": TestEnv.today.iso],
        ]
        for (type, key) in [(LeaveRecord.auditType, "nghi-che-do/de-nghi/:id"), (DisciplineRecord.auditType, "ky-luat/de-nghi/:id")] {
            let id = UUID(uuidString: ids[key]!)!
            guard try await PendingRecordDecision.find(id, on: app.db) == nil else { continue }
            let d = PendingRecordDecision()
            d.id = id; d.recordType = type; d.action = "record"; d.personID = person.id!; d.scopePath = person.scopePath
            d.form = String(decoding: try JSONSerialization.data(withJSONObject: forms[type]!), as: UTF8.self)
            d.summary = "Đề nghị thử"; d.proposedBy = UUID(uuidString: ids["nguoi-dung/:id"]!)!;
            d.proposedByName = "Người đề nghị";
            d.proposedAt = app.clock.now
            try await d.create(on: app.db)
        }
    }

    static func account(_ username: String, person: Person, role: Role, app: Application,
                        password: String = "x") async throws -> (user: UUID, grant: UUID) {
        let u = User()
        u.id = UUID(); u.username = username; u.personID = person.id
        u.passwordHash = password == "x" ? "x" : try await app.password.async.hash(password)
        u.scopePath = person.scopePath; u.mustChangePassword = false; u.failedAttempts = 0; u.active = true
        u.createdAt = app.clock.now
        try await u.create(on: app.db)
        let g = RoleGrant()
        g.userID = u.id!; g.role = role.rawValue; g.scopePath = person.scopePath; g.grantedBy = "test"
        try await g.create(on: app.db)
        return (u.id!, g.id!)
    }

    /// A subscription of the client and one delivery to it parked after a day of failures (what
    /// «Gửi lại» acts on).
    /// A trusted certificate (the corpus's), as the administrator adds it.
    static func trustedCertificate(_ app: Application) async throws -> String {
        let pem = String(decoding: try EdXMLSignatureTests.data("chung-thu-mttq-tinh.pem"), as: UTF8.self)
        let trust = EdXMLTrust(store: app.store, principal: try await Browser.principal(app, "quantri"),
                               actor: .system("test", at: app.clock.now))
        return try await trust.add(pem: pem).requireID().uuidString
    }

    static func parkedDelivery(_ app: Application, client: UUID) async throws -> String {
        guard let record = try await APIClientRecord.find(client, on: app.db) else { throw Abort(.notFound) }
        let s = WebhookSubscription()
        s.id = UUID(); s.userID = record.userID; s.url = "https://203.113.131.1/su-kien"; s.events = "task.assigned"
        s.secret = try app.secretBox.seal(Array("whsec_thu".utf8), for: s.id!); s.active = true; s.createdBy = "quantri"
        s.createdAt = app.clock.now
        try await s.create(on: app.db)
        let m = OutboxMessage()
        m.channel = Webhooks.channel; m.recipient = s.id!.uuidString; m.subject = "task.assigned"; m.body = "{}"; m.altBody = "thu"
        m.dedupeKey = "webhook:thu"; m.state = OutboxMessage.failed; m.attempts = 12; m.nextAttemptAt = app.clock.now
        m.createdAt = app.clock.now; m.lastError = "Đã thử trong 24 giờ không thành công"
        try await m.create(on: app.db)
        return m.id!.uuidString
    }
}
