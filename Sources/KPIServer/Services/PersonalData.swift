import Fluent
import Foundation
import KPICore
import Vapor

/// Dữ liệu cá nhân (Nghị định 13/2023/NĐ-CP; issue 18, item 9): everything the system holds about the
/// signed-in person, in sections, for the page and the download — only their own, never another's.
struct PersonalData {
    let store: Store
    let principal: Principal

    struct Section: Sendable {
        var key: String
        var title: String
        var columns: [String]
        var rows: [[String]]
        /// How many there are in all (rows may show fewer on the page).
        var total: Int
    }

    static func d(_ date: Date?) -> String { date.map(DateFormatting.dateTime) ?? "" }
    static func day(_ iso: String) -> String { DateOnly(parsing: iso)?.display ?? iso }

    func sections() async throws -> [Section] {
        let db = store.db
        var out: [Section] = []
        let user = try await User.find(principal.userID, on: db)
        let grants = try await RoleGrant.query(on: db).filter(\.$userID == principal.userID).all()
        let grantOrgs = Dictionary(try await Organization.query(on: db).filter(\.$id ~~ grants.compactMap(\.organizationID)).all()
            .map { ($0.id!, "\($0.name) (\($0.code))") }) { a, _ in a }
        out.append(Section(key: "tai-khoan", title: "Tài khoản", columns: ["Mục", "Giá trị"], rows: [
            ["Tên đăng nhập", principal.username],
            ["Tạo lúc", Self.d(user?.createdAt)], ["Đăng nhập gần nhất", Self.d(user?.lastLoginAt)],
            ["Xác thực hai bước", user?.mfaEnabledAt == nil ? "Chưa bật" : "Bật từ \(Self.d(user?.mfaEnabledAt))"],
            ["Đã đọc thông báo về dữ liệu cá nhân", Self.d(user?.privacyAckAt)],
        ] + grants.map { g in
            let place = g.organizationID.flatMap { grantOrgs[$0] } ?? "toàn hệ thống"
            return ["Vai trò", "\(Role(rawValue: g.role)?.label ?? g.role): \(place)"]
        }, total: 0))
        if let pid = principal.personID, let p = try await Person.find(pid, on: db) {
            let org = try await Organization.find(p.organizationID, on: db)
            out.append(Section(key: "ho-so", title: "Hồ sơ cán bộ", columns: ["Mục", "Giá trị"], rows: [
                ["Mã cán bộ", p.code], ["Họ tên", p.fullName], ["Đơn vị", org.map { "\($0.name) (\($0.code))" } ?? ""],
                ["Loại", Catalogs.label(Catalogs.staffKinds, p.staffKind)],
                ["Chức vụ lãnh đạo", Catalogs.label(Catalogs.leadershipRanks, p.leadershipRank)],
                ["Đảng viên", p.partyMember ? "Có" : "Không"],
                ["Thư điện tử", p.email], ["Điện thoại", p.phone], ["Làm việc từ", Self.day(p.activeFrom)],
            ], total: 0))
            let tasks = try await WorkTask.query(on: db).filter(\.$assigneeID == pid).sort(\.$due, .descending).all()
            out.append(Section(key: "nhiem-vu", title: "Nhiệm vụ chủ trì", columns: ["Mã", "Nhiệm vụ", "Hạn", "Trạng thái",
                                                                                      "Kết quả", "Lỗi lớn", "Chậm hạn"],
                               rows: tasks.map { [$0.code, $0.title, Self.day($0.due), TaskState(rawValue: $0.state)?.label ?? $0.state,
                                                  $0.verdict, String($0.majorErrors), String($0.delays)] }, total: tasks.count))
            let sheets = try await Evaluation.query(on: db).filter(\.$personID == pid).all()
            let periods = Dictionary(try await EvaluationPeriod.query(on: db).filter(\.$id ~~ sheets.map(\.periodID)).all()
                .map { ($0.id!, $0) }) { a, _ in a }
            out.append(Section(key: "danh-gia", title: "Phiếu đánh giá", columns: ["Kỳ", "Điểm", "Xếp loại",
                                                                                  "Tự nhận xét",
                                                                                  "Nhận xét của người đánh giá"],
                               rows: sheets.map { s in
                                   [periods[s.periodID]?.code ?? "",
                                    s.hundredths.map { String(format: "%d,%02d", $0 / 100, $0 % 100) } ?? "",
                                    s.level, s.selfComment, s.reviewComment]
                               }, total: sheets.count))
            let discipline = try await DisciplineRecord.query(on: db).filter(\.$personID == pid).all()
            out.append(Section(key: "ky-luat", title: "Kỷ luật, kỷ cương", columns: ["Ngày", "Loại", "Nội dung",
                                                                                     "Số quyết định",
                                                                                     "Đã hủy"],
                               rows: discipline.map { [Self.day($0.occurredOn.isEmpty ? $0.decisionDate : $0.occurredOn), $0.kind,
                                                       $0.violationName.isEmpty ? $0.level : $0.violationName, $0.decisionNumber,
                                                       $0.voided ? "Có: \($0.voidReason)" : ""] }, total: discipline.count))
            let leave = try await LeaveRecord.query(on: db).filter(\.$personID == pid).all()
            out.append(Section(key: "nghi-che-do", title: "Nghỉ theo chế độ", columns: ["Từ ngày", "Đến ngày", "Loại",
                                                                                       "Căn cứ",
                                                                                       "Đã hủy"],
                               rows: leave.map { [Self.day($0.startsOn), Self.day($0.endsOn), $0.kind, $0.basis,
                                                  $0.voided ? "Có: \($0.voidReason)" : ""] }, total: leave.count))
        }
        let notices = try await Notice.query(on: db).filter(\.$userID == principal.userID).sort(\.$createdAt, .descending).all()
        out.append(Section(key: "thong-bao", title: "Thông báo", columns: ["Lúc", "Nội dung", "Đã đọc"],
                           rows: notices.map { [Self.d($0.createdAt), $0.title, Self.d($0.readAt)] }, total: notices.count))
        let delegations = try await DelegationRecord.query(on: db).group(.or) { g in
            g.filter(\.$delegatorUserID == principal.userID).filter(\.$deputyUserID == principal.userID)
        }.sort(\.$startsOn, .descending).all()
        let otherIDs = Set(delegations.flatMap { [$0.delegatorUserID, $0.deputyUserID] }).subtracting([principal.userID])
        let others = Dictionary(try await User.query(on: db).filter(\.$id ~~ otherIDs).all().map { ($0.id!, $0.username) }) { a, _ in a }
        out.append(Section(key: "uy-quyen", title: "Ủy quyền", columns: ["Vai", "Người kia", "Từ ngày", "Đến hết ngày",
            "Lý do",
                                                                        "Thu hồi"],
                           rows: delegations.map { r in
                               let giver = r.delegatorUserID == principal.userID
                               return [giver ? "Người ủy quyền" : "Người được ủy quyền",
                                       others[giver ? r.deputyUserID : r.delegatorUserID] ?? "", Self.day(r.startsOn), Self.day(r.endsOn),
                                       r.reason, Self.d(r.revokedAt)]
                           }, total: delegations.count))
        let feedback = try await Feedback.query(on: db).filter(\.$userID == principal.userID).all()
        out.append(Section(key: "gop-y", title: "Góp ý đã gửi", columns: ["Lúc", "Về", "Nội dung", "Trả lời"],
                           rows: feedback.map { [Self.d($0.createdAt), $0.subject, $0.text, $0.answer] }, total: feedback.count))
        let audit = try await AuditEntry.query(on: db).filter(\.$actor == principal.username).sort(\.$id, .descending)
            .limit(1_000).all()
        out.append(Section(key: "nhat-ky", title: "Thao tác của tôi trong nhật ký hệ thống (1.000 gần nhất)",
                           columns: ["Lúc", "Thao tác", "Đối tượng", "Địa chỉ mạng"],
                           rows: audit.map { [Self.d(Date(timeIntervalSince1970: Double($0.atMillis) / 1000)), $0.action,
                                              $0.entityType, $0.ip] }, total: audit.count))
        return out
    }

