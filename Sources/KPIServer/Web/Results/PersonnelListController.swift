import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Danh sách phục vụ công tác cán bộ (issue 19, item 5): the people a year's results put on each list
/// of the rules (`PersonnelRule`), read from the stored year results (current revisions) of the people
/// in the viewer's scope; the rules are data, kept in the system settings and changed by the province's
/// advisory body, audited.
struct PersonnelListService {
    let store: Store
    let principal: Principal
    let actor: Actor

    static let key = "danh-sach-cong-tac-can-bo"

    static func rules(on db: any Database) async throws -> [PersonnelRule] {
        guard let rules = try await RuleSettings.read([PersonnelRule].self, key: key, on: db), !rules.isEmpty else {
            return PersonnelRule.defaults
        }
        return rules
    }

    var mayEdit: Bool { RuleSettings.mayEdit(principal) }

    /// Whose lists the user sees: the scopes where they see evaluations or advise.
    var scopes: [String] { Array(Set(principal.scopes(.viewEvaluations) + principal.scopes(.configureFramework))).sorted() }

    func save(_ rules: [PersonnelRule]) async throws {
        guard mayEdit else { throw Abort(.forbidden, reason: PersonnelListController.notEditable) }
        try await RuleSettings.write(rules, key: Self.key, store: store, actor: actor)
    }

    struct Entry {
        var name: String
        var code: String
        var unit: String
        var levels: [Int: Level]
    }

    /// The people in scope with an approved year result in `years`, with their level each year; a year
    /// the system has no result of for someone is read from their imported level (Xếp loại các năm trước).
    func entries(years: ClosedRange<Int>) async throws -> [Entry] {
        let scopes = self.scopes
        guard !scopes.isEmpty else { return [] }
        let codes = years.map(String.init)
        var out: [String: Entry] = [:]
        let rows = try await store.db.rows("""
            SELECT m.code, m.full_name, o.name, p.code AS period, e.level
            FROM evaluations e JOIN evaluation_periods p ON p.id = e.period_id JOIN people m ON m.id = e.person_id
            JOIN organizations o ON o.id = m.organization_id
            WHERE p.kind = \(bind: PeriodCode.Kind.year.rawValue) AND e.revision > 0 AND e.level <> ''
              AND p.state IN (\(bind: EvaluationState.published.rawValue), \(bind: EvaluationState.locked.rawValue))
              AND p.code IN (\(binds: codes)) AND \(ScoreGathering.within("m.scope_path", scopes))
            """) { c in
            (code: try c.next(String.self), name: try c.next(String.self), unit: try c.next(String.self),
             period: try c.next(String.self), level: try c.next(String.self))
        }
        for r in rows {
            guard let y = Int(r.period), let level = Level(rawValue: r.level) else { continue }
            out[r.code, default: Entry(name: r.name, code: r.code, unit: r.unit, levels: [:])].levels[y] = level
        }
        let imported = try await store.db.rows("""
            SELECT m.code, m.full_name, o.name, l.year, l.level
            FROM prior_levels l JOIN people m ON m.id = l.person_id JOIN organizations o ON o.id = m.organization_id
            WHERE l.active = \(bind: true) AND l.year >= \(bind: years.lowerBound) AND l.year <= \(bind: years.upperBound)
              AND \(ScoreGathering.within("m.scope_path", scopes))
            """) { c in
            (code: try c.next(String.self), name: try c.next(String.self), unit: try c.next(String.self),
             year: try c.next(Int.self), level: try c.next(String.self))
        }
        for r in imported {
            guard let level = Level(rawValue: r.level) else { continue }
            var entry = out[r.code] ?? Entry(name: r.name, code: r.code, unit: r.unit, levels: [:])
            if entry.levels[r.year] == nil { entry.levels[r.year] = level }
            out[r.code] = entry
        }
        return out.values.sorted { ($0.unit, $0.name, $0.code) < ($1.unit, $1.name, $1.code) }
    }
}

struct PersonnelListController {
    static func register(_ r: any RoutesBuilder) {
        r.get("bao-cao", "cong-tac-can-bo", use: page).reads(.format, .notice, .int("nam", 2000...2100, "Năm"))
        r.get("bao-cao", "cong-tac-can-bo", "quy-tac", use: rulesForm)
        r.post("bao-cao", "cong-tac-can-bo", "quy-tac", use: saveRules)
    }

