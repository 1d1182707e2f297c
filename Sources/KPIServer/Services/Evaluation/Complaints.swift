import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Kiến nghị and phúc tra (DOMAIN.md §7): who may, when, and what each writes.
extension EvaluationFlow {
    static let complaintOpen = "cho-tra-loi"

    /// Kiến nghị: the person's own complaint about a published result, within the objection window,
    /// one pending at a time; the agency's head is told.
    func fileComplaint(_ periodID: UUID, personCode: String, reasons: String, evidence: String, answerDays: Int) async throws -> Complaint {
        let (p, e) = try await sheet(periodID, personCode: personCode)
        principal.delegationUse.forget()
        guard e.personID == principal.personID else {
            throw Abort(.forbidden, reason: "Chỉ người được đánh giá mới gửi kiến nghị về kết quả của mình.")
        }
        let state = Self.state(p)
        guard state == .published
            || state == .locked else { throw Refused(message: """
                Kết quả của kỳ chưa được công khai: chưa thể kiến nghị.
                """) }
        if let until = DateOnly(parsing: p.objectionUntil), today > until {
            throw Refused(message: """
                Đã hết thời hạn kiến nghị (đến hết \(until.display)). Kết quả chỉ còn được xem xét lại qua \
                phúc tra.
                """)
        }
        let text = reasons.trimmingCharacters(in: .whitespacesAndNewlines), proof = evidence.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw Refused(message: """
            Ghi lý do kiến nghị: điểm, chỉ số hoặc nhiệm vụ nào chưa đúng, vì sao.
            """) }
        guard text.count <= 4000,
        proof.count <= 2000 else { throw Refused(message: "Lý do tối đa 4.000 ký tự, minh chứng tối đa 2.000 ký tự.") }
        if try await Complaint.query(on: store.db).filter(\.$periodID == periodID).filter(\.$personID == e.personID)
            .filter(\.$state == Self.complaintOpen).count() > 0 {
            throw Refused(message: "Bạn đã có kiến nghị đang chờ trả lời trong kỳ này.")
        }
        let calendar = try await DeadlineJob.calendar(store)
        let due = calendar.adding(workingDays: answerDays, to: today)
        let heads = Notices.heads(of: p.scopePath, among: try await Notices.leaderGrants(covering: p.scopePath, on: store.db,
            at: store.now))
        let actor = actor
        return try await store.write { db in
            let c = Complaint()
            c.id = UUID(); c.periodID = periodID; c.personID = e.personID; c.personCode = e.personCode; c.scopePath = e.scopePath
            c.reasons = text; c.evidence = proof; c.filedBy = actor.name; c.filedAt = store.now; c.answerDue = due.iso
            c.state = Self.complaintOpen; c.answer = ""; c.answeredBy = ""
            try await c.create(on: db)
            try await Self.notify(db, heads,
                                  title: """
                                      Kiến nghị mới về kết quả đánh giá của \(e.personCode) (trả lời trước \
                                      \(due.display))
                                      """,
                                  link: "/ky-danh-gia/\(periodID.uuidString)/phieu/\(e.personCode)", key: "kien-nghi:\(c.id!.uuidString)",
                                  at: actor.at)
            try await AuditLog.append(on: db, actor: actor, action: "complaint.file", entityType: "complaint", entityID: c.id!.uuidString,
                                      scopePath: e.scopePath, after: ["ky": p.code, "nguoi": e.personCode, "ly_do": text,
                                                                      "minh_chung": proof, "han_tra_loi": due.iso])
            return c
        }
    }

    static func notify(_ db: any Database, _ users: [UUID], title: String, link: String, key: String, at now: Date) async throws {
        for u in Set(users) {
            let n = Notice()
            n.userID = u; n.kind = "ky-danh-gia"; n.title = title; n.link = link; n.dedupeKey = "\(key):\(u.uuidString)"; n.createdAt = now
            try await n.create(on: db)
        }
    }

    /// The head's answer: accepted (the result corrected as a new revision) or not, with reasons.
    func answerComplaint(_ complaintID: UUID, accept: Bool, answer: String, correction: Correction) async throws {
        guard let c = try await Complaint.find(complaintID, on: store.db), let p = try await EvaluationPeriod.find(c.periodID,
            on: store.db) else {
            throw Abort(.notFound, reason: "Không có kiến nghị này.")
        }
        guard mayApprove(p) else { throw Abort(.forbidden,
                                               reason: "Chỉ người đứng đầu cơ quan mới trả lời kiến nghị.") }
        guard c.state == Self.complaintOpen else { throw Refused(message: "Kiến nghị này đã được trả lời.") }
        let text = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= 4000 else { throw Refused(message: "Ghi nội dung trả lời (tối đa 4.000 ký tự).") }
        let (_, e) = try await sheet(c.periodID, personCode: c.personCode)
        let revised = accept ? try await rescore(p, e, correction) : nil
        let users = try await Notices.users(of: [c.personID], on: store.db)[c.personID] ?? []
        let actor = actor
        try await store.write { db in
            let claimed = try await db.sql.raw("""
                UPDATE complaints SET state = \(bind: accept ? "chap-nhan" : "khong-chap-nhan"), answer = \(bind: text),
                  answered_by = \(bind: actor.name(actingAt: c.scopePath)), answered_at = \(bind: store.now)
                WHERE id = \(bind: complaintID) AND state = \(bind: Self.complaintOpen) RETURNING id
                """).all()
            guard claimed.count == 1 else { throw Refused(message: "Kiến nghị này vừa được người khác trả lời.") }
            var after = ["ky": p.code, "nguoi": c.personCode, "ket_qua": accept ? "chap-nhan" : "khong-chap-nhan", "tra_loi": text]
            if let revised {
                let n = try await Self.reviseAudited(db, e, revised, kind: "kien-nghi",
                                                     note: "Kiến nghị được chấp nhận: \(text)",
                                                     actor: actor, after: &after)
                try await db.sql.raw("UPDATE complaints SET revision = \(bind: n) WHERE id = \(bind: complaintID)").run()
            }
            try await Self.notify(db, users,
                                  title: """
                                      Kiến nghị của bạn \(accept ? "được chấp nhận" : "không được chấp nhận"): \
                                      \(PeriodCode(p.code)?.label ?? p.code)
                                      """,
                                  link: "/ky-danh-gia/\(p.id!.uuidString)/phieu/\(c.personCode)", key: "tra-loi:\(complaintID.uuidString)",
                                  at: actor.at)
            try await AuditLog.append(on: db, actor: actor, action: "complaint.answer", entityType: "complaint",
                                      entityID: complaintID.uuidString,
                                      scopePath: c.scopePath, after: after)
        }
    }

    /// Phúc tra is for the advisory body of the scope or the leaders above the agency — those who
    /// evaluate its head (`AgencyMap.evaluatorScope`); a leader granted on the agency itself is not above it.
    func mayReReview(_ p: EvaluationPeriod) -> Bool {
        let above = principal.evaluatorScope(of: p.scopePath, isLeader: true)
        return principal.can(.configureFramework, at: p.scopePath)
            || above != p.scopePath && principal.can(.leadWork, at: above)
    }

    /// Opens re-review cases on a locked period: the people named, plus `sample` drawn at random
    /// among the others; returns the cases opened.
    func openReReviews(_ periodID: UUID, personCodes: [String], sample: Int) async throws -> [ReReview] {
        let p = try await periods.find(periodID)
        guard mayReReview(p) else {
            throw Abort(.forbidden,
                        reason: """
                            Chỉ cơ quan tham mưu (Ban Tổ chức, Sở Nội vụ) hoặc cấp trên trực tiếp của cơ quan \
                            mới phúc tra.
                            """)
        }
        guard Self.state(p) == .locked else { throw Refused(message: "Phúc tra thực hiện sau khi kỳ đã chốt điểm.") }
        let sheets = try await Evaluation.query(on: store.db).filter(\.$periodID == periodID).all()
        let busy = Set(try await ReReview.query(on: store.db).filter(\.$periodID == periodID).filter(\.$state == "dang-phuc-tra").all()
            .map(\.personID))
        var chosen: [(Evaluation, String)] = []
        for code in personCodes.map({ $0.trimmingCharacters(in: .whitespaces).uppercased() }).filter({ !$0.isEmpty }) {
            guard let e = sheets.first(where: { $0.personCode.uppercased() == code }) else { throw Refused(message: """
                Không có phiếu đánh giá của «\(code)» trong kỳ này.
                """) }
            guard !busy.contains(e.personID) else { throw Refused(message: "«\(code)» đang được phúc tra.") }
            if !chosen.contains(where: { $0.0.personID == e.personID }) { chosen.append((e, "chon")) }
        }
        guard (0...100).contains(sample) else { throw Refused(message: "Số hồ sơ chọn mẫu từ 0 đến 100.") }
        var rest = sheets.filter { e in !busy.contains(e.personID) && !chosen.contains { $0.0.personID == e.personID } }
        rest.shuffle()
        chosen += rest.prefix(sample).map { ($0, "mau") }
        guard !chosen.isEmpty else { throw Refused(message: "Ghi mã người cần phúc tra hoặc số hồ sơ chọn mẫu.") }
        let (actor, cases) = (actor, chosen)
        return try await store.write { db in
            var out: [ReReview] = []
            for (e, how) in cases {
                let r = ReReview()
                r.id = UUID(); r.periodID = periodID; r.personID = e.personID; r.personCode = e.personCode; r.scopePath = e.scopePath
                r.how = how; r.openedBy = actor.name; r.openedAt = store.now; r.state = "dang-phuc-tra"; r.conclusion = "";
                r.concludedBy = ""
                try await r.create(on: db)
                out.append(r)
            }
            try await AuditLog.append(on: db, actor: actor, action: "rereview.open", entityType: "evaluation_period",
                                      entityID: periodID.uuidString,
                                      scopePath: p.scopePath, after: ["ky": p.code, "ho_so": out.map { r in
                                          "\(r.personCode) (\(r.how == "mau" ? "chọn mẫu" : "chỉ định"))"
                                      }.joined(separator: ", ")])
            return out
        }
    }

    /// Kết luận phúc tra: unchanged, or corrected as a new revision.
    func concludeReReview(_ id: UUID, change: Bool, conclusion: String, correction: Correction) async throws {
        guard let r = try await ReReview.find(id, on: store.db), let p = try await EvaluationPeriod.find(r.periodID, on: store.db) else {
            throw Abort(.notFound, reason: "Không có hồ sơ phúc tra này.")
        }
        guard mayReReview(p) else { throw Abort(.forbidden,
                                                reason: """
                                                    Chỉ cơ quan tham mưu hoặc cấp trên trực tiếp của cơ quan mới kết \
                                                    luận phúc tra.
                                                    """) }
        guard r.state == "dang-phuc-tra" else { throw Refused(message: "Hồ sơ phúc tra này đã có kết luận.") }
        let text = conclusion.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= 4000 else { throw Refused(message: "Ghi kết luận phúc tra (tối đa 4.000 ký tự).") }
        guard let e = try await Evaluation.query(on: store.db).filter(\.$periodID == r.periodID).filter(\.$personID == r.personID)
            .first() else {
            throw Abort(.notFound)
        }
        let revised = change ? try await rescore(p, e, correction) : nil
        let actor = actor
        try await store.write { db in
            let claimed = try await db.sql.raw("""
                UPDATE re_reviews SET state = \(bind: change ? "dieu-chinh" : "giu-nguyen"), conclusion = \(bind: text),
                  concluded_by = \(bind: actor.name), concluded_at = \(bind: store.now)
                WHERE id = \(bind: id) AND state = 'dang-phuc-tra' RETURNING id
                """).all()
            guard claimed.count == 1 else { throw Refused(message: "Hồ sơ phúc tra này vừa được người khác kết luận.") }
            var after = ["ky": p.code, "nguoi": r.personCode, "ket_luan": text, "ket_qua": change ? "dieu-chinh" : "giu-nguyen"]
            if let revised {
                let n = try await Self.reviseAudited(db, e, revised, kind: "phuc-tra", note: "Phúc tra: \(text)", actor: actor,
                                                     after: &after)
                try await db.sql.raw("UPDATE re_reviews SET revision = \(bind: n) WHERE id = \(bind: id)").run()
            }
            try await AuditLog.append(on: db, actor: actor, action: "rereview.conclude", entityType: "re_review", entityID: id.uuidString,
                                      scopePath: r.scopePath, after: after)
        }
    }
}
