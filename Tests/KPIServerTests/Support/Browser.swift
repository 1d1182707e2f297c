import Fluent
import Foundation
@testable import KPIServer
import KPICore
import NIOCore
import SQLKit
import XCTVapor

/// A test client that behaves like a browser: keeps cookies, and sends back the CSRF token of
/// the last page it loaded with every form it posts.
struct Browser {
    let app: Application
    var cookies: [String: String] = [:]
    var csrf = ""
    /// The address the server sees this browser connect from (a label on an in-memory request;
    /// nothing is sent over a network).
    var peer = "127.0.0.10"
    /// Headers sent with every request (a forged X-Forwarded-For, an Accept header).
    var extraHeaders: [String: String] = [:]

    init(_ app: Application) { self.app = app }

    @discardableResult
    mutating func get(_ path: String) async throws -> BrowserResponse {
        try await send(.GET, path, headers: [:], body: ByteBuffer())
    }

    @discardableResult
    mutating func post(_ path: String, _ form: [String: String], csrf token: String? = nil) async throws -> BrowserResponse {
        var fields = form
        fields["_csrf"] = token ?? csrf
        let body = fields.map { k, v in "\(Self.encode(k))=\(Self.encode(v))" }.joined(separator: "&")
        return try await send(.POST, path, headers: ["Content-Type": "application/x-www-form-urlencoded"],
                              body: ByteBuffer(string: body))
    }

    /// Posts a multipart form with one file.
    @discardableResult
    mutating func upload(_ path: String, fields: [String: String], fileField: String, fileName: String,
                         data: Data) async throws -> BrowserResponse {
        let boundary = "----kpi\(UUID().uuidString)"
        var body = Data()
        var all = fields
        all["_csrf"] = csrf
        for (k, v) in all {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(k)\"\r\n\r\n\(v)\r\n".utf8))
        }
        body.append(Data("""
            --\(boundary)\r\nContent-Disposition: form-data; name=\"\(fileField)\"; filename=\"\(fileName)\"\r\nContent-Type: \
            application/octet-stream\r\n\r\n
            """.utf8))
        body.append(data)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        return try await send(.POST, path, headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"],
                              body: ByteBuffer(data: body))
    }

    /// Signs in through the real form; returns the response of the form post.
    @discardableResult
    mutating func login(_ username: String, _ password: String = DemoData.password) async throws -> BrowserResponse {
        try await get("/dang-nhap")
        var res = try await post("/dang-nhap", ["username": username, "password": password])
        if res.status == .seeOther && res.location.hasPrefix("/dang-nhap/ma-xac-thuc") {
            // A demonstration account with two-step sign-in: the code its app would show now.
            res = try await secondStep(res.location, code: try await totpNow(username))
        }
        // Like a browser following the redirect: picks up the signed-in session's CSRF token.
        if res.status == .seeOther && res.location == "/" { try await get("/") }
        return res
    }

    /// The second step of signing in, with `code`.
    @discardableResult
    mutating func secondStep(_ location: String, code: String) async throws -> BrowserResponse {
        try await get(location)
        return try await post(location, ["code": code])
    }

    /// The TOTP code of a demonstration account at the application's clock. A code works once per
    /// 30-second step and tests pin the clock, so the account's last used step is forgotten first,
    /// as if this sign-in came in the next step.
    func totpNow(_ username: String, secret: [UInt8]? = nil) async throws -> String {
        try await app.db.sql.raw("UPDATE users SET mfa_last_step = NULL WHERE username = \(bind: username)").run()
        return TOTP.code(secret: secret ?? DemoData.totpSecret(username), step: TOTPRules.step(at: app.clock.now))
    }

    mutating func send(_ method: HTTPMethod, _ path: String, headers: [String: String], body: ByteBuffer) async throws -> BrowserResponse {
        var h = HTTPHeaders()
        for (k, v) in extraHeaders.merging(headers, uniquingKeysWith: { $1 }) { h.add(name: k, value: v) }
        if !cookies.isEmpty {
            h.add(name: .cookie, value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        let res = try await perform(method, path, headers: h, body: body)
        for header in res.headers[.setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let name = String(pair[0]), value = String(pair[1])
            if header.contains("Expires=Thu, 01 Jan 1970") || header.contains("Max-Age=0") || value.isEmpty {
                cookies[name] = nil
            } else {
                cookies[name] = value
            }
        }
        if let token = Self.csrfToken(in: res.body.string) { csrf = token }
        return res
    }

    /// Vapor's in-memory test request, with the peer address set (its own tester leaves it empty).
    func perform(_ method: HTTPMethod, _ path: String, headers: HTTPHeaders, body: ByteBuffer) async throws -> BrowserResponse {
        var headers = headers
        headers.replaceOrAdd(name: .contentLength, value: String(body.readableBytes))
        let req = Request(application: app, method: method, url: URI(string: path), headers: headers,
                          collectedBody: body.readableBytes == 0 ? nil : body,
                          remoteAddress: try SocketAddress(ipAddress: peer, port: 40_000), logger: app.logger,
                          on: app.eventLoopGroup.next())
        let res = try await app.responder.respond(to: req).get()
        let collected = try await res.body.collect(on: req.eventLoop).get() ?? ByteBuffer()
        return BrowserResponse(status: res.status, headers: res.headers, body: collected)
    }

    static func csrfToken(in html: String) -> String? {
        guard let r = html.range(of: "name=\"_csrf\" value=\"") else { return nil }
        let rest = html[r.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

/// What the server answered to a `Browser`.
struct BrowserResponse {
    var status: HTTPStatus
    var headers: HTTPHeaders
    var body: ByteBuffer
}

extension BrowserResponse {
    var text: String { body.string }
    var location: String { headers.first(name: .location) ?? "" }
}

extension Browser {
    /// The principal of a demo user, for calling services directly.
    static func principal(_ app: Application, _ username: String) async throws -> Principal {
        let found = try await User.query(on: app.db).filter(\.$username == username).first()
        let user = try XCTUnwrap(found)
        return try await Principal.load(user: user, on: app.db, session: nil)
    }
}
