import Foundation
import KPICore
import Vapor

/// Cài đặt (/cai-dat): the working-day calendar of a year (holidays, Tết, swapped days) and the
/// system's settings, for system administrators.
enum SettingsController {
    static let year = ParamSpec.int("nam", 2000...2100, "Năm")
    static let kinds = [CalendarRules.holiday, CalendarRules.swapped]

    static func register(_ r: any RoutesBuilder) {
        r.get("cai-dat", use: show).reads(year, .notice, .format, .int("n", 0...100, "Số thay đổi"))
        r.post("cai-dat", use: save).reads(SettingsCatalog.all.map { spec in
            ParamSpec.text(spec.key, max: 300, spec.label, in: .form)
        })
        r.post("cai-dat", "lich", use: addDay).reads(ParamSpec.int("nam", 2000...2100, "Năm", in: .form),
                                                     .text("ngay", max: 10, "Ngày", in: .form),
                                                     .choice("loai", kinds, "Loại ngày", in: .form),
                                                     .text("ten", max: 100, "Tên ngày", in: .form))
        r.get("cai-dat", "lich", ":id", "xoa", use: confirmRemove)
        r.post("cai-dat", "lich", ":id", "xoa", use: remove)
    }

    static func service(_ req: Request) throws -> SettingsService {
        guard let box = req.application.settingsBox else { throw Abort(.internalServerError) }
        return SettingsService(store: req.store, principal: try req.requirePrincipal(), actor: req.actor, box: box)
    }

    /// What the page's address asks for (read only by the GET: a form's answer shows the page as it stands).
    struct Shown {
        var year: Int
        var format = ""
        var notice = ""
        var changed = ""
    }

    static func weekday(_ d: DateOnly) -> String {
        ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"][d.weekday - 1]
    }

    /// Đăng nhập một lần as configured on the server (environment only): on, off, or why it is off.
    static func singleSignOnStatus(_ s: Settings) -> HTML {
        if let c = s.singleSignOn {
            let link = c.claim + " ↔ " + (c.matchesEmail ? "thư điện tử trong hồ sơ" : "tên đăng nhập")
            let local = c.localForAll ? "mọi người" : "chỉ quản trị"
            return """
                Đăng nhập một lần: <strong>đang bật</strong>, hệ thống định danh <code>\(c.issuer)</code>, liên kết \
                \(link); mật khẩu riêng: \(local). Sửa bằng các biến <code>KPI_OIDC_*</code> (tài liệu vận hành).
                """
        }
        if let problem = s.singleSignOnProblem {
            return "Đăng nhập một lần: <strong>đang tắt do cấu hình sai</strong>: \(problem)"
        }
        return """
            Đăng nhập một lần: chưa bật (đặt <code>KPI_OIDC_ISSUER</code> và các biến kèm theo, xem tài liệu \
            vận hành).
            """
    }

    @Sendable static func show(_ req: Request) async throws -> Response {
        let shown = Shown(year: Int(req.input.text("nam")) ?? req.today.year, format: req.input.text("dinh_dang"),
                          notice: req.input.text("tb"), changed: req.input.text("n"))
        return try await render(req, shown, settingProblems: [:], dayProblem: nil, values: [:], day: [:])
    }

