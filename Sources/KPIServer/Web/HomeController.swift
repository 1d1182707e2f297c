import Fluent
import KPICore
import Vapor

/// Tổng quan (issue 19, item 1): one page, a block for each part the user plays — their own work and
/// provisional score, the units they lead, the agencies they oversee, the accounts they administer —
/// each from stored data (`Overview`).
enum HomeController {
    @Sendable static func home(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        let overview = Overview(store: req.store, principal: p, settings: req.application.settings)
        let agencies = try await overview.agencies()
        if !req.input.text("dinh_dang").isEmpty {
            return try Download.table(agencyTable(agencies.lines), name: "tong-quan-co-quan-\(agencies.period?.text ?? "")",
                                      format: req.input.text("dinh_dang"), at: req.now)
        }
        let roles = Set(p.grants.map(\.role)).map(\.label).sorted().joined(separator: ", ")
        var blocks: [HTML] = []
        if p.personID != nil { blocks.append(try await staffBlock(overview)) }
        let steps = try await overview.steps()
        if !steps.isEmpty { blocks.append(stepsBlock(steps)) }
        for unit in try await overview.units() { blocks.append(try await unitBlock(unit, req)) }
        if try await !overview.overseen().isEmpty {
            // The agency table drawn once for everyone with the same figures (its medians and shares were a
            // quarter of the page's time under load, bench/reports).
            let table = try await req.store.changes.cached("bang|" + agencies.key, now: req.now, maxAge: 60, serveStale: true) {
                agencySection(agencies)
            }
            blocks.append(overseerBlock(table, hotSpots: try await overview.hotSpots(), progress: try await overview.progress()))
        }
        if let admin = try await overview.admin() { blocks.append(adminBlock(admin)) }
        return req.page(Page(title: "Tổng quan", body: """
            <p>Xin chào <strong>\(p.displayName)</strong>. Vai trò: \(roles.isEmpty ? "chưa được phân quyền" : roles).</p>
            \(blocks)
            """))
    }

    static func card(_ figure: String, _ label: String, href: String? = nil, tone: String = "") -> HTML {
        let inner = HTML("<strong>\(figure)</strong><span>\(label)</span>")
        let cls = tone.isEmpty ? "card" : "card \(tone)"
        return href.map { HTML("<a class=\"\(cls)\" href=\"\($0)\">\(inner)</a>") } ?? HTML("<div class=\"\(cls)\">\(inner)</div>")
    }

    static func score(_ h: Int?, _ level: Level?) -> String {
        h.map { ScoringEngine.vn(hundredths: $0) + (level.map { " — " + $0.label } ?? "") } ?? "Chưa có điểm"
    }

    // MARK: Staff

    static func staffBlock(_ o: Overview) async throws -> HTML {
        let work = try await o.myWork()
        let today = o.today
        let soonRows = work.dueSoon.map { r in
            HTML("""
                <tr><td data-label="Mã"><a href="/viec/\(r.task.id.uuidString)">\(r.task.code)</a></td>\
                <td data-label="Nhiệm vụ">\(r.task.title)</td>\
                <td data-label="Hạn">\(DateOnly(parsing: r.task.due)?.display ?? r.task.due)\
                \(HTML.when(r.warning != nil, HTML(" <span class=\"badge warn\">\(r.warning?.label ?? "")</span>")))</td></tr>
                """)
        }
        let none = HTML("<p class=\"empty\">Không có việc nào đến hạn trong 7 ngày tới.</p>")
        let soonTable = work.dueSoon.isEmpty ? none : HTML("""
            <div class="table-wrap"><table class="list"><caption>Việc đến hạn trong 7 ngày tới và quá hạn \
            (\(VNNumber.format(work.dueSoonTotal)) việc)</caption><thead><tr><th scope="col">Mã</th><th scope="col">Nhiệm vụ</th>\
            <th scope="col">Hạn</th></tr></thead><tbody>\(soonRows)</tbody></table></div>
            """)
        var html: HTML = """
            <section class="home-block" aria-labelledby="viec-cua-toi"><h2 id="viec-cua-toi">Việc của tôi</h2>
            <div class="cards">\(card(VNNumber.format(work.overdue), "việc quá hạn", href: "/viec?xem=cua-toi&trang_thai=qua-han",
                                      tone: work.overdue > 0 ? "alert" : ""))\
            \(card(VNNumber.format(work.dueSoonTotal), "việc đến hạn trong 7 ngày (kể cả quá hạn)",
                   href: "/viec?xem=cua-toi&han_den=\(today.adding(days: 7).iso)"))</div>
            \(soonTable)
            """
        if let s = try await o.myScore() { html = html + scoreBlock(s, today: today) }
        let trend = try await o.myTrend()
        if trend.count >= 2 {
            html = html + Charts.trend(id: "xu-huong-cua-toi", title: "Điểm của tôi các kỳ gần đây",
                                       trend.map { Charts.Point(label: $0.period.label, tick: HistoryController.tick($0.period),
                                                                hundredths: $0.hundredths) })
        }
        if let code = try await o.myCode() {
            html = html + HTML("<p><a href=\"\(HistoryController.path(code))\">Lịch sử kết quả của tôi</a></p>")
        }
        return html + HTML("</section>")
    }

