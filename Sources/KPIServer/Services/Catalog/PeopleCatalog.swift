import Foundation
import Fluent
import KPICore

/// Cán bộ, công chức, viên chức, with their concurrent posts (kiêm nhiệm).
struct PeopleCatalog: CatalogAdapter {
    let spec = Catalogs.people
    let entityType = "person"
    let listFilters = ["loai", "chuc_vu"]
    let listColumns = ["ma", "ho_ten", "loai", "ma_don_vi", "ma_vi_tri", "chuc_vu"]

    func raw(_ p: Person, posts: [UUID], refs: RefIndex) -> RawRecord {
        ["ma": p.code, "ho_ten": p.fullName, "loai": p.staffKind, "ma_don_vi": refs.orgCode(p.organizationID),
         "ma_vi_tri": p.positionID.flatMap { refs.positionsByID[$0]?.code } ?? "", "chuc_vu": p.leadershipRank,
         "dang_vien": p.partyMember ? "1" : "0", "email": p.email, "dien_thoai": p.phone,
         "tu_ngay": p.activeFrom, "den_ngay": p.activeTo,
         "kiem_nhiem": posts.map { refs.orgCode($0) }.sorted().joined(separator: ";")]
    }

    func posts(_ ids: [UUID], db: any Database) async throws -> [UUID: [UUID]] {
        guard !ids.isEmpty else { return [:] }
        let all = try await ConcurrentPost.query(on: db).filter(\.$personID ~~ ids).all()
        return Dictionary(grouping: all, by: \.personID).mapValues { $0.map(\.organizationID) }
    }

    func rows(_ people: [Person], refs: RefIndex, db: any Database) async throws -> [CatalogRow] {
        let byPerson = try await posts(people.compactMap(\.id), db: db)
        return try people.map { p in
            CatalogRow(id: try p.requireID(), raw: raw(p, posts: byPerson[p.id!] ?? [], refs: refs),
                       scopePath: p.scopePath, active: p.active, title: p.fullName)
        }
    }

    func list(_ q: ListQuery, scopes: [String], refs: RefIndex, db: any Database) async throws -> ListPage {
        let subtree = q.orgCode.isEmpty ? nil : (refs.org(code: q.orgCode)?.path ?? "-")
        let base = ListFilter.apply(Person.query(on: db), q: q, scopes: scopes, scope: \.$scopePath,
                                    active: \.$active, search: \.$searchText, subtree: subtree)
        if let k = q.choices["loai"], !k.isEmpty { base.filter(\.$staffKind == k) }
        if let r = q.choices["chuc_vu"], !r.isEmpty { base.filter(\.$leadershipRank == r) }
        let result = try await page(base, q, code: \.$code, name: \.$fullName) { p in
            CatalogRow(id: try p.requireID(), raw: [:], scopePath: p.scopePath, active: p.active, title: p.fullName)
        }
        let ids = result.rows.map(\.id)
        let people = ids.isEmpty ? [] : try await Person.query(on: db).filter(\.$id ~~ ids).all()
        let byID = Dictionary(uniqueKeysWithValues: try await rows(people, refs: refs, db: db).map { ($0.id, $0) })
        return ListPage(rows: ids.compactMap { byID[$0] }, total: result.total)
    }

    func row(id: UUID, refs: RefIndex, db: any Database) async throws -> CatalogRow? {
        guard let p = try await Person.find(id, on: db) else { return nil }
        return try await rows([p], refs: refs, db: db).first
    }

    func id(code: String, db: any Database) async throws -> UUID? {
        try await Person.query(on: db).filter(\.$code == code).first()?.id
    }

    func plan(_ v: [String: FieldValue], existing: UUID?, refs: RefIndex, db: any Database) async throws -> PlannedChange {
        let code = text(v, "ma")
        if let other = try await id(code: code, db: db), other != existing {
            throw CatalogProblems("ma", "Mã", "mã «\(code)» đã được dùng cho người khác")
        }
        guard let org = refs.org(code: text(v, "ma_don_vi")) else { throw unknown("ma_don_vi", text(v, "ma_don_vi")) }
        var positionID: UUID?
        if !text(v, "ma_vi_tri").isEmpty {
            guard let pid = refs.positionIDsByCode[text(v, "ma_vi_tri")] else { throw unknown("ma_vi_tri", text(v, "ma_vi_tri")) }
            positionID = pid
        }
        var postOrgs: [UUID] = []
        for c in v["kiem_nhiem"]?.codes ?? [] {
            guard let o = refs.org(code: c) else { throw unknown("kiem_nhiem", c) }
            if o.id == org.id {
                throw CatalogProblems("kiem_nhiem", "Kiêm nhiệm (mã đơn vị)",
                                      "đơn vị kiêm nhiệm «\(c)» trùng đơn vị chính")
            }
            if !postOrgs.contains(o.id) { postOrgs.append(o.id) }
        }
        let from = v["tu_ngay"]?.date, to = v["den_ngay"]?.date
        if let from, let to, to < from {
            throw CatalogProblems("den_ngay", "Đến ngày", "ngày kết thúc \(to.display) trước ngày bắt đầu \(from.display)")
        }
        let current = try await existing.asyncMap { try await Person.find($0, on: db) } ?? nil
        let currentPosts = try await existing.asyncMap { try await posts([$0], db: db)[$0] ?? [] } ?? []
        let p = current ?? Person()
        let before = current.map { raw($0, posts: currentPosts, refs: refs) }
        let beforeScope = current?.scopePath
        p.id = existing ?? UUID()
        p.code = code
        p.fullName = text(v, "ho_ten")
        p.searchText = TextNormalizer.fold(code + " " + p.fullName)
        p.staffKind = text(v, "loai")
        p.organizationID = org.id
        p.scopePath = org.path
        p.positionID = positionID
        p.leadershipRank = text(v, "chuc_vu").isEmpty ? "khong" : text(v, "chuc_vu")
        p.partyMember = v["dang_vien"]?.flag ?? false
        p.email = text(v, "email")
        p.phone = text(v, "dien_thoai")
        p.activeFrom = from?.iso ?? ""
        p.activeTo = to?.iso ?? ""
        if current == nil { p.active = true }
        let id = p.id!
        return PlannedChange(before: before, after: raw(p, posts: postOrgs, refs: refs), beforeScope: beforeScope,
                             afterScope: org.path) {
            if current == nil { try await p.create(on: db) } else { try await p.save(on: db) }
            if Set(currentPosts) != Set(postOrgs) {
                try await ConcurrentPost.query(on: db).filter(\.$personID == id).delete()
                for o in postOrgs { try await ConcurrentPost(personID: id, organizationID: o).create(on: db) }
            }
            // The person's accounts follow them to the new unit's scope.
            try await User.query(on: db).filter(\.$personID == id).set(\.$scopePath, to: org.path).update()
            return id
        }
    }

    /// A person who stops working here (ngừng hoạt động) loses their sign-in too: the account is
    /// disabled and its sessions end, so its role grants no longer act. Reactivating the person does
    /// not reopen the account; an administrator does that on the account's page.
    func setActive(_ id: UUID, _ active: Bool, db: any Database) async throws {
        try await Person.query(on: db).filter(\.$id == id).set(\.$active, to: active).update()
        guard !active else { return }
        let accounts = try await User.query(on: db).filter(\.$personID == id).all().compactMap(\.id)
        guard !accounts.isEmpty else { return }
        try await User.query(on: db).filter(\.$id ~~ accounts).set(\.$active, to: false).update()
        try await WebSession.query(on: db).filter(\.$userID ~~ accounts).delete()
    }
}
