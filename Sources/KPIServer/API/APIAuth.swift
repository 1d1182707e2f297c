import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// The API client of a call, once its token is accepted.
struct APIClientContext: Sendable {
    var userID: UUID
    var tokenID: UUID
    var username: String
    /// The client's name, written into the audit trail.
    var name: String
    var scopes: Set<APIScope>
    var expiresAt: Date
    var ratePerMinute: Int
}

struct APIClientKey: StorageKey { typealias Value = APIClientContext }

extension Request {
    var apiClient: APIClientContext? {
        get { storage[APIClientKey.self] }
        set { storage[APIClientKey.self] = newValue }
    }
}

/// The Vapor request of the API call being handled (the generated handlers take typed input only).
enum APIContext {
    @TaskLocal static var request: Request?

    /// The request, its signed-in client and principal; a handler outside an authenticated call is a
    /// programming error, reported as a 500 by `APIProblem`.
    static func current() throws -> (req: Request, client: APIClientContext, principal: Principal) {
        guard let req = request, let client = req.apiClient, let p = req.principal else {
            throw Abort(.internalServerError, reason: "API handler without an authenticated request")
        }
        return (req, client, p)
    }

    /// The call's client must hold `scope`, else 403 `scope-missing`.
    static func require(_ scope: APIScope) throws -> (req: Request, client: APIClientContext, principal: Principal) {
        let c = try current()
        guard c.client.scopes.contains(scope) else {
            throw APIProblem(.forbidden, "scope-missing",
                             "Khóa truy cập này không có quyền «\(scope.rawValue)» (\(scope.label)). "
                                + "Đề nghị quản trị cấp khóa có quyền này.")
        }
        return c
    }
}

