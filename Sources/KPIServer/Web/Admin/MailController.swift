import Foundation
import KPICore
import Vapor

/// Thư điện tử on the pages: «Cách nhận thông báo» (/thong-bao/cai-dat) for every signed-in user, and
/// «Hộp thư đi» (/cai-dat/thu-di) for system administrators.
enum MailController {
    static let states = ["", OutboxMessage.waiting, OutboxMessage.sent, OutboxMessage.failed]

    static func register(_ r: any RoutesBuilder) {
        r.get("thong-bao", "cai-dat", use: choices).reads(.saved)
        r.post("thong-bao", "cai-dat", use: saveChoices).reads(NoticeCategory.all.map {
            ParamSpec.choice($0.key, NoticeDelivery.allCases.map(\.rawValue), $0.label, in: .form)
        })
        r.get("cai-dat", "thu-di", use: outbox).reads(.page, .search, .format, .notice, .choice("trang_thai", states, "Trạng thái"),
                                                       .int("n", 0...1_000_000, "Số thư"))
        r.post("cai-dat", "thu-di", "thu-thu", use: sendTest).reads(.text("dia_chi", max: 254, "Địa chỉ nhận thư thử", in: .form))
        r.post("cai-dat", "thu-di", "gui-lai", use: retry).reads(.uuid("id", "Thư", in: .form))
    }

