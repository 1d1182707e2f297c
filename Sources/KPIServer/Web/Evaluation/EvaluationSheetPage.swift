import Foundation
import Fluent
import KPICore
import Vapor

/// Phiếu đánh giá (/ky-danh-gia/<id>/phieu/<mã>): the computed score with its explanation, the
/// person's self-assessment (comment, proposed rubric levels) and the evaluator's review (chosen
/// levels, comment, and the task score when the period had no task due); "Đánh giá của tôi"
/// (/danh-gia-cua-toi) lists a person's own sheets.
struct EvaluationSheetPage {
    static func register(_ r: any RoutesBuilder) {
        r.get("danh-gia-cua-toi", use: mine)
        r.get("ky-danh-gia", ":id", "phieu", ":person", use: show).reads(.notice)
        r.post("ky-danh-gia", ":id", "phieu", ":person", "tu-danh-gia", use: selfAssess).reads(.notice)
        r.post("ky-danh-gia", ":id", "phieu", ":person", "danh-gia", use: review).reads(.notice)
    }

    @Sendable static func mine(_ req: Request) async throws -> Response {
        let principal = try req.requirePrincipal()
        guard let personID = principal.personID else {
            return req.page(Page(title: "Đánh giá của tôi",
                                 body: """
                                     <p class=\"empty\">Tài khoản này không gắn với hồ sơ cán bộ nên không có phiếu \
                                     đánh giá.</p>
                                     """))
        }
        let sheets = try await Evaluation.query(on: req.db).filter(\.$personID == personID).all()
        let periods = Dictionary(try await EvaluationPeriod.query(on: req.db).filter(\.$id ~~ sheets.map(\.periodID)).all().map { ($0.id!,
            $0) }) { a, _ in a }
        let rows = sheets.compactMap { e -> (EvaluationPeriod, Evaluation)? in periods[e.periodID].map { ($0, e) } }
            .sorted { (PeriodCode($0.0.code) ?? PeriodCode("2000")!) > (PeriodCode($1.0.code) ?? PeriodCode("2000")!) }
        let body = rows.map { p, e in
            let state = EvaluationFlow.state(p)
            let todo: HTML = state == .selfAssessment && e.selfAt == nil
                ? " <span class=\"badge warn\">cần tự đánh giá trước \(EvaluationPeriodPage.date(p.selfDue))</span>" : .empty
            return HTML("""
                <tr><td data-label="Kỳ"><a \
                href="/ky-danh-gia/\(p.id!.uuidString)/phieu/\(e.personCode)">\(PeriodCode(p.code)?.label ?? p.code)</a></td>
                <td data-label="Bước">\(state.label)\(todo)</td><td data-label="Điểm" \
                class="num">\(ResultController.score(e.hundredths))</td>
                <td data-label="Xếp loại">\(Level(rawValue: e.level)?.label ?? "Chưa phê duyệt")</td></tr>
                """)
        }
        let queue = try await toReview(req, principal)
        return req.page(Page(title: "Đánh giá của tôi", breadcrumbs: [("Tổng quan", "/")], body: """
            \(queue)
            <h2>Phiếu của tôi</h2>
            <p class="hint">Phiếu đánh giá của bạn theo từng kỳ: xem điểm tính từ công việc, tự đánh giá trong \
            thời hạn, xem kết quả được \
            phê duyệt.</p>
            \(rows.isEmpty ? HTML("<p class=\"empty\">Chưa có kỳ đánh giá nào lập phiếu cho bạn.</p>") : HTML("""
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Kỳ</th><th scope="col">Bước</th><th \
            scope="col">Điểm</th><th scope="col">Xếp loại</th></tr></thead>
            <tbody>\(body)</tbody></table></div>
            """))
            """))
    }

