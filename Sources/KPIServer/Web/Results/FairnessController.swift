import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Phân tích công bằng (issue 19, item 4), for the advisory body and inspectors (the holders of
/// `recordConclusion`), within their scopes: units whose results sit far from the whole (`FairnessRules`,
/// kept as data), the gap between self-assessment and review, corrections by complaint and re-review,
/// and the pressure on each agency's excellent quota. Read from the stored summaries and sheets.
struct FairnessService {
    let store: Store
    let principal: Principal

    var scopes: [String] {
        OrgPath.outermost(principal.scopes(.recordConclusion))
    }

    static func rules(on db: any Database) async throws -> FairnessRules {
        try await RuleSettings.read(FairnessRules.self, key: FairnessRules.key, on: db) ?? .defaults
    }

    struct Unit: Sendable {
        var name: String
        var code: String
        var agency: String
        var summary: ScoreSummary
        var flags: [String]
        var small: Bool
        /// Sheets reviewed after a self-assessment, and those whose review differs from it on some indicator.
        var compared = 0
        var differing = 0
        var byComplaint = 0
        var byReReview = 0
    }

    struct Agency: Sendable {
        var name: String
        var summary: ScoreSummary
        /// People with 90 points or more: those the excellent quota chooses among.
        var candidates: Int { summary.scores.filter { $0.key >= 9_000 }.values.reduce(0, +) }
    }

    /// An evaluator's marks on the rubric indicators in one group (framework and position group).
    struct Evaluator: Sendable {
        var name: String
        var group: String
        var sheets: Int
        var mean: Int
        var othersSheets: Int
        var othersMean: Int?
        var flag: String?
    }

    /// Người đánh giá: the mean rubric points each evaluator gave in the period against the other evaluators'
    /// on people of the same framework and position group (the sheets reviewed, in the viewer's scopes).
    func leniency(period: PeriodCode, rules: FairnessRules) async throws -> [Evaluator] {
        let periodIDs = try await EvaluationPeriod.query(on: store.db).filter(\.$code == period.text).all().compactMap(\.id)
        guard !periodIDs.isEmpty else { return [] }
        let rows = try await store.rows("""
            SELECT e.reviewed_by, e.review_rubric, s.scope_path, s.staff_kind, s.group_code
            FROM evaluations e JOIN evaluation_periods p ON p.id = e.period_id
            JOIN score_inputs s ON s.period = p.code AND s.person_id = e.person_id AND s.agency_path = p.scope_path
            WHERE e.period_id IN (\(binds: periodIDs)) AND e.reviewed_at IS NOT NULL AND \(ScoreGathering.within("e.scope_path", scopes))
            """) { c in
            (by: try c.next(String.self), rubric: try c.next(String.self), path: try c.next(String.self), kind: try c.next(String.self),
             group: try c.next(String.self))
        }
        let frameworks = try await Framework.query(on: store.db).filter(\.$status == "published").all()
        var scorers: [UUID: GeneralScorer] = [:]
        var marks: [String: (label: String, byEvaluator: [String: [Int]])] = [:]
        for r in rows where !r.by.isEmpty {
            guard let f = ScoreService.framework(for: r.kind, group: r.group, at: r.path, period: period.text, among: frameworks),
                  let id = f.id else { continue }
            if scorers[id] == nil { scorers[id] = try? FrameworkService.scorer(f) }
            guard let points = scorers[id]?.rubricPoints(EvaluationFlow.choices(r.rubric)),
                  let h = try? Rational.multiply(points, Rational(100)).rounded(places: 0) else { continue }
            let key = "\(id.uuidString)|\(r.group)"
            marks[key, default: ("\(f.name) — nhóm \(r.group)", [:])].byEvaluator[r.by, default: []]
                .append(Int(clamping: h.numerator / h.denominator))
        }
        func mean(_ xs: [Int]) -> Int { (2 * xs.reduce(0, +) + xs.count) / (2 * xs.count) }
        var out: [Evaluator] = []
        for (_, group) in marks {
            for (name, mine) in group.byEvaluator {
                let others = group.byEvaluator.filter { $0.key != name }.flatMap(\.value)
                let m = mean(mine), o = others.isEmpty ? nil : mean(others)
                let flag = o.flatMap { rules.leniency(mean: m, sheets: mine.count, othersMean: $0, othersSheets: others.count) }
                out.append(Evaluator(name: name, group: group.label, sheets: mine.count, mean: m, othersSheets: others.count,
                                     othersMean: o, flag: flag))
            }
        }
        return out.sorted { ($0.flag == nil ? 1 : 0, $0.group, $0.name) < ($1.flag == nil ? 1 : 0, $1.group, $1.name) }
    }

    func analysis(period: PeriodCode, rules: FairnessRules) async throws -> (units: [Unit], agencies: [Agency], whole: ScoreSummary) {
        let scopes = self.scopes
        guard !scopes.isEmpty else { throw Abort(.forbidden, reason: Principal.refusal) }
        let rows = try await ScoreAggregates.rows(store.db, periods: [period.text], under: scopes)
        var byUnit: [String: (agency: String, summary: ScoreSummary)] = [:]
        var byAgency: [String: ScoreSummary] = [:]
        var whole = ScoreSummary()
        for r in rows {
            byUnit[r.unitPath, default: (r.agencyPath, ScoreSummary())].summary.merge(r.summary)
            byAgency[r.agencyPath, default: ScoreSummary()].merge(r.summary)
            whole.merge(r.summary)
        }
        let paths = Array(Set(byUnit.keys).union(byAgency.keys))
        var names: [String: (String, String)] = [:]
        if !paths.isEmpty {
            for o in try await Organization.query(on: store.db).filter(\.$path ~~ paths).all() { names[o.path] = (o.name, o.code) }
        }
        var units: [String: Unit] = [:]
        for (path, u) in byUnit {
            units[path] = Unit(name: names[path]?.0 ?? path, code: names[path]?.1 ?? "", agency: names[u.agency]?.0 ?? u.agency,
                               summary: u.summary, flags: rules.flags(unit: u.summary, whole: whole), small: rules.isSmall(u.summary))
        }
        let periodIDs = try await EvaluationPeriod.query(on: store.db).filter(\.$code == period.text).all().compactMap(\.id)
        if !periodIDs.isEmpty {
            let within = ScoreGathering.within("e.scope_path", scopes)
            for (path, kind, n) in try await store.rows("""
                SELECT e.scope_path, r.kind, COUNT(*) FROM evaluation_revisions r JOIN evaluations e ON e.period_id = r.period_id
                  AND e.person_id = r.person_id
                WHERE r.period_id IN (\(binds: periodIDs)) AND r.kind IN ('kien-nghi', 'phuc-tra') AND \(within)
                GROUP BY e.scope_path, r.kind
                """, { (try $0.next(String.self), try $0.next(String.self), try $0.next(Int.self)) }) {
                if kind == "kien-nghi" { units[path]?.byComplaint += n } else { units[path]?.byReReview += n }
            }
            for (path, mine, theirs) in try await store.rows("""
                SELECT e.scope_path, e.self_rubric, e.review_rubric FROM evaluations e
                WHERE e.period_id IN (\(binds: periodIDs)) AND e.self_at IS NOT NULL AND e.reviewed_at IS NOT NULL AND \(within)
                """, { (try $0.next(String.self), try $0.next(String.self), try $0.next(String.self)) }) {
                units[path]?.compared += 1
                if EvaluationFlow.choices(mine) != EvaluationFlow.choices(theirs) { units[path]?.differing += 1 }
            }
        }
        let sortedUnits = units.values.sorted {
            ($0.flags.isEmpty ? 1 : 0, $0.agency, $0.name) < ($1.flags.isEmpty ? 1 : 0, $1.agency, $1.name)
        }
        let agencies = byAgency.map { Agency(name: names[$0.key]?.0 ?? $0.key, summary: $0.value) }.sorted { $0.name < $1.name }
        return (sortedUnits, agencies, whole)
    }
}

enum FairnessController {
    static let path = "/bao-cao/cong-bang"
    static let notEditable = "Tiêu chí phân tích do cơ quan tham mưu cấp tỉnh thay đổi."

    static func register(_ r: any RoutesBuilder) {
        r.get("bao-cao", "cong-bang", use: page).reads(.format, .notice, .text("ky", max: 10, "Kỳ"),
                                                         .flag("co_co", "Chỉ đơn vị có cờ"))
        r.get("bao-cao", "cong-bang", "quy-tac", use: rulesForm)
        r.post("bao-cao", "cong-bang", "quy-tac", use: saveRules)
    }

    static func service(_ req: Request, store: Store? = nil) throws -> FairnessService {
        let svc = FairnessService(store: store ?? req.store, principal: try req.requirePrincipal())
        guard !svc.scopes.isEmpty else {
            throw Abort(.forbidden, reason: "Phân tích công bằng dành cho cơ quan tham mưu và kiểm tra, giám sát.")
        }
        return svc
    }

    static let header = ["Đơn vị", "Cơ quan", "Số người có điểm", "Trung vị", "Xuất sắc", "Tốt", "Hoàn thành NV",
                         "Không hoàn thành",
                         "Đánh giá khác tự đánh giá", "Sửa do kiến nghị", "Sửa do phúc tra", "Ghi nhận"]

    static func cells(_ u: FairnessService.Unit, rules: FairnessRules) -> [String] {
        let s = u.summary
        let note = u.small ? "Nhóm dưới \(rules.minGroup) người có điểm: không gắn cờ."
            : u.flags.joined(separator: " ")
        return [u.name, u.agency, VNNumber.format(s.scored), ResultController.score(s.median), VNNumber.format(s.count(.excellent)),
                VNNumber.format(s.count(.good)), VNNumber.format(s.count(.pass)), VNNumber.format(s.count(.fail)),
                "\(VNNumber.format(u.differing))/\(VNNumber.format(u.compared)) phiếu", VNNumber.format(u.byComplaint),
                VNNumber.format(u.byReReview), note]
    }

    @Sendable static func page(_ req: Request) async throws -> Response {
        _ = try service(req)
        // Stored figures only: read from the replica when there is one (`KPI_READ_DATABASE_URL`).
        return try await req.reading { store, source in try await page(req, try service(req, store: store), source: source) }
    }

    static func page(_ req: Request, _ svc: FairnessService, source: ReadSource) async throws -> Response {
        let rules = try await FairnessService.rules(on: svc.store.db)
        let crumbs = [("Tổng quan", "/"), ("Báo cáo", "/bao-cao")]
        let available = try await ScoreAggregates.periods(svc.store.db, under: svc.scopes)
        guard let period = PeriodCode(req.input.text("ky")) ?? available.first else {
            return req.page(Page(title: "Phân tích công bằng", breadcrumbs: crumbs, body: """
                <p class="empty">Chưa có kỳ nào được tính điểm trong phạm vi của bạn.</p>
                """))
        }
        let result = try await svc.analysis(period: period, rules: rules)
        let evaluators = try await svc.leniency(period: period, rules: rules)
        let onlyFlagged = req.input.flag("co_co")
        let units = onlyFlagged ? result.units.filter { !$0.flags.isEmpty } : result.units
        if !req.input.text("dinh_dang").isEmpty {
            return try Download.table([header] + units.map { cells($0, rules: rules) }, name: "phan-tich-cong-bang-\(period.text)",
                                      format: req.input.text("dinh_dang"), at: req.now)
        }
        let flagged = result.units.filter { !$0.flags.isEmpty }.count
        let allGoodText = rules.flagAllGood ? "; mọi người có xếp loại đều từ «hoàn thành tốt» trở lên" : ""
        let rows = units.map { u in
            let c = cells(u, rules: rules)
            var tds: [HTML] = []
            for i in 1..<c.count {
                let num = HTML.when(i >= 2 && i <= 10, " class=\"num\"")
                tds.append(HTML("<td data-label=\"\(header[i])\"\(num)>\(c[i])</td>"))
            }
            return HTML("<tr\(HTML.when(!u.flags.isEmpty, " class=\"flagged\""))><th scope=\"row\">\(c[0])</th>\(tds)</tr>")
        }
        let agencyRows = result.agencies.map { a in
            HTML("""
                <tr><th scope="row">\(a.name)</th>\
                <td data-label="Số người có điểm" class="num">\(VNNumber.format(a.summary.scored))</td>\
                <td data-label="Đạt từ 90 điểm" class="num">\(VNNumber.format(a.candidates))</td>\
                <td data-label="Được xếp xuất sắc" class="num">\(VNNumber.format(a.summary.count(.excellent)))</td>\
                <td data-label="Tỷ lệ xuất sắc" class="num">\
                \(Charts.share(a.summary.count(.excellent), of: a.summary.people))</td></tr>
                """)
        }
        let options = FormField.options(available.prefix(60).map { ($0.text, $0.label) })
        let query = "ky=\(period.text)\(onlyFlagged ? "&co_co=1" : "")"
        return req.page(Page(title: "Phân tích công bằng", breadcrumbs: crumbs, body: """
            \(HTML.when(req.input.text("tb") == "luu", HTML("<p class=\"flash\">Đã lưu tiêu chí phân tích.</p>")))\(source.notice)
            <p>Những con số để bắt đầu trao đổi, không phải kết luận: mỗi ghi nhận nói rõ đã đo \
            gì và trên bao nhiêu người; nhóm dưới \(rules.minGroup) người có điểm không gắn cờ. Tiêu chí: \
            trung vị của đơn vị cao hơn \
            trung vị chung quá \(rules.medianGapPoints) điểm\(allGoodText)\
            \(HTML.when(RuleSettings.mayEdit(svc.principal), HTML(" (<a href=\"\(path)/quy-tac\">sửa tiêu chí</a>)"))).</p>
            <form method="get" class="filters">\(FormField("ky", "Kỳ", value: period.text, .select(options)).html)
            <label class="check"><input type="checkbox" name="co_co" value="1"\(HTML.when(onlyFlagged, " checked"))> Chỉ đơn vị có \
            ghi nhận</label>
            <div class="actions"><button>Xem</button> <a href="\(path)?\(query)&dinh_dang=xlsx">Xuất Excel</a> \
            <a href="\(path)?\(query)&dinh_dang=csv">Xuất CSV</a></div></form>
            <p>\(period.label): \(VNNumber.format(result.whole.scored)) người có điểm, trung vị chung \
            \(ResultController.score(result.whole.median)); \(VNNumber.format(flagged)) đơn vị có ghi nhận.</p>
            \(units.isEmpty ? HTML("<p class=\"empty\">Không có đơn vị nào khớp.</p>") : HTML("""
            <div class="table-wrap"><table class="list"><caption>Kết quả theo đơn vị, \(period.label.lowercased())</caption>\
            <thead><tr>\
            \(header.map { HTML("<th scope=\"col\">\($0)</th>") })</tr></thead><tbody>\(rows)</tbody></table></div>
            """))
            <h2>Mức chấm của người đánh giá</h2>
            \(evaluatorTable(evaluators, rules: rules))
            <h2>Áp lực hạn mức xuất sắc</h2>
            <p>Số người đạt từ 90 điểm (ngưỡng xuất sắc của bộ chỉ số chung) so với số người \
            được xếp xuất sắc sau \
            khi áp dụng \
            hạn mức của cơ quan.</p>
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Cơ quan</th><th scope="col" \
            class="num">Số người có điểm</th><th scope="col" class="num">Đạt từ 90 điểm</th><th scope="col" \
            class="num">Được xếp xuất sắc</th><th scope="col" class="num">Tỷ lệ xuất sắc</th></tr></thead>\
            <tbody>\(agencyRows)</tbody></table></div>
            """))
    }

    static func evaluatorTable(_ list: [FairnessService.Evaluator], rules: FairnessRules) -> HTML {
        guard !list.isEmpty else { return HTML("<p class=\"empty\">Chưa có phiếu nào được đánh giá trong kỳ này.</p>") }
        let rows = list.map { e in
            let note = e.flag ?? (e.sheets < rules.minGroup || e.othersSheets < rules.minGroup
                ? "Dưới \(rules.minGroup) phiếu mỗi bên: không gắn cờ." : "")
            return HTML("""
                <tr\(HTML.when(e.flag != nil, " class=\"flagged\""))><th scope="row">\(e.name)</th>\
                <td data-label="Nhóm">\(e.group)</td><td data-label="Số phiếu" class="num">\(VNNumber.format(e.sheets))</td>\
                <td data-label="Điểm chấm bình quân" class="num">\(ResultController.score(e.mean))</td>\
                <td data-label="Người khác: số phiếu" class="num">\(VNNumber.format(e.othersSheets))</td>\
                <td data-label="Người khác: bình quân" class="num">\(ResultController.score(e.othersMean))</td>\
                <td data-label="Ghi nhận">\(note)</td></tr>
                """)
        }
        return HTML("""
            <p>Tổng điểm các chỉ tiêu do người đánh giá chọn mức (theo thang của bộ chỉ số), \
            bình quân trên mỗi phiếu, so với những người đánh giá khác trên cán bộ cùng bộ chỉ số \
            và cùng nhóm vị trí việc làm; ghi nhận khi cao hơn \
            quá \(rules.leniencyGapPoints) điểm.</p>
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Người đánh giá</th><th scope="col">Nhóm</th>\
            <th scope="col" class="num">Số phiếu</th><th scope="col" class="num">Điểm chấm bình quân</th>\
            <th scope="col" class="num">Người khác: số phiếu</th><th scope="col" class="num">Người khác: bình quân</th>\
            <th scope="col">Ghi nhận</th></tr></thead><tbody>\(rows)</tbody></table></div>
            """)
    }

    static func formPage(_ req: Request, group: String, gap: String, allGood: Bool, lenient: String, problems: [TaskProblem]) -> Page {
        Page(title: "Tiêu chí phân tích công bằng", breadcrumbs: [("Tổng quan", "/"), ("Phân tích công bằng", path)],
             body: """
            \(Widgets.problems(problems.map(\.message)))
            <form method="post" action="\(path)/quy-tac" class="record-form">\(req.csrfField)
            \(FormField("nhom_toi_thieu", "Số người có điểm tối thiểu để gắn cờ", value: group, maxLength: 3,
                        inputMode: .numeric).html)
            \(FormField("chenh_trung_vi", "Mức chênh trung vị so với trung vị chung (điểm)", value: gap, maxLength: 2,
                        inputMode: .numeric).html)
            \(FormField("chenh_cham_diem", "Mức chênh điểm chấm của người đánh giá so với người khác (điểm)",
                        value: lenient, maxLength: 2, inputMode: .numeric).html)
            <label class="check"><input type="checkbox" name="moi_nguoi_tot" value="1"\(HTML.when(allGood, " checked"))> Gắn cờ \
            đơn vị mà mọi người có xếp loại đều từ «hoàn thành tốt» trở lên</label>
            <div class="actions"><button class="primary">Lưu tiêu chí</button> <a href="\(path)">Hủy bỏ</a></div></form>
            <p class="hint">Mỗi lần lưu được ghi nhật ký.</p>
            """)
    }

    @Sendable static func rulesForm(_ req: Request) async throws -> Response {
        guard RuleSettings.mayEdit(try req.requirePrincipal()) else { throw Abort(.forbidden, reason: notEditable) }
        let r = try await FairnessService.rules(on: req.db)
        return req.page(formPage(req, group: String(r.minGroup), gap: String(r.medianGapPoints), allGood: r.flagAllGood,
                                 lenient: String(r.leniencyGapPoints), problems: []))
    }

    @Sendable static func saveRules(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        guard RuleSettings.mayEdit(p) else { throw Abort(.forbidden, reason: notEditable) }
        let v = try req.content.decode([String: String].self)
        let (group, gap, allGood) = (v["nhom_toi_thieu"] ?? "", v["chenh_trung_vi"] ?? "", v["moi_nguoi_tot"] == "1")
        let lenient = v["chenh_cham_diem"] ?? ""
        switch FairnessRules.check(minGroup: group, medianGap: gap, allGood: allGood, leniencyGap: lenient) {
        case let .success(rules):
            try await RuleSettings.write(rules, key: FairnessRules.key, store: req.store, actor: req.actor)
            return req.redirect(to: "\(path)?tb=luu")
        case let .failure(problems):
            return req.page(formPage(req, group: group, gap: gap, allGood: allGood, lenient: lenient, problems: problems.list),
                            status: .unprocessableEntity)
        }
    }
}
