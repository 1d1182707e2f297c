import Fluent
import Foundation
import KPICore
import SQLKit

/// Tài khoản không hoạt động: an account nobody signed in to for `KPI_INACTIVE_DAYS` days (45 by
/// default; counted from its creation when it never signed in) is disabled by the deadline job,
/// audited, and listed to the system administrators in their notices. The last active system
/// administrator is never disabled this way, so an installation cannot lock itself out.
enum InactiveAccounts {
    /// Disables the accounts idle since before `now - days`; returns how many. Inside the caller's
    /// transaction (the job's lock), so two server processes never disable the same account twice.
    static func sweep(_ db: any Database, now: Date, days: Int) async throws -> Int {
        guard days > 0 else { return 0 }
        let cutoff = now.addingTimeInterval(-Double(days) * 86_400)
        let ids = try await db.rows("""
            SELECT id FROM users WHERE active = \(bind: true) AND COALESCE(last_login_at, created_at) < \(bind: cutoff)
            """) { try $0.next(UUID.self) }
        guard !ids.isEmpty else { return 0 }
        let adminGrants = try await RoleGrant.query(on: db).filter(\.$role == Role.systemAdmin.rawValue).all().map(\.userID)
        let activeAdmins = try await User.query(on: db).filter(\.$id ~~ adminGrants).filter(\.$active == true).all()
        var adminsLeft = activeAdmins.count
        let actor = Actor.system("tai-khoan-khong-hoat-dong", at: now)
        var disabled = 0
        for u in try await User.query(on: db).filter(\.$id ~~ ids).sort(\.$username).all() {
            if adminGrants.contains(u.id!) {
                guard adminsLeft > 1 else { continue }
                adminsLeft -= 1
            }
            try await User.query(on: db).filter(\.$id == u.id!).set(\.$active, to: false).update()
            try await WebSession.query(on: db).filter(\.$userID == u.id!).delete()
            let since = u.lastLoginAt.map { "lần đăng nhập cuối \(DateFormatting.date($0))" } ?? "chưa đăng nhập lần nào"
            try await AuditLog.append(on: db, actor: actor, action: "user.inactive", entityType: "user", entityID: u.id!.uuidString,
                                      scopePath: u.scopePath, before: ["hoat_dong": "1"], after: ["hoat_dong": "0", "ly_do": "không "
                                          + "đăng nhập quá \(days) ngày"])
            for admin in Set(activeAdmins.compactMap(\.id)) where admin != u.id {
                let n = Notice()
                n.userID = admin; n.kind = "tai-khoan"; n.createdAt = now; n.link = "/danh-muc/nguoi-dung/\(u.id!.uuidString)"
                n.title = "Tài khoản «\(u.username)» đã ngừng hoạt động do không đăng nhập quá \(days) ngày "
                    + "(\(since)). Kích hoạt "
                    + "lại ở trang tài khoản nếu người này vẫn cần dùng."
                n.dedupeKey = "khong-hoat-dong:\(u.id!.uuidString):\(Int(now.timeIntervalSince1970) / 86_400)"
                try await n.create(on: db)
            }
            disabled += 1
        }
        return disabled
    }
}
