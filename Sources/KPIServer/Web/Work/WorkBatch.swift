import Foundation
import KPICore
import Vapor

/// Giao việc hàng loạt (/viec/hang-loat): paste lines from a plan, check them, assign them all.
extension WorkController {
    static func batchPage(_ req: Request, values v: [String: String], outcome: WorkService.BatchOutcome?, checked: Bool) -> Page {
        let sources = [TaskSource.plan, .directive, .recurring, .adHoc].map { ($0.rawValue, $0.label) }
        let result: HTML = outcome.map { o in
            o.problems.isEmpty
                ? HTML("""
                    <p class=\"flash\" role=\"status\">Kiểm tra xong: \(o.lines) dòng hợp lệ. Bấm «Giao tất cả» để \
                    giao.</p>
                    """)
                : HTML("""
                    <div class=\"problems\" role=\"alert\"><p><strong>Chưa giao được. Có \(o.problems.count) lỗi; không nhiệm \
                    vụ nào được \
                    tạo:</strong></p><ul>\(o.problems.prefix(200).map { HTML("<li>\($0)</li>") })</ul></div>
                    """)
        } ?? .empty
        return Page(title: "Giao việc hàng loạt", breadcrumbs: [("Tổng quan", "/"), ("Công việc", "/viec")], body: """
            \(result)
            <p class="hint">Dán từ bảng tính (Excel) hoặc gõ mỗi dòng một nhiệm vụ, các cột cách nhau bằng phím \
            Tab hoặc dấu chấm phẩy:
            <strong>\(TaskBatch.columns.joined(separator: " · "))</strong>. Dòng tiêu đề (nếu có) được bỏ qua. Mỗi dòng \
            được kiểm tra như
            khi giao từng việc; chỉ khi tất cả đều hợp lệ mới giao, trong một lần.</p>
            <form method="post" action="/viec/hang-loat" class="record-form wide-form">\(req.csrfField)
            <input type="hidden" name="token" value="\(v["token"] ?? UUID().uuidString)">
            \(FormField("dong", "Danh sách nhiệm vụ", value: v["dong"], .textarea(rows: 12), required: true,
                        placeholder: "Báo cáo tuần 49;CB-BTCTU-P3-03;SP-CM-02;1;04/12/2026").html)
            <fieldset><legend>Chung cho các dòng</legend>
            \(FormField("nguon", "Nguồn", value: v["nguon"] ?? TaskSource.plan.rawValue, .select(FormField.options(sources))).html)
            \(FormField("so_van_ban", "Số, ký hiệu văn bản (kế hoạch, văn bản chỉ đạo)", value: v["so_van_ban"]).html)
            \(FormField("ngay_van_ban", "Ngày văn bản", value: v["ngay_van_ban"], .date).html)
            \(FormField("co_quan_ban_hanh", "Cơ quan ban hành", value: v["co_quan_ban_hanh"]).html)
            \(FormField("bat_dau", "Ngày bắt đầu", value: v["bat_dau"], .date, required: true).html)
            \(FormField("uu_tien", "Mức ưu tiên", value: v["uu_tien"] ?? TaskPriority.normal.rawValue,
                        .select(TaskPriority.allCases.map { .init($0.rawValue, $0.label) })).html)
            </fieldset>
            <div class="actions"><button name="kiem_tra" value="1">Kiểm tra</button>
            \(HTML.when(checked && outcome?.problems.isEmpty == true, """
                <button class=\"primary\" name=\"giao\" value=\"1\">Giao tất cả</button>
                """))
            <a href="/viec">Hủy bỏ</a></div>
            </form>
            """)
    }

    @Sendable static func batchForm(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        guard p.canAnywhere(.leadWork) else { throw Abort(.forbidden,
                                                          reason: """
                                                              Giao việc hàng loạt dành cho lãnh đạo có quyền giao việc.
                                                              """) }
        return req.page(batchPage(req, values: ["bat_dau": req.today.iso], outcome: nil, checked: false))
    }

    @Sendable static func batchPost(_ req: Request) async throws -> Response {
        let svc = try service(req)
        guard svc.principal.canAnywhere(.leadWork) else { throw Abort(.forbidden,
                                                                      reason: """
                                                                          Giao việc hàng loạt dành cho lãnh đạo có quyền giao \
                                                                          việc.
                                                                          """) }
        let v = try req.content.decode([String: String].self)
        var common = TaskDraft(title: "", start: v["bat_dau"] ?? "", due: "")
        common.source = v["nguon"] ?? TaskSource.plan.rawValue
        common.documentNumber = v["so_van_ban"] ?? ""
        common.documentDate = v["ngay_van_ban"] ?? ""
        common.documentIssuer = v["co_quan_ban_hanh"] ?? ""
        common.priority = v["uu_tien"] ?? TaskPriority.normal.rawValue
        let dryRun = v["giao"] != "1"
        let outcome = try await svc.assignBatch(text: v["dong"] ?? "", common: common, token: v["token"] ?? "", dryRun: dryRun)
        if !dryRun && outcome.problems.isEmpty {
            return req.redirect(to: "/viec?xem=da-giao&tb=tao-nhieu&so=\(outcome.ids.count)")
        }
        return req.page(batchPage(req, values: v, outcome: outcome, checked: true),
                        status: outcome.problems.isEmpty ? .ok : .unprocessableEntity)
    }
}
