import Foundation
import Fluent
import KPICore
import SQLKit
import Vapor

/// Reads the session cookie, closes idle or too-old sessions, and sets `req.principal`.
struct SessionMiddleware: AsyncMiddleware {
    static let cookieName = "kpi_session"

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let token = req.cookies[Self.cookieName]?.string, !token.isEmpty,
           let found = try await Principal.load(sessionTokenHash: AuditLog.sha256(token), on: req.db) {
            let now = req.now
            let settings = req.application.settings
            let idle = TimeInterval(settings.idleMinutes(for: found.principal?.grants.map(\.role) ?? []) * 60)
            let lifetime = TimeInterval(settings.sessionMaxHours * 3600)
            if now.timeIntervalSince(found.lastSeenAt) > idle || now.timeIntervalSince(found.createdAt) > lifetime {
                try await req.store.sql.raw("DELETE FROM web_sessions WHERE id = \(bind: found.sessionID)").run()
                req.storage[SessionExpiredKey.self] = true
            } else if var principal = found.principal {
                principal.agencies = try await req.store.agencies()
                principal = principal.applying(try await req.store.delegations(), on: req.today)
                if now.timeIntervalSince(found.lastSeenAt) > 60 {
                    try await req.store.sql.raw("UPDATE web_sessions SET last_seen_at = \(bind: now) WHERE id = \(bind: found.sessionID)")
                        .run()
                }
                req.principal = principal
            }
        }
        return try await next.respond(to: req)
    }

    static func cookie(_ token: String, settings: Settings) -> HTTPCookies.Value {
        HTTPCookies.Value(string: token, path: "/", isSecure: settings.secureCookies, isHTTPOnly: true,
                          sameSite: .lax)
    }

    static func newToken() -> String {
        [UInt8].random(count: 32).base64URLEncoded()
    }
}

extension Array where Element == UInt8 {
    func base64URLEncoded() -> String {
        Data(self).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// Sends visitors who are not signed in to the sign-in page, those who must change their password
/// to the change form, and those whose role requires two-step sign-in and who have not set it up to
/// its set-up page (nothing else opens for them until they do).
struct RequireSignIn: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let p = req.principal else {
            let expired = req.storage[SessionExpiredKey.self] == true
            let target = req.url.path + (req.url.query.map { "?" + $0 } ?? "")
            var q = "next=" + (target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
            if expired { q += "&het-han=1" }
            return req.redirect(to: "/dang-nhap?" + q)
        }
        if p.mustChangePassword && req.url.path != "/doi-mat-khau" && req.url.path != "/dang-xuat" {
            return req.redirect(to: "/doi-mat-khau")
        }
        if !p.mfaEnabled, TwoFactorPolicy.isRequired(for: p.grants, required: req.application.settings.mfaRequiredRoles),
           !TwoFactorController.openBeforeEnrolment.contains(req.url.path) {
            return req.redirect(to: TwoFactorController.path)
        }
        return try await next.respond(to: req)
    }
}

/// CSRF protection for every state-changing request. A signed-in form carries the session's token;
/// the sign-in form, before any session exists, carries the token of a short-lived cookie
/// (double submit). Compared in constant time.
struct CSRFMiddleware: AsyncMiddleware {
    static let preCookie = "kpi_pre"
    static let field = "_csrf"

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if req.method == .POST || req.method == .PUT || req.method == .PATCH || req.method == .DELETE {
            // Middleware runs before the route collects the body: a browser that sends a form's
            // body in a later packet than its headers would otherwise look like a form with no
            // token. Collect it here, within the route's limit for this visitor (`BodyLimit`): a
            // declared length over it is refused before reading, a body that grows past it while
            // streaming is cut off.
            let limit = BodyLimit.bytes(for: req)
            if let declared = req.headers.first(name: .contentLength).flatMap(Int.init), declared > limit { throw BodyLimit.tooLarge }
            if req.body.data == nil, req.headers.first(name: "X-CSRF-Token") == nil {
                do {
                    _ = try await req.body.collect(max: limit).get()
                } catch let e as any AbortError where e.status == .payloadTooLarge {
                    throw BodyLimit.tooLarge
                }
            } else if let data = req.body.data, data.readableBytes > limit {
                throw BodyLimit.tooLarge
            }
            let sent = (try? req.content.get(String.self, at: Self.field))
                ?? req.headers.first(name: "X-CSRF-Token") ?? ""
            let expected = req.principal?.csrfToken ?? req.cookies[Self.preCookie]?.string ?? ""
            guard !expected.isEmpty, Self.constantTimeEqual(sent, expected) else {
                throw Abort(.forbidden,
                            reason: """
                                Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang rồi thử lại.
                                """)
            }
        }
        return try await next.respond(to: req)
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool { ConstantTime.equal(a, b) }
}
