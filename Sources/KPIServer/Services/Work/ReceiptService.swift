import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Mã biên nhận of public ratings: each agency chooses how a citizen proves the service was received
/// (`ReceiptMode`), imports its list of receipt numbers, or prints one-time QR codes; a rating spends
/// a code atomically. Chosen by the agency's leaders or its administrators; audited.
struct ReceiptService {
    let store: Store
    let principal: Principal
    let actor: Actor

    static let modeKey = "danh-gia.ma-bien-nhan"

    /// The agency (cơ quan có thẩm quyền đánh giá, `AgencyMap`) a path belongs to.
    static func agency(of path: String, on db: any Database) async throws -> Organization? {
        guard let agency = try await Agencies.map(on: db).agency(of: path) else { return nil }
        return try await Organization.query(on: db).filter(\.$path == agency.path).first()
    }

    static func mode(agencyID: UUID, on db: any Database) async throws -> ReceiptMode {
        try await AgencySettingsService.value(modeKey, agencyID: agencyID, on: db).flatMap(ReceiptMode.init(rawValue:)) ?? .free
    }

    func mayConfigure(_ agency: Organization) -> Bool { AgencySettingsService.mayConfigure(principal, agency) }

    struct AgencyRow {
        var agency: Organization
        var mode: ReceiptMode
        var unused: Int
        var used: Int
    }

    /// The agencies this user may configure, with their mode and list counts; 403 when none.
    func agencies() async throws -> [AgencyRow] {
        let all = try await AgencySettingsService(store: store, principal: principal, actor: actor).configurable()
        guard !all.isEmpty else {
            throw Abort(.forbidden, reason: "Chỉ lãnh đạo hoặc quản trị của cơ quan mới thiết lập mã biên nhận.")
        }
        // Counts and modes in two queries for all agencies, not two per agency.
        struct Count: Decodable { var organization_id: UUID; var unused: Int; var used: Int }
        let counts = try await store.sql.raw("""
            SELECT organization_id,
                   SUM(CASE WHEN kind = \(bind: ReceiptMode.list.rawValue) AND used_at IS NULL THEN 1 ELSE 0 END) AS unused,
                   SUM(CASE WHEN used_at IS NOT NULL THEN 1 ELSE 0 END) AS used
            FROM receipt_codes GROUP BY organization_id
            """).all(decoding: Count.self)
        let byAgency = Dictionary(counts.map { ($0.organization_id, $0) }) { a, _ in a }
        let modes = try await AgencySettingsService.values(Self.modeKey, on: store.db).mapValues { ReceiptMode(rawValue: $0) ?? .free }
        return try all.map { a in
            let id = try a.requireID()
            return AgencyRow(agency: a, mode: modes[id] ?? .free, unused: byAgency[id]?.unused ?? 0, used: byAgency[id]?.used ?? 0)
        }
    }

    /// The agency by code, when this user may configure it (else 404: nothing tells it exists).
    func configurable(_ code: String) async throws -> Organization {
        guard let a = try await Organization.query(on: store.db).filter(\.$code == code).first(),
              a.isAgency, a.active, mayConfigure(a) else {
            throw Abort(.notFound, reason: "Không có cơ quan này trong phạm vi bạn được thiết lập.")
        }
        return a
    }

    func setMode(agencyCode: String, mode: ReceiptMode) async throws {
        try principal.requireAnywhere(.leadWork, or: .manageCatalog)
        let agency = try await configurable(agencyCode)
        let before = try await Self.mode(agencyID: try agency.requireID(), on: store.db)
        guard before != mode else { return }
        let actor = actor
        try await store.write { db in
            try await AgencySettingsService.write(db, agency: agency, key: Self.modeKey, value: mode.rawValue, actor: actor)
        }
    }

