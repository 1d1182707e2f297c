import Fluent
import Foundation
@testable import KPIServer
import KPICore
import XCTVapor

/// Webhooks (issue 20, item 4): subscriptions, the allow-list, and the outbox delivering through a
/// real receiver (Tests/KPIServerTests/API/Peers/webhook_receiver.py, Python's own HMAC) that loses
/// an acknowledgement, is killed and started again: every event arrives, once after dedupe by id.
final class APIWebhookTests: XCTestCase {
    static let json = ["Content-Type": "application/json"]

    /// The receiver, listening on `port` and logging to `log`.
    final class Receiver {
        let port: Int
        let log: String
        let secret: String
        var process: Process?

        init(port: Int, log: String, secret: String) { self.port = port; self.log = log; self.secret = secret }

        func start(failFirst: Int = 0, redirect: String? = nil) throws {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Peers/webhook_receiver.py")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", script.path, String(port), log, secret] + (failFirst > 0 ? ["--fail-first", String(failFirst)] : [])
                + (redirect.map { ["--redirect", $0] } ?? [])
            try p.run()
            process = p
            // Listening once a connection is accepted.
            for _ in 0..<100 {
                if Self.listening(port) { return }
                usleep(50_000)
            }
            XCTFail("the receiver did not start")
        }

        /// Killed (SIGKILL, as a crash would), and gone once its port no longer answers.
        func stop() {
            guard let p = process else { return }
            kill(p.processIdentifier, SIGKILL)
            for _ in 0..<200 where Self.listening(port) { usleep(20_000) }
            process = nil
        }

