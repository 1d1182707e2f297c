import Crypto
import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Xác thực hai bước: setting it up, checking a code (TOTP or a recovery code), turning it off, and
/// an administrator's reset. Every change is audited; a code is accepted once (atomically, so two
/// parallel requests cannot both use it).
struct TwoFactorService {
    let store: Store
    let box: SecretBox
    let actor: Actor

    init(req: Request) {
        store = req.store
        box = req.application.secretBox
        actor = req.actor
    }

    /// Issuer shown in the authenticator app.
    static let issuer = "KPI Công vụ"

    struct Status {
        var enabledAt: Date?
        /// The secret being set up (base32), when set-up has begun and is not confirmed.
        var pendingSecret: String?
        var recoveryLeft: Int
    }

    enum Problem: Error {
        case wrongCode
        case notEnrolling
        case required
        var message: String {
            switch self {
            case .wrongCode:
                "Mã xác thực không đúng hoặc đã dùng. Hãy nhập mã 6 số đang hiện trên ứng dụng xác thực "
                    + "(mã đổi sau mỗi 30 giây)."
            case .notEnrolling:
                """
                    Chưa bắt đầu thiết lập hoặc việc thiết lập đã hết hiệu lực. Vui lòng bấm «Bắt đầu \
                    thiết lập» lại.
                    """
            case .required: "Vai trò của bạn bắt buộc xác thực hai bước nên không thể tắt."
            }
        }
    }

    func user(_ id: UUID) async throws -> User {
        guard let u = try await User.find(id, on: store.db) else { throw Abort(.notFound) }
        return u
    }

    func status(_ userID: UUID) async throws -> Status {
        let u = try await user(userID)
        let pending = u.mfaEnabledAt == nil ? u.mfaPendingSecret.flatMap { box.open($0, for: userID) }.map(Base32.encode) : nil
        let left = try await RecoveryCode.query(on: store.db).filter(\.$userID == userID).filter(\.$usedAt == nil).count()
        return Status(enabledAt: u.mfaEnabledAt, pendingSecret: pending, recoveryLeft: left)
    }

    /// Starts (or restarts) set-up: a new random secret, kept sealed until a code from it is typed.
    func begin(_ userID: UUID) async throws {
        let u = try await user(userID)
        guard u.mfaEnabledAt == nil else { return }
        let sealed = try box.seal([UInt8].random(count: TOTPRules.secretBytes), for: userID)
        let actor = actor
        try await store.write { db in
            try await User.query(on: db).filter(\.$id == userID).set(\.$mfaPendingSecret, to: sealed).update()
            try await AuditLog.append(on: db, actor: actor, action: "mfa.begin", entityType: "user",
                                      entityID: userID.uuidString, scopePath: u.scopePath)
        }
    }

    /// Confirms set-up with a code from the new secret; returns the recovery codes (shown once).
    func confirm(_ userID: UUID, code: String) async throws -> [String] {
        let u = try await user(userID)
        guard u.mfaEnabledAt == nil, let secret = u.mfaPendingSecret.flatMap({ box.open($0, for: userID) }) else {
            throw Problem.notEnrolling
        }
        guard let step = TOTP.matchingStep(secret: secret, typed: code, at: actor.at, lastUsed: nil) else { throw Problem.wrongCode }
        let codes = Self.newRecoveryCodes()
        let (actor, sealed) = (actor, u.mfaPendingSecret)
        try await store.write { db in
            try await User.query(on: db).filter(\.$id == userID).set(\.$mfaSecret, to: sealed).set(\.$mfaPendingSecret, to: nil)
                .set(\.$mfaEnabledAt, to: actor.at).set(\.$mfaLastStep, to: step).update()
            try await Self.replaceRecoveryCodes(codes, userID: userID, on: db)
            try await AuditLog.append(on: db, actor: actor, action: "mfa.enable", entityType: "user",
                                      entityID: userID.uuidString, scopePath: u.scopePath)
        }
        return codes
    }

