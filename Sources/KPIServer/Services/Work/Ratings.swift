import Fluent
import Foundation
import KPICore
import Vapor

/// Mức độ hài lòng (indicator group ii): public links per task where the people served rate 1–5,
/// one answer per receipt code; opened and closed by whoever decides on the task.
extension WorkService {
    static let closedLink = """
        Liên kết đánh giá không tồn tại hoặc đã đóng. Vui lòng hỏi lại cơ quan đã phục vụ bạn.
        """

    static func receiptUsed(_ code: String) -> String { """
        Mã biên nhận «\(code)» đã được dùng để đánh giá. Mỗi mã chỉ đánh giá một lần.
        """ }

    func openRatingLink(_ id: UUID) async throws -> String {
        let (t, _) = try await find(id)
        let a = try await taskActor(t, on: store.db)
        guard a.decides else { throw Refused(message: """
            Chỉ người giao việc hoặc lãnh đạo đơn vị mới tạo liên kết đánh giá.
            """, forbidden: true) }
        guard ![TaskState.cancelled.rawValue, TaskState.declined.rawValue].contains(t.state) else {
            throw Refused(message: "Nhiệm vụ đã hủy hoặc không được duyệt, không tạo liên kết đánh giá.")
        }
        let (principal, actor) = (principal, actor)
        return try await store.write { db in
            let link = RatingLink()
            link.token = SessionMiddleware.newToken().prefix(22).description
            link.taskID = id
            link.scopePath = t.scopePath
            link.active = true
            link.createdByName = principal.displayName
            try await link.create(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "rating.link.open", entityType: "task", entityID: id.uuidString,
                                      scopePath: t.scopePath, after: ["ma": t.code, "lien_ket": link.id!.uuidString])
            return link.token
        }
    }

    func closeRatingLink(_ id: UUID, link lid: UUID) async throws {
        let (t, _) = try await find(id)
        let a = try await taskActor(t, on: store.db)
        guard a.decides else { throw Refused(message: """
            Chỉ người giao việc hoặc lãnh đạo đơn vị mới đóng liên kết đánh giá.
            """, forbidden: true) }
        let actor = actor
        try await store.write { db in
            guard let link = try await RatingLink.find(lid, on: db), link.taskID == id else { throw Abort(.notFound) }
            link.active = false
            try await link.save(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "rating.link.close", entityType: "task", entityID: id.uuidString,
                                      scopePath: t.scopePath, after: ["ma": t.code, "lien_ket": lid.uuidString])
        }
    }

    struct LinkSummary: Sendable {
        var link: RatingLink
        var count: Int
        var average: Double?
        var latest: [Rating]
    }

    func ratingLinks(_ id: UUID) async throws -> [LinkSummary] {
        let links = try await store.db.models(
            RatingLink.self, "SELECT * FROM \(unsafeRaw: RatingLink.schema) WHERE task_id = \(bind: id) ORDER BY created_at")
        var out: [LinkSummary] = []
        for l in links {
            let ratings = try await Rating.query(on: store.db).filter(\.$linkID == l.id!).sort(\.$createdAt, .descending).all()
            out.append(LinkSummary(link: l, count: ratings.count,
                                   average: ratings.isEmpty ? nil : Double(ratings.map(\.score).reduce(0, +)) / Double(ratings.count),
                                   latest: Array(ratings.prefix(5))))
        }
        return out
    }
}

/// The public side: no sign-in, rate-limited per address, one answer per receipt code.
enum PublicRatings {
    static let askReceipt = """
        Vui lòng ghi mã biên nhận (số phiếu hẹn, số hồ sơ) in trên giấy tờ bạn nhận được (tối đa 50 ký \
        tự).
        """
    static let scanPrinted = """
        Cơ quan này nhận đánh giá qua phiếu có mã QR riêng: vui lòng quét mã QR in trên phiếu đánh giá cán bộ đã \
        phát cho ông/bà.
        """