    /// Phiếu chờ tôi đánh giá: the sheets of open workflows that the user evaluates (thẩm quyền
    /// đánh giá), those not yet reviewed first.
    static func toReview(_ req: Request, _ principal: Principal) async throws -> HTML {
        let scopes = principal.scopes(.leadWork)
        guard !scopes.isEmpty else { return .empty }
        let periods = try await EvaluationPeriod.query(on: req.db)
            .filter(\.$state ~~ [EvaluationState.selfAssessment.rawValue, EvaluationState.review.rawValue]).all()
            .filter { p in scopes.contains { OrgPath.contains(p.scopePath, $0) || OrgPath.contains($0, p.scopePath) } }
        guard !periods.isEmpty else { return .empty }
        let flow = EvaluationFlow(store: req.store, principal: principal, actor: req.actor)
        let byID = Dictionary(periods.map { ($0.id!, $0) }) { a, _ in a }
        let sheets = try await Evaluation.query(on: req.db).filter(\.$periodID ~~ periods.compactMap(\.id)).sort(\.$personCode).all()
            .filter(flow.mayReview).sorted { ($0.reviewedAt == nil ? 0 : 1, $0.personCode) < ($1.reviewedAt == nil ? 0 : 1, $1.personCode) }
        guard !sheets.isEmpty else { return .empty }
        let names = try await flow.names(sheets.map(\.personID))
        let rows = sheets.map { e in
            let p = byID[e.periodID]!
            let (name, unit) = names[e.personID] ?? ("", "")
            return HTML("""
                <tr><td data-label="Người"><a href="/ky-danh-gia/\(p.id!.uuidString)/phieu/\(e.personCode)">\(name)</a> \
                (\(e.personCode))</td><td data-label="Đơn vị">\(unit)</td>
                <td data-label="Kỳ">\(PeriodCode(p.code)?.label ?? p.code)</td><td data-label="Tự đánh \
                giá">\(e.selfAt.map(DateFormatting.date) ?? "Chưa")</td>
                <td data-label="Đánh giá">\(e.reviewedAt.map(DateFormatting.date) ?? "Chưa") · \
                hạn \(EvaluationPeriodPage.date(p.reviewDue))</td></tr>
                """)
        }
        let pending = sheets.filter { $0.reviewedAt == nil }.count
        return HTML("""
            <h2>Phiếu chờ tôi đánh giá (\(pending) chưa đánh giá)</h2>
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Người</th><th scope="col">Đơn vị</th><th \
            scope="col">Kỳ</th>
            <th scope="col">Tự đánh giá</th><th scope="col">Đánh giá</th></tr></thead><tbody>\(rows)</tbody></table></div>
            """)
    }

    struct Rubric {
        var code: String
        var name: String
        var max: String
        var levels: [String]
    }

    static func rubric(_ row: ScoreService.Row) -> [Rubric] {
        // The year is the mean of its periods: nothing is chosen on a scale.
        guard row.input.year == nil else { return [] }
        return FrameworkService.decode(row.framework).indicators.filter { $0.method == "rubric" }.map { ind in
            Rubric(code: ind.code, name: ind.name, max: ind.maxPoints,
                   levels: ((try? ProductRules.parseComplexity(ind.parameter, range: .zero...Rational(100)).get()) ?? []).map(\.name))
        }
    }

    static func choices(_ v: [String: String], _ prefix: String) -> [String: String] {
        Dictionary(v.compactMap { k, value in k.hasPrefix(prefix) && !value.isEmpty ? (String(k.dropFirst(prefix.count)),
                                                                                       value) : nil }) { a, _ in a }
    }

    @Sendable static func show(_ req: Request) async throws -> Response {
        try await render(req, values: nil, problem: nil)
    }