    static func render(_ req: Request, _ shown: Shown, settingProblems: [String: String], dayProblem: String?,
                       values: [String: String], day: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let svc = try service(req)
        let y = shown.year
        let days = try await svc.days(y)
        if !shown.format.isEmpty {
            let table = [["Ngày", "Thứ", "Loại", "Tên"]] + days.map { d in
                let date = DateOnly(parsing: d.day)
                return [date?.display ?? d.day, date.map(weekday) ?? "", CalendarRules.label(d.kind), d.name]
            }
            return try Download.table(table, name: "lich-lam-viec-\(y)", format: shown.format, at: req.now)
        }
        let rows = days.map { d -> HTML in
            let date = DateOnly(parsing: d.day)
            return HTML("""
                <tr><td data-label="Ngày">\(date?.display ?? d.day)</td><td data-label="Thứ">\(date.map(weekday) ?? "")</td>
                <td data-label="Loại">\(CalendarRules.label(d.kind))</td><td data-label="Tên">\(d.name)</td>
                <td data-label=""><a href="/cai-dat/lich/\(d.id!.uuidString)/xoa">Xóa</a></td></tr>
                """)
        }
        let settings = req.application.settings
        let groups = Dictionary(grouping: try svc.rows(settings), by: \.spec.group)
        let order = SettingsCatalog.all.map(\.group).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let fieldsets = order.map { group -> HTML in
            let fields = (groups[group] ?? []).map { row -> HTML in
                let hint = "\(row.spec.help) Cho phép: \(row.spec.range)." + (row.source == .standard ? " Đang dùng mặc định." : "")
                if row.source == .environment {
                    return HTML("""
                        <div class="field"><span class="label">\(row.spec.label)</span>
                        <p><strong>\(row.value.isEmpty ? "(để trống)" : row.value)</strong></p>
                        <p class="hint">Đặt bởi biến môi trường <code>\(row.spec.env)</code> trên máy chủ: sửa ở đó \
                        (biến môi trường được \
                        ưu tiên hơn trang này).</p></div>
                        """)
                }
                var f = FormField(row.spec.key, row.spec.label, value: values[row.spec.key] ?? row.value, hint: hint,
                                  error: settingProblems[row.spec.key] ?? "", maxLength: 300)
                if case .integer = row.spec.kind { f.inputMode = .numeric }
                if case .integerOrOff = row.spec.kind { f.inputMode = .numeric }
                if row.spec.kind == .url { f.placeholder = "https://kpi.nghean.gov.vn" }
                if case .choice(let options) = row.spec.kind { f.control = .select(options.map { .init($0.value, $0.label) }) }
                if row.spec.kind == .email { f.control = .text(.email) }
                return f.html
            }
            return HTML("<fieldset><legend>\(group)</legend>\(fields)</fieldset>")
        }
        let changed = shown.changed
        let flash: String? = ["luu": changed == "0" ? "Không có thay đổi nào." : """
            Đã lưu \(changed) thay đổi; có hiệu lực ngay.
            """,
                              "them-ngay": """
                                  Đã thêm ngày vào lịch; các thời hạn tính theo ngày làm việc từ nay theo lịch mới.
                                  """,
                              "xoa-ngay": "Đã xóa ngày khỏi lịch."][shown.notice]
        let problems = Array(settingProblems.values).sorted() + (dayProblem.map { [$0] } ?? [])
        return req.page(Page(title: "Cài đặt", breadcrumbs: [("Tổng quan", "/")], flash: flash, body: """
            \(Widgets.problems(problems))
            <p class="hint">Giá trị được áp dụng theo thứ tự: biến môi trường trên máy chủ (nếu có), rồi giá \
            trị lưu ở trang này, \
            rồi mặc định. Địa chỉ proxy tin cậy, các vai trò bắt buộc xác thực hai bước, khóa mã hóa và cơ \
            sở dữ liệu chỉ đặt \
            bằng biến môi trường (tài liệu vận hành).</p>
            <h2 id="lich">Lịch làm việc năm \(y)</h2>
            <p class="hint">Ngày nghỉ lễ, Tết rơi vào ngày làm việc, và thứ Bảy, Chủ nhật làm bù. Mọi thời \
            hạn tính theo ngày làm \
            việc (cảnh báo hạn, hạn các bước đánh giá, hạn trả lời kiến nghị) theo lịch này.</p>
            <p><a href="/cai-dat?nam=\(y - 1)#lich">« Năm \(y - 1)</a> · <a href="/cai-dat?nam=\(y + 1)#lich">Năm \(y + 1) »</a> · \
            <a href="/cai-dat?nam=\(y)&dinh_dang=xlsx">Xuất Excel</a> · <a href="/cai-dat?nam=\(y)&dinh_dang=csv">Xuất CSV</a></p>
            <p class="count">\(days.count) ngày</p>
            \(days.isEmpty ? HTML("<p class=\"empty\">Năm \(y) chưa có ngày nghỉ lễ hay làm bù nào.</p>") : HTML("""
                <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Ngày</th><th scope="col">Thứ</th>\
                <th scope="col">Loại</th><th scope="col">Tên</th><th scope="col"></th></tr></thead><tbody>\(rows)</tbody></table></div>
                """))
            <form method="post" action="/cai-dat/lich" class="filters" data-busy="Đang lưu…">\(req.csrfField)
            <input type="hidden" name="nam" value="\(y)">
            \(FormField("ngay", "Ngày", value: day["ngay"] ?? "", required: true, maxLength: 10, placeholder: "dd/mm/yyyy").html)
            \(FormField("loai", "Loại", value: day["loai"] ?? CalendarRules.holiday,
                        .select(kinds.map { .init($0, CalendarRules.label($0)) })).html)
            \(FormField("ten", "Tên", value: day["ten"] ?? "", required: true, maxLength: 100,
                        placeholder: "Tết Nguyên đán", width: .grow).html)
            <div class="actions"><button class="primary">Thêm vào lịch</button></div></form>
            <h2 id="thong-so">Thông số</h2>
            <p><a href="/cai-dat/thu-di">Hộp thư đi: thư đã gửi, chờ gửi, bị từ chối; gửi thư thử</a></p>
            <p><a href="/cai-dat/ung-dung">Ứng dụng kết nối (API): khóa truy cập, quyền, nhật ký gọi</a></p>
            <p id="dang-nhap-mot-lan">\(Self.singleSignOnStatus(req.application.settings))</p>
            <form method="post" action="/cai-dat" data-busy="Đang lưu…">\(req.csrfField)
            \(fieldsets)
            <div class="actions"><button class="primary">Lưu thông số</button></div></form>
            """), status: status)
    }

