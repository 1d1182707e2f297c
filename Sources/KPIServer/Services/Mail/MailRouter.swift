import Fluent
import Foundation
import KPICore
import Vapor

/// Thông báo qua thư: turns the notices of the notification centre into mail, as each person chose
/// per kind (`NoticeCategory`): a mail at once, a line in the daily digest, or none. Every notice is
/// written by the service that caused it; this router reads them afterwards, so no writer of notices
/// knows about mail and a request never waits for it.
enum MailRouter {
    /// Notices older than this when first seen (the job was off, or mail was just configured) are not mailed.
    static let staleAfter: TimeInterval = 48 * 3600

    struct Routed: Sendable, Equatable {
        var queued = 0
        var digest = 0
        var skipped = 0
    }

    /// Each person's delivery per category.
    static func preferences(of users: [UUID], on db: any Database) async throws -> [UUID: [String: NoticeDelivery]] {
        guard !users.isEmpty else { return [:] }
        var out: [UUID: [String: NoticeDelivery]] = [:]
        for p in try await NoticePreference.query(on: db).filter(\.$userID ~~ users).all() {
            if let d = NoticeDelivery(rawValue: p.delivery) { out[p.userID, default: [:]][p.category] = d }
        }
        return out
    }

    /// The mail address and name of each account (through its person); nil where there is none that works.
    static func recipients(_ users: [UUID], on db: any Database) async throws -> [UUID: (address: String, name: String)] {
        guard !users.isEmpty else { return [:] }
        let accounts = try await User.query(on: db).filter(\.$id ~~ users).filter(\.$active == true).all()
        let people = try await Person.query(on: db).filter(\.$id ~~ accounts.compactMap(\.personID)).all()
        let byID = Dictionary(people.map { ($0.id!, $0) }) { a, _ in a }
        var out: [UUID: (String, String)] = [:]
        for u in accounts {
            guard let p = u.personID.flatMap({ byID[$0] }), let address = MailAddress.check(p.email) else { continue }
            out[u.id!] = (address, p.fullName)
        }
        return out
    }

    /// Routes the notices not yet routed, 500 at a time.
    static func route(store: Store, settings: Settings) async throws -> Routed {
        var total = Routed()
        let on = !settings.smtpHost.isEmpty
        guard on else {
            // Mail off: every new notice is done at once, in one statement (a bulk import of notices
            // would otherwise be walked 500 at a time).
            return try await store.write(reach: nil) { db in
                let n = try await Notice.query(on: db).filter(\.$mailState == nil).count()
                if n > 0 {
                    try await Notice.query(on: db).filter(\.$mailState == nil).set(\.$mailState, to: Notice.MailState.done).update()
                }
                return Routed(skipped: n)
            }
        }
        while true {
            let now = store.now
            let batch = try await Notice.query(on: store.db).filter(\.$mailState == nil).sort(\.$createdAt).sort(\.$id)
                .limit(500).all()
            guard !batch.isEmpty else { break }
            let users = Array(Set(batch.map(\.userID)))
            let prefs = on ? try await preferences(of: users, on: store.db) : [:]
            let to = on ? try await recipients(users, on: store.db) : [:]
            let base = settings.publicURL ?? ""
            let routed = try await store.write(reach: nil) { db in
                var r = Routed()
                for n in batch {
                    let category = NoticeCategory.of(kind: n.kind)
                    let delivery = prefs[n.userID]?[category.key] ?? category.standard
                    guard on, now.timeIntervalSince(n.createdAt) <= staleAfter, let (address, name) = to[n.userID],
                          delivery != .off else {
                        n.mailState = Notice.MailState.done; r.skipped += 1
                        try await n.save(on: db)
                        continue
                    }
                    if delivery == .digest {
                        n.mailState = Notice.MailState.digest; r.digest += 1
                    } else {
                        let mail = MailTemplates.notice(n, name: name, base: base)
                        try await Outbox.enqueue(on: db, channel: EmailChannel.name, recipient: address, subject: mail.subject,
                                                 body: mail.text, altBody: mail.html, key: "thong-bao:\(n.id!.uuidString)", at: now)
                        n.mailState = Notice.MailState.queued; r.queued += 1
                    }
                    try await n.save(on: db)
                }
                return r
            }
            total.queued += routed.queued; total.digest += routed.digest; total.skipped += routed.skipped
        }
        return total
    }

