import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Tạo tài khoản hàng loạt (issue 18, item 7): an account for every active person of a unit (its
/// subtree) who has none, with the staff role there, all in one transaction or none. Nobody gets a
/// password from an administrator: each account gets a single-use activation link (14 days) that
/// the person opens to set their own — sent by mail where the person has an address and mail is on,
/// else printed on a letter with its QR code.
struct BulkAccounts {
    let store: Store
    let principal: Principal
    let actor: Actor

    /// The most accounts one batch makes (a unit or an agency at a time).
    static let maxBatch = 2_000

    typealias Invalid = WorkService.Invalid

    struct Candidate: Sendable {
        var personID: UUID
        var code: String
        var name: String
        var organizationID: UUID
        var scopePath: String
        var email: String?
        var username: String
    }

    struct Created: Sendable {
        var candidate: Candidate
        /// The activation link's token.
        var token: String
        /// Sent by mail (else to print).
        var mailed: Bool
    }

    /// The unit of `code` (the caller must manage users there) and who in it would get an account.
    func candidates(unitCode raw: String, on db: (any Database)? = nil) async throws -> (Organization, [Candidate]) {
        let db = db ?? store.db
        let code = TextNormalizer.clean(raw).uppercased()
        guard !code.isEmpty, code.count <= 50 else { throw Invalid("don_vi", "Ghi mã đơn vị (ví dụ BTCTU-P3).") }
        guard let org = try await Organization.query(on: db).filter(\.$code == code).first() else {
            throw Invalid("don_vi", "Không có đơn vị mã «\(code)».")
        }
        try principal.require(.manageUsers, at: org.path)
        let rows = try await db.rows("""
            SELECT p.id, p.code, p.full_name, p.organization_id, p.scope_path, p.email FROM people p
            WHERE p.active = \(bind: true) AND (p.scope_path = \(bind: org.path) OR p.scope_path LIKE \(bind: org.path + "%"))
              AND NOT EXISTS (SELECT 1 FROM users u WHERE u.person_id = p.id)
            ORDER BY p.scope_path, p.code LIMIT \(bind: Self.maxBatch + 1)
            """, { c in
                (try c.next(UUID.self), try c.next(String.self), try c.next(String.self), try c.next(UUID.self),
                 try c.next(String.self), try c.next(String.self))
            })
        guard rows.count <= Self.maxBatch else {
            throw Invalid("don_vi", """
                Đơn vị «\(code)» có hơn \(Self.maxBatch) người chưa có tài khoản: tạo theo từng đơn vị trực \
                thuộc.
                """)
        }
        var taken = Set(try await User.query(on: db).all(\.$username))
        return (org, rows.map { r in
            let email = MailAddress.check(r.5)
            let username = Self.username(email: email, code: r.1, taken: &taken)
            return Candidate(personID: r.0, code: r.1, name: r.2, organizationID: r.3, scopePath: r.4, email: email,
                             username: username)
        })
    }

    /// The mail's local part when it makes a plain name, else the person's code; a number added when taken.
    static func username(email: String?, code: String, taken: inout Set<String>) -> String {
        let local = email.map { String($0.prefix { $0 != "@" }) } ?? ""
        let plain = local.count >= 3 && local.count <= 40
            && local.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-_".contains($0)) }
        var base = plain ? local : code.lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        if base.isEmpty { base = "can-bo" }
        base = String(base.prefix(56))
        var name = base
        var n = 2
        while taken.contains(name) { name = "\(base)-\(n)"; n += 1 }
        taken.insert(name)
        return name
    }

    /// Makes the accounts of the unit's people without one: all or none.
    func create(unitCode: String, byMail: Bool, settings: Settings, base: String) async throws -> [Created] {
        let (org, _) = try await candidates(unitCode: unitCode)
        let (principal, actor, now) = (principal, actor, store.now)
        let mailOn = byMail && !settings.smtpHost.isEmpty
        let svc = self
        let unusable = try Bcrypt.hash(SessionMiddleware.newToken(), cost: 4)
        return try await store.write { db in
            let (_, list) = try await svc.candidates(unitCode: unitCode, on: db)
            guard !list.isEmpty else {
                throw Invalid("don_vi", "Mọi người đang làm việc ở đơn vị «\(org.code)» đã có tài khoản.")
            }
            var created: [Created] = []
            for c in list {
                let u = User()
                u.id = UUID(); u.username = c.username; u.passwordHash = unusable; u.personID = c.personID; u.scopePath = c.scopePath
                u.mustChangePassword = false; u.failedAttempts = 0; u.active = true; u.createdAt = now
                try await u.create(on: db)
                let g = RoleGrant()
                g.userID = u.id!; g.role = Role.staff.rawValue; g.organizationID = c.organizationID; g.scopePath = c.scopePath
                g.grantedBy = principal.username; g.createdAt = now
                try await g.create(on: db)
                let token = try await AccountLinks.issue(on: db, user: u.id!, purpose: AccountLink.firstSignIn,
                                                         validFor: TimeInterval(AccountLinks.firstSignInDays * 86_400), at: now,
                                                         by: principal.username)
                var mailed = false
                if mailOn, let address = c.email {
                    let mail = MailTemplates.activation(name: c.name, username: c.username, link: "\(base)/dat-mat-khau/\(token)",
                                                        days: AccountLinks.firstSignInDays, base: base)
                    try await Outbox.enqueue(on: db, channel: EmailChannel.name, recipient: address, subject: mail.subject,
                                             body: mail.text, altBody: mail.html, key: Outbox.secretPrefix + "kich-hoat:\(u.id!)",
                                             at: now)
                    mailed = true
                }
                try await AuditLog.append(on: db, actor: actor, action: "user.create-bulk", entityType: "user", entityID: u.id!.uuidString,
                                          scopePath: c.scopePath, after: ["ten_dang_nhap": c.username, "ma_can_bo": c.code,
                                                                          "vai_tro": Role.staff.rawValue,
                                                                          "gui": mailed ? "thu" : "in"])
                created.append(Created(candidate: c, token: token, mailed: mailed))
            }
            return created
        }
    }
}

extension MailTemplates {
    static func activation(name: String, username: String, link: String, days: Int, base: String) -> Mail {
        Mail(subject: "[KPI Công vụ] Tài khoản của anh/chị trên hệ thống KPI Công vụ", text: """
            Kính gửi \(name),

            Anh/chị đã có tài khoản trên hệ thống đánh giá hiệu quả công việc KPI Công vụ.
            Tên đăng nhập: \(username)

            Mở liên kết sau để đặt mật khẩu (dùng một lần, trong \(days) ngày):
            \(link)

            Hướng dẫn sử dụng: \(base)/huong-dan

            --
            \(footer)
            """, html: page("""
            <p>Kính gửi \(HTML.escape(name)),</p>
            <p>Anh/chị đã có tài khoản trên hệ thống KPI Công vụ. Tên đăng nhập: \
            <strong>\(HTML.escape(username))</strong>.</p>
            <p><a href="\(HTML.escape(link))">Đặt mật khẩu và bắt đầu</a> (dùng một lần, trong \(days) ngày).</p>
            <p><a href="\(HTML.escape(base))/huong-dan">Hướng dẫn sử dụng</a></p>
            """, settings: "\(base)/thong-bao/cai-dat"))
    }
}