    static func service(_ req: Request) throws -> MailService {
        MailService(store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    // MARK: Cách nhận thông báo

    @Sendable static func choices(_ req: Request) async throws -> Response {
        try await renderChoices(req, flash: req.input.text("luu") == "1" ? "Đã lưu cách nhận thông báo." : nil, problems: [])
    }

    static func renderChoices(_ req: Request, flash: String?, problems: [String], status: HTTPStatus = .ok) async throws -> Response {
        let c = try await service(req).choices()
        let mailOn = !req.application.settings.smtpHost.isEmpty
        let where_: HTML
        if let address = c.address {
            where_ = HTML("<p>Thư gửi tới <strong>\(address)</strong> (địa chỉ trong hồ sơ cán bộ của anh/chị).</p>")
        } else if let bad = c.badAddress {
            where_ = HTML("""
                <p class="warning">Địa chỉ thư trong hồ sơ «\(bad)» không dùng được: nhờ quản trị đơn vị sửa \
                hồ sơ cán bộ; \
                đến khi đó thông báo chỉ xem trong hệ thống.</p>
                """)
        } else {
            where_ = HTML("""
                <p class="warning">Hồ sơ cán bộ của anh/chị chưa có địa chỉ thư điện tử: nhờ quản trị đơn \
                vị ghi vào; đến \
                khi đó thông báo chỉ xem trong hệ thống.</p>
                """)
        }
        let rows = c.rows.map { row -> HTML in
            let options = NoticeDelivery.allCases.map { d in
                HTML("""
                    <label class="choice"><input type="radio" name="\(row.category.key)" value="\(d.rawValue)"\
                    \(HTML.when(d == row.delivery, " checked"))> \(d.label)\
                    \(HTML.when(d == row.category.standard, " <small>(mặc định)</small>"))</label>
                    """)
            }
            return HTML("<fieldset class=\"field\"><legend>\(row.category.label)</legend>\(options)</fieldset>")
        }
        return req.page(Page(title: "Cách nhận thông báo", breadcrumbs: [("Tổng quan", "/"), ("Thông báo", "/thong-bao")],
                             flash: flash, body: """
            \(Widgets.problems(problems))
            <p class="hint">Mọi thông báo luôn có trong mục Thông báo của hệ thống. Ở đây anh/chị chọn, với \
            từng loại, có \
            nhận thêm thư điện tử không: gửi ngay, gộp vào một thư tổng hợp mỗi ngày, hoặc không gửi thư.</p>
            \(where_)
            \(HTML.when(!mailOn, HTML("""
                <p class="hint">Hệ thống chưa được cấu hình gửi thư: lựa chọn được lưu và có hiệu lực khi \
                quản \
                trị hệ \
                thống cấu hình máy chủ thư.</p>
                """)))
            <form method="post" action="/thong-bao/cai-dat" data-busy="Đang lưu…">\(req.csrfField)
            \(rows)
            <div class="actions"><button class="primary">Lưu cách nhận thông báo</button> <a href="/thong-bao">Quay lại</a></div>
            </form>
            """), status: status)
    }

    @Sendable static func saveChoices(_ req: Request) async throws -> Response {
        var submitted: [String: String] = [:]
        for c in NoticeCategory.all { if let v = try? req.content.get(String.self, at: c.key) { submitted[c.key] = v } }
        do {
            try await service(req).saveChoices(submitted)
            return req.redirect(to: "/thong-bao/cai-dat?luu=1")
        } catch let e as MailService.Invalid {
            return try await renderChoices(req, flash: nil, problems: e.problems.map(\.message), status: .unprocessableEntity)
        }
    }

    // MARK: Hộp thư đi

    static func stateLabel(_ s: String) -> String {
        switch s {
        case OutboxMessage.waiting: "Chờ gửi"
        case OutboxMessage.sent: "Đã gửi"
        case OutboxMessage.failed: "Bị từ chối"
        default: "Tất cả"
        }
    }

    /// What the list's address asks for (read only by the GET: a form's answer shows the first page).
    struct Shown {
        var state = ""
        var search = ""
        var page = 1
        var format = ""
        var notice = ""
        var count = ""
    }

    @Sendable static func outbox(_ req: Request) async throws -> Response {
        let shown = Shown(state: req.input.text("trang_thai"), search: req.input.text("q"), page: req.input.page,
                          format: req.input.text("dinh_dang"), notice: req.input.text("tb"), count: req.input.text("n"))
        return try await renderOutbox(req, shown, problem: nil, address: "")
    }

    static func renderOutbox(_ req: Request, _ shown: Shown, problem: String?, address: String,
                             status: HTTPStatus = .ok) async throws -> Response {
        let svc = try service(req)
        let (state, search, page, format) = (shown.state, shown.search, shown.page, shown.format)
        if !format.isEmpty {
            let (all, _) = try await svc.messages(state: state, search: search, page: 1, perPage: 10_000)
            let head = ["Tạo lúc", "Người nhận", "Tiêu đề", "Trạng thái", "Số lần gửi", "Gửi lúc",
                        "Lỗi gần nhất"]
            let table = [head] + all.map {
                [DateFormatting.dateTime($0.createdAt), $0.recipient, $0.subject, stateLabel($0.state), String($0.attempts),
                 $0.sentAt.map(DateFormatting.dateTime) ?? "", $0.lastError ?? ""]
            }
            return try Download.table(table, name: "hop-thu-di", format: format, at: req.now)
        }
        let counts = try await svc.counts()
        let (rows, total) = try await svc.messages(state: state, search: search, page: page)
        let settings = req.application.settings
        let list = rows.map { m -> HTML in
            HTML("""
                <tr><td data-label="Tạo lúc">\(DateFormatting.dateTime(m.createdAt))</td><td \
                data-label="Người nhận">\(m.recipient)</td>
                <td data-label="Tiêu đề">\(m.subject)</td><td data-label="Trạng thái">\(stateLabel(m.state))\
                \(HTML.when(m.state == OutboxMessage.waiting && m.attempts > 0, HTML("""
                     · thử lại lúc \(DateFormatting.dateTime(m.nextAttemptAt))
                    """)))</td>
                <td data-label="Số lần gửi">\(m.attempts)</td><td data-label="Lỗi gần nhất">\(m.lastError ?? "")\
                \(HTML.when(m.state == OutboxMessage.failed, HTML("""
                    <form method="post" action="/cai-dat/thu-di/gui-lai" class="inline">\(req.csrfField)\
                    <input type="hidden" name="id" value="\(m.id!.uuidString)"><button>Gửi lại</button></form>
                    """)))</td></tr>
                """)
        }
        let flash: String? = ["thu-thu": "Đã xếp thư thử vào hộp thư đi; thư được gửi trong vòng một phút.",
                              "gui-lai": "Đã xếp lại \(shown.count) thư vào hàng chờ gửi."][shown.notice]
        let query = "trang_thai=\(state)&q=\(search.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        return req.page(Page(title: "Hộp thư đi", breadcrumbs: [("Tổng quan", "/"), ("Cài đặt", "/cai-dat")], flash: flash,
                             body: """
            \(Widgets.problems(problem.map { [$0] } ?? []))
            <p>\(settings.smtpHost.isEmpty ? HTML("""
                <strong>Chưa cấu hình máy chủ thư</strong>: thông báo chỉ xem trong hệ thống. Ghi máy chủ ở \
                <a href="/cai-dat#thong-so">Cài đặt → Thư điện tử</a>.
                """) : HTML("""
                Máy chủ thư: <strong>\(settings.smtpHost):\(settings.smtpPort)</strong>\
                \(settings.smtpSecurity == SettingsCatalog.plain ? " (không mã hóa, trên máy này)" : " (STARTTLS)").
                """))</p>
            <ul class="stats"><li>Chờ gửi: <strong>\(counts.waiting)</strong>\
            \(HTML.when(counts.retrying > 0, HTML(" (\(counts.retrying) đang chờ gửi lại)")))</li>
            <li>Đã gửi: <strong>\(counts.sent)</strong></li><li>Bị từ chối: <strong>\(counts.failed)</strong></li></ul>
            <p class="hint">Máy chủ thư ngừng hoạt động thì thư chờ và được gửi lại sau 1, 2, 4… phút \
            (tối đa mỗi giờ một \
            lần), không mất thư nào. Thư bị máy chủ từ chối hẳn (địa chỉ không tồn \
            tại) được giữ lại với lý do; sửa địa \
            chỉ trong hồ sơ cán bộ rồi bấm «Gửi lại».</p>
            <form method="post" action="/cai-dat/thu-di/thu-thu" class="filters" data-busy="Đang xếp thư…">\(req.csrfField)
            \(FormField("dia_chi", "Gửi thư thử tới", value: address, .text(.email),
                        hint: "Kiểm tra cấu hình: thư đến được là đúng.",
                        error: problem ?? "", maxLength: 254).html)
            <div class="actions"><button>Gửi thư thử</button></div></form>
            <form method="get" class="filters">\(FormField("trang_thai", "Trạng thái", value: state,
                .select(states.map { .init($0, stateLabel($0)) })).html)
            \(FormField("q", "Tìm người nhận, tiêu đề", value: search, .text(.search), maxLength: 200).html)
            <div class="actions"><button>Lọc</button> <a href="/cai-dat/thu-di?\(query)&dinh_dang=xlsx">Xuất Excel</a> · \
            <a href="/cai-dat/thu-di?\(query)&dinh_dang=csv">Xuất CSV</a></div></form>
            \(HTML.when(counts.failed + counts.retrying > 0, HTML("""
                <form method="post" action="/cai-dat/thu-di/gui-lai" class="inline">\(req.csrfField)\
                <button>Gửi lại ngay \(counts.failed + counts.retrying) thư bị từ chối hoặc đang chờ gửi \
                lại</button></form>
                """)))
            <p class="count">\(total) thư</p>
            \(rows.isEmpty ? HTML("<p class=\"empty\">Không có thư nào.</p>") : HTML("""
                <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Tạo lúc</th><th scope="col">Người nhận</th>\
                <th scope="col">Tiêu đề</th><th scope="col">Trạng thái</th><th scope="col">Số lần gửi</th>\
                <th scope="col">Lỗi gần nhất</th></tr></thead><tbody>\(list)</tbody></table></div>
                """))
            \(Widgets.pager(page: page, perPage: 50, total: total) { "/cai-dat/thu-di?\(query)&trang=\($0)" })
            """), status: status)
    }

    @Sendable static func sendTest(_ req: Request) async throws -> Response {
        let raw = (try? req.content.get(String.self, at: "dia_chi")) ?? ""
        do {
            _ = try await service(req).sendTest(to: raw, settings: req.application.settings)
            return req.redirect(to: "/cai-dat/thu-di?tb=thu-thu")
        } catch let e as MailService.Invalid {
            return try await renderOutbox(req, Shown(), problem: e.problems.first?.message, address: raw, status: .unprocessableEntity)
        }
    }

    @Sendable static func retry(_ req: Request) async throws -> Response {
        let id = (try? req.content.get(String.self, at: "id")).flatMap(UUID.init(uuidString:))
        let n = try await service(req).retry(id)
        return req.redirect(to: "/cai-dat/thu-di?tb=gui-lai&n=\(n)")
    }
}