    /// Tổng hợp hằng ngày: from the digest hour on, one mail per person a day with the notices that
    /// waited for it; those that come after today's digest wait for tomorrow's. The number queued.
    static func digests(store: Store, settings: Settings) async throws -> Int {
        let now = store.now
        let today = DateOnly.inVietnam(now)
        let hour = Int(now.timeIntervalSince(today.startInVietnam) / 3600)
        guard !settings.smtpHost.isEmpty, hour >= settings.mailDigestHour else { return 0 }
        let waiting = try await Notice.query(on: store.db).filter(\.$mailState == Notice.MailState.digest)
            .sort(\.$createdAt).limit(20_000).all()
        let byUser = Dictionary(grouping: waiting, by: \.userID)
        guard !byUser.isEmpty else { return 0 }
        let to = try await recipients(Array(byUser.keys), on: store.db)
        let base = settings.publicURL ?? ""
        return try await store.write(reach: nil) { db in
            var queued = 0
            for (user, notices) in byUser {
                guard let (address, name) = to[user] else {
                    // The address went away since: nothing to send, the centre keeps them.
                    for n in notices { n.mailState = Notice.MailState.done; try await n.save(on: db) }
                    continue
                }
                let key = "tong-hop:\(user.uuidString):\(today.iso)"
                let mail = MailTemplates.digest(notices, name: name, base: base, day: today)
                guard try await Outbox.enqueue(on: db, channel: EmailChannel.name, recipient: address, subject: mail.subject,
                                               body: mail.text, altBody: mail.html, key: key, at: now) else { continue }
                for n in notices { n.mailState = Notice.MailState.queued; try await n.save(on: db) }
                queued += 1
            }
            return queued
        }
    }
}

/// The words of the mails, plain text and HTML alike, with the link to the page.
enum MailTemplates {
    struct Mail: Sendable {
        var subject: String
        var text: String
        var html: String
    }

    static let footer = "Thư gửi tự động từ hệ thống KPI Công vụ; xin đừng trả lời thư này."

    static func notice(_ n: Notice, name: String, base: String) -> Mail {
        let link = "\(base)/thong-bao/\(n.id!.uuidString)"
        let settings = "\(base)/thong-bao/cai-dat"
        return Mail(subject: "[KPI Công vụ] \(n.title)", text: """
            Kính gửi \(name),

            \(n.title)

            Xem và xử lý: \(link)

            --
            \(footer)
            Đổi cách nhận thư: \(settings)
            """, html: page("""
            <p>Kính gửi \(HTML.escape(name)),</p>
            <p><strong>\(HTML.escape(n.title))</strong></p>
            <p><a href="\(HTML.escape(link))">Xem và xử lý</a></p>
            """, settings: settings))
    }

    static func digest(_ notices: [Notice], name: String, base: String, day: DateOnly) -> Mail {
        let shown = notices.suffix(50)
        let more = notices.count - shown.count
        let lines = shown.map { "- \($0.title)\n  \(base)/thong-bao/\($0.id!.uuidString)" }.joined(separator: "\n")
        let items = shown.map { n in
            "<li><a href=\"\(HTML.escape("\(base)/thong-bao/\(n.id!.uuidString)"))\">\(HTML.escape(n.title))</a></li>"
        }.joined()
        let settings = "\(base)/thong-bao/cai-dat"
        let rest = more > 0 ? "Và \(more) thông báo khác: \(base)/thong-bao" : ""
        return Mail(subject: "[KPI Công vụ] Tổng hợp thông báo ngày \(day.display) (\(notices.count))", text: """
            Kính gửi \(name),

            Từ thư tổng hợp trước, anh/chị có \(notices.count) thông báo:

            \(lines)
            \(rest)

            --
            \(footer)
            Đổi cách nhận thư: \(settings)
            """, html: page("""
            <p>Kính gửi \(HTML.escape(name)),</p>
            <p>Từ thư tổng hợp trước, anh/chị có <strong>\(notices.count)</strong> thông báo:</p>
            <ul>\(items)</ul>
            \(more > 0 ? "<p><a href=\"\(HTML.escape(base))/thong-bao\">Và \(more) thông báo khác</a></p>" : "")
            """, settings: settings))
    }

