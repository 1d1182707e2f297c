import Fluent
import Foundation
import KPICore
import Vapor

/// Báo cáo sơ kết thí điểm (`/bao-cao/so-ket`): the pilot review for chosen agencies and months, as a
/// page, as an official document laid out like the printed forms (A4, "In / lưu PDF"), and three
/// appendices in Excel with the same figures: by agency, each period's workflow timeliness, and the
/// comparison with the year before.
enum PilotReviewController {
    static func register(_ r: any RoutesBuilder) {
        r.get("bao-cao", "so-ket", use: page).reads(.format, .text("co_quan", max: 2_000, "Cơ quan"),
                                                     .text("tu_ky", max: 10, "Từ tháng"), .text("den_ky", max: 10, "Đến tháng"),
                                                     .choice("phu_luc", ["1", "2", "3"], "Phụ lục"), .flag("in", "Bản in"))
    }

    static let path = "/bao-cao/so-ket"
    static let title = "Báo cáo sơ kết thí điểm"

    static func pct(_ tenths: Int?) -> String { HomeController.percent(tenths) }
    static func n(_ v: Int) -> String { VNNumber.format(v) }
    /// Converted products, grouped: "1.493,05".
    static func units(_ hundredths: Int) -> String { VNNumber.format(scaled: hundredths, decimals: 2) }

    /// The document's own tables, narrow enough for A4 (the appendices carry every column).
    static func agencyBrief(_ r: PilotReviewService.Review) -> [[String]] {
        let header = ["Cơ quan", "Lượt người", "Nhiệm vụ", "Hoàn thành", "Đúng hạn", "Xuất sắc", "Tốt",
                      "Hoàn thành NV",
                      "Không hoàn thành"]
        func row(_ name: String, _ s: ScoreSummary) -> [String] {
            [name, n(s.people), n(s.work.tasks), pct(s.completionTenths), pct(s.onTimeTenths), n(s.count(.excellent)),
             n(s.count(.good)), n(s.count(.pass)), n(s.count(.fail))]
        }
        return [header] + r.agencies.map { row($0.org.name, $0.summary) } + (r.total.map { [row("Tổng cộng", $0.summary)] } ?? [])
    }

    static func comparisonBrief(_ r: PilotReviewService.Review) -> [[String]] {
        let header = ["Cơ quan"] + Level.allCases.map { "\($0.label) (năm \(r.priorYear) → thí điểm)" }
        func row(_ name: String, _ a: PilotReviewService.AgencyLine) -> [String] {
            let before = PilotReview.shares(a.before), now = PilotReview.shares(a.summary.levels)
            return [name] + Level.allCases.map { "\(pct(before?[$0])) → \(pct(now?[$0]))" }
        }
        return [header] + r.agencies.map { row($0.org.name, $0) } + (r.total.map { [row("Tổng cộng", $0)] } ?? [])
    }

    /// "95,0% (95/100)", or "—" when nothing was due.
    static func rate(_ step: PilotReview.Step) -> String {
        step.total > 0 ? "\(pct(step.onTimeTenths)) (\(n(step.onTime))/\(n(step.total)))" : "—"
    }

    static func periodBrief(_ r: PilotReviewService.Review) -> [[String]] {
        func row(_ name: String, _ a: PilotReviewService.AgencyLine, periods: [PilotReviewService.PeriodLine]) -> [String] {
            [name, n(periods.count), n(periods.filter { $0.state == .locked }.count), rate(a.selfAssessment), rate(a.review),
             "\(n(a.approval.onTime))/\(n(a.approval.total))"]
        }
        return [["Cơ quan", "Số kỳ", "Đã chốt điểm", "Tự đánh giá đúng hạn", "Đánh giá đúng hạn",
                 "Phê duyệt đúng hạn"]]
            + r.agencies.map { a in row(a.org.name, a, periods: r.periods.filter { $0.agency == a.org.name }) }
            + (r.total.map { [row("Tổng cộng", $0, periods: r.periods)] } ?? [])
    }

