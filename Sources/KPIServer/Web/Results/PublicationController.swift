import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Công khai kết quả (/cong-khai): what an agency publishes of its approved periods to its own people,
/// as the agency chose (`PublicationMode`): the list, or the count at each level; and the agency's
/// own settings page (/co-quan/cai-dat) where its leaders or administrators choose.
struct PublicationController {
    static func register(_ r: any RoutesBuilder) {
        r.get("cong-khai", use: page).reads(.search, .format, .text("ky", max: 10, "Kỳ"), .text("xep_loai", max: 10, "Xếp loại"))
        r.get("co-quan", "cai-dat", use: settings).reads(.notice)
        r.post("co-quan", "cai-dat", use: save)
    }

    static let path = "/cong-khai"
    static let crumbs = [("Tổng quan", "/"), ("Kết quả", "/ket-qua")]
    static let notConfigurable = "Cài đặt của cơ quan do lãnh đạo hoặc quản trị của chính cơ quan đó thực hiện."
    static let settingsPath = "/co-quan/cai-dat"

    struct Line {
        var name: String
        var code: String
        var unit: String
        var hundredths: Int?
        var level: Level?
        var own: Bool
    }

    /// The approved results of a published or locked period of an agency, current revisions.
    static func lines(_ period: EvaluationPeriod, personID: UUID?, on db: any Database) async throws -> [Line] {
        try await db.rows("""
            SELECT m.full_name, m.code, o.name, e.hundredths, e.level, e.person_id
            FROM evaluations e JOIN people m ON m.id = e.person_id JOIN organizations o ON o.id = m.organization_id
            WHERE e.period_id = \(bind: try period.requireID()) AND e.level <> '' AND e.revision > 0
            ORDER BY o.path, m.full_name, m.code
            """) { c in
            let (name, code, unit) = (try c.next(String.self), try c.next(String.self), try c.next(String.self))
            let (h, level, person) = (try c.next(Int?.self), try c.next(String.self), try c.next(UUID.self))
            return Line(name: name, code: code, unit: unit, hundredths: h, level: Level(rawValue: level), own: person == personID)
        }
    }

    @Sendable static func page(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        let db = req.db
        let person: Person? = if let id = p.personID { try await Person.find(id, on: db) } else { nil }
        guard let person, let mark = p.agencies.agency(of: person.scopePath),
              let agency = try await Organization.query(on: db).filter(\.$path == mark.path).first() else {
            return req.page(Page(title: "Kết quả công khai", breadcrumbs: crumbs, body: """
                <p class="empty">Tài khoản của bạn không gắn với cán bộ của một cơ quan đánh giá, nên không \
                có kết quả công khai để xem. Người có quyền xem đánh giá xem đầy đủ ở trang <a \
                href="/ket-qua">Kết quả</a>.</p>
                """))
        }
        let mode = try await AgencySettingsService.publication(agencyID: try agency.requireID(), on: db)
        let periods = try await EvaluationPeriod.query(on: db).filter(\.$organizationID == agency.requireID())
            .filter(\.$state ~~ [EvaluationState.published.rawValue, EvaluationState.locked.rawValue]).sort(\.$code, .descending).all()
        let chosen = periods.first { $0.code == req.input.text("ky") } ?? periods.first
        var all: [Line] = []
        if let chosen { all = try await lines(chosen, personID: person.id, on: db) }
        let folded = TextNormalizer.fold(req.input.text("q"))
        let levelFilter = Level(rawValue: req.input.text("xep_loai"))
        let shown = all.filter { l in
            (folded.isEmpty || TextNormalizer.fold("\(l.name) \(l.code) \(l.unit)").contains(folded))
                && (levelFilter == nil || l.level == levelFilter)
        }
        let counts = Level.allCases.map { level in (level, all.filter { $0.level == level }.count) }
        let periodName = chosen.flatMap { PeriodCode($0.code)?.label } ?? ""
        if !req.input.text("dinh_dang").isEmpty, chosen != nil {
            let table: [[String]] = mode == .list
                ? [["Họ và tên", "Mã cán bộ", "Đơn vị", "Điểm", "Xếp loại"]]
                    + shown.map { [$0.name, $0.code, $0.unit, ResultController.score($0.hundredths), $0.level?.label ?? ""] }
                : [["Xếp loại", "Số người", "Tỷ lệ"]]
                    + counts.map { [$0.0.label, String($0.1), Charts.share($0.1, of: all.count)] }
                    + [["Tổng", String(all.count), all.isEmpty ? "—" : "100%"]]
            return try Download.table(table, name: "cong-khai-\(chosen!.code)", format: req.input.text("dinh_dang"), at: req.now)
        }
        let own = all.first(where: \.own)
        let periodOptions = periods.map { FormField.Option($0.code, PeriodCode($0.code)?.label ?? $0.code) }
        let params = Widgets.query(["ky": chosen?.code ?? "", "q": req.input.text("q"), "xep_loai": req.input.text("xep_loai")])
        let levels = [("", "Tất cả")] + Level.allCases.map { ($0.rawValue, $0.label) }
        let chart = Charts.bars(id: "phan-bo", title: "Xếp loại \(periodName.lowercased()) của \(agency.name): \(all.count) người",
                                unit: "Số người", Charts.levels(counts))
        let content: HTML
        if chosen == nil {
            content = "<p class=\"empty\">Cơ quan chưa có kỳ đánh giá nào được phê duyệt và công khai.</p>"
        } else if mode == .list {
            let body = shown.map { l in
                HTML("""
                    <tr\(HTML.when(l.own, " class=\"own\""))><td data-label="Họ và tên">\(l.name)</td>\
                    <td data-label="Đơn vị">\(l.unit)</td>
                    <td data-label="Điểm" class="num">\(ResultController.score(l.hundredths))</td>
                    <td data-label="Xếp loại">\(l.level?.label ?? "")</td></tr>
                    """)
            }
            content = """
                <form method="get" class="filters" role="search"><input type="hidden" name="ky" value="\(chosen?.code ?? "")">
                \(FormField("q", "Tìm người", value: req.input.text("q"), placeholder: "Tên, mã cán bộ hoặc đơn vị",
                            width: .grow).html)
                \(FormField("xep_loai", "Xếp loại", value: req.input.text("xep_loai"), .select(FormField.options(levels))).html)
                <div class="actions"><button>Lọc</button> <a href="\(path)?\(params)&dinh_dang=xlsx">Xuất Excel</a> <a \
                href="\(path)?\(params)&dinh_dang=csv">Xuất CSV</a></div></form>
                <details class="chart-box"><summary>Biểu đồ xếp loại</summary>\(chart)</details>
                <p class="count">\(shown.count) người</p>
                \(shown.isEmpty ? HTML("<p class=\"empty\">Không có ai khớp bộ lọc.</p>") : HTML("""
                <div class="table-wrap"><table class="list"><caption>Kết quả \(periodName.lowercased()) của \(agency.name)</caption>\
                <thead><tr><th scope="col">Họ và tên</th><th scope="col">Đơn vị</th><th scope="col" class="num">Điểm</th>\
                <th scope="col">Xếp loại</th></tr></thead><tbody>\(body)</tbody></table></div>
                """))
                """
        } else {
            content = """
                <p>\(HTML.when(own != nil, HTML("""
                    Kết quả của bạn: <strong>\(own?.level?.label ?? "")</strong>, \
                    \(ResultController.score(own?.hundredths)) điểm (<a href="/ket-qua">giải trình</a>).
                    """)))</p>
                \(chart)
                <p class="actions"><a href="\(path)?\(params)&dinh_dang=xlsx">Xuất Excel</a> <a \
                href="\(path)?\(params)&dinh_dang=csv">Xuất CSV</a></p>
                """
        }
        return req.page(Page(title: "Kết quả công khai", breadcrumbs: crumbs, body: """
            <p><strong>\(agency.name)</strong> công khai theo hình thức: \(mode.label.lowercased()). \(mode.explanation)\
            \(HTML.when(AgencySettingsService.mayConfigure(p, agency), HTML(" <a href=\"\(settingsPath)\">Đổi hình thức</a>")))</p>
            \(HTML.when(!periods.isEmpty, HTML("""
                <form method="get" class="filters"><div class="actions">\
                \(FormField("ky", "Kỳ đã công khai", value: chosen?.code, .select(periodOptions)).html)\
                <button>Xem</button></div></form>
                """)))
            \(content)
            """))
    }

