import Fluent
import Foundation
@testable import KPIServer
import KPICore
import XCTVapor

/// Directives received as edXML (issue 20, item 5), over the corpus in EdXMLCorpus/: one package from
/// each block becomes the expected tasks for the receiving units' heads to assign; the malformed ones are
/// refused naming the element, nothing written.
final class APIEdXMLTests: XCTestCase {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("EdXMLCorpus")

    static func package(_ name: String) throws -> Data { try Data(contentsOf: corpus.appendingPathComponent(name)) }

    static func send(_ client: APIClientUnderTest, _ data: Data, key: String = UUID().uuidString) async throws -> BrowserResponse {
        try await client.call(.POST, "/api/v1/edxml", headers: ["Content-Type": "application/xml", "Idempotency-Key": key], body: data)
    }

    /// What each package of a block must become: the receiving units, the document's facts, the due date.
    struct Expected {
        var file: String
        var units: [String]
        var number: String
        var date: String
        var issuer: String
        var due: String?
        var attachments: Int
        var signed: Bool
    }

    static let blocks = [
        Expected(file: "khoi-dang.xml", units: ["BTCTU"], number: "45/KH/TU", date: "2026-07-02", issuer: "VPTU", due: "2026-12-20",
                 attachments: 0, signed: false),
        Expected(file: "khoi-chinh-quyen.xml", units: ["SKHCN", "THANHVINH-UBND"], number: "2150/SNV-CCVC", date: "2026-11-20",
                 issuer: "SNV", due: "2026-12-10", attachments: 1, signed: false),
        Expected(file: "khoi-mat-tran.xml", units: ["THANHVINH-MTTQ"], number: "318/HD-MTTQ", date: "2026-11-24", issuer: "MTTQT",
                 due: nil, attachments: 0, signed: true),
    ]