    /// The open link and its task, or nil when unknown, closed, or its task was cancelled.
    static func open(_ token: String, on db: any Database) async throws -> (RatingLink, WorkTask)? {
        guard !token.isEmpty, token.count <= 64,
              let link = try await RatingLink.query(on: db).filter(\.$token == token).first(), link.active,
              let task = try await WorkTask.find(link.taskID, on: db),
              ![TaskState.cancelled.rawValue, TaskState.declined.rawValue].contains(task.state) else { return nil }
        return (link, task)
    }

    /// Records one rating; a refusal in Vietnamese otherwise (nothing written).
    /// The agency's receipt mode for a task (free when the task sits above any agency).
    static func mode(of task: WorkTask, on db: any Database) async throws -> (ReceiptMode, UUID?) {
        guard let agency = try await ReceiptService.agency(of: task.scopePath, on: db), let id = agency.id else { return (.free, nil) }
        return (try await ReceiptService.mode(agencyID: id, on: db), id)
    }

    /// `printed` is the one-time code of a printed QR (`?bn=`), used when the agency prints them.
    static func submit(token: String, receipt: String, printed: String = "", score: String, comment: String, store: Store,
                       ip: String) async throws -> Result<Void, WorkService.Refused> {
        let text = comment.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let (link, task) = try await open(token, on: store.db) else { return .failure(.init(message: WorkService.closedLink)) }
        let (mode, agencyID) = try await mode(of: task, on: store.db)
        let code: String
        switch mode {
        case .token:
            guard let c = ReceiptRules.normalized(printed), c.count <= 20 else { return .failure(.init(message: Self.scanPrinted)) }
            code = c
        case .list:
            guard let c = ReceiptRules.normalized(receipt) else { return .failure(.init(message: Self.askReceipt)) }
            code = c
        case .free:
            code = TextNormalizer.clean(receipt)
            guard !code.isEmpty, code.count <= ReceiptRules.maxLength else { return .failure(.init(message: Self.askReceipt)) }
        }
        guard let n = Int(score),
        (1...5).contains(n) else { return .failure(.init(message: "Vui lòng chọn mức hài lòng từ 1 đến 5 sao.")) }
        guard text.count <= 1000 else { return .failure(.init(message: "Góp ý dài quá 1.000 ký tự.")) }
        do {
            try await store.write { db in
                let dup = try await Rating.query(on: db).filter(\.$linkID == link.id!).filter(\.$receiptCode == code).count()
                guard dup == 0 else { throw WorkService.Refused(message: WorkService.receiptUsed(code)) }
                if let agencyID, let why = try await ReceiptService.spend(mode: mode, agencyID: agencyID, linkID: link.id!, code: code,
                                                                         at: store.now, on: db) {
                    throw WorkService.Refused(message: why)
                }
                let r = Rating()
                r.linkID = link.id!
                r.taskID = task.id!
                r.receiptCode = code
                r.score = n
                r.comment = text
                try await r.create(on: db)
                try await EvaluationService.markDirty(db, scopePath: task.scopePath)
                // The rater is anonymous: the trail keeps a hash of the address, not the address.
                try await AuditLog.append(on: db, actor: Actor(name: "nguoi-dan", ip: String(AuditLog.sha256("kpi:" + ip).prefix(16)),
                                                               at: store.now),
                                          action: "rating.submit", entityType: "task", entityID: task.id!.uuidString,
                                          scopePath: task.scopePath,
                                          after: ["ma": task.code, "diem": String(n), "ma_bien_nhan": code])
            }
            return .success(())
        } catch let e as WorkService.Refused {
            return .failure(e)
        } catch {
            // The same receipt code sent twice at the same moment: the unique index refused the second.
            let dup = try await Rating.query(on: store.db).filter(\.$linkID == link.id!).filter(\.$receiptCode == code).count()
            if dup > 0 { return .failure(.init(message: WorkService.receiptUsed(code))) }
            throw error
        }
    }
}

extension PublicRatings {
    /// Counts a rating sent from `ip` (shared by every server process, in the database) and says
    /// whether it is within `limit` in the last 10 minutes.
    static func allow(ip: String, limit: Int, store: Store) async throws -> Bool {
        let n = try await store.write { db in try await SharedCounters.hit("danh-gia:" + ip, window: 600, now: store.now, on: db) }
        return n <= limit
    }
}
