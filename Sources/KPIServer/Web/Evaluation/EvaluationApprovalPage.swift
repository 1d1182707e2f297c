import Foundation
import Fluent
import KPICore
import Vapor

/// Phê duyệt (/ky-danh-gia/<id>/phe-duyet): the quota's proposal per framework — the caps, everyone
/// by score, a box for each person whose score reached "xuất sắc" (ticked when within the quota),
/// ties flagged — and the approver's decision.
extension EvaluationPeriodPage {
    @Sendable static func approvalPage(_ req: Request) async throws -> Response {
        try await renderApproval(req, values: nil, problem: nil)
    }

    static func renderApproval(_ req: Request, values: [String: String]?, problem: String?,
                               status: HTTPStatus = .ok) async throws -> Response {
        let flow = try flow(req)
        let p = try await flow.periods.find(try id(req))
        guard flow.mayApprove(p) else {
            throw Abort(.forbidden,
                        reason: """
                            Chỉ người đứng đầu cơ quan (lãnh đạo có thẩm quyền của cơ quan) mới phê duyệt \
                            kết quả.
                            """)
        }
        let base = "/ky-danh-gia/\(p.id!.uuidString)"
        guard EvaluationFlow.state(p) == .approval else { return req.redirect(to: base) }
        let batches = try await EvaluationFlow.batches(p, on: req.db)
        let agency = try await Organization.find(p.organizationID, on: req.db)
        var ties = 0
        let sections = batches.map { b -> HTML in
            let names = Dictionary(b.items.map { ($0.data.personCode, ($0.data.personName, $0.data.unitName)) }) { a, _ in a }
            let candidates = Set(QuotaReview.candidates(b.results).map(\.id))
            ties += b.results.filter(\.tieAtQuotaEdge).count
            let sorted = b.results.sorted { ($0.yearHundredths ?? -1, $1.id) > ($1.yearHundredths ?? -1, $0.id) }
            let rows = sorted.map { r -> HTML in
                let (name, unit) = names[r.id] ?? ("", "")
                let checked = values.map { $0["xs_\(r.id)"] == "1" } ?? (r.level == .excellent)
                let choice: HTML = candidates.contains(r.id) ? HTML("""
                    <label class="check"><input type="checkbox" name="xs_\(r.id)" value="1"\(HTML.when(checked, " checked"))> Xuất \
                    sắc</label>
                    """) : .empty
                return HTML("""
                    <tr\(HTML.when(r.tieAtQuotaEdge, " class=\"flagged\""))><td data-label="Người">\(name) (\(r.id))</td><td \
                    data-label="Đơn vị">\(unit)</td>
                    <td data-label="Nhóm">\(r.group)</td><td data-label="Điểm" \
                    class="num">\(ResultController.score(r.yearHundredths))</td>
                    <td data-label="Đề xuất">\(r.level?.label ?? "Chưa xếp loại")\
                    \(HTML.when(r.tieAtQuotaEdge, " <span class=\"badge warn\">đồng điểm</span>"))</td>
                    <td data-label="Quyết định">\(choice)</td></tr>
                    """)
            }
            let groupCaps = b.caps.groups.sorted { $0.key < $1.key }.map { "nhóm «\($0.key)» tối đa \($0.value)" }
                .joined(separator: "; ")
            return HTML("""
                <section class="panel"><h2>\(b.framework.name) — phiên bản \(b.framework.version)</h2>
                <p>Hạn mức xuất sắc: cơ quan tối đa <strong>\(b.caps.agency)</strong> \
                người\(groupCaps.isEmpty ? "" : "; " + groupCaps).</p>
                <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Người</th><th scope="col">Đơn vị</th><th \
                scope="col">Nhóm</th>
                <th scope="col">Điểm</th><th scope="col">Đề xuất</th><th scope="col">Quyết định</th></tr></thead>\
                <tbody>\(rows)</tbody>\
                </table></div></section>
                """)
        }
        let v = values ?? [:]
        return req.page(Page(title: "Phê duyệt: \(PeriodCode(p.code)?.label ?? p.code) — \(agency?.name ?? "")",
                             breadcrumbs: [("Tổng quan", "/"), ("Kỳ đánh giá", "/ky-danh-gia"), (PeriodCode(p.code)?.label ?? p.code,
                                 base)], body: """
            \(stepper(.approval))
            \(Widgets.problems(problem.map { [$0] } ?? []))
            <p class="hint">Đề xuất theo điểm: người có điểm cao hơn được xét trước; người đồng điểm ở \
            ranh giới hạn mức được đánh dấu để \
            người phê duyệt quyết định. Người không được chọn xuất sắc xếp hoàn thành tốt nhiệm vụ.</p>
            <form method="post" action="\(base)/phe-duyet" data-confirm="Phê duyệt và công khai kết quả xếp loại của kỳ \
            này?">\(req.csrfField)
            <input type="hidden" name="phien_ban" value="\(p.version)">
            \(sections)
            <div class="record-form">
            \(ties > 0 ? HTML("""
            <div class="field"><label class="check"><input type="checkbox" name="dong_diem" \
            value="1"\(HTML.when(v["dong_diem"] == "1", " checked"))> Đã xem xét các trường hợp đồng điểm (\(ties) \
            người)</label></div>
            """) : .empty)
            \(FormField("quyet_dinh", "Quyết định cho phép vượt hạn mức (nếu có)", value: v["quyet_dinh"],
                        hint: """
                            Chỉ ghi khi cơ quan có quyết định khen thưởng cho phép số người xuất sắc cao hơn hạn \
                            mức.
                            """,
                        maxLength: 200, placeholder: "Số 12/QĐ-UBND ngày 01/12/2026").html)
            \(FormField("ngay_cong_khai", """
                Số ngày làm việc công khai, nhận kiến nghị
                """, value: v["ngay_cong_khai"] ?? "5", required: true,
                        maxLength: 2, inputMode: .numeric).html)
            <div class="actions"><button class="primary">Phê duyệt và công khai</button> <a href="\(base)">Quay lại</a></div></div>\
            </form>
            """), status: status)
    }

    @Sendable static func approve(_ req: Request) async throws -> Response {
        let flow = try flow(req)
        let id = try id(req)
        let v = try req.content.decode([String: String].self)
        let chosen = Set(v.compactMap { key, value in key.hasPrefix("xs_") && value == "1" ? String(key.dropFirst(3)) : nil })
        do {
            try await flow.approve(id, version: Int(v["phien_ban"] ?? "") ?? -1, chosen: chosen, decision: v["quyet_dinh"] ?? "",
                                   tiesConfirmed: v["dong_diem"] == "1", windowDays: Int(v["ngay_cong_khai"] ?? "") ?? 0)
            return req.redirect(to: "/ky-danh-gia/\(id.uuidString)?tb=phe-duyet")
        } catch let e as WorkService.Refused {
            let p = try await flow.periods.find(id)
            // Someone else approved first: the period page says what happened.
            guard EvaluationFlow.state(p) == .approval else { return try await render(req, problem: e.message, status: .conflict) }
            return try await renderApproval(req, values: v, problem: e.message, status: .unprocessableEntity)
        }
    }
}