    func testAPackageFromEachBlockBecomesTasksForTheReceivingUnits() async throws {
        try await withApp { app in
            let qlvb = try await APIClientUnderTest.make(app, username: "qlvb-tinh", org: "NGHEAN", scopes: [.tasksRead, .tasksWrite])
            let calendar = try await DeadlineJob.calendar(on: app.db)
            for e in Self.blocks {
                let data = try Self.package(e.file)
                let answer = try await Self.send(qlvb, data)
                XCTAssertEqual(answer.status, .created, "\(e.file): \(answer.text)")
                let receipt = try answer.json()
                XCTAssertEqual(receipt["number"] as? String, e.number, e.file)
                XCTAssertEqual(receipt["promulgationDate"] as? String, e.date, e.file)
                XCTAssertEqual(receipt["issuerCode"] as? String, e.issuer, e.file)
                XCTAssertEqual(receipt["signed"] as? Bool, e.signed, e.file)
                XCTAssertEqual(receipt["attachments"] as? Int, e.attachments, e.file)
                let tasks = try XCTUnwrap(receipt["tasks"] as? [[String: Any]])
                XCTAssertEqual(tasks.compactMap { $0["unitCode"] as? String }.sorted(), e.units, e.file)
                let due = e.due ?? calendar.adding(workingDays: EdXMLReceiver.defaultWorkingDays, to: TestEnv.today).iso
                for t in tasks {
                    // Given to the unit: its head assigns the lead (no assignee yet).
                    XCTAssertNil(t["assigneeCode"], e.file)
                    XCTAssertEqual(t["state"] as? String, TaskState.assigned.rawValue, e.file)
                    XCTAssertEqual(t["source"] as? String, TaskSource.directive.rawValue, e.file)
                    XCTAssertEqual(t["due"] as? String, due, e.file)
                    XCTAssertEqual(t["productCode"] as? String, "SP-CM-01", e.file)
                    let doc = try XCTUnwrap(t["document"] as? [String: Any])
                    XCTAssertEqual(doc["number"] as? String, e.number, e.file)
                    XCTAssertEqual(doc["date"] as? String, e.date, e.file)
                }
                // The same document again, under another key: the same tasks, none more.
                let again = try await Self.send(qlvb, data)
                XCTAssertEqual(again.status, .ok, again.text)
                let codes = try XCTUnwrap(try again.json()["tasks"] as? [[String: Any]]).compactMap { $0["code"] as? String }
                XCTAssertEqual(codes, tasks.compactMap { $0["code"] as? String }, e.file)
            }
            // The signer and the content are on the task; the attachment is its evidence, byte for byte.
            let party = try await WorkTask.query(on: app.db).filter(\.$documentNumber == "45/KH/TU").first()
            XCTAssertTrue(party?.details.contains("Người ký: T/M BAN THƯỜNG VỤ PHÓ BÍ THƯ Hoàng Nghĩa Hiếu") == true,
                          party?.details ?? "")
            XCTAssertEqual(party?.documentIssuer, "Văn phòng Tỉnh ủy")
            let letters = try await WorkTask.query(on: app.db).filter(\.$documentNumber == "2150/SNV-CCVC").all()
            XCTAssertEqual(letters.count, 2)
            let files = try await Evidence.query(on: app.db).filter(\.$taskID ~~ letters.compactMap(\.id)).all()
            XCTAssertEqual(files.map(\.name), ["2150-SNV-CCVC.pdf", "2150-SNV-CCVC.pdf"])
            let package = try EdXML.read(try Self.package("khoi-chinh-quyen.xml")).get()
            let stored = try Data(contentsOf: URL(fileURLWithPath: EvidenceStore(dataDirectory: app.settings.dataDirectory)
                .path(try XCTUnwrap(files.first).sha256)))
            XCTAssertEqual([UInt8](stored), package.attachments.first?.data)
            XCTAssertTrue(stored.starts(with: Data("%PDF".utf8)))
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "task.create")
                .filter(\.$actor, .custom("LIKE"), "qlvb-tinh%").count()
            XCTAssertEqual(audit, 4)
        }
    }

    func testMalformedOrUnknownPackagesAreRefusedNamingTheElement() async throws {
        try await withApp { app in
            let qlvb = try await APIClientUnderTest.make(app, username: "qlvb-tinh", org: "NGHEAN", scopes: [.tasksWrite])
            let before = try await WorkTask.query(on: app.db).count()
            let header = "edXMLHeader/MessageHeader"
            for (file, element) in [("sai-khong-gian-ten.xml", "edXML:edXMLEnvelope"), ("sai-co-quan-nhan.xml", header + "/To/OrganId"),
                                    ("sai-ngay.xml", header + "/DueDate"), ("sai-thuc-the.xml", "edXMLEnvelope"),
                                    ("sai-cat-ngang.xml", header + "/SignerInfo/Position")] {
                let answer = try await Self.send(qlvb, try Self.package(file))
                try answer.assertProblem(.unprocessableEntity, "edxml-refused")
                let errors = try XCTUnwrap(try answer.json()["errors"] as? [[String: Any]], file)
                XCTAssertEqual(errors.first?["field"] as? String, element, "\(file): \(answer.text)")
            }
            // A commune's system: a receiving agency outside its tree is refused as unknown.
            let commune = try await APIClientUnderTest.make(app, username: "qlvb-thanhvinh", org: "THANHVINH", scopes: [.tasksWrite])
            let outside = try await Self.send(commune, try Self.package("khoi-chinh-quyen.xml"))
            try outside.assertProblem(.unprocessableEntity, "edxml-refused")
            XCTAssertTrue(outside.text.contains("H40.05"), outside.text)
            // Not a package at all; no key; no scope.
            try await Self.send(qlvb, Data("{}".utf8)).assertProblem(.unprocessableEntity, "edxml-refused")
            let noKey = try await qlvb.call(.POST, "/api/v1/edxml", headers: ["Content-Type": "application/xml"],
                                            body: try Self.package("khoi-dang.xml"))
            try noKey.assertProblem(.badRequest, "idempotency-key-missing")
            let reader = try await APIClientUnderTest.make(app, username: "chi-doc", org: "NGHEAN", scopes: [.tasksRead])
            try await Self.send(reader, try Self.package("khoi-dang.xml")).assertProblem(.forbidden, "scope-missing")
            let after = try await WorkTask.query(on: app.db).count()
            XCTAssertEqual(after, before, "nothing written")
        }
    }

    func testTheSenderFollowsTheDirectiveThroughStatusMessagesFetchedAndSent() async throws {
        try await withApp { app in
            let qlvb = try await APIClientUnderTest.make(app, username: "qlvb-tinh", org: "NGHEAN",
                                                         scopes: [.tasksRead, .tasksWrite, .webhooksManage])
            app.settings.webhookAllow = "127.0.0.1"
            let sub = try await qlvb.call(.POST, "/api/v1/webhooks", headers: ["Content-Type": "application/json", "Idempotency-Key": "w"],
                                          body: Data(#"{"url":"http://127.0.0.1:9/su-kien","events":["edxml.status"]}"#.utf8))
            XCTAssertEqual(sub.status, .created, sub.text)
            let made = try await Self.send(qlvb, try Self.package("khoi-dang.xml")).json()
            let code = try XCTUnwrap((made["tasks"] as? [[String: Any]])?.first?["code"] as? String)
            let document = "H40.02,2026/07/02,45-KH/TU"
            func statuses() async throws -> [[String: Any]] {
                let answer = try await qlvb.get("/api/v1/edxml/status?documentId=" + document.addingPercentEncoding(
                    withAllowedCharacters: .alphanumerics)!)
                XCTAssertEqual(answer.status, .ok, answer.text)
                return try XCTUnwrap(try answer.json()["items"] as? [[String: Any]])
            }
            var items = try await statuses()
            XCTAssertEqual(items.compactMap { $0["statusCode"] as? String }, ["03"])
            XCTAssertEqual(items.first?["taskCode"] as? String, code)
            let xml = try XCTUnwrap(items.first?["xml"] as? String)
            XCTAssertTrue(xml.contains("<edXML:StatusCode>03</edXML:StatusCode>"), xml)
            XCTAssertTrue(xml.contains("<edXML:DocumentId>\(document)</edXML:DocumentId>"), xml)
            XCTAssertTrue(xml.contains("<edXML:OrganId>H40.01</edXML:OrganId>"), xml)

            // The head of the receiving unit assigns it (05), then cancels it with a reason (02).
            let head = WorkService(store: app.store, principal: try await Browser.principal(app, "truongban"),
                                   actor: .system("test", at: app.clock.now), settings: app.settings)
            let found = try await WorkTask.query(on: app.db).filter(\.$code == code).first()
            var task = try XCTUnwrap(found)
            try await head.distribute(try task.requireID(), version: task.version, personCode: "CB-BTCTU-P3-03")
            app.clock = AppClock(pinnedAt: app.clock.now.addingTimeInterval(3_600))
            let moved = try await WorkTask.find(task.requireID(), on: app.db)
            task = try XCTUnwrap(moved)
            let later = WorkService(store: app.store, principal: try await Browser.principal(app, "truongban"),
                                    actor: .system("test", at: app.clock.now), settings: app.settings)
            _ = try await later.act(try task.requireID(), version: task.version, .cancel(reason: "Đã có văn bản thay thế"))
            items = try await statuses()
            XCTAssertEqual(items.compactMap { $0["statusCode"] as? String }, ["03", "05", "02"])
            XCTAssertTrue((items.last?["xml"] as? String)?.contains("Từ chối: Đã có văn bản thay thế") == true)

            // Each was queued for the sender's subscription once, in the transaction of its step.
            let queued = try await OutboxMessage.query(on: app.db).filter(\.$subject == "edxml.status").all()
            let codes = try queued.map { m -> String in
                let event = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(m.body.utf8)) as? [String: Any])
                return try XCTUnwrap((event["data"] as? [String: Any])?["statusCode"] as? String)
            }
            XCTAssertEqual(codes.sorted(), ["02", "03", "05"])

            try await qlvb.get("/api/v1/edxml/status?documentId=khong-co").assertProblem(.notFound, "document-not-found")
            let other = try await APIClientUnderTest.make(app, username: "xa-khac", org: "HUNGNGUYEN", scopes: [.tasksRead])
            try await other.get("/api/v1/edxml/status?documentId=" + document.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
                .assertProblem(.notFound, "document-not-found")
        }
    }

    func testALeaderUploadsAPackageOnThePage() async throws {
        try await withApp { app in
            var head = Browser(app)
            try await head.login("truongban")
            let form = try await head.get("/viec/van-ban-den")
            XCTAssertEqual(form.status, .ok)
            XCTAssertTrue(form.text.contains("Gói văn bản edXML"))
            let data = try Self.package("khoi-dang.xml")
            let done = try await head.upload("/viec/van-ban-den", fields: [:], fileField: "tep", fileName: "45-KH-TU.xml", data: data)
            XCTAssertEqual(done.status, .ok, done.text)
            XCTAssertTrue(done.text.contains("Đã nhận văn bản 45/KH/TU: 1 nhiệm vụ giao cho đơn vị"), done.text)
            XCTAssertTrue(done.text.contains("Ban Tổ chức Tỉnh ủy"))
            let again = try await head.upload("/viec/van-ban-den", fields: [:], fileField: "tep", fileName: "45-KH-TU.xml", data: data)
            XCTAssertTrue(again.text.contains("đã nhận trước đây"), again.text)
            let count = try await WorkTask.query(on: app.db).filter(\.$documentNumber == "45/KH/TU").count()
            XCTAssertEqual(count, 1)
            // Outside the head's scope (Sở Khoa học và Công nghệ, a commune): refused, naming the element.
            let letter = try Self.package("khoi-chinh-quyen.xml")
            let outside = try await head.upload("/viec/van-ban-den", fields: [:], fileField: "tep", fileName: "2150.xml", data: letter)
            XCTAssertEqual(outside.status, .unprocessableEntity)
            XCTAssertTrue(outside.text.contains("(phần tử edXMLHeader/MessageHeader/To/OrganId)"), outside.text)
            var staff = Browser(app)
            try await staff.login("canbo")
            let refused = try await staff.get("/viec/van-ban-den")
            XCTAssertEqual(refused.status, .forbidden)
        }
    }
}