/// Signs in an API call by its `Authorization: Bearer` token (issue 20, item 2): the token's hash
/// finds the token, its client account and the account's `api-client` grants in one query; a
/// missing, unknown, expired or revoked token, or a locked client, is refused with a problem. The
/// client's calls of the last minute are counted against its limit (`APICallLog`: in memory, and the
/// shared log of every server process at most a second old), and every call is logged with its status.
struct APIAuthMiddleware: AsyncMiddleware {
    static let maxTokenLength = 200

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        try await APIContext.$request.withValue(req) {
            let started = ContinuousClock.now
            let auth: Authenticated
            switch try await authenticate(req) {
            case .refused(let problem): return problem.response(instance: req.url.path)
            case .accepted(let a): auth = a
            }
            req.principal = auth.principal
            req.apiClient = auth.client
            if let refused = Self.hostileInput(req) {
                log(req, auth: auth, status: Int(refused.status.code), started: started)
                return refused.response(instance: req.url.path)
            }
            let recent = try await req.application.apiCalls.callsInLastMinute(client: auth.client.userID, now: req.now,
                                                                              store: req.store)
            let response: Response
            if recent >= auth.client.ratePerMinute {
                var p = APIProblem(.tooManyRequests, "rate-limited",
                                   "Ứng dụng đã gọi \(recent) lần trong một phút (giới hạn \(auth.client.ratePerMinute)). "
                                    + "Chờ rồi gọi lại.")
                p.headers = [("Retry-After", "60")]
                response = p.response(instance: req.url.path)
            } else {
                do {
                    if req.method == .GET || req.method == .HEAD {
                        response = try await next.respond(to: req)
                    } else {
                        response = try await APIIdempotency.handle(req, client: auth.client) { try await next.respond(to: req) }
                    }
                } catch {
                    response = APIProblem.from(error, logger: req.logger).response(instance: req.url.path)
                }
            }
            // The generated code writes header values percent-encoded (the "simple" style of OpenAPI); a
            // Location is a path and goes out as one.
            if let location = response.headers.first(name: .location), location.contains("%2F") {
                response.headers.replaceOrAdd(name: .location, value: location.removingPercentEncoding ?? location)
            }
            log(req, auth: auth, status: Int(response.status.code), started: started)
            return response
        }
    }

    /// A NUL in a path segment names no record, and in a query value is no search (PostgreSQL stores
    /// no NUL in text): refused before any handler reads them.
    static func hostileInput(_ req: Request) -> APIProblem? {
        if req.pathHoldsNUL {
            return APIProblem(.notFound, "not-found", "Không có bản ghi với mã này.")
        }
        let query = (req.url.query ?? "").split(separator: "&").map { $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
        if query.contains(where: { $0 == nil || $0!.unicodeScalars.contains("\u{0}") }) {
            return APIProblem(.badRequest, "invalid-parameter",
                              "Tham số chứa ký tự không hợp lệ (mã hóa % sai hoặc ký tự NUL).")
        }
        return nil
    }

    struct Authenticated {
        var principal: Principal
        var client: APIClientContext
    }

    enum Outcome {
        case accepted(Authenticated)
        case refused(APIProblem)
    }

    static func unauthorized(_ code: String, _ detail: String) -> APIProblem {
        var p = APIProblem(.unauthorized, code, detail)
        p.headers = [("WWW-Authenticate", "Bearer realm=\"kpi-cong-vu\", error=\"invalid_token\"")]
        return p
    }

    func authenticate(_ req: Request) async throws -> Outcome {
        guard let header = req.headers.first(name: .authorization) else {
            return .refused(Self.unauthorized("token-missing", """
                Thiếu khóa truy cập: gửi tiêu đề «Authorization: Bearer <khóa>» của ứng dụng kết nối.
                """))
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", parts[1].utf8.count <= Self.maxTokenLength,
              parts[1].hasPrefix(APITokenRules.prefix) else {
            return .refused(Self.unauthorized("token-invalid", "Khóa truy cập không đúng dạng «Bearer kpi_…»."))
        }
        let hash = AuditLog.sha256(String(parts[1]))
        typealias Row = (tokenID: UUID, scopes: String, expiresAt: Date, revokedAt: Date?, userID: UUID,
                         username: String, active: Bool, name: String, rate: Int, role: String?, grantScope: String?)
        // Kept across calls (`RecordCache`): revoking a token, disabling its client or changing its grants is a
        // catalog write, heard by every process at once; an unknown token is not kept.
        let db = req.db
        let rows: [Row] = try await req.store.record("api-token:" + hash, keepMissing: false) { () -> [Row]? in
            let found: [Row] = try await db.rows("""
                SELECT t.id, t.scopes, t.expires_at, t.revoked_at, u.id AS user_id, u.username, u.active, c.name,
                       c.rate_per_minute, g.role, g.scope_path
                FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN api_clients c ON c.user_id = u.id
                LEFT JOIN role_grants g ON g.user_id = u.id AND g.role = \(bind: Role.apiClient.rawValue)
                WHERE t.token_hash = \(bind: hash)
                """) { c in
                (tokenID: try c.next(UUID.self), scopes: try c.next(String.self), expiresAt: try c.next(Date.self),
                 revokedAt: try c.next(Date?.self), userID: try c.next(UUID.self),
                 username: try c.next(String.self), active: try c.next(Bool.self), name: try c.next(String.self),
                 rate: try c.next(Int.self), role: try c.next(String?.self), grantScope: try c.next(String?.self))
            }
            return found.isEmpty ? nil : found
        } ?? []
        guard let first = rows.first else {
            return .refused(Self.unauthorized("token-invalid", "Khóa truy cập không đúng hoặc không còn tồn tại."))
        }
        switch APITokenRules.verdict(expiresAt: first.expiresAt, revokedAt: first.revokedAt, clientActive: first.active, now: req.now) {
        case .valid: break
        case .revoked:
            return .refused(Self.unauthorized("token-revoked",
                                              "Khóa truy cập đã bị thu hồi; đề nghị quản trị cấp khóa mới."))
        case .expired:
            return .refused(Self.unauthorized("token-expired",
                                              "Khóa truy cập đã hết hạn; đề nghị quản trị cấp khóa mới."))
        case .clientDisabled:
            return .refused(Self.unauthorized("client-disabled",
                                              "Ứng dụng kết nối đang bị khóa; liên hệ quản trị hệ thống."))
        }
        let grants = rows.compactMap { r in r.grantScope.map { Grant(role: .apiClient, scopePath: $0) } }
        let scopes = Set((try? APIScope.parse(first.scopes).get()) ?? [])
        var principal = Principal(userID: first.userID, username: first.username, displayName: first.name, personID: nil,
                                  scopePath: grants.first?.scopePath ?? "/", grants: grants, mustChangePassword: false,
                                  sessionID: nil, csrfToken: "")
        principal.mfaEnabled = false
        principal.agencies = try await req.store.agencies()
        let client = APIClientContext(userID: first.userID, tokenID: first.tokenID, username: first.username, name: first.name,
                                      scopes: scopes, expiresAt: first.expiresAt, ratePerMinute: first.rate)
        return .accepted(Authenticated(principal: principal, client: client))
    }

    /// Adds the call to the client's log (`APICallLog`: written within a second, off the call's path).
    func log(_ req: Request, auth: Authenticated, status: Int, started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let ms = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        let call = APICallLog.Call(userID: auth.client.userID, tokenID: auth.client.tokenID, method: req.method.rawValue,
                                   path: String(req.url.path.prefix(300)), status: status, milliseconds: ms, ip: req.clientIP,
                                   at: req.now)
        req.application.apiCalls.record(call, store: req.store, logger: req.logger)
    }
}
