import Fluent
import KPICore
import Vapor

/// Nhiệm vụ thường xuyên (/viec/thuong-xuyen): the rules a leader set up, a form for a new one, stop.
extension WorkController {
    static func recurringPage(_ req: Request, svc: WorkService, values v: [String: String], problems: [TaskProblem],
                              flash: String?) async throws -> Page {
        let rules = try await svc.recurring()
        let people = Dictionary(uniqueKeysWithValues: try await Person.query(on: req.db).filter(\.$id ~~ rules.map(\.assigneeID)).all()
            .map { ($0.id!, $0) })
        let calendar = try await DeadlineJob.calendar(req.store)
        let rows = rules.map { r in
            let kind = Recurrence.Kind(rawValue: r.kind)
            let next = kind.map { Recurrence(kind: $0, dueDay: r.dueDay).occurrence(containing: req.today, calendar: calendar) }
            let when = switch kind {
            case .weekly: "thứ \(["", "Hai", "Ba", "Tư", "Năm", "Sáu"][min(max(r.dueDay, 1), 5)])"
            default: r.dueDay == 0 ? "ngày làm việc cuối" : "ngày \(r.dueDay)"
            }
            let stop: HTML = r.active ? HTML("""
                <form method="post" action="/viec/thuong-xuyen/\(r.id!.uuidString)/ngung" class="inline" data-confirm="Ngừng giao \
                «\(r.title)» từ kỳ sau?">\(req.csrfField)<button class="link">Ngừng</button></form>
                """) : "<span class=\"badge off\">Đã ngừng</span>"
            return HTML("""
                <tr><td data-label="Nhiệm vụ">\(r.title)</td><td data-label="Người chủ \
                trì">\(people[r.assigneeID]?.fullName ?? "")</td>
                <td data-label="Chu kỳ">\(kind?.label ?? r.kind), hạn \(when)</td><td data-label="Sản phẩm">\(r.productCode) \
                × \(DecimalText.vn(text: r.quantity))</td>
                <td data-label="Kỳ hiện tại">\(next.map { "\($0.key): hạn \($0.due.display)" } ?? "")</td><td \
                data-label="">\(stop)</td>\
                </tr>
                """)
        }
        let kinds = Recurrence.Kind.allCases.map { ($0.rawValue, $0.label) }
        return Page(title: "Nhiệm vụ thường xuyên", breadcrumbs: [("Tổng quan", "/"), ("Công việc", "/viec")], flash: flash,
                    body: """
            \(WorkViews.tabs(req, current: "thuong-xuyen"))
            <p class="hint">Mỗi kỳ (tuần, tháng, quý) hệ thống tự giao một nhiệm vụ cho người chủ trì, đứng \
            tên người thiết lập, hạn vào \
            ngày đã
            chọn (lùi về ngày làm việc liền trước nếu rơi vào ngày nghỉ). Nhiệm vụ của kỳ hiện tại \
            được giao ngay khi lưu.</p>
            \(rules.isEmpty ? HTML("<p class=\"empty\">Chưa có nhiệm vụ thường xuyên nào.</p>") : HTML("""
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Nhiệm vụ</th><th scope="col">Người chủ \
            trì</th><th \
            scope="col">Chu kỳ</th>
            <th scope="col">Sản phẩm × số lượng</th><th scope="col">Kỳ hiện tại</th><th scope="col"></th></tr></thead>\
            <tbody>\(rows)</tbody></table></div>
            """))
            <h2>Thiết lập nhiệm vụ thường xuyên</h2>
            \(Widgets.problems(problems.map(\.message)))
            <form method="post" action="/viec/thuong-xuyen" class="record-form">\(req.csrfField)
            \(FormField("tieu_de", "Tên nhiệm vụ", value: v["tieu_de"], required: true, maxLength: 500,
                        placeholder: "Báo cáo tuần công tác tổ chức").html(problems))
            \(FormField("nguoi", "Người chủ trì (mã cán bộ)", value: v["nguoi"], required: true).html(problems))
            \(FormField("san_pham", "Mã sản phẩm", value: v["san_pham"], required: true, placeholder: "SP-CM-02").html(problems))
            \(FormField("so_luong", "Số lượng mỗi kỳ", value: v["so_luong"] ?? "1", required: true,
                        inputMode: .decimal).html(problems))
            \(FormField("muc_do", "Mức độ phức tạp", value: v["muc_do"]).html(problems))
            \(FormField("chu_ky", "Chu kỳ", value: v["chu_ky"] ?? Recurrence.Kind.monthly.rawValue,
                        .select(FormField.options(kinds))).html(problems))
            \(FormField("ngay_den_han", "Ngày đến hạn", value: v["ngay_den_han"] ?? "0", .text(.number), required: true, hint: """
                Hằng tuần: 1 (thứ Hai) đến 5 (thứ Sáu). Hằng tháng, hằng quý: ngày 1–28 của tháng (cuối quý), \
                hoặc 0 cho \
                ngày làm việc cuối cùng.
                """, min: 0, max: 28).html(problems))
            <div class="actions"><button class="primary">Lưu và giao kỳ này</button></div></form>
            """)
    }

    @Sendable static func recurringList(_ req: Request) async throws -> Response {
        let svc = try service(req)
        guard svc.principal.canAnywhere(.leadWork) else { throw Abort(.forbidden,
                                                                      reason: """
                                                                          Nhiệm vụ thường xuyên do lãnh đạo có quyền giao \
                                                                          việc thiết lập.
                                                                          """) }
        let flash: String? = req.input.text("tb") == "luu" ? """
            Đã lưu; nhiệm vụ của kỳ hiện tại đã được giao.
            """ : req.input.text("tb") == "ngung" ? "Đã ngừng nhiệm vụ thường xuyên." : nil
        return req.page(try await recurringPage(req, svc: svc, values: [:], problems: [], flash: flash))
    }

    @Sendable static func recurringCreate(_ req: Request) async throws -> Response {
        let svc = try service(req)
        guard svc.principal.canAnywhere(.leadWork) else { throw Abort(.forbidden,
                                                                      reason: """
                                                                          Nhiệm vụ thường xuyên do lãnh đạo có quyền giao \
                                                                          việc thiết lập.
                                                                          """) }
        let v = try req.content.decode([String: String].self)
        let f = WorkService.NewRecurring(title: v["tieu_de"] ?? "", assigneeCode: v["nguoi"] ?? "", productCode: v["san_pham"] ?? "",
                                         quantity: v["so_luong"] ?? "", complexity: v["muc_do"] ?? "", kind: v["chu_ky"] ?? "",
                                         dueDay: v["ngay_den_han"] ?? "")
        do {
            _ = try await svc.createRecurring(f)
            return req.redirect(to: "/viec/thuong-xuyen?tb=luu")
        } catch let e as WorkService.Invalid {
            return req.page(try await recurringPage(req, svc: svc, values: v, problems: e.problems, flash: nil),
                            status: .unprocessableEntity)
        }
    }

    @Sendable static func recurringStop(_ req: Request) async throws -> Response {
        let svc = try service(req)
        try await svc.stopRecurring(try id(req))
        return req.redirect(to: "/viec/thuong-xuyen?tb=ngung")
    }
}