    /// New recovery codes (the old ones stop working), after a current code.
    func regenerateRecoveryCodes(_ userID: UUID, code: String) async throws -> [String] {
        let u = try await user(userID)
        guard try await check(u, typed: code, allowRecovery: false) != nil else { throw Problem.wrongCode }
        let codes = Self.newRecoveryCodes()
        let actor = actor
        try await store.write { db in
            try await Self.replaceRecoveryCodes(codes, userID: userID, on: db)
            try await AuditLog.append(on: db, actor: actor, action: "mfa.recovery-codes", entityType: "user",
                                      entityID: userID.uuidString, scopePath: u.scopePath)
        }
        return codes
    }

    /// Turns two-step sign-in off, after a current code; refused when a role requires it.
    func disable(_ userID: UUID, grants: [Grant], required: Set<Role>, code: String) async throws {
        guard !TwoFactorPolicy.isRequired(for: grants, required: required) else { throw Problem.required }
        let u = try await user(userID)
        guard try await check(u, typed: code, allowRecovery: true) != nil else { throw Problem.wrongCode }
        let actor = actor
        try await store.write { db in
            try await Self.clear(userID, on: db)
            try await AuditLog.append(on: db, actor: actor, action: "mfa.disable", entityType: "user",
                                      entityID: userID.uuidString, scopePath: u.scopePath)
        }
    }

    /// Checks a typed code for an account with two-step sign-in on: a TOTP code (each step once) or,
    /// when allowed, an unused recovery code (then spent). Returns "totp" or "recovery", nil when
    /// wrong. The spending is one conditional UPDATE, so a code cannot be used twice in parallel.
    func check(_ u: User, typed: String, allowRecovery: Bool) async throws -> String? {
        guard u.mfaEnabledAt != nil, let userID = u.id, let secret = u.mfaSecret.flatMap({ box.open($0, for: userID) }) else { return nil }
        let now = actor.at
        if let step = TOTP.matchingStep(secret: secret, typed: typed, at: now, lastUsed: u.mfaLastStep) {
            let won = try await store.write(reach: nil) { db in
                try await db.sql.raw("""
                    UPDATE users SET mfa_last_step = \(bind: step) WHERE id = \(bind: userID)
                    AND (mfa_last_step IS NULL OR mfa_last_step < \(bind: step)) RETURNING id
                    """).all()
            }
            return won.isEmpty ? nil : "totp"
        }
        guard allowRecovery, let normalized = RecoveryCodes.normalized(typed) else { return nil }
        let hash = Self.hash(normalized, userID: userID)
        let won = try await store.write(reach: nil) { db in
            try await db.sql.raw("""
                UPDATE mfa_recovery_codes SET used_at = \(bind: now) WHERE user_id = \(bind: userID)
                AND code_hash = \(bind: hash) AND used_at IS NULL RETURNING id
                """).all()
        }
        return won.isEmpty ? nil : "recovery"
    }

    static func newRecoveryCodes() -> [String] {
        (0..<RecoveryCodes.count).map { _ in RecoveryCodes.make(random: [UInt8].random(count: 10)) }
    }

    static func hash(_ normalized: String, userID: UUID) -> String {
        AuditLog.sha256("kpi-recovery:\(userID.uuidString):\(normalized)")
    }

    static func replaceRecoveryCodes(_ codes: [String], userID: UUID, on db: any Database) async throws {
        try await RecoveryCode.query(on: db).filter(\.$userID == userID).delete()
        for code in codes {
            let r = RecoveryCode()
            r.userID = userID
            r.codeHash = hash(RecoveryCodes.normalized(code) ?? code, userID: userID)
            try await r.create(on: db)
        }
    }

    /// Removes the secret, the set-up in progress and the recovery codes.
    static func clear(_ userID: UUID, on db: any Database) async throws {
        try await User.query(on: db).filter(\.$id == userID).set(\.$mfaSecret, to: nil).set(\.$mfaPendingSecret, to: nil)
            .set(\.$mfaEnabledAt, to: nil).set(\.$mfaLastStep, to: nil).update()
        try await RecoveryCode.query(on: db).filter(\.$userID == userID).delete()
    }

    /// Turns it on for an account with a given secret (the demonstration's privileged accounts).
    static func enrol(_ userID: UUID, secret: [UInt8], box: SecretBox, at: Date, on db: any Database) async throws {
        try await User.query(on: db).filter(\.$id == userID).set(\.$mfaSecret, to: try box.seal(secret, for: userID))
            .set(\.$mfaEnabledAt, to: at).update()
    }
}
