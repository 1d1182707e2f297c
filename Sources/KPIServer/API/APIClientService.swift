import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Ứng dụng kết nối and their tokens (issue 20, item 2): creating a client (an account holding the
/// `api-client` role on one subtree), issuing, rotating and revoking tokens. Only those who may grant
/// the `api-client` role at the client's place may do this (`AccessPolicy.mayGrant`: system
/// administrators); each change is one audited transaction.
struct APIClientService: Sendable {
    let store: Store
    let principal: Principal
    let actor: Actor

    struct ClientRow: Sendable {
        var id: UUID
        var userID: UUID
        var username: String
        var name: String
        var contact: String
        var ratePerMinute: Int
        var active: Bool
        var scopePath: String
        var organization: String
        var tokens: [TokenRow]
    }

    struct TokenRow: Sendable {
        var id: UUID
        var label: String
        var hint: String
        var scopes: String
        var createdAt: Date
        var createdBy: String
        var expiresAt: Date
        var revokedAt: Date?
        var lastUsedAt: Date?
    }

    /// A token as issued: its text leaves the system once, here.
    struct Issued: Sendable {
        var token: String
        var id: UUID
        var expiresAt: Date
    }

    static let notFound = "Không tìm thấy ứng dụng kết nối này hoặc ứng dụng ngoài phạm vi của bạn."

    /// The clients the principal may manage, with their tokens.
    func clients() async throws -> [ClientRow] {
        guard AccessPolicy.mayGrantAnywhere(principal.grants, role: .apiClient) else {
            throw Abort(.forbidden, reason: Principal.refusal)
        }
        let refs = try await RefIndex.load(on: store.db)
        let records = try await APIClientRecord.query(on: store.db).sort(\.$name).all()
        var out: [ClientRow] = []
        for r in records {
            guard let user = try await User.find(r.userID, on: store.db),
                  AccessPolicy.mayGrant(principal.grants, role: .apiClient, at: user.scopePath) else { continue }
            out.append(try await row(r, user, refs: refs))
        }
        return out
    }

    /// One client's row, with its tokens, newest first.
    func row(_ r: APIClientRecord, _ user: User, refs: RefIndex) async throws -> ClientRow {
        let tokens = try await APITokenRecord.query(on: store.db).filter(\.$userID == r.userID).sort(\.$createdAt, .descending).all()
        return ClientRow(id: try r.requireID(), userID: r.userID, username: user.username, name: r.name, contact: r.contact,
                         ratePerMinute: r.ratePerMinute, active: user.active, scopePath: user.scopePath,
                         organization: refs.org(path: user.scopePath).map { "\($0.code) — \($0.name)" } ?? "Toàn tỉnh",
                         tokens: try tokens.map(Self.row))
    }

    static func row(_ t: APITokenRecord) throws -> TokenRow {
        TokenRow(id: try t.requireID(), label: t.label, hint: t.hint, scopes: t.scopes, createdAt: t.createdAt, createdBy: t.createdBy,
                 expiresAt: t.expiresAt, revokedAt: t.revokedAt, lastUsedAt: t.lastUsedAt)
    }

    /// Creates a client: its account (no person, no usable password), its `api-client` grant on the
    /// subtree of `orgCode` (empty: the whole province) and its settings.
    func create(username rawName: String, name rawTitle: String, contact: String, orgCode: String,
                ratePerMinute: Int?, passwordHash: String) async throws -> UUID {
        let username = rawName.trimmingCharacters(in: .whitespaces).lowercased()
        let name = rawTitle.trimmingCharacters(in: .whitespaces)
        var problems: [FieldProblem] = []
        if let p = APITokenRules.accountNameProblem(username) {
            problems.append(FieldProblem(fieldKey: "ten_dang_nhap", fieldLabel: "Tên tài khoản", message: p))
        }
        if name.isEmpty || name.count > 120 {
            problems.append(FieldProblem(fieldKey: "ten", fieldLabel: "Tên ứng dụng", message: "cần từ 1 đến 120 ký tự"))
        }
        if contact.count > 255 {
            problems.append(FieldProblem(fieldKey: "lien_he", fieldLabel: "Liên hệ", message: "dài quá 255 ký tự"))
        }
        let rate = ratePerMinute ?? APITokenRules.defaultRatePerMinute
        if !APITokenRules.ratePerMinuteRange.contains(rate) {
            problems.append(FieldProblem(fieldKey: "gioi_han", fieldLabel: "Số lần gọi mỗi phút",
                                         message: "từ \(APITokenRules.ratePerMinuteRange.lowerBound) đến "
                                            + "\(APITokenRules.ratePerMinuteRange.upperBound)"))
        }
        let refs = try await RefIndex.load(on: store.db)
        var org: RefIndex.Org?
        if !orgCode.isEmpty {
            org = refs.org(code: orgCode)
            if org == nil || !principal.can(.viewCatalog, at: org!.path) {
                let message = "mã đơn vị «\(orgCode)» không tồn tại hoặc ngoài phạm vi của bạn"
                problems.append(FieldProblem(fieldKey: "don_vi", fieldLabel: "Phạm vi", message: message))
            }
        }
        guard problems.isEmpty else { throw CatalogProblems(problems) }
        let scope = org?.path ?? "/"
        guard AccessPolicy.mayGrant(principal.grants, role: .apiClient, at: scope) else {
            throw CatalogProblems("don_vi", "Phạm vi",
                                  "bạn không được cấp vai trò «\(Role.apiClient.label)» tại phạm vi này")
        }
        if try await User.query(on: store.db).filter(\.$username == username).count() > 0 {
            throw CatalogProblems("ten_dang_nhap", "Tên tài khoản", "tên «\(username)» đã có tài khoản dùng")
        }
        if try await APIClientRecord.query(on: store.db).filter(\.$name == name).count() > 0 {
            throw CatalogProblems("ten", "Tên ứng dụng", "đã có ứng dụng tên «\(name)»")
        }
        let (actor, by, now, orgID) = (actor, principal.username, store.now, org?.id)
        return try await store.write { db in
            let user = User()
            user.username = username
            user.passwordHash = passwordHash
            user.scopePath = scope
            user.mustChangePassword = false
            user.failedAttempts = 0
            user.active = true
            user.createdAt = now
            user.privacyAckAt = now
            try await user.create(on: db)
            let uid = try user.requireID()
            let g = RoleGrant()
            g.userID = uid
            g.role = Role.apiClient.rawValue
            g.organizationID = orgID
            g.scopePath = scope
            g.grantedBy = by
            g.createdAt = now
            try await g.create(on: db)
            let c = APIClientRecord()
            c.userID = uid
            c.name = name
            c.contact = contact
            c.ratePerMinute = rate
            c.createdAt = now
            c.createdBy = by
            try await c.create(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "api-client.create", entityType: "user", entityID: uid.uuidString,
                                      scopePath: scope, after: ["ten_dang_nhap": username, "ten": name, "pham_vi": scope,
                                                                "gioi_han": String(rate)])
            return try c.requireID()
        }
    }

    /// The client's account, when the principal may manage it; else 404.
    func client(_ id: UUID) async throws -> (APIClientRecord, User) {
        guard let c = try await APIClientRecord.find(id, on: store.db), let u = try await User.find(c.userID, on: store.db),
              AccessPolicy.mayGrant(principal.grants, role: .apiClient, at: u.scopePath) else {
            throw Abort(.notFound, reason: Self.notFound)
        }
        return (c, u)
    }

    /// Issues a token with `scopes`, valid `days` days. With `rotating`, the client's other valid
    /// tokens stay valid for the grace period only (`APITokenRules.expiryAfterRotation`).
    func issue(client id: UUID, label rawLabel: String, scopes: [APIScope], days: Int?, rotating: Bool) async throws -> Issued {
        let (c, user) = try await client(id)
        let label = rawLabel.trimmingCharacters(in: .whitespaces)
        var problems: [FieldProblem] = []
        if label.isEmpty || label.count > 80 {
            problems.append(FieldProblem(fieldKey: "nhan", fieldLabel: "Tên khóa", message: "cần từ 1 đến 80 ký tự"))
        }
        if scopes.isEmpty {
            problems.append(FieldProblem(fieldKey: "quyen", fieldLabel: "Quyền", message: "chọn ít nhất một quyền"))
        }
        guard let validDays = APITokenRules.days(days) else {
            throw CatalogProblems("so_ngay", "Hiệu lực (ngày)", "từ 1 đến \(APITokenRules.maxDays) ngày")
        }
        guard problems.isEmpty else { throw CatalogProblems(problems) }
        guard user.active else { throw Abort(.conflict, reason: "Ứng dụng đang bị khóa; mở lại trước khi cấp khóa.") }
        let token = APITokenRules.prefix + [UInt8].random(count: 32).base64URLEncoded()
        let (actor, by, now) = (actor, principal.username, store.now)
        let expires = now.addingTimeInterval(TimeInterval(validDays) * 86_400)
        let uid = c.userID
        let tokenID = try await store.write { db in
            var rotated: [String] = []
            if rotating {
                for t in try await APITokenRecord.query(on: db).filter(\.$userID == uid).filter(\.$revokedAt == nil).all()
                where t.expiresAt > now {
                    t.expiresAt = APITokenRules.expiryAfterRotation(current: t.expiresAt, now: now)
                    try await t.save(on: db)
                    rotated.append(t.hint)
                }
            }
            let t = APITokenRecord()
            t.userID = uid
            t.label = label
            t.tokenHash = AuditLog.sha256(token)
            t.hint = String(token.prefix(APITokenRules.prefix.count + 6))
            t.scopes = APIScope.text(scopes)
            t.createdAt = now
            t.createdBy = by
            t.expiresAt = expires
            try await t.create(on: db)
            var after = ["nhan": label, "ma_goi_y": t.hint, "quyen": t.scopes, "het_han": ISO8601DateFormatter().string(from: expires)]
            if !rotated.isEmpty { after["thay_the"] = rotated.joined(separator: " ") }
            try await AuditLog.append(on: db, actor: actor, action: "api-token.issue", entityType: "user", entityID: uid.uuidString,
                                      scopePath: user.scopePath, after: after)
            return try t.requireID()
        }
        return Issued(token: token, id: tokenID, expiresAt: expires)
    }

    /// Revokes a token at once.
    func revoke(client id: UUID, token tokenID: UUID) async throws {
        let (c, user) = try await client(id)
        guard let t = try await APITokenRecord.find(tokenID, on: store.db), t.userID == c.userID else {
            throw Abort(.notFound, reason: "Không tìm thấy khóa này.")
        }
        guard t.revokedAt == nil else { return }
        let (actor, now) = (actor, store.now)
        try await store.write { db in
            t.revokedAt = now
            try await t.save(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "api-token.revoke", entityType: "user",
                                      entityID: c.userID.uuidString, scopePath: user.scopePath, after: ["ma_goi_y": t.hint])
        }
    }

    /// Locks or unlocks a client: a locked client's tokens are refused.
    func setActive(client id: UUID, _ active: Bool) async throws {
        let (_, user) = try await client(id)
        guard user.active != active else { return }
        let (actor, now) = (actor, store.now)
        try await store.write { db in
            user.active = active
            user.updatedAt = now
            try await user.save(on: db)
            try await AuditLog.append(on: db, actor: actor, action: active ? "api-client.enable" : "api-client.disable",
                                      entityType: "user", entityID: try user.requireID().uuidString, scopePath: user.scopePath)
        }
    }
}