    static func scoreBlock(_ s: Overview.MyScore, today: DateOnly) -> HTML {
        let when = s.computedAt.map { " Tính lúc \(DateFormatting.dateTime($0))." } ?? ""
        guard !s.onLeave else {
            return HTML("""
                <h3>Điểm tạm tính \(s.period.label.lowercased())</h3><p>Cả kỳ là thời gian nghỉ theo chế độ: kỳ này \
                không tính \
                điểm.</p>
                """)
        }
        let now = s.projection?.asItStands
        let ifOnTime = s.projection?.ifOnTime
        let pendingCount = s.pending.count
        let nowScore = now?.yearHundredths ?? s.stored.hundredths
        var cards = card(score(nowScore, now?.level ?? s.stored.level),
                         nowScore == nil ? "điểm hiện tại (chưa có nhiệm vụ đến hạn trong kỳ)" : "điểm hiện tại",
                         tone: "score")
        if pendingCount > 0, let ifOnTime {
            cards = cards + card(score(ifOnTime.yearHundredths, ifOnTime.level),
                                 "nếu hoàn thành đúng hạn \(pendingCount) việc chưa đến hạn", tone: "score good")
        }
        let lifts = (s.projection?.lifts ?? []).compactMap { l -> HTML? in
            guard s.tasks.indices.contains(l.index) else { return nil }
            let t = s.tasks[l.index]
            return HTML("""
                <li><a href="/viec/\(t.id.uuidString)">\(t.code)</a> \(t.task.title) — hạn \(t.due?.display ?? ""): \
                <strong>+\(ScoringEngine.vn(hundredths: l.gain))</strong> điểm nếu hoàn thành đúng hạn</li>
                """)
        }
        let pendingNote = pendingCount > 0 ? """
            \(VNNumber.format(pendingCount)) việc của kỳ chưa đến hạn đang được tính là chưa hoàn thành: \
            điểm hiện tại \
            thấp hơn điểm bạn sẽ đạt nếu hoàn thành chúng đúng hạn.
            """ : ""
        return HTML("""
            <h3>Điểm tạm tính \(s.period.label.lowercased()) (\(s.agencyName))</h3>
            <div class="cards">\(cards)</div>
            <p class="hint">\(pendingNote) Điểm tạm tính từ dữ liệu đã ghi nhận, chưa áp dụng hạn mức \
            xuất sắc; kết quả chính thức sau khi đánh giá và phê duyệt.\(when)</p>
            \(HTML.when(!lifts.isEmpty, HTML("<p>Việc nâng điểm nhiều nhất:</p><ul class=\"lifts\">\(lifts)</ul>")))
            """)
    }

    static func stepsBlock(_ steps: [Overview.Step]) -> HTML {
        let items = steps.map { s in
            let due = HTML.when(!s.due.isEmpty, HTML(" — hạn \(DateOnly(parsing: s.due)?.display ?? s.due)"))
            return HTML("<li><a href=\"\(s.link)\">\(s.text)</a>\(due)</li>")
        }
        return HTML("""
            <section class="home-block" aria-labelledby="cho-toi"><h2 id="cho-toi">Việc đánh giá chờ tôi</h2>\
            <ul>\(items)</ul></section>
            """)
    }

    // MARK: Leaders

