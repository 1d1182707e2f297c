import Foundation
import Fluent
import KPICore
import Vapor

/// Người dùng: sign-in accounts, each linked to a person; managed with the manageUsers permission.
/// A temporary password applies only when the account is created, so re-importing a file changes nothing.
struct UserCatalog: CatalogAdapter {
    let spec = Catalogs.users
    let entityType = "user"
    let listFilters: [String] = []
    let listColumns = ["ma", "ma_can_bo"]
    var viewAction: Action { .manageUsers }
    var manageAction: Action { .manageUsers }
    let bcryptCost: Int
    let passwordPolicy: PasswordPolicy
    let clock: AppClock

    func raw(_ u: User, personCode: String) -> RawRecord {
        ["ma": u.username, "ma_can_bo": personCode]
    }

    func rows(_ users: [User], db: any Database) async throws -> [CatalogRow] {
        let ids = users.compactMap(\.personID)
        let people = ids.isEmpty ? [] : try await Person.query(on: db).filter(\.$id ~~ ids).all()
        let byID = Dictionary(uniqueKeysWithValues: people.map { ($0.id!, $0) })
        return try users.map { u in
            let person = u.personID.flatMap { byID[$0] }
            return CatalogRow(id: try u.requireID(), raw: raw(u, personCode: person?.code ?? ""), scopePath: u.scopePath,
                              active: u.active, title: person.map { "\(u.username) — \($0.fullName)" } ?? u.username)
        }
    }

    func list(_ q: ListQuery, scopes: [String], refs: RefIndex, db: any Database) async throws -> ListPage {
        let subtree = q.orgCode.isEmpty ? nil : (refs.org(code: q.orgCode)?.path ?? "-")
        let base = ListFilter.apply(User.query(on: db), q: q, scopes: scopes, scope: \.$scopePath, active: \.$active,
                                    search: \.$username, subtree: subtree, includeProvinceWide: false)
        let total = try await base.count()
        let users = try await base.sort(\.$username, q.descending ? .descending : .ascending)
            .range(lower: (q.page - 1) * q.perPage, upper: q.page * q.perPage).all()
        return ListPage(rows: try await rows(users, db: db), total: total)
    }

    func row(id: UUID, refs: RefIndex, db: any Database) async throws -> CatalogRow? {
        guard let u = try await User.find(id, on: db) else { return nil }
        return try await rows([u], db: db).first
    }

    func id(code: String, db: any Database) async throws -> UUID? {
        try await User.query(on: db).filter(\.$username == code.lowercased()).first()?.id
    }

    func plan(_ v: [String: FieldValue], existing: UUID?, refs: RefIndex, db: any Database) async throws -> PlannedChange {
        let username = text(v, "ma").lowercased()
        if let other = try await id(code: username, db: db), other != existing {
            throw CatalogProblems("ma", "Tên đăng nhập", "tên đăng nhập «\(username)» đã được dùng")
        }
        let personCode = text(v, "ma_can_bo")
        guard let person = try await Person.query(on: db).filter(\.$code == personCode).first(),
              refs.visible.map({ $0(person.scopePath) }) != false else {
            throw unknown("ma_can_bo", personCode)
        }
        let current = try await existing.asyncMap { try await User.find($0, on: db) } ?? nil
        let password = text(v, "mat_khau_tam")
        if current == nil {
            let problems = passwordPolicy.problems(password, username: username)
            if password.isEmpty {
                throw CatalogProblems("mat_khau_tam", "Mật khẩu tạm", "bắt buộc với tài khoản mới")
            } else if let first = problems.first {
                throw CatalogProblems("mat_khau_tam", "Mật khẩu tạm", first)
            }
        }
        // One account per person (unique index `users_person`); the message names the account only
        // to someone who can see the person anyway.
        if let other = try await User.query(on: db).filter(\.$personID == person.id).first(), other.id != existing {
            throw CatalogProblems("ma_can_bo", "Mã cán bộ", AccountRules.personTaken(personCode, by: other.username))
        }
        let beforeCode = try await current?.personID.asyncMap { try await Person.find($0, on: db)?.code ?? "" } ?? ""
        let u = current ?? User()
        let before = current.map { raw($0, personCode: beforeCode) }
        let beforeScope = current?.scopePath
        u.id = existing ?? UUID()
        u.username = username
        u.personID = person.id
        u.scopePath = person.scopePath
        if current == nil {
            u.createdAt = clock.now
            u.passwordHash = ""
            u.mustChangePassword = true
            u.failedAttempts = 0
            u.active = true
        }
        let cost = bcryptCost
        return PlannedChange(before: before, after: raw(u, personCode: personCode), beforeScope: beforeScope,
                             afterScope: person.scopePath) {
            if current == nil {
                u.passwordHash = try Bcrypt.hash(password, cost: cost)
                try await u.create(on: db)
            } else {
                try await u.save(on: db)
            }
            return u.id!
        }
    }

    func authorize(_ plan: PlannedChange, existing: UUID?, principal: Principal, db: any Database) async throws {
        guard let existing else { return }
        if let refusal = try await RoleService.refusal(principal: principal, target: existing, db: db) {
            throw CatalogProblems("ma", "Tên đăng nhập", refusal)
        }
        if let before = plan.before, before["ma_can_bo"] != plan.after["ma_can_bo"],
           !AccountRules.mayRelink(principal.grants, fromPersonAt: plan.beforeScope, toPersonAt: plan.afterScope) {
            throw CatalogProblems("ma_can_bo", "Mã cán bộ", AccountRules.relinkRefusal)
        }
    }

    func authorizeSetActive(_ id: UUID, principal: Principal, db: any Database) async throws {
        if let refusal = try await RoleService.refusal(principal: principal, target: id, db: db) {
            throw Abort(.forbidden, reason: refusal)
        }
    }

    func setActive(_ id: UUID, _ active: Bool, db: any Database) async throws {
        try await User.query(on: db).filter(\.$id == id).set(\.$active, to: active).update()
        if !active { try await WebSession.query(on: db).filter(\.$userID == id).delete() }
    }
}
