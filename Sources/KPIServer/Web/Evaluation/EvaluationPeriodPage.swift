import Foundation
import Fluent
import KPICore
import Vapor

/// One period's workflow page (/ky-danh-gia/<id>): where it stands among the six steps, its
/// deadlines, who has not yet acted, the sheets, and the next step for whoever may take it; the
/// approval page (/ky-danh-gia/<id>/phe-duyet) with the quota's proposal.
struct EvaluationPeriodPage {
    /// What the period page reads from its address; the posts that show it again read the same.
    static let pageParams: [ParamSpec] = [.search, .format, .notice, .text("loc", max: 30, "Lọc"), .int("n", 0...10_000_000,
        "Số hồ sơ")]

    static func register(_ r: any RoutesBuilder) {
        r.get("ky-danh-gia", ":id", use: show).reads(pageParams)
        r.post("ky-danh-gia", ":id", "buoc", use: step).reads(pageParams + [.version])
        r.get("ky-danh-gia", ":id", "phe-duyet", use: approvalPage)
        r.post("ky-danh-gia", ":id", "phe-duyet", use: approve).reads(pageParams).reads(.version, .int("ngay_cong_khai",
            -1_000_000...1_000_000, "Thời gian công khai", in: .form))
    }

    static func flow(_ req: Request) throws -> EvaluationFlow {
        EvaluationFlow(store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    static func id(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw Abort(.notFound) }
        return id
    }

    static func date(_ iso: String) -> String { DateOnly(parsing: iso)?.display ?? "—" }

    /// The six steps, the current one marked.
    static func stepper(_ state: EvaluationState) -> HTML {
        let all = EvaluationState.allCases
        let at = all.firstIndex(of: state) ?? 0
        return HTML("""
            <ol \
            class=\"steps\">\(all.enumerated().map { i, s in HTML("""
                <li class=\"\(i < at ? "done" : i == at ? "current" : "")\"\(HTML.when(i == at, " aria-current=\"step\""))>\(s.label)</li>
                """) })</ol>
            """)
    }

    /// A sheet's level as listed: approved, proposed now (tạm tính), or why there is none.
    static func levelText(_ s: PeriodPageModel.Sheet) -> String {
        if s.onLeave && s.provisional && s.hundredths == nil { return "Không đánh giá (nghỉ theo chế độ cả kỳ)" }
        guard let level = s.level else { return "Chưa xếp loại" }
        return s.provisional ? "\(level.label) (tạm tính)" : level.label
    }

    @Sendable static func show(_ req: Request) async throws -> Response {
        try await render(req, problem: nil)
    }

    static func render(_ req: Request, problem: String?, status: HTTPStatus = .ok) async throws -> Response {
        let (q, filter) = (req.input.text("q"), PeriodPageModel.Filter(rawValue: req.input.text("loc")) ?? .all)
        let m = try await flow(req).periodPage(try id(req), search: q, filter: filter)
        let (p, state) = (m.period, m.state)
        func notYet(_ s: PeriodPageModel.Sheet) -> String { s.onLeave ? "Nghỉ theo chế độ" : "Chưa" }
        if !req.input.text("dinh_dang").isEmpty {
            let table = [["Mã", "Họ và tên", "Đơn vị", "Tự đánh giá", "Đánh giá", "Điểm",
                          "Xếp loại"]] + m.sheets.map { s in
                [s.sheet.personCode, s.name, s.unit, s.sheet.selfAt.map(DateFormatting.dateTime) ?? notYet(s),
                 s.sheet.reviewedAt.map(DateFormatting.dateTime) ?? notYet(s), ResultController.score(s.hundredths), levelText(s)]
            }
            return try Download.table(table, name: "phieu-danh-gia-\(p.code)", format: req.input.text("dinh_dang"), at: req.now)
        }
        let base = "/ky-danh-gia/\(p.id!.uuidString)"
        let action: HTML = {
            func button(_ label: String, _ confirm: String) -> HTML {
                HTML("""
                    <form method="post" action="\(base)/buoc" data-confirm="\(confirm)" data-busy="Đang xử lý…">\(req.csrfField)
                    <input type="hidden" name="phien_ban" value="\(p.version)"><input type="hidden" name="buoc" value="\(state.rawValue)">
                    <button class="primary">\(label)</button></form>
                    """)
            }
            switch state {
            case .open where m.proposedDeadlines != nil:
                let due = m.proposedDeadlines!
                return HTML("""
                    <form method="post" action="\(base)/buoc" class="record-form" data-busy="Đang tính điểm và lập \
                    phiếu…">\(req.csrfField)
                    <input type="hidden" name="phien_ban" value="\(p.version)"><input type="hidden" name="buoc" value="mo">
                    \(FormField("han_tu_danh_gia", "Hạn tự đánh giá", value: due.selfAssessment.iso, .date, required: true).html)
                    \(FormField("han_danh_gia", "Hạn đánh giá", value: due.review.iso, .date, required: true).html)
                    \(FormField("han_phe_duyet", "Hạn phê duyệt", value: due.approval.iso, .date, required: true).html)
                    <div class="actions"><button class="primary">Bắt đầu tự đánh giá</button></div>
                    <p class="hint">Điểm được tính lại, mỗi người có một phiếu đánh giá; người chưa tự đánh \
                    giá được nhắc trước hạn.</p>\
                    </form>
                    """)
            case .selfAssessment where m.mayRun:
                return button("Chuyển sang bước đánh giá",
                              """
                                  Kết thúc bước tự đánh giá? \(m.selfPending) người chưa tự đánh giá sẽ không bổ \
                                  sung được nữa.
                                  """)
            case .review where m.mayRun:
                return button("Trình phê duyệt",
                              """
                                  Trình phê duyệt? Điểm được tính lần cuối với lựa chọn của người đánh giá \
                                  rồi cố định; \
                                  \(m.reviewPending) phiếu chưa được đánh giá.
                                  """)
            case .approval where m.mayApprove:
                return HTML("""
                    <p><a class=\"button primary\" href=\"\(base)/phe-duyet\">Xem đề xuất xếp loại và phê duyệt</a></p>
                    """)
            case .published where m.mayApprove:
                return button("Chốt điểm",
                              """
                                  Chốt điểm kỳ này? Sau khi chốt, kết quả chỉ thay đổi qua kiến nghị hoặc phúc \
                                  tra. Kiến nghị vẫn được gửi \
                                  đến hết \(date(p.objectionUntil)).
                                  """)
            default:
                return .empty
            }
        }()
        let deadlines: HTML = p.selfDue.isEmpty ? .empty : HTML("""
            <dl class="facts"><dt>Hạn tự đánh giá</dt><dd>\(date(p.selfDue))</dd><dt>Hạn đánh giá</dt>\
            <dd>\(date(p.reviewDue))</dd>
            <dt>Hạn phê duyệt</dt><dd>\(date(p.approveDue))</dd>
            \(p.approvedAt.map { HTML("""
                <dt>Phê duyệt</dt><dd>\(p.approvedBy), \
                \(DateFormatting.dateTime($0))\(p.decision.isEmpty ? "" : " · quyết định \(p.decision)")</dd><dt>Công khai, nhận \
                kiến nghị \
                đến hết</dt><dd>\(date(p.objectionUntil))</dd>
                """) } ?? .empty)
            \(p.lockedAt.map { HTML("<dt>Chốt điểm</dt><dd>\(p.lockedBy), \(DateFormatting.dateTime($0))</dd>") } ?? .empty)</dl>
            """)
        let away: HTML = m.onLeave == 0 ? .empty : HTML("""
             · <a href="\(base)?loc=nghi">\(VNNumber.format(m.onLeave)) người nghỉ theo chế độ cả kỳ</a> (không phải \
            tự đánh giá, đánh giá)
            """)
        let pending: HTML = m.total == 0 || state == .open ? .empty : HTML("""
            <section class="panel"><h2>Tiến độ</h2><p>\(VNNumber.format(m.total)) phiếu · <a \
            href="\(base)?loc=chua-tu-danh-gia">\(VNNumber.format(m.selfPending)) người chưa tự đánh giá</a> ·
            <a href="\(base)?loc=chua-danh-gia">\(VNNumber.format(m.reviewPending)) phiếu chưa được đánh giá</a>\(away)</p>\
            </section>
            """)
        let rows = m.sheets.map { s in
            HTML("""
                <tr><td data-label="Người"><a href="\(base)/phieu/\(s.sheet.personCode)">\(s.name)</a> (\(s.sheet.personCode))</td>\
                <td data-label="Đơn vị">\(s.unit)</td>
                <td data-label="Tự đánh giá">\(s.sheet.selfAt.map(DateFormatting.date) ?? notYet(s))</td><td data-label="Đánh \
                giá">\(s.sheet.reviewedAt.map(DateFormatting.date) ?? notYet(s))</td>
                <td data-label="Điểm" class="num">\(ResultController.score(s.hundredths))</td><td data-label="Xếp \
                loại">\(levelText(s))</td></tr>
                """)
        }
        let after = try await EvaluationAfterPage.periodSection(req, try flow(req), p)
        let params = "q=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&loc=\(filter.rawValue)"
        let flash: String? = ["mo": "Đã bắt đầu bước tự đánh giá.", "tu-danh-gia": "Đã chuyển sang bước đánh giá.",
                              "danh-gia": "Đã trình phê duyệt; điểm đã cố định.",
                              "phe-duyet": "Đã phê duyệt và công khai kết quả.", "cong-khai": "Đã chốt điểm.",
                              "phuc-tra": "Đã mở \(req.input.text("n")) hồ sơ phúc tra."][req.input.text("tb")]
        return req.page(Page(title: m.title, breadcrumbs: [("Tổng quan", "/"), ("Kỳ đánh giá", "/ky-danh-gia")], flash: flash,
                             body: """
            \(stepper(state))
            \(Widgets.problems(problem.map { [$0] } ?? []))
            <p>Trạng thái: <strong>\(state.label)</strong> · \(VNNumber.format(p.people)) người · tính \
            lúc \(EvaluationController.time(p.computedAt)) ·
            <a href="/ket-qua?ky=\(p.code)">Kết quả và giải trình</a> · <a href="\(base)/danh-sach">Danh sách xếp loại \
            (in)</a> ·
            <a href="\(base)/danh-sach?dinh_dang=xlsx">Danh sách xếp loại (Excel)</a></p>
            \(m.membership.map { HTML("<p class=\"hint\">\($0)</p>") })
            \(deadlines)\(action)\(pending)\(after)
            <form method="get" class="filters" role="search">
            \(FormField("q", "Tìm", value: q, placeholder: "Tên, mã hoặc đơn vị", width: .grow).html)
            \(FormField("loc", "Lọc", value: filter.rawValue,
                        .select(PeriodPageModel.Filter.allCases.map { .init($0.rawValue, $0.label) })).html)
            <div class="actions"><button>Lọc</button> <a href="\(base)?\(params)&dinh_dang=xlsx">Xuất Excel</a> <a \
            href="\(base)?\(params)&dinh_dang=csv">Xuất CSV</a></div></form>
            <p class="count">\(m.sheets.count) phiếu</p>
            \(m.sheets.isEmpty ? HTML("""
                <p \
                class=\"empty\">\(state == .open ? """
                    Phiếu đánh giá được lập khi bắt đầu bước tự đánh giá.
                    """ : "Không có phiếu nào khớp bộ lọc.")</p>
                """) : HTML("""
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Người</th><th scope="col">Đơn vị</th><th \
            scope="col">Tự \
            đánh giá</th>
            <th scope="col">Đánh giá</th><th scope="col">Điểm</th><th scope="col">Xếp loại</th></tr></thead>\
            <tbody>\(rows)</tbody></table>\
            </div>
            """))
            """), status: status)
    }

    /// The next step from the state the form was shown in.
    @Sendable static func step(_ req: Request) async throws -> Response {
        let flow = try flow(req)
        let id = try id(req)
        // Who may move the period is settled before the form is read.
        try flow.principal.require(.runEvaluation, at: try await flow.periods.find(id).scopePath)
        let v = try req.content.decode([String: String].self)
        let version = Int(v["phien_ban"] ?? "") ?? -1
        do {
            switch EvaluationState(rawValue: v["buoc"] ?? "") {
            case .open:
                try await flow.startSelfAssessment(id, version: version, selfDue: DateOnly(parsing: v["han_tu_danh_gia"] ?? ""),
                                                   reviewDue: DateOnly(parsing: v["han_danh_gia"] ?? ""),
                                                   approveDue: DateOnly(parsing: v["han_phe_duyet"] ?? ""))
            case .selfAssessment: try await flow.startReview(id, version: version)
            case .review: try await flow.submitForApproval(id, version: version)
            case .published: try await flow.lock(id, version: version)
            default: throw Abort(.badRequest, reason: "Bước không hợp lệ.")
            }
            return req.redirect(to: "/ky-danh-gia/\(id.uuidString)?tb=\(v["buoc"] ?? "")")
        } catch let e as WorkService.Refused {
            return try await render(req, problem: e.message, status: .conflict)
        }
    }
}
