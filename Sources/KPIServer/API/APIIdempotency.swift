import Crypto
import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Idempotency-Key (issue 20, item 3): every creating POST of the API carries a key the client makes;
/// the first answer to a key is kept 48 hours, a retry with the same key and body gets it again (with
/// `Idempotent-Replayed: true`), the same key with another body is refused, and a retry that comes
/// while the first call still runs waits for its answer. Other writing calls honour a key when sent.
/// Keys are per client, so two clients never see each other's answers.
enum APIIdempotency {
    static let keepSeconds: TimeInterval = 48 * 3600
    /// The largest JSON body of a writing call.
    static let jsonBodyLimit = 1 << 20
    /// How long a retry waits for the first call of its key to finish.
    static let waitAttempts = 100
    static let waitStep: Duration = .milliseconds(100)
    /// A claim still unanswered after this long was left by a call that died with its process or lost the
    /// database before it could answer or let go; a call with the same key takes it over. Far longer than
    /// any call's work once its body is read (the body is read before claiming). What such a call may have
    /// written already is found again, not written twice: a task by its creation token, a file by its
    /// content and name.
    static let abandonedAfter: TimeInterval = 30
    /// The creating operations (route patterns): a key is required.
    static let creating: Set<String> = ["api/v1/tasks", "api/v1/webhooks", "api/v1/dossiers", edxml]

    /// The operation whose body is an edXML package (`EdXML.Limits.maxBytes`).
    static let edxml = "api/v1/edxml"

    /// The operations whose body is a file (route patterns): the evidence limit of Cài đặt applies.
    static let uploading: Set<String> = ["api/v1/tasks/:code/evidence"]

    static func pattern(_ req: Request) -> String { req.route?.path.map(\.description).joined(separator: "/") ?? "" }

    /// The largest body of this call: a file's under the evidence policy, else a JSON document's.
    static func limit(_ req: Request) -> Int {
        let p = pattern(req)
        return uploading.contains(p) ? req.application.settings.evidencePolicy.maxBytes : p == edxml ? EdXML.Limits().maxBytes
            : jsonBodyLimit
    }

    static func problemTooLarge(_ limit: Int, package: Bool = false) -> APIProblem {
        package
            ? APIProblem(.payloadTooLarge, "payload-too-large",
                         "Gói edXML vượt \(limit >> 20) MB; gửi tệp đính kèm lớn theo cách khác.")
            : limit == jsonBodyLimit
            ? APIProblem(.payloadTooLarge, "payload-too-large",
                         "Thân yêu cầu vượt \(jsonBodyLimit / 1024) KiB; chia nhỏ dữ liệu rồi gửi lại.")
            : APIProblem(.payloadTooLarge, "payload-too-large", """
                Tệp vượt dung lượng tối đa \(VNNumber.format(Double(limit) / 1_048_576, decimals: 0)) MB cho một minh \
                chứng; nén \
                hoặc tách tệp rồi gửi lại.
                """)
    }

    /// The body of a writing call, read within the limit.
    static func body(_ req: Request) async throws -> ByteBuffer {
        let limit = limit(req)
        if let declared = req.headers.first(name: .contentLength).flatMap(Int.init), declared > limit {
            throw problemTooLarge(limit, package: pattern(req) == edxml)
        }
        let collected: ByteBuffer?
        do {
            collected = try await req.body.collect(max: limit).get()
        } catch let e as any AbortError where e.status == .payloadTooLarge {
            throw problemTooLarge(limit, package: pattern(req) == edxml)
        }
        // An empty file is the upload handler's to refuse, after it has found the task; a DELETE has no body.
        if uploading.contains(pattern(req)) || req.method == .DELETE { return collected ?? ByteBuffer() }
        guard let collected, collected.readableBytes > 0 else {
            throw APIProblem(.badRequest, "body-missing", "Thiếu thân yêu cầu: gửi dữ liệu JSON theo api/openapi.yaml.")
        }
        return collected
    }

