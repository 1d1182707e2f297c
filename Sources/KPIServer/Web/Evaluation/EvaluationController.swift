import Foundation
import Fluent
import KPICore
import Vapor

/// Kỳ đánh giá (/ky-danh-gia): the agencies' periods with their state and last computation, opening
/// a period, computing one again; search, filters and export like every list.
struct EvaluationController {
    static func register(_ r: any RoutesBuilder) {
        r.get("ky-danh-gia", use: list).reads(.search, .format, .notice, .text("trang_thai", max: 30, "Trạng thái"), .int("n",
            0...10_000_000, "Số người"))
        r.post("ky-danh-gia", use: open).reads(.search, .format, .notice, .text("trang_thai", max: 30, "Trạng thái"), .int("n",
            0...10_000_000, "Số người"))
        r.post("ky-danh-gia", ":id", "tinh-lai", use: recompute)
    }

    static func service(_ req: Request) throws -> EvaluationService {
        EvaluationService(store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    static func time(_ d: Date?) -> String {
        d.map { DateFormatting.dateTime($0) } ?? "chưa tính"
    }

    @Sendable static func list(_ req: Request) async throws -> Response {
        try await page(req, values: [:], problem: nil)
    }

    static func page(_ req: Request, values v: [String: String], problem: String?, status: HTTPStatus = .ok) async throws -> Response {
        let svc = try service(req)
        let principal = try req.requirePrincipal()
        guard Area.periods.isOpen(to: principal) else {
            throw Abort(.forbidden, reason: "Kỳ đánh giá dành cho lãnh đạo, cơ quan tham mưu và kiểm tra, giám sát.")
        }
        let agencies = try await svc.agencies()
        let names = Dictionary(try await Organization.query(on: req.db).all().map { ($0.id!, ($0.name, $0.code)) }) { a, _ in a }
        let (q, state) = (req.input.text("q"), req.input.text("trang_thai"))
        let folded = TextNormalizer.fold(q)
        let periods = try await svc.periods().filter { p in
            let (name, code) = names[p.organizationID] ?? ("", "")
            let label = PeriodCode(p.code)?.label ?? p.code
            return (folded.isEmpty || TextNormalizer.fold("\(name) \(code) \(p.code) \(label)").contains(folded)) && (state.isEmpty
                || p.state == state)
        }
        func stateText(_ p: EvaluationPeriod) -> String {
            let label = EvaluationState(rawValue: p.state)?.label ?? p.state
            return p.dirty && (EvaluationState(rawValue: p.state)?.recomputes
                ?? false) ? "\(label) — có thay đổi, chờ tính lại" : label
        }
        if !req.input.text("dinh_dang").isEmpty {
            let table = [["Kỳ", "Mã cơ quan", "Cơ quan", "Trạng thái", "Số người", "Tính lúc",
                          "Người mở"]] + periods.map { p in
                let (name, code) = names[p.organizationID] ?? ("", "")
                return [PeriodCode(p.code)?.label ?? p.code, code, name, stateText(p), String(p.people), time(p.computedAt), p.openedBy]
            }
            return try Download.table(table, name: "ky-danh-gia", format: req.input.text("dinh_dang"), at: req.now)
        }
        let flash: String? = {
            switch req.input.text("tb") {
            case "mo": return """
                Đã mở kỳ đánh giá. Điểm sẽ được tính trong ít phút; bấm «Tính lại ngay» để tính ngay.
                """
            case "tinh": return "Đã tính lại điểm của kỳ cho \(req.input.text("n")) người."
            default: return nil
            }
        }()
        let rows = periods.map { p in
            let (name, code) = names[p.organizationID] ?? ("", "")
            let mayRun = principal.can(.runEvaluation, at: p.scopePath) && (EvaluationState(rawValue: p.state)?.recomputes ?? false)
            return HTML("""
                <tr><td data-label="Kỳ"><a href="/ky-danh-gia/\(p.id!.uuidString)">\(PeriodCode(p.code)?.label ?? p.code)</a></td>
                <td data-label="Cơ quan">\(name) (\(code))</td><td data-label="Trạng thái">\(stateText(p))</td>
                <td data-label="Số người" class="num">\(VNNumber.format(p.people))</td><td data-label="Tính \
                lúc">\(time(p.computedAt))</td>
                <td data-label="Thao tác"><a href="/ket-qua?ky=\(p.code)">Kết quả</a> \(mayRun ? HTML("""
                <form method="post" action="/ky-danh-gia/\(p.id!.uuidString)/tinh-lai" class="inline" data-busy="Đang tính \
                điểm…">\(req.csrfField)<button>Tính lại ngay</button></form>
                """) : .empty)</td></tr>
                """)
        }
        let stateOptions = [("", "Tất cả")] + EvaluationState.allCases.map { ($0.rawValue, $0.label) }
        let thisMonth = PeriodCode.containing(req.today, kind: .month).text
        let openForm: HTML = agencies.isEmpty ? .empty : HTML("""
            <details class="panel"\(HTML.when(problem != nil, " open"))><summary>Mở kỳ đánh giá</summary>
            \(Widgets.problems(problem.map { [$0] } ?? []))
            <form method="post" action="/ky-danh-gia" class="record-form">\(req.csrfField)
            \(FormField("co_quan", "Cơ quan", value: v["co_quan"],
                        .select(agencies.map { .init($0.code, "\($0.name) (\($0.code))") })).html)
            \(FormField("ky", "Kỳ", value: v["ky"] ?? thisMonth, required: true, hint: """
                Tháng «\(thisMonth)», quý «\(PeriodCode.containing(req.today, kind: .quarter).text)» hoặc năm \
                «\(req.today.year)».
                """, maxLength: 10).html)
            <div class="actions"><button class="primary">Mở kỳ</button></div></form></details>
            """)
        let params = "q=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&trang_thai=\(state)"
        return req.page(Page(title: "Kỳ đánh giá", breadcrumbs: [("Tổng quan", "/")], flash: flash, body: """
            <p class="hint">Điểm của kỳ đang mở được tính lại tự động khi nhiệm vụ, đánh giá hài lòng, \
            đánh giá phối hợp hoặc ghi nhận kỷ \
            luật thay đổi.</p>
            \(openForm)
            <form method="get" class="filters" role="search">
            \(FormField("q", "Tìm", value: q, placeholder: "Cơ quan hoặc kỳ", width: .grow).html)
            \(FormField("trang_thai", "Trạng thái", value: state, .select(FormField.options(stateOptions))).html)
            <div class="actions"><button>Lọc</button> <a href="/ky-danh-gia?\(params)&dinh_dang=xlsx">Xuất Excel</a> <a \
            href="/ky-danh-gia?\(params)&dinh_dang=csv">Xuất CSV</a></div></form>
            <p class="count">\(periods.count) kỳ</p>
            \(periods.isEmpty ? HTML("<p class=\"empty\">Chưa có kỳ đánh giá nào khớp bộ lọc.</p>") : HTML("""
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Kỳ</th><th scope="col">Cơ quan</th><th \
            scope="col">Trạng thái</th>
            <th scope="col">Số người</th><th scope="col">Tính lúc</th><th scope="col">Thao tác</th></tr></thead>\
            <tbody>\(rows)</tbody>\
            </table></div>
            """))
            """), status: status)
    }

    @Sendable static func open(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let v = try req.content.decode([String: String].self)
        do {
            _ = try await svc.open(agencyCode: v["co_quan"] ?? "", period: v["ky"] ?? "")
            return req.redirect(to: "/ky-danh-gia?tb=mo")
        } catch let e as WorkService.Refused {
            return try await page(req, values: v, problem: e.message, status: .unprocessableEntity)
        }
    }

    @Sendable static func recompute(_ req: Request) async throws -> Response {
        let svc = try service(req)
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw Abort(.notFound) }
        do {
            let n = try await svc.recompute(id)
            return req.redirect(to: "/ky-danh-gia?tb=tinh&n=\(n)")
        } catch let e as WorkService.Refused {
            throw Abort(.conflict, reason: e.message)
        }
    }
}
