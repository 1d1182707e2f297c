import Fluent
import Foundation
import KPICore
import SQLKit

/// Issue 16's schema: one account per person, failures counted with their time (lockout decays),
/// and the counters several server processes share (sign-in throttling, public ratings).
struct AddSecurityControls: AsyncMigration {
    let clock: AppClock

    func prepare(on db: any Database) async throws {
        try await db.schema(User.schema).field("last_failed_at", .datetime).update()
        try await db.schema(User.schema).field("created_at", .datetime).update()
        // Accounts older than this migration count their inactivity from it: nobody is disabled on upgrade day.
        try await User.query(on: db).set(\.$createdAt, to: clock.now).update()
        try await unlinkDuplicateAccounts(on: db)
        try await SQLIndex.create(db, "users_person", on: User.schema, "person_id", unique: true)
        let sql = db.sql
        try await sql.raw("""
            CREATE TABLE rate_counters (key VARCHAR(200) NOT NULL, bucket BIGINT NOT NULL, hits INTEGER NOT NULL,
                                        PRIMARY KEY (key, bucket))
            """).run()
    }

    /// Accounts bound to the same person: the oldest active one keeps the binding (active first, then
    /// the earliest sign-in, then the name), the others are unbound, audited, and listed to every
    /// system administrator in their notices.
    func unlinkDuplicateAccounts(on db: any Database) async throws {
        // Plain SQL, not the model: later migrations add columns the model already reads.
        struct Account: Decodable {
            var id: UUID, username: String, scope_path: String, person_id: UUID, active: Bool, last_login_at: Date?
            var scopePath: String { scope_path }
            var lastLoginAt: Date? { last_login_at }
        }
        let users = try await db.sql.raw("""
            SELECT id, username, scope_path, person_id, active, last_login_at FROM users WHERE person_id IS NOT NULL
            """).all(decoding: Account.self)
        let byPerson = Dictionary(grouping: users) { $0.person_id }.filter { $0.value.count > 1 }
        guard !byPerson.isEmpty else { return }
        let admins = try await RoleGrant.query(on: db).filter(\.$role == Role.systemAdmin.rawValue).all().map(\.userID)
        let actor = Actor.system("migration", at: clock.now)
        for (personID, accounts) in byPerson {
            let ordered = accounts.sorted { a, b in
                if a.active != b.active { return a.active }
                let x = a.lastLoginAt ?? .distantFuture, y = b.lastLoginAt ?? .distantFuture
                return x != y ? x < y : a.username < b.username
            }
            let keeper = ordered[0]
            for u in ordered.dropFirst() {
                try await User.query(on: db).filter(\.$id == u.id).set(\.$personID, to: nil).update()
                try await AuditLog.append(on: db, actor: actor, action: "user.unlink", entityType: "user", entityID: u.id.uuidString,
                                          scopePath: u.scopePath, before: ["nguoi": personID.uuidString],
                                          after: ["ly_do": "mỗi người một tài khoản; giữ tài khoản «\(keeper.username)»"])
                for admin in Set(admins) {
                    let n = Notice()
                    n.userID = admin; n.kind = "tai-khoan"; n.createdAt = clock.now
                    n.title = "Tài khoản «\(u.username)» đã được tách khỏi cán bộ (người này đã có tài "
                        + "khoản «\(keeper.username)»): "
                        + "xem lại và gắn đúng người."
                    n.dedupeKey = "unlink:\(u.id.uuidString)"; n.link = "/danh-muc/nguoi-dung/\(u.id.uuidString)"
                    try await n.create(on: db)
                }
            }
        }
    }

    func revert(on db: any Database) async throws {
        let sql = db.sql
        try await sql.raw("DROP TABLE rate_counters").run()
        try await sql.raw("DROP INDEX users_person").run()
        try await db.schema(User.schema).deleteField("last_failed_at").update()
        try await db.schema(User.schema).deleteField("created_at").update()
    }
}