    /// Phụ lục 1: by agency.
    static func agencyTable(_ r: PilotReviewService.Review) -> [[String]] {
        let header = ["Cơ quan", "Lượt người được đánh giá", "Có nhiệm vụ", "Nhiệm vụ", "Hoàn thành",
                      "Đúng hạn",
                      "Sản phẩm quy đổi", "Điểm trung bình", "Xuất sắc", "Tốt", "Hoàn thành NV", "Không hoàn thành",
                      "Kiến nghị", "Kiến nghị được chấp nhận", "Phúc tra", "Phúc tra điều chỉnh"]
        func row(_ name: String, _ a: PilotReviewService.AgencyLine) -> [String] {
            let s = a.summary
            return [name, n(s.people), pct(s.participationTenths), n(s.work.tasks), pct(s.completionTenths), pct(s.onTimeTenths),
                    units(s.work.unitsAssigned), ResultController.score(s.meanHundredths),
                    n(s.count(.excellent)), n(s.count(.good)), n(s.count(.pass)), n(s.count(.fail)), n(a.complaints),
                    n(a.complaintsAccepted), n(a.reReviews), n(a.reReviewsChanged)]
        }
        return [header] + r.agencies.map { row($0.org.name, $0) } + (r.total.map { [row("Tổng cộng", $0)] } ?? [])
    }

    /// Phụ lục 2: each period's steps against their deadlines.
    static func periodTable(_ r: PilotReviewService.Review) -> [[String]] {
        let header = ["Cơ quan", "Kỳ", "Bước hiện tại", "Phiếu", "Tự đánh giá đúng hạn", "Đánh giá đúng hạn",
                      "Hạn phê duyệt",
                      "Ngày phê duyệt", "Ngày chốt điểm"]
        return [header] + r.periods.map { p in
            [p.agency, p.code.label, p.state.label, n(p.review.total),
             p.selfAssessment.total > 0 ? "\(n(p.selfAssessment.onTime))/\(n(p.selfAssessment.total))" : "—",
             p.review.total > 0 ? "\(n(p.review.onTime))/\(n(p.review.total))" : "—",
             p.approveDue?.display ?? "—", p.approvedOn?.display ?? "—", p.lockedOn?.display ?? "—"]
        }
    }

    /// Phụ lục 3: the levels of the year before (imported) against the pilot's, per agency.
    static func comparisonTable(_ r: PilotReviewService.Review) -> [[String]] {
        var header = ["Cơ quan", "Số người có xếp loại năm \(r.priorYear)"]
        for l in Level.allCases { header += ["\(l.label) năm \(r.priorYear)", "\(l.label) thí điểm"] }
        func row(_ name: String, _ a: PilotReviewService.AgencyLine) -> [String] {
            let before = PilotReview.shares(a.before), now = PilotReview.shares(a.summary.levels)
            var cells = [name, n(a.before.values.reduce(0, +))]
            for l in Level.allCases { cells += [pct(before?[l]), pct(now?[l])] }
            return cells
        }
        return [header] + r.agencies.map { row($0.org.name, $0) } + (r.total.map { [row("Tổng cộng", $0)] } ?? [])
    }

    /// A table of the report: the page's list style, or the printed document's ruled table.
    static func htmlTable(_ rows: [[String]], caption: String, printed: Bool) -> HTML {
        guard let head = rows.first else { return .empty }
        let body = rows.dropFirst().map { r in
            let cells = r.enumerated().map { i, c in
                i == 0 ? HTML("<th scope=\"row\">\(c)</th>") : HTML("<td data-label=\"\(head[i])\" class=\"num\">\(c)</td>")
            }
            return HTML("<tr>\(cells)</tr>")
        }
        return HTML("""
            <div class="table-wrap"><table class="\(printed ? "doc-table pilot" : "list pilot")"><caption>\(caption)</caption><thead><tr>\
            \(head.map { HTML("<th scope=\"col\">\($0)</th>") })</tr></thead><tbody>\(body)</tbody></table></div>
            """)
    }

    static func query(_ req: Request) throws -> PilotReviewService.Query {
        let last = PeriodCode.containing(req.today, kind: .month).previous ?? DemoHistory.pilotStart
        let start = DemoHistory.pilotStart
        func month(_ key: String, _ fallback: PeriodCode) throws -> PeriodCode {
            let text = req.input.text(key)
            guard !text.isEmpty else { return fallback }
            guard let m = PeriodCode(text), m.kind == .month else {
                throw Abort(.badRequest, reason: "Tháng «\(text)» không hợp lệ: ghi theo dạng 2026-07.")
            }
            return m
        }
        var (from, to) = (try month("tu_ky", start < last ? start : last), try month("den_ky", last))
        if to < from { (from, to) = (to, from) }
        let codes = WorkService.codes([req.input.text("co_quan")]).map { $0.uppercased() }
        let q = PilotReviewService.Query(agencies: codes, from: from, to: to)
        guard q.months.count < ReportController.maxMonths || q.months.last == to else {
            throw Abort(.badRequest, reason: """
                Khoảng thời gian dài quá \(ReportController.maxMonths) tháng: hãy chọn khoảng ngắn hơn.
                """)
        }
        return q
    }