    static func render(_ req: Request, values: [String: String]?, problem: String?, status: HTTPStatus = .ok) async throws -> Response {
        let flow = EvaluationPeriodPage.flow
        let f = try flow(req)
        let (p, e) = try await f.sheet(try EvaluationPeriodPage.id(req), personCode: req.parameters.get("person") ?? "")
        let row = try await ScoreService(store: req.store, principal: f.principal).explain(period: p.code, personCode: e.personCode)
        let state = EvaluationFlow.state(p)
        let base = "/ky-danh-gia/\(p.id!.uuidString)/phieu/\(e.personCode)"
        let rubric = rubric(row)
        let proposed = EvaluationFlow.choices(e.selfRubric), chosen = EvaluationFlow.choices(e.reviewRubric)
        let isMe = e.personID == f.principal.personID
        let today = req.today
        // Nghỉ theo chế độ cả kỳ: nothing to assess (the service refuses it too).
        let away = row.input.leave?.wholePeriod == true
        let mayReview = !away && f.mayReview(e) && (state == .selfAssessment || state == .review)
        let maySelf = !away && isMe && state == .selfAssessment && (DateOnly(parsing: p.selfDue).map { today <= $0 } ?? true)
        let noTasks = row.result.periods.first?.flags.contains { $0 == .noTaskBasis || $0 == .rubricTaskScore } ?? false
        func select(_ name: String, _ label: String, _ levels: [String], _ value: String?) -> HTML {
            FormField(name, label, value: value, .select(levels.map { .init($0, $0) }, blank: "— chọn mức —")).bare()
        }
        let v = values ?? [:]
        let rubricRows = rubric.map { r in
            HTML("""
                <tr><td data-label="Chỉ số">\(r.code) — \(r.name) (tối \
                đa \(DecimalText.vn(DecimalText.parse(r.max) ?? .zero)))</td>
                <td data-label="Tự đề \
                xuất">\(maySelf ? select("de_xuat_\(r.code)", "\(r.code): mức tự đề xuất", r.levels,
                                         v["de_xuat_\(r.code)"] ?? proposed[r.code]) : HTML("\(proposed[r.code] ?? "—")"))</td>
                <td data-label="Người đánh \
                giá">\(mayReview ? select("muc_\(r.code)", "\(r.code): mức người đánh giá", r.levels,
                                          v["muc_\(r.code)"] ?? chosen[r.code]) : HTML("\(chosen[r.code] ?? "—")"))</td></tr>
                """)
        }
        let rubricTable: HTML = rubric.isEmpty ? HTML("""
            <p \
            class=\"hint\">\(row.input.year != nil ? """
                Điểm năm là trung bình điểm các kỳ trong năm: không chấm theo thang mức.
                """ : "Bộ chỉ số của người này không có chỉ số chấm theo thang mức.")</p>
            """) : HTML("""
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Chỉ số chấm theo thang mức</th><th \
            scope="col">Tự đề \
            xuất</th><th scope="col">Người đánh giá chọn</th></tr></thead>
            <tbody>\(rubricRows)</tbody></table></div>
            """)
        let selfPart: HTML = maySelf ? HTML("""
            \(FormField("tu_nhan_xet", "Tự nhận xét", value: v["tu_nhan_xet"] ?? e.selfComment, .textarea(rows: 5),
                        hint: "Hạn tự đánh giá: \(EvaluationPeriodPage.date(p.selfDue)).", maxLength: 4000).html)
            <div class="actions"><button class="primary" formaction="\(base)/tu-danh-gia">Gửi tự đánh giá</button></div>
            """) : HTML("""
            <h3>Tự đánh giá</h3><p>\(e.selfAt.map { "Gửi lúc \(DateFormatting.dateTime($0))" } ?? "Chưa tự đánh giá")</p>\
            \(e.selfComment.isEmpty ? .empty : HTML("""
                <blockquote>\(e.selfComment)</blockquote>
                """))
            """)
        let reviewPart: HTML = mayReview ? HTML("""
            \(HTML.when(noTasks, FormField("diem_nhiem_vu", "Điểm kết quả nhiệm vụ (kỳ không có nhiệm vụ đến hạn)",
                                           value: v["diem_nhiem_vu"] ?? (DecimalText.parse(e.reviewTaskScore).map(DecimalText.vn) ?? ""),
                                           maxLength: 10, inputMode: .decimal).html))
            \(FormField("nhan_xet", "Nhận xét của người đánh giá", value: v["nhan_xet"] ?? e.reviewComment, .textarea(rows: 5),
                        maxLength: 4000).html)
            <div class="actions"><button class="primary" formaction="\(base)/danh-gia">Lưu đánh giá</button></div>
            """) : HTML("""
            <h3>Đánh giá của lãnh đạo</h3>\
            <p>\(e.reviewedAt.map { """
                \(e.reviewedBy), \(DateFormatting.dateTime($0))
                """ } ?? "Chưa đánh giá")</p>\(e.reviewComment.isEmpty ? .empty : HTML("<blockquote>\(e.reviewComment)</blockquote>"))
            """)
        let official: HTML = away
            && e.level.isEmpty ? HTML("<p>Kỳ này <strong>không đánh giá</strong> (nghỉ theo chế độ cả kỳ).</p>")
            : e.level.isEmpty ? HTML("""
                <p>Điểm hiện tại: <strong>\(ResultController.score(row.hundredths))</strong> \
                — \(row.level?.label ?? "chưa xếp loại") \
                (chưa phê duyệt)</p>
                """)
            : HTML("""
                <p>Kết quả được phê duyệt: <strong>\(ResultController.score(e.hundredths)) — \
                \(Level(rawValue: e.level)?.label ?? "")</strong>\(e.revision > 0 ? " · phiên bản \(e.revision)" : "")</p>\
                <ul>\(EvaluationFlow.reasons(e.reasons).map { HTML("<li>\($0)</li>") })</ul>
                """)
        let after = try await EvaluationAfterPage.sections(req, f, p, e, rubric: rubric, noTasks: noTasks)
        return req.page(Page(title: "Phiếu đánh giá: \(row.input.personName)", breadcrumbs: [("Tổng quan", "/"),
            ("Đánh giá của tôi",
            "/danh-gia-cua-toi")],
                             flash: req.input.text("tb") == "luu" ? "Đã lưu phiếu đánh giá." : nil, body: """
            \(EvaluationPeriodPage.stepper(state))
            \(Widgets.problems(problem.map { [$0] } ?? []))
            <p>\(row.input.personName) (\(row.input.personCode)) · \(row.input.unitName) · \(PeriodCode(p.code)?.label ?? p.code) · \
            bước \
            <strong>\(state.label.lowercased())</strong></p>
            \(row.input.leave.map { HTML("<p class=\"leave-note\">\($0.text)</p>") } ?? .empty)
            <section class="panel total">\(official)<p><a href="/ket-qua/\(p.code)/\(e.personCode)">Xem giải trình từng điểm</a> \
            · <a \
            href="\(base)/in">In phiếu đánh giá, xếp loại</a></p></section>
            \(away ? .empty : HTML("""
            <form method="post" action="\(base)/\(maySelf ? "tu-danh-gia" : "danh-gia")" class="record-form">\(req.csrfField)
            \(rubricTable)
            \(selfPart)
            \(reviewPart)
            </form>
            """))
            \(after)
            """), status: status)
    }

