import Fluent
import Foundation
import KPICore
import Vapor

/// Năng lực phối hợp (indicator group iii): when a shared task is completed, its lead rates each
/// participant 1–5 with a note; the rating can be corrected, each change audited.
extension WorkService {
    struct CoordinationRating: Sendable {
        var participantID: UUID
        var score: String
        var note: String
    }

    func rateParticipants(_ id: UUID, _ ratings: [CoordinationRating]) async throws {
        let (t, parts) = try await find(id)
        guard t.assigneeID != nil, t.assigneeID == principal.personID else {
            throw Refused(message: "Chỉ người chủ trì nhiệm vụ mới đánh giá người phối hợp.", forbidden: true)
        }
        guard t.state == TaskState.completed.rawValue else {
            throw Refused(message: "Chỉ đánh giá phối hợp khi nhiệm vụ đã hoàn thành (được nghiệm thu).")
        }
        var checked: [(TaskParticipant, Int, String)] = []
        for r in ratings {
            guard let p = parts.first(where: { $0.id == r.participantID }) else { throw Invalid("phoi_hop",
                "Người phối hợp không thuộc nhiệm vụ này.") }
            guard let n = Int(r.score), (1...5).contains(n) else { throw Invalid("phoi_hop",
                                                                                 """
                                                                                     Vui lòng chấm mỗi người phối hợp từ 1 \
                                                                                     đến 5.
                                                                                     """) }
            let note = TextNormalizer.clean(r.note)
            guard note.count <= 500 else { throw Invalid("phoi_hop", "Nhận xét dài quá 500 ký tự.") }
            checked.append((p, n, note))
        }
        guard !checked.isEmpty else { throw Invalid("phoi_hop", "Nhiệm vụ không có người phối hợp để đánh giá.") }
        let (principal, actor, all) = (principal, actor, checked)
        try await store.write { db in
            var summary: [String] = []
            for (p, n, note) in all {
                let before = p.rating
                p.rating = n
                p.ratingNote = note
                try await p.save(on: db)
                let who = try await Person.find(p.personID, on: db)
                summary.append("\(who?.code ?? "?"): \(before == 0 ? "" : "\(before) → ")\(n)")
                // A participant from another agency has their own periods.
                if let who, !who.scopePath.hasPrefix(t.scopePath) { try await EvaluationService.markDirty(db, scopePath: who.scopePath) }
            }
            try await Self.timeline(db, t, actor: principal.name(actingAt: t.scopePath), kind: "danh-gia-phoi-hop", from: t.state,
                                    note: summary.joined(separator: "; "), at: actor.at)
            try await AuditLog.append(on: db, actor: actor, action: "task.coordination", entityType: "task", entityID: id.uuidString,
                                      scopePath: t.scopePath, after: ["ma": t.code, "danh_gia": summary.joined(separator: "; ")])
        }
    }
}