    static func unitBlock(_ u: Overview.UnitView, _ req: Request) async throws -> HTML {
        let s = u.summary
        var html: HTML = """
            <section class="home-block" aria-labelledby="don-vi-\(u.code)"><h2 \
            id="don-vi-\(u.code)">Đơn vị: \(u.name)</h2>
            <div class="cards">\(card(VNNumber.format(u.overdue), "việc quá hạn", tone: u.overdue > 0 ? "alert" : ""))\
            \(card(VNNumber.format(u.awaitingAcceptance), "việc chờ nghiệm thu", href: "/viec?xem=cho-xu-ly"))</div>
            """
        if let period = u.period, s.people > 0 {
            let excellentShare = Charts.share(s.count(.excellent), of: s.people)
            let quotaText = u.quota.flatMap { q in DecimalText.parse(q.rate).map { r in
                " — hạn mức xuất sắc \(VNNumber.format(r.doubleValue * 100, decimals: 0))% theo «\(q.framework)»"
            } } ?? ""
            html = html + HTML("""
                <h3>Xếp loại tạm tính \(period.label.lowercased()): \(VNNumber.format(s.people)) người, \
                \(VNNumber.format(s.levels.values.reduce(0, +))) người đã có xếp loại</h3>
                \(Charts.bars(id: "xep-loai-\(u.code)", title: "Xếp loại tạm tính \(period.label.lowercased()) — \(u.name)",
                              unit: "Số người", Charts.levels(Level.allCases.map { ($0, s.count($0)) })))
                <p>Xuất sắc: \(VNNumber.format(s.count(.excellent))) người (\(excellentShare) số người có kết quả)\
                \(quotaText); hạn mức \
                xuất sắc áp dụng trên toàn cơ quan khi phê duyệt. Điểm trung bình \(score(s.meanHundredths, nil)), \
                trung vị \(score(s.median, nil)).</p>
                """)
            if !u.atRisk.isEmpty {
                let items = u.atRisk.prefix(10).map { r in
                    HTML("<li><a href=\"/ket-qua/\(period.text)/\(r.code)\">\(r.name)</a> (\(r.code)): \(score(r.hundredths, nil))</li>")
                }
                html = html + HTML("""
                    <h3>Có nguy cơ «không hoàn thành nhiệm vụ» (\(VNNumber.format(u.atRisk.count)) người)</h3>\
                    <p class="note">Xếp loại tạm tính «không hoàn thành» và có việc của kỳ đã quá hạn, \
                    hoặc không còn việc nào chưa đến hạn để nâng điểm.</p>
                    <ul>\(items)</ul>
                    """)
            }
        } else {
            html = html + HTML("<p class=\"empty\">Chưa có kỳ đánh giá đang mở cho đơn vị này.</p>")
        }
        return html + HTML("</section>")
    }

    // MARK: Overseers

    static let agencyHeader = ["Cơ quan", "Số người", "Có nhiệm vụ", "Nhiệm vụ", "Hoàn thành", "Đúng hạn",
                               "Điểm trung bình",
                               "Trung vị", "Xuất sắc", "Tốt", "Hoàn thành NV", "Không hoàn thành"]

    static func percent(_ tenths: Int?) -> String { tenths.map { VNNumber.format(scaled: $0, decimals: 1) + "%" } ?? "—" }

    /// A summary's figures as the home page's agency table and the reports print them: people,
    /// participation, tasks, completed and on time; then the mean, the median and each level's count.
    static func figures(_ s: ScoreSummary) -> (work: [String], scores: [String]) {
        ([VNNumber.format(s.people), percent(s.participationTenths), VNNumber.format(s.work.tasks), percent(s.completionTenths),
          percent(s.onTimeTenths)],
         [ResultController.score(s.meanHundredths), ResultController.score(s.median)]
            + [Level.excellent, .good, .pass, .fail].map { VNNumber.format(s.count($0)) })
    }

    static func agencyRow(_ name: String, _ s: ScoreSummary) -> [String] {
        let f = figures(s)
        return [name] + f.work + f.scores
    }

    static func agencyTable(_ lines: [Overview.AgencyLine]) -> [[String]] {
        var total = ScoreSummary()
        for l in lines { total.merge(l.summary) }
        return [agencyHeader] + lines.map { agencyRow($0.name, $0.summary) } + (lines.count > 1 ? [agencyRow("Tổng", total)] : [])
    }

    /// The agencies' figures of the month: a sentence for the whole, the table, its exports.
    static func agencySection(_ agencies: Overview.Agencies) -> HTML {
        guard let period = agencies.period, !agencies.lines.isEmpty else {
            return HTML("<p class=\"empty\">Chưa có kỳ đánh giá nào được tính điểm trong phạm vi.</p>")
        }
        let table = agencyTable(agencies.lines)
        let head = table[0].map { HTML("<th scope=\"col\">\($0)</th>") }
        var body: [HTML] = []
        for row in table.dropFirst() {
            var cells: [HTML] = [HTML("<th scope=\"row\">\(row[0])</th>")]
            for i in 1..<row.count { cells.append(HTML("<td data-label=\"\(table[0][i])\" class=\"num\">\(row[i])</td>")) }
            body.append(HTML("<tr>\(cells)</tr>"))
        }
        var total = ScoreSummary()
        for l in agencies.lines { total.merge(l.summary) }
        return HTML("""
            <p>\(period.label): tỷ lệ tham gia \(percent(total.participationTenths)); hoàn thành \
            \(percent(total.completionTenths)); đúng hạn \(percent(total.onTimeTenths)). Số liệu từ điểm đã \
            lưu của kỳ \
            (đã phê duyệt, hoặc tạm tính nếu kỳ chưa phê duyệt).</p>
            <div class="table-wrap"><table class="list"><caption>Kết quả \(period.label.lowercased()) theo cơ quan</caption>\
            <thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table></div>
            <p class="actions"><a href="/?dinh_dang=xlsx">Xuất Excel</a> <a href="/?dinh_dang=csv">Xuất CSV</a></p>
            """)
    }