    static func test(base: String, by who: String) -> Mail {
        Mail(subject: "[KPI Công vụ] Thư thử cấu hình gửi thư", text: """
            Thư này do \(who) gửi thử từ trang Cài đặt để kiểm tra máy chủ thư. Thư đến được là cấu hình \
            đúng.

            \(base)/cai-dat/thu-di

            --
            \(footer)
            """, html: page("""
            <p>Thư này do <strong>\(HTML.escape(who))</strong> gửi thử từ trang Cài đặt để kiểm tra máy chủ thư. Thư \
            đến được là cấu hình đúng.</p>
            """, settings: "\(base)/thong-bao/cai-dat"))
    }

    static func page(_ body: String, settings: String) -> String {
        """
        <!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>KPI Công vụ</title></head>\
        <body style="font-family:Arial,sans-serif;font-size:15px;color:#1a1a1a">\(body)\
        <hr><p style="color:#555;font-size:13px">\(footer) <a href="\(HTML.escape(settings))">Đổi cách nhận thư</a></p>\
        </body></html>
        """
    }
}

/// Gửi thư: routes new notices, queues the day's digests and sends what is due; one runner at a time
/// (a lease, as for the deadline warnings), so two servers never send the same mail twice by racing.
enum MailJob {
    static let leaseName = "thu-di"

    struct Outcome: Sendable, Equatable {
        var ran: Bool
        var routed = MailRouter.Routed()
        var digests = 0
        var sent = Outbox.Sent()
    }

    static func run(_ app: Application, holder: String = UUID().uuidString) async throws -> Outcome {
        let store = app.store
        let settings = app.settings
        guard try await DeadlineJob.acquireLease(store, holder: holder, name: leaseName) else { return Outcome(ran: false) }
        do {
            var out = Outcome(ran: true)
            out.routed = try await MailRouter.route(store: store, settings: settings)
            out.digests = try await MailRouter.digests(store: store, settings: settings)
            out.sent = try await Outbox.deliverDue(store: store, channels: DeliveryChannels.all(app, settings: settings))
            try await DeadlineJob.releaseLease(store, holder: holder, name: leaseName)
            return out
        } catch {
            try? await DeadlineJob.releaseLease(store, holder: holder, name: leaseName)
            throw error
        }
    }
}

/// Runs the mail job every `KPI_MAIL_EVERY_SECONDS` while the server runs.
func startMailJob(_ app: Application) {
    let seconds = app.settings.mailEverySeconds
    guard seconds > 0 else { return }
    let job = Task {
        try? await Task.sleep(for: .seconds(min(10, seconds)))
        while !Task.isCancelled {
            do {
                let o = try await app.metrics.job("gui-thu") { try await MailJob.run(app) }
                if o.sent.sent + o.sent.retried + o.sent.failed + o.routed.queued + o.digests > 0 {
                    app.logger.info("""
                        Gửi thư: \(o.routed.queued) thư thông báo, \(o.digests) thư tổng hợp mới; đã gửi \(o.sent.sent), \
                        chờ gửi lại \(o.sent.retried), bị từ chối \(o.sent.failed).
                        """)
                }
            } catch {
                app.logger.error("Gửi thư thất bại: \(error)")
            }
            try? await Task.sleep(for: .seconds(seconds))
        }
    }
    app.lifecycle.use(JobCanceller(task: job))
}
