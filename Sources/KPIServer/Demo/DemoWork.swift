import Foundation
import Fluent
import KPICore
import Vapor

extension DemoLoader {
    /// A unit's month of work, made through the work service as the demo leader (lanhdao) and the
    /// demo staff member (canbo) would: tasks in every state, one overdue, one due soon, a
    /// proposal and a submission waiting; dates relative to today so the warnings show.
    func loadWork(today: DateOnly? = nil) async throws {
        let today = today ?? app.clock.today
        func principal(_ username: String) async throws -> Principal {
            guard let user = try await User.query(on: app.db).filter(\.$username == username).first() else {
                throw Abort(.internalServerError, reason: "Thiếu tài khoản mẫu \(username)")
            }
            return try await Principal.load(user: user, on: app.db, session: nil)
        }
        let leader = try await principal("lanhdao")
        let staff = try await principal("canbo")
        let lead = WorkService(store: app.store, principal: leader, actor: .system("demo", at: app.clock.now), settings: app.settings)
        let mine = WorkService(store: app.store, principal: staff, actor: .system("demo", at: app.clock.now), settings: app.settings)
        let calendar = try await DeadlineJob.calendar(on: app.db)
        func day(_ workingDays: Int) -> String { calendar.adding(workingDays: workingDays, to: today).iso }

        func assign(_ title: String, to who: String, product: String, quantity: String = "1", complexity: String = "",
                    start: Int, due: Int, source: TaskSource = .plan, doc: String = "") async throws -> UUID {
            var d = TaskDraft(title: title, start: day(start), due: day(due))
            d.productCode = product; d.quantity = quantity; d.complexity = complexity; d.source = source.rawValue
            d.documentNumber = doc; d.documentIssuer = doc.isEmpty ? "" : "Ban Thường vụ Tỉnh ủy"
            return try await lead.create(.init(draft: d, assigneeCodes: [who], token: UUID().uuidString))[0]
        }
        func version(_ id: UUID) async throws -> Int { try await WorkTask.find(id, on: app.db)?.version ?? 0 }

        let me = "CB-BTCTU-P3-03"
        let other = "CB-BTCTU-P3-05"
        // Done and accepted.
        let done = try await assign("Báo cáo công tác tổ chức xây dựng Đảng tháng trước", to: me, product: "SP-CM-02",
                                    start: -15, due: -5)
        try await mine.act(done, version: try await version(done), .start)
        try await mine.addReference(done, kind: "van-ban", text: "125-BC/BTCTU")
        try await mine.act(done, version: try await version(done), .submit(evidence: 1, note: "Đã trình ký"))
        try await lead.act(done, version: try await version(done), .accept(.pass))
        // In progress, due soon.
        let soon = try await assign("Tham mưu kế hoạch kiểm tra công tác cán bộ quý IV", to: me, product: "SP-CM-01",
                                    complexity: "Phức tạp", start: -3, due: 1, source: .directive, doc: "45-CV/TU")
        try await mine.act(soon, version: try await version(soon), .progress(percent: 60, note: "Đã xong dự thảo lần 1"))
        // Overdue.
        _ = try await assign("Tổng hợp hồ sơ nhận xét cán bộ diện Ban Thường vụ quản lý", to: me,
                             product: "SP-CM-03", start: -8, due: -2)
        // Waiting for acceptance.
        let waiting = try await assign("Dự thảo công văn hướng dẫn đánh giá cán bộ theo sản phẩm", to: me,
                                       product: "SP-CM-01", start: -4,
                                       due: 3)
        try await mine.addReference(waiting, kind: "lien-ket", text: "https://vanban.nghean.gov.vn/du-thao/hd-danh-gia")
        try await mine.act(waiting, version: try await version(waiting), .submit(evidence: 1, note: "Kính trình đồng chí xem xét"))
        // Assigned, not started.
        _ = try await assign("Báo cáo chuyên đề về đội ngũ cán bộ cấp xã sau sắp xếp", to: me, product: "SP-CM-03",
                             quantity: "1",
                             start: 0, due: 8)
        _ = try await assign("Văn bản trả lời kiến nghị của Đảng ủy xã", to: other, product: "SP-CM-01", start: -2,
                             due: 4)
        // A proposal waiting for the leader.
        var p = TaskDraft(title: "Đề xuất xây dựng sổ tay nghiệp vụ đánh giá cán bộ", start: day(0), due: day(15))
        p.productCode = "SP-CM-03"
        _ = try await mine.create(.init(draft: p, token: UUID().uuidString, propose: true))
    }
}