    static func overseerBlock(_ agencies: HTML, hotSpots: [(name: String, code: String, overdue: Int)],
                              progress: [Overview.Progress]) -> HTML {
        var html: HTML = "<section class=\"home-block\" aria-labelledby=\"co-quan\"><h2 id=\"co-quan\">Các cơ quan trong phạm vi</h2>"
        html = html + agencies
        if !hotSpots.isEmpty {
            let items = hotSpots.map {
                HTML("<li>\($0.name) (\($0.code)): <strong>\(VNNumber.format($0.overdue))</strong> việc quá hạn</li>")
            }
            html = html + HTML("<h3>Nơi có nhiều việc quá hạn nhất <small>(số liệu cập nhật mỗi phút)</small></h3>")
                + HTML("<ol>\(items)</ol>")
        }
        if !progress.isEmpty {
            let rows = progress.map { p in
                HTML("""
                    <tr><td data-label="Kỳ"><a href="/ky-danh-gia/\(p.id.uuidString)">\(p.code.label)</a></td>\
                    <td data-label="Cơ quan">\(p.agency)</td><td data-label="Bước">\(p.state.label)</td>\
                    <td data-label="Phiếu" class="num">\(VNNumber.format(p.sheets))</td>\
                    <td data-label="Đã tự đánh giá" class="num">\(VNNumber.format(p.selfDone))</td>\
                    <td data-label="Đã đánh giá" class="num">\(VNNumber.format(p.reviewed))</td></tr>
                    """)
            }
            html = html + HTML("""
                <div class="table-wrap"><table class="list"><caption>Tiến độ các kỳ đánh giá chưa chốt</caption><thead><tr>\
                <th scope="col">Kỳ</th><th scope="col">Cơ quan</th><th scope="col">Bước</th><th scope="col" class="num">Phiếu</th>\
                <th scope="col" class="num">Đã tự đánh giá</th><th scope="col" class="num">Đã đánh giá</th></tr></thead>\
                <tbody>\(rows)</tbody></table></div>
                """)
        }
        return html + HTML("</section>")
    }

    // MARK: Administrators

    static func adminBlock(_ a: Overview.Admin) -> HTML {
        let jobs = a.jobs.map { j in
            let until = j.until.map { "(đến \(DateFormatting.dateTime($0)))" } ?? ""
            return HTML("<li>\(j.name): \(j.holder.isEmpty ? "rảnh" : "đang chạy") \(until)</li>")
        }
        let imports = a.imports.map { i in HTML("<li>\(DateFormatting.dateTime(i.at)) — \(i.who): \(i.what)</li>") }
        return HTML("""
            <section class="home-block" aria-labelledby="quan-tri"><h2 id="quan-tri">Quản trị</h2>
            <div class="cards">\(card(VNNumber.format(a.lockedOut), "tài khoản đang bị tạm khóa", href: "/tai-khoan",
                                      tone: a.lockedOut > 0 ? "alert" : ""))\
            \(card(VNNumber.format(a.neverSignedIn), "tài khoản chưa đăng nhập lần nào", href: "/tai-khoan"))\
            \(card(VNNumber.format(a.idle), "tài khoản không đăng nhập quá \(a.idleDays) ngày", href: "/tai-khoan"))\
            <a class="card" href="/nhap-du-lieu"><strong>Nhập dữ liệu</strong><span>từ tệp CSV hoặc Excel</span></a>\
            <a class="card" href="/nhat-ky"><strong>Nhật ký hệ thống</strong><span>mọi thao tác, có kiểm tra toàn \
            vẹn</span></a></div>
            \(HTML.when(!imports.isEmpty, HTML("<h3>Lần nhập dữ liệu gần đây</h3><ul>\(imports)</ul>")))
            \(HTML.when(!jobs.isEmpty, HTML("<h3>Tác vụ nền</h3><ul>\(jobs)</ul>")))
            </section>
            """)
    }
}