    @Sendable static func page(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        // Stored figures only: read from the replica when there is one (`KPI_READ_DATABASE_URL`).
        return try await req.reading { store, source in
            try await page(req, PilotReviewService(store: store, principal: p), source: source)
        }
    }

    static func page(_ req: Request, _ svc: PilotReviewService, source: ReadSource) async throws -> Response {
        let q = try query(req)
        let review: PilotReviewService.Review
        do { review = try await svc.review(q) } catch let e as PilotReviewService.Refused {
            throw Abort(.badRequest, reason: e.message)
        }
        let range = ReportService.label(q.months)
        let stamp = "\(q.from.text)-\(q.to.text)"
        switch req.input.text("phu_luc") {
        case "1": return try await export(req, agencyTable(review), name: "so-ket-phu-luc-1-\(stamp)")
        case "2": return try await export(req, periodTable(review), name: "so-ket-phu-luc-2-\(stamp)")
        case "3": return try await export(req, comparisonTable(review), name: "so-ket-phu-luc-3-\(stamp)")
        default: break
        }
        let query = "co_quan=\(q.agencies.joined(separator: ","))&tu_ky=\(q.from.text)&den_ky=\(q.to.text)"
            .addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? ""
        let printed = req.input.text("in") == "1"
        let body = document(review, range: range, printed: printed)
        if printed {
            let org = try await svc.heading()
            return try await EvaluationPrint.document(req, title: title, back: "\(path)?\(query)", body: HTML("""
                \(EvaluationPrint.heading(org, place: "Nghệ An", date: req.today))
                <h2 class="doc-title">BÁO CÁO<br>Sơ kết thí điểm đánh giá hiệu quả công việc theo sản phẩm<br>\
                <small>(\(range))</small></h2>
                \(body)
                \(EvaluationPrint.signatures([("NGƯỜI LẬP BÁO CÁO", ""), ("T/M CƠ QUAN", "")]))
                """))
        }
        let agencies = try await svc.agencies()
        let months = (0..<ReportController.maxMonths).compactMap { i -> PeriodCode? in
            var m: PeriodCode? = PeriodCode.containing(req.today, kind: .month)
            for _ in 0..<i { m = m?.previous }
            return m
        }
        func options(_ chosen: PeriodCode) -> HTML {
            let items = months.map { m in HTML("<option value=\"\(m.text)\"\(HTML.when(m == chosen, " selected"))>\(m.label)</option>") }
            return "\(items)"
        }
        return req.page(Page(title: title, breadcrumbs: [("Tổng quan", "/"), ("Báo cáo", "/bao-cao")], body: """
            \(source.notice)<form method="get" class="filters">
            <div class="field"><label for="co_quan">Cơ quan (mã, cách nhau bởi dấu phẩy; để trống: mọi cơ quan \
            trong phạm vi)</label>\
            <input id="co_quan" name="co_quan" value="\(q.agencies.joined(separator: ", "))" maxlength="2000"></div>
            <div class="field"><label for="tu_ky">Từ tháng</label><select id="tu_ky" name="tu_ky">\(options(q.from))</select></div>
            <div class="field"><label for="den_ky">Đến tháng</label><select id="den_ky" name="den_ky">\(options(q.to))</select></div>
            <div class="actions"><button type="submit">Lập báo cáo</button>
            <a class="button" href="\(path)?\(query)&in=1">Bản in (A4, lưu PDF)</a></div>
            <p class="hint">Phụ lục (Excel): <a href="\(path)?\(query)&phu_luc=1&dinh_dang=xlsx">1. Kết quả theo cơ quan</a> · \
            <a href="\(path)?\(query)&phu_luc=2&dinh_dang=xlsx">2. Tiến độ các bước của từng kỳ</a> · \
            <a href="\(path)?\(query)&phu_luc=3&dinh_dang=xlsx">3. So sánh với năm \(review.priorYear)</a> \
            (thêm <code>&amp;dinh_dang=csv</code> để lấy CSV)</p>
            <details><summary>Mã các cơ quan trong phạm vi (\(n(agencies.count)))</summary><ul class="codes">\
            \(agencies.map { a in HTML("""
                <li><a href="\(path)?co_quan=\(a.code)&tu_ky=\(q.from.text)&den_ky=\(q.to.text)">\(a.code)</a> — \(a.name)</li>
                """) })</ul></details>
            </form>
            <article class="pilot-review">\(body)</article>
            """))
    }

