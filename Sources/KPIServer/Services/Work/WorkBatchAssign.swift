import Foundation
import KPICore
import Vapor

extension WorkService {
    /// Giao việc hàng loạt: lines pasted from a plan (see `TaskBatch`), each checked like a form,
    /// the problems named by line; written all together in one transaction, or nothing.
    struct BatchOutcome: Sendable {
        var lines: Int
        var problems: [String]
        var ids: [UUID]
    }

    static let batchLimit = 500

    func assignBatch(text: String, common: TaskDraft, token: String, dryRun: Bool) async throws -> BatchOutcome {
        let token = token.isEmpty ? UUID().uuidString : String(token.prefix(64))
        if !dryRun, let already = try await made(token: token) { return BatchOutcome(lines: already.count, problems: [], ids: already) }
        let start = DateOnly(parsing: common.start) ?? store.today
        let source = TaskSource(rawValue: common.source) ?? .plan
        var (lines, problems) = TaskBatch.parse(text, start: start, source: source)
        if lines.isEmpty && problems.isEmpty { problems.append("""
            Chưa có dòng nào. Dán các dòng từ bảng tính, mỗi dòng một nhiệm vụ.
            """) }
        if lines.count > Self.batchLimit { problems.append("""
            Mỗi lần giao tối đa \(Self.batchLimit) dòng; đang có \(lines.count).
            """) }
        var prepared: [Prepared] = []
        for line in lines.prefix(Self.batchLimit) {
            var d = line.draft
            d.documentNumber = common.documentNumber
            d.documentDate = common.documentDate
            d.documentIssuer = common.documentIssuer
            d.priority = common.priority
            do {
                prepared.append(try await prepare(NewTask(draft: d, assigneeCodes: [line.assigneeCode], token: "")))
            } catch let e as Invalid {
                problems += e.problems.map { "Dòng \(line.number): \($0.message)" }
            }
        }
        guard problems.isEmpty, !dryRun else { return BatchOutcome(lines: lines.count, problems: problems, ids: []) }
        try await Self.reserveNumbers(&prepared, store: store)
        let (principal, actor, all) = (principal, actor, prepared)
        let batch = UUID()
        do {
            let ids = try await store.write(reach: .work) { db in
                var ids: [UUID] = []
                for (i, p) in all.enumerated() {
                    ids += try await Self.insert(p, batch: batch, on: db, principal: principal, actor: actor) { _ in "\(token)#\(i)" }
                }
                return ids
            }
            return BatchOutcome(lines: lines.count, problems: [], ids: ids)
        } catch {
            if let already = try await made(token: token) { return BatchOutcome(lines: already.count, problems: [], ids: already) }
            throw error
        }
    }
}