    static func handle(_ req: Request, client: APIClientContext, next: () async throws -> Response) async throws -> Response {
        let body = try await body(req)
        let pattern = pattern(req)
        guard let key = req.headers.first(name: "Idempotency-Key") else {
            if creating.contains(pattern) {
                throw APIProblem(.badRequest, "idempotency-key-missing", """
                    Thiếu tiêu đề Idempotency-Key: mỗi thao tác tạo mới cần một khóa do ứng dụng tạo \
                    (ví dụ một UUID), dùng lại đúng khóa đó khi gửi lại.
                    """)
            }
            return try await next()
        }
        guard (1...200).contains(key.unicodeScalars.count), key.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw APIProblem(.badRequest, "idempotency-key-invalid",
                             "Idempotency-Key phải gồm 1–200 ký tự ASCII in được, không có dấu cách.")
        }
        // The whole address, query included: the same body with ?dryRun=true is another request.
        let request = Data("\(req.method.rawValue) \(req.url.string)\n".utf8) + Data(body.readableBytesView)
        let hash = AuditLog.hex(Crypto.SHA256.hash(data: request))
        let store = req.store
        let now = req.now
        var claimed: UUID?
        for attempt in 0..<waitAttempts {
            // The claim is one statement of its own, shared by the claims arriving together (`IdempotencyWriter`): a new
            // key (the usual case) costs one round trip; a key another call holds makes it insert nothing, and its row is
            // read below.
            let id = UUID()
            if try await store.idempotency.claim(.init(id: id, userID: client.userID, key: key, hash: hash, at: now), store: store) {
                claimed = id
                if Int.random(in: 0..<64) == 0 {
                    try await store.autocommit { db in
                        try await db.sql.raw("""
                            DELETE FROM api_idempotency WHERE created_at < \(bind: now.addingTimeInterval(-keepSeconds))
                            """).run()
                    }
                }
                break
            }
            guard let row = try await APIIdempotencyRecord.query(on: store.db).filter(\.$userID == client.userID)
                .filter(\.$key == key).first() else { continue }
            if now.timeIntervalSince(row.createdAt) > keepSeconds {
                try await store.autocommit { db in try await row.delete(on: db) }
                continue
            }
            guard row.requestHash == hash else {
                throw APIProblem(.unprocessableEntity, "idempotency-key-reused", """
                    Idempotency-Key «\(key)» đã dùng cho một yêu cầu khác trong 48 giờ qua; mỗi thao tác mới cần \
                    một khóa mới.
                    """)
            }
            if row.status > 0 { return replay(row) }
            if now.timeIntervalSince(row.createdAt) > abandonedAfter {
                let taken = try await store.autocommit { db in
                    try await db.sql.update(APIIdempotencyRecord.schema).set("id", to: SQLBind(id)).set("created_at", to: SQLBind(now))
                        .where("id", .equal, SQLBind(row.id)).where("status", .equal, SQLBind(0)).returning("id").first() != nil
                }
                if taken {
                    claimed = id
                    break
                }
                continue
            }
            if attempt == waitAttempts - 1 { break }
            try await Task.sleep(for: waitStep)
        }
        guard let claimed else {
            var p = APIProblem(.conflict, "idempotency-in-progress",
                               "Một yêu cầu cùng Idempotency-Key đang được xử lý; gọi lại sau ít giây để nhận "
                                + "kết quả.")
            p.headers = [("Retry-After", "2")]
            throw p
        }
        let release: @Sendable () async throws -> Void = {
            try await store.autocommit { db in
                try await db.sql.delete(from: APIIdempotencyRecord.schema).where("id", .equal, SQLBind(claimed)).run()
            }
        }
        let response: Response
        do {
            response = try await next()
        } catch {
            await letGo(release)
            throw error
        }
        if response.status.code >= 500 || response.status == .tooManyRequests {
            // Not an answer to keep: the same key may try again.
            await letGo(release)
            return response
        }
        let buffer = try await response.body.collect(on: req.eventLoop).get() ?? ByteBuffer()
        let (status, type, text, location) = (Int(response.status.code), response.headers.first(name: .contentType) ?? "",
                                              String(buffer: buffer), response.headers.first(name: .location))
        // Kept before it is sent, with the answers of calls ending together (`IdempotencyWriter`).
        try await store.idempotency.answer(.init(claim: .init(id: claimed, userID: client.userID, key: key, hash: hash, at: now),
                                                 status: status, contentType: type, body: text, location: location), store: store)
        response.body = .init(buffer: buffer)
        return response
    }

    /// Lets go of the claim of a call that ended without an answer to keep. When the database is away (a
    /// failover cut the call off), again every half second for a minute, in the background: the client's
    /// retry then goes ahead as soon as the database is back, instead of waiting `abandonedAfter` (measured by
    /// e2e/test_failover.py: writes back 33 s after the leader died, then 15 s).
    static func letGo(_ release: @escaping @Sendable () async throws -> Void) async {
        if (try? await release()) != nil { return }
        Task {
            for _ in 0..<120 {
                try? await Task.sleep(for: .milliseconds(500))
                if (try? await release()) != nil { return }
            }
        }
    }

    static func replay(_ row: APIIdempotencyRecord) -> Response {
        var h = HTTPHeaders()
        if !row.contentType.isEmpty { h.replaceOrAdd(name: .contentType, value: row.contentType) }
        if let l = row.location { h.replaceOrAdd(name: .location, value: l) }
        h.replaceOrAdd(name: "Idempotent-Replayed", value: "true")
        return Response(status: HTTPStatus(statusCode: row.status), headers: h, body: .init(string: row.body))
    }
}