    static func export(_ req: Request, _ rows: [[String]], name: String) async throws -> Response {
        let format = req.input.text("dinh_dang")
        return try Download.table(rows, name: name, format: format.isEmpty ? "xlsx" : format, at: req.now)
    }

    /// The report's text and tables (the page and the printed document share them).
    static func document(_ r: PilotReviewService.Review, range: String, printed: Bool) -> HTML {
        guard let t = r.total else {
            return HTML("<p class=\"empty\">Không có cơ quan nào trong phạm vi để lập báo cáo.</p>")
        }
        let s = t.summary
        let names = r.agencies.map(\.org.name).joined(separator: "; ")
        let before = PilotReview.shares(t.before), now = PilotReview.shares(s.levels)
        let periods = r.periods.count, locked = r.periods.filter { $0.state == .locked }.count
        func levelLine(_ l: Level) -> String { "\(l.label): năm \(r.priorYear) \(pct(before?[l])), thí điểm \(pct(now?[l]))" }
        let approvals = t.approval
        return HTML("""
            <h2>I. Phạm vi</h2>
            <p>Thí điểm \(range) tại \(n(r.agencies.count)) cơ quan: \(names). Có \(n(periods)) kỳ đánh giá tháng \
            (\(n(locked)) kỳ đã chốt điểm), \(n(s.people)) lượt người được đánh giá; \
            \(pct(s.participationTenths)) số lượt có \
            nhiệm vụ được giao.</p>
            <h2>II. Kết quả</h2>
            <h3>1. Nhiệm vụ, sản phẩm</h3>
            <p>\(n(s.work.tasks)) nhiệm vụ đến hạn trong các kỳ (\(units(s.work.unitsAssigned)) sản phẩm \
            quy đổi), hoàn thành \(pct(s.completionTenths)), đúng hạn \(pct(s.onTimeTenths)). Điểm trung bình \
            \(ResultController.score(s.meanHundredths)), trung vị \(ResultController.score(s.median)).</p>
            <h3>2. Xếp loại</h3>
            <p>Hoàn thành xuất sắc \(n(s.count(.excellent))) lượt, tốt \(n(s.count(.good))), hoàn thành \(n(s.count(.pass))), \
            không hoàn thành \(n(s.count(.fail))).</p>
            \(htmlTable(agencyBrief(r), caption: "Bảng 1 — Kết quả theo cơ quan, \(range) (chi tiết: Phụ lục 1)",
                        printed: printed))
            <h3>3. So sánh với kết quả năm \(r.priorYear)</h3>
            <p>\(n(t.before.values.reduce(0, +))) người được đánh giá trong thí điểm có xếp loại năm \(r.priorYear) \
            (danh mục \
            Xếp loại các năm trước). Tỷ lệ: \(Level.allCases.map(levelLine).joined(separator: "; ")).</p>
            \(htmlTable(comparisonBrief(r), caption: "Bảng 2 — Xếp loại năm \(r.priorYear) và thí điểm (Phụ lục 3)",
                        printed: printed))
            <h3>4. Kiến nghị, phúc tra</h3>
            <p>\(n(t.complaints)) kiến nghị (\(n(t.complaintsAccepted)) được chấp nhận, kết quả được sửa \
            thành phiên bản mới); \
            \(n(t.reReviews)) hồ sơ phúc tra (\(n(t.reReviewsChanged)) được điều chỉnh).</p>
            <h3>5. Tiến độ các bước của quy trình</h3>
            <p>Tự đánh giá đúng hạn \(pct(t.selfAssessment.onTimeTenths)) số phiếu (\(n(t.selfAssessment.onTime))/\
            \(n(t.selfAssessment.total)); chưa tự đánh giá \(n(t.selfAssessment.total - t.selfAssessment.done))); đánh giá \
            đúng hạn \(pct(t.review.onTimeTenths)) (\(n(t.review.onTime))/\(n(t.review.total))); phê duyệt đúng hạn \
            \(n(approvals.onTime))/\(n(approvals.total)) kỳ.</p>
            \(htmlTable(periodBrief(r), caption: "Bảng 3 — Tiến độ các bước theo cơ quan (từng kỳ: Phụ lục 2)",
                        printed: printed))
            <p class="hint">Số liệu lấy từ kết quả đã lưu của các kỳ (đã phê duyệt: phiên bản hiện hành; \
            chưa phê duyệt: điểm tạm tính), thời điểm của từng bước, kiến nghị, phúc tra và danh mục Xếp \
            loại các năm trước; chỉ gồm người trong \
            phạm vi của người lập.</p>
            """)
    }
}