    static func handle(_ req: Request, _ body: (EvaluationFlow, UUID, String,
                                                [String: String]) async throws -> Void) async throws -> Response {
        let f = try EvaluationPeriodPage.flow(req)
        let id = try EvaluationPeriodPage.id(req)
        let code = req.parameters.get("person") ?? ""
        let v = try req.content.decode([String: String].self)
        do {
            try await body(f, id, code, v)
            return req.redirect(to: "/ky-danh-gia/\(id.uuidString)/phieu/\(code)?tb=luu")
        } catch let e as WorkService.Refused {
            return try await render(req, values: v, problem: e.message, status: .unprocessableEntity)
        }
    }

    @Sendable static func selfAssess(_ req: Request) async throws -> Response {
        try await handle(req) { f, id, code, v in
            let (_, e) = try await f.sheet(id, personCode: code)
            guard e.personID == f.principal.personID else { throw Abort(.forbidden,
                                                                        reason: """
                                                                            Chỉ chính người được đánh giá mới tự đánh \
                                                                            giá.
                                                                            """) }
            try await f.selfAssess(id, comment: v["tu_nhan_xet"] ?? "", rubric: choices(v, "de_xuat_"))
        }
    }

    @Sendable static func review(_ req: Request) async throws -> Response {
        try await handle(req) { f, id, code, v in
            try await f.review(id, personCode: code, comment: v["nhan_xet"] ?? "", rubric: choices(v, "muc_"),
                               taskScore: v["diem_nhiem_vu"] ?? "")
        }
    }
}
