import Fluent
import Foundation
@testable import KPIServer
import KPICore
import XCTVapor

/// An API client made through the administrator's service, and calls with its token.
struct APIClientUnderTest: Sendable {
    let app: Application
    var id: UUID
    var token: String
    var peer = "127.0.9.1"

    /// A client of the subtree of `org` (nil: the whole province) holding `scopes`, made by `quantri`.
    static func make(_ app: Application, username: String, org: String?, scopes: [APIScope],
                     rate: Int? = nil, days: Int? = 30) async throws -> APIClientUnderTest {
        let svc = try await admin(app)
        let id = try await svc.create(username: username, name: "Ứng dụng \(username)", contact: "", orgCode: org ?? "",
                                      ratePerMinute: rate, passwordHash: "-")
        let issued = try await svc.issue(client: id, label: "khóa 1", scopes: scopes, days: days, rotating: false)
        return APIClientUnderTest(app: app, id: id, token: issued.token)
    }

    static func admin(_ app: Application) async throws -> APIClientService {
        APIClientService(store: app.store, principal: try await Browser.principal(app, "quantri"),
                         actor: Actor(name: "quantri", ip: "-", at: app.clock.now))
    }

    func get(_ path: String, token: String? = nil, headers extra: [String: String] = [:]) async throws -> BrowserResponse {
        try await call(.GET, path, token: token, headers: extra)
    }

    /// A GET that must answer 200.
    func expectOK(_ path: String, token: String? = nil, _ message: String = "", file: StaticString = #filePath,
                  line: UInt = #line) async throws {
        let res = try await get(path, token: token)
        XCTAssertEqual(res.status, .ok, "\(message) \(res.text.prefix(300))", file: file, line: line)
    }

    func call(_ method: HTTPMethod, _ path: String, token: String? = nil, headers extra: [String: String] = [:],
              body: Data = Data()) async throws -> BrowserResponse {
        var b = Browser(app)
        b.peer = peer
        var h: [String: String] = ["Authorization": "Bearer " + (token ?? self.token), "Accept": "application/json"]
        for (k, v) in extra { h[k] = v }
        if h["Authorization"] == "-" { h["Authorization"] = nil }
        return try await b.send(method, path, headers: h, body: ByteBuffer(data: body))
    }
}

extension BrowserResponse {
    /// The body as a JSON object (fails the test when it is not one).
    func json(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try XCTUnwrap(object as? [String: Any], "not a JSON object: \(text.prefix(200))", file: file, line: line)
    }

    /// Checks an RFC 9457 problem: status, media type, stable code and a Vietnamese detail.
    func assertProblem(_ status: HTTPStatus, _ code: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(self.status, status, text, file: file, line: line)
        XCTAssertEqual(headers.first(name: .contentType), "application/problem+json", file: file, line: line)
        let doc = try json(file: file, line: line)
        XCTAssertEqual(doc["code"] as? String, code, text, file: file, line: line)
        XCTAssertEqual(doc["status"] as? Int, Int(status.code), file: file, line: line)
        let detail = try XCTUnwrap(doc["detail"] as? String, file: file, line: line)
        XCTAssertTrue(detail.unicodeScalars.contains { $0.value > 127 }, "detail in Vietnamese: \(detail)", file: file, line: line)
        XCTAssertNotNil(doc["title"] as? String, file: file, line: line)
    }
}