    /// Adds the codes of a list (codes already there are left as they are); returns how many were
    /// new and how many were already known.
    func importCodes(agencyCode: String, text: String) async throws -> (added: Int, known: Int) {
        try principal.requireAnywhere(.leadWork, or: .manageCatalog)
        let agency = try await configurable(agencyCode)
        let (codes, problems) = ReceiptRules.parseList(text)
        guard problems.isEmpty else { throw WorkService.Invalid("danh_sach", problems.joined(separator: " ")) }
        guard !codes.isEmpty else {
            throw WorkService.Invalid("danh_sach", "Danh sách không có mã nào: mỗi dòng một mã biên nhận.")
        }
        let id = try agency.requireID()
        let (actor, who) = (actor, principal.username)
        return try await store.write { db in
            var known = Set<String>()
            for chunk in stride(from: 0, to: codes.count, by: 500) {
                let part = Array(codes[chunk..<min(chunk + 500, codes.count)])
                let found = try await ReceiptCode.query(on: db).filter(\.$organizationID == id).filter(\.$code ~~ part).all()
                known.formUnion(found.map(\.code))
            }
            var added = 0
            for code in codes where !known.contains(code) {
                let r = ReceiptCode()
                r.organizationID = id; r.code = code; r.kind = ReceiptMode.list.rawValue; r.createdBy = who; r.createdAt = actor.at
                try await r.create(on: db)
                added += 1
            }
            try await AuditLog.append(on: db, actor: actor, action: "receipt.import", entityType: "organization", entityID: id.uuidString,
                                      scopePath: agency.path, after: ["them": String(added), "da_co": String(known.count)])
            return (added, known.count)
        }
    }

    /// One-time codes for an open rating link, printed in QR codes handed to citizens: by whoever may
    /// open the task's rating links (its assigner, the leaders of its unit).
    func issueTokens(taskID: UUID, linkID: UUID, count: Int, work: WorkService) async throws -> (RatingLink, WorkTask, [String]) {
        let (t, _) = try await work.find(taskID)
        let a = try await work.taskActor(t, on: store.db)
        guard a.decides else {
            throw WorkService.Refused(message: "Chỉ người giao việc hoặc lãnh đạo đơn vị mới in phiếu đánh giá.",
                                      forbidden: true)
        }
        guard (1...ReceiptRules.maxTokensPerPrint).contains(count) else {
            throw WorkService.Invalid("so_phieu", "Số phiếu in mỗi lần từ 1 đến \(ReceiptRules.maxTokensPerPrint).")
        }
        guard let link = try await RatingLink.find(linkID, on: store.db), link.taskID == taskID, link.active else {
            throw WorkService.Refused(message: WorkService.closedLink)
        }
        guard let agency = try await Self.agency(of: t.scopePath, on: store.db) else { throw Abort(.notFound) }
        let (actor, who, agencyID) = (actor, principal.username, try agency.requireID())
        let tokens = (0..<count).map { _ in ReceiptRules.token(random: [UInt8].random(count: 12)) }
        try await store.write { db in
            for token in tokens {
                let r = ReceiptCode()
                r.organizationID = agencyID; r.code = token; r.kind = ReceiptMode.token.rawValue; r.linkID = linkID
                r.createdBy = who; r.createdAt = actor.at
                try await r.create(on: db)
            }
            try await AuditLog.append(on: db, actor: actor, action: "receipt.print", entityType: "task", entityID: taskID.uuidString,
                                      scopePath: t.scopePath, after: ["ma": t.code, "so_phieu": String(count)])
        }
        return (link, t, tokens)
    }

    /// Spends a code for a rating inside the rating's transaction: nil when it was spent, else why not.
    static func spend(mode: ReceiptMode, agencyID: UUID, linkID: UUID, code: String, at now: Date,
                      on db: any Database) async throws -> String? {
        guard mode != .free else { return nil }
        let sql = db.sql
        let won = mode == .token
            ? try await sql.raw("""
                UPDATE receipt_codes SET used_at = \(bind: now) WHERE organization_id = \(bind: agencyID) AND code = \(bind: code)
                AND kind = \(bind: mode.rawValue) AND used_at IS NULL AND link_id = \(bind: linkID) RETURNING id
                """).all()
            : try await sql.raw("""
                UPDATE receipt_codes SET used_at = \(bind: now) WHERE organization_id = \(bind: agencyID) AND code = \(bind: code)
                AND kind = \(bind: mode.rawValue) AND used_at IS NULL RETURNING id
                """).all()
        guard won.isEmpty else { return nil }
        return mode == .token
            ? "Mã QR này đã được dùng để đánh giá hoặc không thuộc phiếu đánh giá này. "
                + "Mỗi phiếu chỉ đánh giá một lần."
            : "Mã biên nhận «\(code)» không có trong danh sách của cơ quan hoặc đã được dùng để đánh giá. "
                + "Vui lòng ghi đúng số trên phiếu hẹn."
    }
}

extension Principal {
    func requireAnywhere(_ a: Action, or b: Action) throws {
        guard canAnywhere(a) || canAnywhere(b) else { throw Abort(.forbidden, reason: Principal.refusal) }
    }
}