        static func listening(_ port: Int) -> Bool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            return withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
        }

        /// What arrived: one entry per delivery.
        func received() throws -> [[String: Any]] {
            guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
            return try text.split(separator: "\n").map {
                try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }
    }

    static func freePort() -> Int {
        for _ in 0..<50 {
            let p = Int.random(in: 20_000...60_000)
            if !Receiver.listening(p) { return p }
        }
        return 45_678
    }

    func subscribe(_ client: APIClientUnderTest, url: String, events: [String], key: String) async throws -> BrowserResponse {
        let body = try JSONSerialization.data(withJSONObject: ["url": url, "events": events])
        return try await client.call(.POST, "/api/v1/webhooks", headers: Self.json.merging(["Idempotency-Key": key]) { $1 }, body: body)
    }

    func deliver(_ app: Application) async throws -> Outbox.Sent {
        // A dead receiver costs each attempt its whole wait (the client retries the connection): short here.
        try await Outbox.deliverDue(store: app.store, channels: [WebhookChannel(store: app.store, client: app.client, box: app.secretBox,
                                                                                 policy: app.settings.webhookAddressPolicy,
                                                                                 timeoutSeconds: 2)])
    }

    func testASubscriptionIsRefusedInsideTheNetworkUnlessListed() async throws {
        try await withApp { app in
            let client = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU", scopes: [.webhooksManage])
            try await subscribe(client, url: "http://127.0.0.1:9/su-kien", events: ["task.assigned"], key: "w1")
                .assertProblem(.unprocessableEntity, "invalid-fields")
            try await subscribe(client, url: "https://10.1.2.3/su-kien", events: ["task.assigned"], key: "w2")
                .assertProblem(.unprocessableEntity, "invalid-fields")
            try await subscribe(client, url: "ftp://203.113.131.1/x", events: ["task.assigned"], key: "w3")
                .assertProblem(.unprocessableEntity, "invalid-fields")
            try await subscribe(client, url: "https://203.113.131.1/x", events: ["task.khong-co"], key: "w4")
                .assertProblem(.badRequest, "invalid-request")
            let noKey = try await client.call(.POST, "/api/v1/webhooks", headers: Self.json,
                                              body: Data(#"{"url":"https://203.113.131.1/x","events":["task.assigned"]}"#.utf8))
            try noKey.assertProblem(.badRequest, "idempotency-key-missing")

            app.settings.webhookAllow = "127.0.0.1"
            let made = try await subscribe(client, url: "http://127.0.0.1:9/su-kien", events: ["task.assigned", "task.accepted"], key: "w5")
            XCTAssertEqual(made.status, .created, made.text)
            let doc = try made.json()
            XCTAssertTrue((doc["secret"] as? String ?? "").hasPrefix("whsec_"))
            let id = try XCTUnwrap((doc["webhook"] as? [String: Any])?["id"] as? String)
            let stored = try await WebhookSubscription.find(UUID(uuidString: id), on: app.db)
            XCTAssertFalse(stored?.secret.contains("whsec_") ?? true, "the secret is sealed at rest")
            let listedDoc = try await client.get("/api/v1/webhooks").json()
            let listed = try XCTUnwrap(listedDoc["items"] as? [[String: Any]])
            XCTAssertEqual(listed.count, 1)
            let other = try await APIClientUnderTest.make(app, username: "qlvb-snv", org: "SNV", scopes: [.webhooksManage])
            try await other.call(.DELETE, "/api/v1/webhooks/\(id)").assertProblem(.notFound, "webhook-not-found")
            let deleted = try await client.call(.DELETE, "/api/v1/webhooks/\(id)")
            XCTAssertEqual(deleted.status, .noContent)
            let afterDoc = try await client.get("/api/v1/webhooks").json()
            let after = try XCTUnwrap(afterDoc["items"] as? [[String: Any]])
            XCTAssertEqual(after.count, 0)
            let reader = try await APIClientUnderTest.make(app, username: "doc-btctu", org: "BTCTU", scopes: [.tasksRead])
            try await reader.get("/api/v1/webhooks").assertProblem(.forbidden, "scope-missing")
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action ~~ ["webhook.create", "webhook.delete"]).count()
            XCTAssertEqual(audit, 2)
        }
    }

    func testEveryEventArrivesOnceThroughALostAnswerAKilledReceiverAndADayOfSilence() async throws {
        try await withApp { app in
            app.settings.webhookAllow = "127.0.0.1"
            let port = Self.freePort()
            let log = NSTemporaryDirectory() + "webhook-\(UUID().uuidString).jsonl"
            let qlvb = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU",
                                                         scopes: [.tasksRead, .tasksWrite, .webhooksManage])
            let made = try await subscribe(qlvb, url: "http://127.0.0.1:\(port)/su-kien",
                                           events: ["task.assigned", "task.submitted", "task.accepted", "task.returned"], key: "w")
            XCTAssertEqual(made.status, .created, made.text)
            let madeDoc = try made.json()
            let secret = try XCTUnwrap(madeDoc["secret"] as? String)
            let receiver = Receiver(port: port, log: log, secret: secret)
            defer { receiver.stop(); try? FileManager.default.removeItem(atPath: log) }

            // Three tasks given: three events, queued with the change (nothing sent by the request).
            var codes: [String] = []
            for i in 1...3 {
                let r = try await APITaskTests.post(qlvb, key: "t\(i)", APITaskTests.body(title: "Việc số \(i)"))
                let doc = try r.json()
                codes.append(try XCTUnwrap(doc["code"] as? String))
            }
            let queued = try await OutboxMessage.query(on: app.db).filter(\.$channel == Webhooks.channel).count()
            XCTAssertEqual(queued, 3)
            XCTAssertTrue(try receiver.received().isEmpty)

            // The receiver records the first delivery but its answer is lost (500): that one is tried again.
            try receiver.start(failFirst: 1)
            var sent = try await deliver(app)
            XCTAssertEqual(sent.sent, 2)
            XCTAssertEqual(sent.retried, 1)

            // Killed: a submission's event waits.
            receiver.stop()
            let task = try await qlvb.get("/api/v1/tasks/\(codes[0])").json()
            _ = try await qlvb.call(.POST, "/api/v1/tasks/\(codes[0])/references", headers: Self.json,
                                    body: Data(#"{"kind":"van-ban","text":"12/BC-BTCTU"}"#.utf8))
            let submitted = try await qlvb.call(.POST, "/api/v1/tasks/\(codes[0])/submit", headers: Self.json,
                                                body: Data(#"{"version":\#(task["version"] as? Int ?? 0)}"#.utf8))
            XCTAssertEqual(submitted.status, .ok, submitted.text)
            app.clock.advance(by: 3_600)
            sent = try await deliver(app)
            XCTAssertEqual(sent.sent, 0)
            XCTAssertEqual(sent.retried, 2, "the lost one and the submission, both waiting")

            // Back: everything arrives.
            try receiver.start()
            app.clock.advance(by: 3 * 3_600)
            sent = try await deliver(app)
            XCTAssertEqual(sent.sent, 2)

            // Silent for more than a day: parked, then sent again by the administrator.
            receiver.stop()
            let leader = try await APIClientUnderTest.make(app, username: "dhtn-btctu", org: "BTCTU", scopes: [.tasksRead, .tasksWrite])
            let version = try await qlvb.get("/api/v1/tasks/\(codes[0])").json()["version"] as? Int ?? 0
            let accepted = try await leader.call(.POST, "/api/v1/tasks/\(codes[0])/accept", headers: Self.json,
                                                 body: Data(#"{"version":\#(version),"result":"dat"}"#.utf8))
            XCTAssertEqual(accepted.status, .ok, accepted.text)
            _ = try await deliver(app)
            app.clock.advance(by: 25 * 3_600)
            sent = try await deliver(app)
            XCTAssertEqual(sent.failed, 1, "a day of retries, then parked")
            let parked = try await OutboxMessage.query(on: app.db).filter(\.$channel == Webhooks.channel)
                .filter(\.$state == OutboxMessage.failed).all()
            XCTAssertEqual(parked.map(\.subject), ["task.accepted"])
            XCTAssertTrue(parked[0].lastError?.contains("24 giờ") ?? false, parked[0].lastError ?? "")
            try receiver.start()
            var admin = Browser(app)
            try await admin.login("quantri")
            let page = try await admin.get("/cai-dat/ung-dung/\(qlvb.id.uuidString)")
            XCTAssertTrue(page.text.contains("Dừng gửi"), "the page shows the parked delivery")
            let again = try await admin.post("/cai-dat/ung-dung/\(qlvb.id.uuidString)/su-kien/\(parked[0].id!.uuidString)/gui-lai", [:])
            XCTAssertEqual(again.status, .seeOther)
            sent = try await deliver(app)
            XCTAssertEqual(sent.sent, 1)

            // Every event once after dedupe by id, every signature checked by Python's own HMAC.
            let got = try receiver.received()
            XCTAssertTrue(got.allSatisfy { $0["signed"] as? Bool == true }, "\(got)")
            XCTAssertTrue(got.allSatisfy { $0["id"] as? String == $0["header"] as? String })
            let ids = Set(got.compactMap { $0["id"] as? String })
            let events = try await OutboxMessage.query(on: app.db).filter(\.$channel == Webhooks.channel).all()
            XCTAssertEqual(ids, Set(events.map(\.altBody)))
            XCTAssertEqual(events.count, 5)
            XCTAssertEqual(got.count, 6, "one acknowledgement was lost: one event came twice")
            XCTAssertTrue(events.allSatisfy { $0.state == OutboxMessage.sent })
            XCTAssertEqual(Dictionary(grouping: got.compactMap { $0["type"] as? String }, by: { $0 }).mapValues(\.count),
                           ["task.assigned": 4, "task.submitted": 1, "task.accepted": 1])
        }
    }

    /// A listed receiver that answers with a redirect inside the network is not followed.
    func testARedirectIsNeverFollowed() async throws {
        try await withApp { app in
            app.settings.webhookAllow = "127.0.0.1"
            let (front, inside) = (Self.freePort(), Self.freePort())
            let logs = [front, inside].map { NSTemporaryDirectory() + "webhook-\($0)-\(UUID().uuidString).jsonl" }
            let client = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU",
                                                           scopes: [.tasksWrite, .webhooksManage])
            let made = try await subscribe(client, url: "http://127.0.0.1:\(front)/", events: ["task.assigned"], key: "w")
            let madeDoc = try made.json()
            let secret = try XCTUnwrap(madeDoc["secret"] as? String)
            let target = Receiver(port: inside, log: logs[1], secret: secret)
            let redirecting = Receiver(port: front, log: logs[0], secret: secret)
            defer { target.stop(); redirecting.stop(); for l in logs { try? FileManager.default.removeItem(atPath: l) } }
            try target.start()
            try redirecting.start(redirect: "http://127.0.0.1:\(inside)/noi-bo")
            let r = try await APITaskTests.post(client, key: "t", APITaskTests.body())
            XCTAssertEqual(r.status, .created, r.text)
            let sent = try await deliver(app)
            XCTAssertEqual(sent.retried, 1, "a 307 is not a delivery")
            XCTAssertEqual(try redirecting.received().count, 1)
            XCTAssertEqual(try target.received().count, 0, "the redirect was not followed")
        }
    }
}