    @Sendable static func save(_ req: Request) async throws -> Response {
        let svc = try service(req)
        var submitted: [String: String] = [:]
        for spec in SettingsCatalog.all { if let v = try? req.content.get(String.self, at: spec.key) { submitted[spec.key] = v } }
        do {
            let n = try await svc.save(submitted, current: req.application.settings)
            return req.redirect(to: "/cai-dat?tb=luu&n=\(n)#thong-so")
        } catch let e as SettingsService.Invalid {
            let problems = Dictionary(e.problems.map { ($0.field, $0.message) }) { a, _ in a }
            return try await render(req, Shown(year: req.today.year), settingProblems: problems, dayProblem: nil, values: submitted,
                                    day: [:], status: .unprocessableEntity)
        }
    }

    @Sendable static func addDay(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let form = ["ngay": (try? req.content.get(String.self, at: "ngay")) ?? "",
                    "loai": (try? req.content.get(String.self, at: "loai")) ?? "",
                    "ten": (try? req.content.get(String.self, at: "ten")) ?? ""]
        let y = Int((try? req.content.get(String.self, at: "nam")) ?? "") ?? req.today.year
        do {
            let date = try await svc.addDay(year: y, day: form["ngay"]!, kind: form["loai"]!, name: form["ten"]!)
            return req.redirect(to: "/cai-dat?nam=\(date.year)&tb=them-ngay#lich")
        } catch let e as SettingsService.Invalid {
            return try await render(req, Shown(year: y), settingProblems: [:], dayProblem: e.problems.first?.message, values: [:],
                                    day: form, status: .unprocessableEntity)
        }
    }

    static func id(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw Abort(.notFound, reason: "Không có ngày này trong lịch (có thể đã được xóa).")
        }
        return id
    }

    @Sendable static func confirmRemove(_ req: Request) async throws -> Response {
        let d = try await service(req).day(try id(req))
        let date = DateOnly(parsing: d.day)
        return req.page(Page(title: "Xóa ngày khỏi lịch", breadcrumbs: [("Tổng quan", "/"), ("Cài đặt", "/cai-dat")], body: """
            <p>Xóa <strong>\(date?.display ?? d.day)</strong> (\(CalendarRules.phrase(d.kind)): \(d.name)) khỏi lịch làm \
            việc? Các thời hạn tính theo ngày làm việc từ nay tính lại theo lịch mới; thời hạn đã giao không \
            đổi.</p>
            <form method="post" action="/cai-dat/lich/\(d.id!.uuidString)/xoa" data-busy="Đang xóa…">\(req.csrfField)
            <div class="actions"><button class="danger">Xóa khỏi lịch</button> \
            <a href="/cai-dat?nam=\(date?.year ?? req.today.year)#lich">Hủy</a></div></form>
            """))
    }

    @Sendable static func remove(_ req: Request) async throws -> Response {
        let d = try await service(req).removeDay(try id(req))
        return req.redirect(to: "/cai-dat?nam=\(DateOnly(parsing: d.day)?.year ?? req.today.year)&tb=xoa-ngay#lich")
    }
}
