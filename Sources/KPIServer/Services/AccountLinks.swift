import Fluent
import Foundation
import KPICore
import Vapor

/// Đặt mật khẩu qua liên kết (issue 18, item 7): a forgotten password reset by mail, and the first
/// sign-in of accounts made in bulk. A link is 32 random bytes, kept only as its SHA-256, used once,
/// and every other open link of the account dies with it. Asking for a link always gets the same
/// answer, whether the account exists or has an address (nobody learns which accounts exist), and
/// is limited per address and per account.
enum AccountLinks {
    static let resetMinutes = 30
    static let firstSignInDays = 14
    /// Links asked for from one address per hour, and per account per hour.
    static let perAddressPerHour = 10
    static let perAccountPerHour = 3

    /// A new link for `user`; the token (to put in the address) is returned, never stored.
    static func issue(on db: any Database, user: UUID, purpose: String, validFor: TimeInterval, at now: Date,
                      by who: String) async throws -> String {
        let token = SessionMiddleware.newToken()
        let link = AccountLink()
        link.userID = user; link.tokenHash = AuditLog.sha256(token); link.purpose = purpose
        link.expiresAt = now.addingTimeInterval(validFor); link.createdAt = now; link.createdBy = who
        try await link.create(on: db)
        return token
    }

    /// The open link of `token` and its account; nil when there is none, it was used, it expired or
    /// the account is disabled.
    static func open(_ token: String, at now: Date, on db: any Database) async throws -> (AccountLink, User)? {
        guard token.count <= 64, !token.isEmpty else { return nil }
        guard let link = try await AccountLink.query(on: db).filter(\.$tokenHash == AuditLog.sha256(token)).first(),
              link.usedAt == nil, link.expiresAt > now,
              let user = try await User.find(link.userID, on: db), user.active else { return nil }
        return (link, user)
    }

    static let gone = """
        Liên kết này không còn dùng được (đã dùng, đã quá hạn hoặc tài khoản đã bị khóa). Yêu cầu liên \
        kết mới ở \
        «Quên mật khẩu», hoặc liên hệ quản trị đơn vị.
        """

    /// «Quên mật khẩu»: queues a reset mail when the account exists, is active and has an address,
    /// within the limits. The caller answers the same whatever happened.
    static func request(username raw: String, ip: String, settings: Settings, store: Store) async throws {
        let username = TextNormalizer.clean(raw).lowercased()
        guard !username.isEmpty, username.count <= 64 else { return }
        let now = store.now
        let ipKey = "dat-lai-ip:\(ip)", userKey = "dat-lai-tk:\(username)"
        guard try await SharedCounters.count(ipKey, window: 3_600, now: now, on: store.db) < perAddressPerHour else { return }
        try await store.write { db in
            _ = try await SharedCounters.hit(ipKey, window: 3_600, now: now, on: db)
            guard !settings.smtpHost.isEmpty,
                  let user = try await User.query(on: db).filter(\.$username == username).filter(\.$active == true).first(),
                  let pid = user.personID, let person = try await Person.find(pid, on: db),
                  let address = MailAddress.check(person.email),
                  try await SharedCounters.hit(userKey, window: 3_600, now: now, on: db) <= perAccountPerHour else { return }
            let token = try await issue(on: db, user: user.id!, purpose: AccountLink.reset,
                                        validFor: TimeInterval(resetMinutes * 60), at: now, by: "tu-yeu-cau")
            let link = "\(settings.publicURL ?? "")/dat-mat-khau/\(token)"
            try await Outbox.enqueue(on: db, channel: EmailChannel.name, recipient: address,
                                     subject: "[KPI Công vụ] Đặt lại mật khẩu", body: """
                Kính gửi \(person.fullName),

                Có yêu cầu đặt lại mật khẩu cho tài khoản «\(user.username)». Mở liên kết sau trong \
                \(resetMinutes) phút \
                để đặt mật khẩu mới (liên kết chỉ dùng một lần):

                \(link)

                Nếu anh/chị không yêu cầu, hãy bỏ qua thư này: mật khẩu hiện tại vẫn dùng được. Nếu thư \
                lặp lại, báo \
                quản trị đơn vị.

                --
                \(MailTemplates.footer)
                """, altBody: MailTemplates.page("""
                <p>Kính gửi \(HTML.escape(person.fullName)),</p>
                <p>Có yêu cầu đặt lại mật khẩu cho tài khoản «\(HTML.escape(user.username))».</p>
                <p><a href="\(HTML.escape(link))">Đặt mật khẩu mới</a> (trong \(resetMinutes) phút, dùng một lần).</p>
                <p>Nếu anh/chị không yêu cầu, hãy bỏ qua thư này: mật khẩu hiện tại vẫn dùng được.</p>
                """, settings: "\(settings.publicURL ?? "")/thong-bao/cai-dat"),
                                     key: Outbox.secretPrefix + "dat-lai:\(UUID().uuidString)", at: now)
            try await AuditLog.append(on: db, actor: Actor(name: user.username, ip: ip, at: now), action: "password.reset-link",
                                      entityType: "user", entityID: user.id!.uuidString, scopePath: user.scopePath)
        }
    }

    /// Sets the password of the link's account: the policy checked, the link and every other open
    /// link spent, every session ended, the account unlocked, audited, the user told. The problems, or
    /// [] when done.
    static func complete(token: String, password: String, confirm: String, ip: String, req: Request) async throws -> [String] {
        let store = req.store
        guard let (link, user) = try await open(token, at: store.now, on: store.db) else { return [gone] }
        var problems = req.application.settings.passwordPolicy.problems(password, username: user.username)
        if password != confirm { problems.append("Mật khẩu nhập lại không khớp.") }
        guard problems.isEmpty else { return problems }
        let hash = try await req.password.async.hash(password)
        let now = store.now
        let purpose = link.purpose
        return try await store.write { db in
            // Spent in the same statement that checks it is still open: a link works once, even twice at once.
            let spent = try await db.sql.raw("""
                UPDATE account_links SET used_at = \(bind: now) WHERE id = \(bind: link.id!) AND used_at IS NULL RETURNING id
                """).all()
            guard !spent.isEmpty else { return [gone] }
            try await AccountLink.query(on: db).filter(\.$userID == user.id!).filter(\.$usedAt == nil).set(\.$usedAt, to: now).update()
            try await User.query(on: db).filter(\.$id == user.id!).set(\.$passwordHash, to: hash)
                .set(\.$mustChangePassword, to: false).set(\.$failedAttempts, to: 0).set(\.$heldUntil, to: nil).update()
            try await WebSession.query(on: db).filter(\.$userID == user.id!).delete()
            let n = Notice()
            n.userID = user.id!; n.kind = "tai-khoan"; n.createdAt = now; n.dedupeKey = "dat-mat-khau:\(UUID().uuidString)"
            n.title = purpose == AccountLink.firstSignIn ? "Tài khoản đã được kích hoạt, mật khẩu đã đặt." : """
                Mật khẩu của bạn đã được đặt lại qua liên kết gửi tới thư điện tử. Nếu không phải \
                bạn, báo ngay quản trị \
                đơn vị.
                """
            try await n.create(on: db)
            try await AuditLog.append(on: db, actor: Actor(name: user.username, ip: ip, at: now),
                                      action: purpose == AccountLink.firstSignIn ? "account.activate" : "password.reset-self",
                                      entityType: "user", entityID: user.id!.uuidString, scopePath: user.scopePath)
            return []
        }
    }
}
