import Foundation
import KPICore
import Vapor

/// Đề nghị chờ xác nhận on the leave and discipline pages: records about a leader nobody stands
/// above, proposed by one person and waiting for another with the same authority.
enum RecordProposalViews {
    /// The routes that confirm and refuse (or withdraw) a proposal under `base` (`nghi-che-do`, `ky-luat`).
    static func register(_ r: any RoutesBuilder, base: String,
                         confirm: @escaping @Sendable (Request, UUID) async throws -> PersonRecords.Outcome,
                         reject: @escaping @Sendable (Request, UUID, String) async throws -> Void) {
        r.post(.constant(base), "de-nghi", ":id", "xac-nhan") { req async throws -> Response in
            let id = try proposalID(req)
            return try await PersonRecords.answer(req, back: "/\(base)", done: "xac-nhan") { try await confirm(req, id) }
        }
        r.post(.constant(base), "de-nghi", ":id", "bac") { req async throws -> Response in
            let id = try proposalID(req)
            return try await PersonRecords.answer(req, back: "/\(base)", done: "bac") {
                let v = (try? req.content.decode([String: String].self)) ?? [:]
                try await reject(req, id, v["ly_do"] ?? "")
                return .done(id)
            }
        }
    }

    static func proposalID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw Abort(.notFound) }
        return id
    }

    static let flashes = [
        "de-nghi": PersonRecords.awaitingSecond,
        "xac-nhan": """
            Đã xác nhận đề nghị; ghi nhận có hiệu lực. Các kỳ đánh giá đang mở của người này được \
            tính lại.
            """,
        "bac": "Đã bác (hoặc rút) đề nghị; không có gì thay đổi.",
    ]

    /// The waiting proposals the user may see; confirm and refuse for those who may decide about
    /// the person (`mayDecide`), withdraw for the proposer, nothing for the person concerned.
    static func section(_ req: Request, base: String, principal: Principal, _ rows: [(PendingRecordDecision, Person)],
                        mayDecide: (Person) -> Bool) -> HTML {
        guard !rows.isEmpty else { return .empty }
        let body = rows.map { d, p in
            let action = "/\(base)/de-nghi/\(d.id!.uuidString)"
            let field = "ly-do-bac-\(d.id!.uuidString)"
            let controls: HTML = d.proposedBy == principal.userID ? """
                <form method="post" action="\(action)/bac" class="inline" data-confirm="Rút đề nghị \
                «\(d.summary)»?">\(req.csrfField)
                <button>Rút đề nghị</button></form>
                """ : p.id != principal.personID && mayDecide(p) ? """
                <form method="post" action="\(action)/xac-nhan" class="inline" data-confirm="Xác nhận «\(d.summary)» \
                về \(p.fullName)?">
                \(req.csrfField)<button class="primary">Xác nhận</button></form>
                <details><summary>Bác đề nghị</summary><form method="post" action="\(action)/bac">\(req.csrfField)
                \(FormField("ly_do", "Lý do bác", id: field, required: true, maxLength: 500).html)
                <button>Bác đề nghị</button></form></details>
                """ : "<span class=\"badge\">Chờ người khác xác nhận</span>"
            return HTML("""
                <tr><td data-label="Cán bộ">\(p.fullName) (\(p.code))</td><td data-label="Đề nghị">\(d.summary)</td>
                <td data-label="Người đề nghị">\(d.proposedByName), \(DateFormatting.dateTime(d.proposedAt))</td>
                <td data-label="Thao tác">\(controls)</td></tr>
                """)
        }
        return HTML("""
            <section id="de-nghi" class="notice-box"><h2>Đề nghị chờ xác nhận</h2>
            <p class="hint">Ghi nhận hoặc hủy ghi nhận về lãnh đạo của đơn vị cao nhất (không có cấp trên trong \
            hệ thống) chỉ có hiệu lực
            khi một người khác cùng thẩm quyền xác nhận.</p>
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Cán bộ</th><th scope="col">Đề nghị</th>
            <th scope="col">Người đề nghị</th><th scope="col">Thao tác</th></tr></thead><tbody>\(body)</tbody></table></div>\
            </section>
            """)
    }
}