    @Sendable static func settings(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        let svc = AgencySettingsService(store: req.store, principal: p, actor: req.actor)
        let agencies = try await svc.configurable()
        guard !agencies.isEmpty else {
            throw Abort(.forbidden, reason: notConfigurable)
        }
        let chosen = try await AgencySettingsService.values(PublicationMode.key, on: req.db)
        let options = PublicationMode.allCases.map { FormField.Option($0.rawValue, $0.shortLabel) }
        let rows = try agencies.map { a in
            let id = try a.requireID()
            let mode = chosen[id].flatMap(PublicationMode.init(rawValue:)) ?? .standard
            return HTML("""
                <tr><td data-label="Cơ quan">\(a.name) (\(a.code))</td><td data-label="Công khai kết quả">\
                <form method="post" action="\(settingsPath)" class="inline-form">\(req.csrfField)\
                <input type="hidden" name="co_quan" value="\(a.code)">\
                \(FormField("cong_khai", "Công khai kết quả của \(a.name)", value: mode.rawValue, .select(options),
                            id: "cong-khai-\(a.code)").bare()) <button>Lưu</button></form></td></tr>
                """)
        }
        let flash = req.input.text("tb") == "luu" ? "Đã lưu cài đặt của cơ quan." : nil
        return req.page(Page(title: "Cài đặt của cơ quan", breadcrumbs: [("Tổng quan", "/")], flash: flash, body: """
            <p class="hint">Những điều mỗi cơ quan có thẩm quyền đánh giá tự chọn; mỗi lần đổi được ghi \
            nhật ký. Hình thức công khai áp dụng cho mọi kỳ đã phê duyệt của cơ quan, kể cả kỳ trước. \
            Cách người dân xác \
            nhận khi đánh giá hài lòng: trang <a href="/danh-gia-cong-khai">Mã biên nhận</a>.</p>
            <ul class="hint">\(PublicationMode.allCases.map { HTML("<li><strong>\($0.label)</strong>: \($0.explanation)</li>") })</ul>
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Cơ quan</th>\
            <th scope="col">Công khai kết quả</th></tr></thead><tbody>\(rows)</tbody></table></div>
            """))
    }

    @Sendable static func save(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        let v = try req.content.decode([String: String].self)
        let svc = AgencySettingsService(store: req.store, principal: p, actor: req.actor)
        guard try await !svc.configurable().isEmpty else {
            throw Abort(.forbidden, reason: notConfigurable)
        }
        do {
            try await svc.setPublication(agencyCode: String((v["co_quan"] ?? "").prefix(100)), value: v["cong_khai"] ?? "")
        } catch let e as WorkService.Invalid {
            throw Abort(.unprocessableEntity, reason: e.problems.map(\.message).joined(separator: " "))
        }
        return req.redirect(to: "\(settingsPath)?tb=luu")
    }
}
