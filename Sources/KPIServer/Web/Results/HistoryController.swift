import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Lịch sử kết quả (issue 19, item 5, first part): a person's approved results by period and by year —
/// score, level, the revision in force and how many corrections it took — each linked to its
/// explanation, with the trend of the scores. Read from the stored results (the current revision),
/// never rescored. Seen by whoever may see the person's detailed scores (`ScoreService.maySee`).
struct HistoryController {
    static func register(_ r: any RoutesBuilder) {
        r.get("ket-qua", "nguoi", ":person", use: page).reads(.format)
    }

    static func path(_ code: String) -> String {
        "/ket-qua/nguoi/" + (code.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-"])) ?? code)
    }

    struct Line {
        var period: PeriodCode
        var agency: String
        var hundredths: Int?
        var level: Level?
        var revision: Int
    }

    /// The person's approved results (published or locked periods, current revision), oldest first.
    static func lines(personID: UUID, on db: any Database) async throws -> [Line] {
        try await db.rows("""
            SELECT p.code, o.name, e.hundredths, e.level, e.revision
            FROM evaluations e JOIN evaluation_periods p ON p.id = e.period_id JOIN organizations o ON o.id = p.organization_id
            WHERE e.person_id = \(bind: personID) AND e.revision > 0
              AND p.state IN (\(bind: EvaluationState.published.rawValue), \(bind: EvaluationState.locked.rawValue))
            ORDER BY p.code
            """) { c in
            (code: try c.next(String.self), agency: try c.next(String.self), h: try c.next(Int?.self), level: try c.next(String.self),
             revision: try c.next(Int.self))
        }.compactMap { r in
            PeriodCode(r.code).map {
                Line(period: $0, agency: r.agency, hundredths: r.h, level: Level(rawValue: r.level), revision: r.revision)
            }
        }
    }

    /// "T7/26", "Q3/26", "2026": a period under the trend's axis.
    static func tick(_ p: PeriodCode) -> String {
        let yy = String(format: "%02d", p.year % 100)
        switch p.kind {
        case .month: return "T\(p.index)/\(yy)"
        case .quarter: return "Q\(p.index)/\(yy)"
        case .year: return String(p.year)
        }
    }

    @Sendable static func page(_ req: Request) async throws -> Response {
        let svc = try ResultController.service(req)
        let code = String((req.parameters.get("person") ?? "").prefix(100))
        guard let person = try await Person.query(on: req.db).filter(\.$code == code).first(),
              svc.maySee(person.scopePath, personID: try person.requireID()) else {
            throw Abort(.notFound, reason: "Không có cán bộ này, hoặc bạn không được xem kết quả của người này.")
        }
        let all = try await lines(personID: try person.requireID(), on: req.db)
        let periods = all.filter { $0.period.kind != .year }
        let years = all.filter { $0.period.kind == .year }
        func row(_ l: Line) -> [String] {
            [l.period.label, l.agency, ResultController.score(l.hundredths), l.level?.label ?? "", String(l.revision)]
        }
        if !req.input.text("dinh_dang").isEmpty {
            let table = [["Kỳ", "Cơ quan", "Điểm", "Xếp loại", "Phiên bản"]] + (periods + years).map(row)
            return try Download.table(table, name: "lich-su-\(person.code)", format: req.input.text("dinh_dang"), at: req.now)
        }
        func table(_ list: [Line], caption: String) -> HTML {
            guard !list.isEmpty else { return HTML("<p class=\"empty\">\(caption): chưa có kết quả nào được phê duyệt.</p>") }
            let body = list.map { l in
                HTML("""
                    <tr><td data-label="Kỳ"><a href="/ket-qua/\(l.period.text)/\(person.code)">\(l.period.label)</a></td>\
                    <td data-label="Cơ quan">\(l.agency)</td>\
                    <td data-label="Điểm" class="num">\(ResultController.score(l.hundredths))</td>\
                    <td data-label="Xếp loại">\(l.level?.label ?? "")</td>\
                    <td data-label="Phiên bản" class="num">\(l.revision)\
                    \(HTML.when(l.revision > 1, HTML(" <span class=\"badge warn\">đã sửa \(l.revision - 1) lần</span>")))</td></tr>
                    """)
            }
            return HTML("""
                <div class="table-wrap"><table class="list"><caption>\(caption)</caption><thead><tr><th scope="col">Kỳ</th>\
                <th scope="col">Cơ quan</th><th scope="col" class="num">Điểm</th><th scope="col">Xếp loại</th>\
                <th scope="col" class="num">Phiên bản</th></tr></thead><tbody>\(body)</tbody></table></div>
                """)
        }
        let chart = periods.count < 2 ? HTML.empty : Charts.trend(
            id: "xu-huong", title: "Điểm các kỳ của \(person.fullName)",
            periods.map { Charts.Point(label: $0.period.label, tick: tick($0.period), hundredths: $0.hundredths) })
        let own = person.id == svc.principal.personID
        return req.page(Page(title: own ? "Lịch sử kết quả của tôi" : "Lịch sử kết quả: \(person.fullName)",
                             breadcrumbs: [("Tổng quan", "/"), ("Kết quả", "/ket-qua")], body: """
            <p>\(person.fullName) (\(person.code)). Kết quả đã phê duyệt của từng kỳ theo phiên bản hiện hành \
            (sau kiến nghị, phúc tra, kết luận nếu có); chọn kỳ để xem giải trình điểm.</p>
            \(chart)
            \(table(years, caption: "Kết quả năm"))
            \(table(periods.reversed(), caption: "Kết quả tháng, quý"))
            <p class="actions"><a href="\(path(person.code))?dinh_dang=xlsx">Xuất Excel</a> <a \
            href="\(path(person.code))?dinh_dang=csv">Xuất CSV</a></p>
            """))
    }
}