    /// Records the acknowledgement of the personal-data notice (once; audited).
    func acknowledge(actor: Actor) async throws {
        let user = principal.userID
        try await store.write { db in
            guard let u = try await User.find(user, on: db), u.privacyAckAt == nil else { return }
            u.privacyAckAt = actor.at
            try await u.save(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "privacy.acknowledge", entityType: "user", entityID: user.uuidString,
                                      scopePath: u.scopePath)
        }
    }
}

/// Thời hạn lưu: once a day (the first deadline run of the day), read notices and finished mail past
/// their retention (Cài đặt, «Thời hạn lưu dữ liệu») are deleted; the count is audited.
enum Retention {
    static func daily(_ db: any Database, settings: Settings, now: Date) async throws {
        let key = "xoa-het-han:\(DateOnly.inVietnam(now).iso)"
        guard try await SharedCounters.hit(key, window: 86_400, now: now, on: db) == 1 else { return }
        try await purge(db, settings: settings, now: now)
    }

    /// Deletes what is past its time; the numbers deleted (notices, mails).
    @discardableResult
    static func purge(_ db: any Database, settings: Settings, now: Date) async throws -> (notices: Int, mails: Int) {
        func monthsAgo(_ n: Int) -> Date { now.addingTimeInterval(-Double(n) * 30.44 * 86_400) }
        let noticeCut = monthsAgo(settings.retainNoticeMonths), mailCut = monthsAgo(settings.retainOutboxMonths)
        let notices = try await Notice.query(on: db).filter(\.$readAt != nil).filter(\.$createdAt < noticeCut).count()
        if notices > 0 { try await Notice.query(on: db).filter(\.$readAt != nil).filter(\.$createdAt < noticeCut).delete() }
        let finished = [OutboxMessage.sent, OutboxMessage.failed]
        let mails = try await OutboxMessage.query(on: db).filter(\.$state ~~ finished).filter(\.$createdAt < mailCut).count()
        if mails > 0 { try await OutboxMessage.query(on: db).filter(\.$state ~~ finished).filter(\.$createdAt < mailCut).delete() }
        if notices + mails > 0 {
            try await AuditLog.append(on: db, actor: .system("thoi-han-luu", at: now), action: "retention.purge", entityType: "du-lieu",
                                      entityID: DateOnly.inVietnam(now).iso, scopePath: "/",
                                      after: ["thong_bao": String(notices), "thu": String(mails)])
        }
        return (notices, mails)
    }
}