    static let path = "/bao-cao/cong-tac-can-bo"
    static let title = "Danh sách phục vụ công tác cán bộ"
    static let notEditable = "Quy tắc lập danh sách do cơ quan tham mưu cấp tỉnh thay đổi."
    static let denied = "Danh sách phục vụ công tác cán bộ dành cho lãnh đạo, cơ quan tham mưu và kiểm tra, giám sát."

    static func service(_ req: Request) throws -> PersonnelListService {
        PersonnelListService(store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    @Sendable static func page(_ req: Request) async throws -> Response {
        let svc = try service(req)
        guard !svc.scopes.isEmpty else { throw Abort(.forbidden, reason: denied) }
        let year = Int(req.input.text("nam")) ?? (req.today.month == 12 ? req.today.year : req.today.year - 1)
        let rules = try await PersonnelListService.rules(on: req.db)
        let longest = rules.map(\.years).max() ?? 1
        let entries = try await svc.entries(years: (year - longest + 1)...year)
        let lists = rules.map { rule in (rule, entries.filter { rule.matches($0.levels, endingIn: year) }) }
        if !req.input.text("dinh_dang").isEmpty {
            let header = ["Danh sách", "Mục đích", "Họ và tên", "Mã cán bộ", "Đơn vị", "Xếp loại các năm"]
            let table = [header] + lists.flatMap { rule, people in
                people.map { e in
                    [rule.name, rule.purpose.label, e.name, e.code, e.unit,
                     rule.span(endingIn: year).map { "\($0): \(e.levels[$0]?.label ?? "—")" }.joined(separator: "; ")]
                }
            }
            return try Download.table(table, name: "danh-sach-cong-tac-can-bo-\(year)", format: req.input.text("dinh_dang"), at: req.now)
        }
        let sections = lists.enumerated().map { i, item in
            let (rule, people) = item
            let span = rule.span(endingIn: year)
            let rows = people.map { e in
                HTML("""
                    <tr><td data-label="Họ và tên"><a href="\(HistoryController.path(e.code))">\(e.name)</a> (\(e.code))</td>\
                    <td data-label="Đơn vị">\(e.unit)</td>\
                    \(span.map { y in HTML("<td data-label=\"Năm \(y)\">\(e.levels[y]?.label ?? "—")</td>") })</tr>
                    """)
            }
            return HTML("""
                <section class="personnel-list" aria-labelledby="ds-\(i)"><h2 id="ds-\(i)">\(rule.name) \
                <span class="badge\(rule.purpose == .reward ? " ok" : " warn")">\(rule.purpose.label)</span></h2>
                <p class="count">\(people.count) người</p>
                \(people.isEmpty ? HTML("<p class=\"empty\">Không có ai trong phạm vi của bạn.</p>") : HTML("""
                    <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Họ và tên</th>\
                    <th scope="col">Đơn vị</th>\(span.map { HTML("<th scope=\"col\">Năm \($0)</th>") })</tr></thead>\
                    <tbody>\(rows)</tbody></table></div>
                    """))</section>
                """)
        }
        let years = (0..<6).map { req.today.year - $0 }.map { FormField.Option(String($0), "Năm \($0)") }
        return req.page(Page(title: title, breadcrumbs: [("Tổng quan", "/"), ("Kết quả", "/ket-qua")],
                             flash: req.input.text("tb") == "luu" ? "Đã lưu quy tắc." : nil, body: """
            <p class="hint">Lập từ kết quả năm đã phê duyệt (phiên bản hiện hành) của người trong phạm vi \
            của bạn, theo quy tắc của tỉnh: mỗi danh sách là một mức xếp loại trong một số năm liên \
            tiếp tính đến năm \
            đã chọn; năm chưa có kết quả trên hệ thống lấy theo <a href="/danh-muc/xep-loai-nam-truoc">xếp loại \
            các năm trước</a> đã nhập. Đây là danh sách để xem xét, không phải quyết định.\
            \(HTML.when(svc.mayEdit, HTML(" <a href=\"\(path)/quy-tac\">Sửa quy tắc</a>")))</p>
            <form method="get" class="filters"><div class="actions">\
            \(FormField("nam", "Năm", value: String(year), .select(years)).html)<button>Xem</button> \
            <a href="\(path)?nam=\(year)&dinh_dang=xlsx">Xuất Excel</a> <a href="\(path)?nam=\(year)&dinh_dang=csv">Xuất CSV</a>\
            </div></form>
            \(sections)
            """))
    }

    static func formPage(_ req: Request, rows: [(name: String, purpose: String, level: String, years: String)],
                         problems: [TaskProblem]) -> Page {
        let purposes = PersonnelRule.Purpose.allCases.map { FormField.Option($0.rawValue, $0.label) }
        let levels = Level.allCases.map { FormField.Option($0.rawValue, $0.label) }
        let lines = rows.enumerated().map { i, r in
            HTML("""
                <tr><td data-label="Tên danh sách">\(FormField("ten_\(i)", "Tên danh sách \(i + 1)", value: r.name,
                                                                maxLength: 150).problems(problems.filter { $0.field == "ten_\(i)" }
                                                                    .map(\.message)).bare())</td>\
                <td data-label="Mục đích">\(FormField("muc_dich_\(i)", "Mục đích \(i + 1)", value: r.purpose,
                                                       .select(purposes)).bare())</td>\
                <td data-label="Mức xếp loại">\(FormField("xep_loai_\(i)", "Mức xếp loại \(i + 1)", value: r.level,
                                                           .select(levels)).bare())</td>\
                <td data-label="Số năm liên tiếp">\(FormField("so_nam_\(i)", "Số năm liên tiếp \(i + 1)", value: r.years,
                                                               maxLength: 2, inputMode: .numeric).bare())</td></tr>
                """)
        }
        return Page(title: "Quy tắc lập danh sách", breadcrumbs: [("Tổng quan", "/"), (title, path)],
                    body: """
            \(Widgets.problems(problems.map(\.message)))
            <p class="hint">Mỗi dòng một danh sách: người có mức xếp loại đã chọn trong đủ số năm liên \
            tiếp (1–\
            \(PersonnelRule.maxYears)) tính đến năm xem. Để trống tên để bỏ một dòng; hai dòng trống để thêm. \
            Mỗi lần lưu được ghi nhật ký.</p>
            <form method="post" action="\(path)/quy-tac" class="personnel-rules">\(req.csrfField)
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Tên danh sách</th>\
            <th scope="col">Mục đích</th><th scope="col">Mức xếp loại</th>\
            <th scope="col">Số năm liên tiếp</th></tr></thead>\
            <tbody>\(lines)</tbody></table></div>
            <div class="actions"><button class="primary">Lưu quy tắc</button> <a href="\(path)">Hủy bỏ</a></div></form>
            """)
    }

    static func rows(_ rules: [PersonnelRule]) -> [(name: String, purpose: String, level: String, years: String)] {
        rules.map { ($0.name, $0.purpose.rawValue, $0.level.rawValue, String($0.years)) }
            + Array(repeating: ("", PersonnelRule.Purpose.review.rawValue, Level.fail.rawValue, ""), count: 2)
    }

    @Sendable static func rulesForm(_ req: Request) async throws -> Response {
        guard try service(req).mayEdit else { throw Abort(.forbidden, reason: notEditable) }
        return req.page(formPage(req, rows: rows(try await PersonnelListService.rules(on: req.db)), problems: []))
    }

    @Sendable static func saveRules(_ req: Request) async throws -> Response {
        let svc = try service(req)
        guard svc.mayEdit else { throw Abort(.forbidden, reason: notEditable) }
        let v = try req.content.decode([String: String].self)
        let count = min(PersonnelRule.maxRules + 2, (0..<100).last { v["ten_\($0)"] != nil }.map { $0 + 1 } ?? 0)
        let submitted = (0..<count).map { i in
            (name: v["ten_\(i)"] ?? "", purpose: v["muc_dich_\(i)"] ?? "", level: v["xep_loai_\(i)"] ?? "", years: v["so_nam_\(i)"] ?? "")
        }
        switch PersonnelRule.check(submitted) {
        case let .success(rules):
            try await svc.save(rules)
            return req.redirect(to: "\(path)?tb=luu")
        case let .failure(p):
            return req.page(formPage(req, rows: submitted + [("", "", "", "")], problems: p.list), status: .unprocessableEntity)
        }
    }
}
