import Foundation
import Fluent
import KPICore
import Vapor

/// Printed documents, laid out as Vietnamese official forms (the heading of the body and the
/// national emblem line — "ĐẢNG CỘNG SẢN VIỆT NAM" for Party bodies —, the place and date line,
/// signature blocks): the individual evaluation form (phiếu đánh giá, xếp loại) and the agency's
/// ranking list (danh sách xếp loại) for signature, with its Excel export. The print stylesheet
/// sets A4 and Times New Roman; the browser's "Print" saves a PDF.
enum EvaluationPrint {
    static func register(_ r: any RoutesBuilder) {
        r.get("ky-danh-gia", ":id", "phieu", ":person", "in", use: sheet)
        r.get("ky-danh-gia", ":id", "danh-sach", use: list).reads(.format)
    }

    /// The heading: the agency on the left; the national motto (or the Party's name) on the right;
    /// the place and date line under it.
    static func heading(_ agency: Organization?, place: String, date: DateOnly) -> HTML {
        let party = agency?.block == "dang"
        return HTML("""
            <table class="doc-head"><tr>
            <td><strong>\((agency?.name ?? "").uppercased())</strong><div class="rule"></div></td>
            <td>\(party ? HTML("<strong>ĐẢNG CỘNG SẢN VIỆT NAM</strong><div class=\"rule\"></div>")
                : HTML("""
                    <strong>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</strong><br><strong class=\"motto\">Độc lập - Tự do - \
                    Hạnh \
                    phúc</strong><div class=\"rule\"></div>
                    """))
            <p class="date-line">\(place), ngày \(String(format: "%02d", date.day)) tháng \(String(format: "%02d", date.month)) \
            năm \(date.year)</p></td>
            </tr></table>
            """)
    }

    static func signatures(_ blocks: [(String, String)]) -> HTML {
        HTML("""
            <table class="signatures">\
            <tr>\(blocks.map { title, name in HTML("""
                <td><strong>\(title)</strong><br><em>(Ký, ghi rõ họ tên)</em><div class=\"sign-space\"></div><strong>\(name)</strong>\
                </td>
                """) })</tr></table>
            """)
    }

    static func document(_ req: Request, title: String, back: String, body: HTML) async throws -> Response {
        let html: HTML = """
            <!doctype html>
            <html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · KPI Công vụ</title><link rel="stylesheet" href="/app.css"></head>
            <body class="official-doc">
            <nav class="doc-tools"><a href="\(back)">← Quay lại</a> <button type="button" data-print>In / lưu PDF</button></nav>
            <article class="doc">\(body)</article>
            <script src="/app.js" defer></script>
            </body></html>
            """
        return try await html.encodeResponse(for: req)
    }

    @Sendable static func sheet(_ req: Request) async throws -> Response {
        let f = try EvaluationPeriodPage.flow(req)
        let (p, e) = try await f.sheet(try EvaluationPeriodPage.id(req), personCode: req.parameters.get("person") ?? "")
        let row = try await ScoreService(store: req.store, principal: f.principal).explain(period: p.code, personCode: e.personCode)
        let agency = try await Organization.find(p.organizationID, on: req.db)
        let person = try await Person.find(e.personID, on: req.db)
        var position: Position?
        if let id = person?.positionID { position = try await Position.find(id, on: req.db) }
        let label = PeriodCode(p.code)?.label ?? p.code
        let definition = FrameworkService.decode(row.framework)
        var parts: [HTML] = []
        if let year = row.input.year {
            parts = year.periods.enumerated().map { i, y in
                HTML("""
                    <tr><td class=\"num\">\(i + 1)</td><td>\(ResultController.periodText(y.code)) (\(y.agency))</td><td \
                    class=\"num\">—</td><td class=\"num\">\(ResultController.score(y.hundredths))</td></tr>
                    """)
            }
        } else if let rules = try? FrameworkService.rules(row.framework),
        let input = try? row.input.periodInput(definition: definition),
                  let period = row.result.periods.first {
            func n(_ r: Rational?) -> String { r.map(ScoringEngine.vn) ?? "—" }
            func clamp(_ v: Rational?, _ m: Rational) -> Rational { min(max(v ?? m, .zero), m) }
            let lines: [(String, Rational, Rational?)] = [
                ("Kết quả thực hiện nhiệm vụ", rules.taskPoints, period.taskScore),
                ("Mức độ hài lòng của người dân, tổ chức, doanh nghiệp", rules.satisfactionMax,
                 clamp(input.general.satisfaction,
                    rules.satisfactionMax)),
                ("Tinh thần, thái độ phối hợp", rules.coordinationMax, clamp(input.general.coordination, rules.coordinationMax)),
                ("Ý thức chấp hành kỷ luật, kỷ cương hành chính; phẩm chất", rules.disciplineMax,
                 clamp(input.general.discipline,
                    rules.disciplineMax)),
            ]
            parts = lines.enumerated().map { i, l in
                HTML("""
                    <tr><td class=\"num\">\(i + 1)</td><td>\(l.0)</td><td class=\"num\">\(n(l.1))</td><td \
                    class=\"num\">\(n(l.2))</td></tr>
                    """)
            }
        }
        let level = (Level(rawValue: e.level) ?? row.level)?.label ?? "Chưa xếp loại"
        let score = ResultController.score(e.level.isEmpty ? row.hundredths : e.hundredths)
        let body = HTML("""
            \(heading(agency, place: req.application.settings.placeName, date: req.today))
            <h1 class="doc-title">PHIẾU ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG<br>CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC</h1>
            <p class="doc-sub">\(label)\
            \(e.level.isEmpty ? " (chưa phê duyệt, tạm tính)" : e.revision > 1 ? " (phiên bản \(e.revision))" : "")</p>
            <p>Họ và tên: <strong>\(row.input.personName)</strong> &nbsp; Mã: \(row.input.personCode)</p>
            <p>Chức vụ, vị trí việc làm: \(position?.name ?? "") &nbsp; Đơn vị: \(row.input.unitName)</p>
            <p><strong>I. KẾT QUẢ CHẤM ĐIỂM</strong> (theo \(row.framework.name), phiên bản \(row.framework.version))</p>
            <table class="doc-table"><thead><tr><th>TT</th><th>\(row.input.year == nil ? "Nhóm tiêu chí" : "Kỳ đánh giá")</th>\
            <th>Điểm tối \
            đa</th><th>Điểm đạt</th></tr></thead>
            <tbody>\(parts)<tr><td></td><td><strong>Tổng điểm</strong></td><td \
            class="num">\(row.input.year == nil ? "100,00" : "—")</td>\
            <td class="num"><strong>\(score)</strong></td></tr></tbody></table>
            <p><strong>II. TỰ NHẬN XÉT</strong></p><p class="doc-text">\(e.selfComment.isEmpty ? "(Không có)" : e.selfComment)</p>
            <p><strong>III. NHẬN XÉT CỦA NGƯỜI ĐÁNH GIÁ</strong></p><p \
            class="doc-text">\(e.reviewComment.isEmpty ? "(Không có)" : e.reviewComment)</p>
            \(row.input.leave.map { $0.wholePeriod && e.level.isEmpty } == true ? HTML("""
                <p><strong>IV. XẾP LOẠI:</strong> KHÔNG ĐÁNH GIÁ (nghỉ theo chế độ cả kỳ)</p><p \
                class=\"doc-text\">\(row.input.leave!.text)</p>
                """)
                : HTML("<p><strong>IV. XẾP LOẠI:</strong> \(level.uppercased()) — \(score) điểm</p>"))
            <ul>\(row.reasons.map { HTML("<li>\($0)</li>") })</ul>
            \(signatures([("NGƯỜI TỰ ĐÁNH GIÁ", row.input.personName), ("NGƯỜI ĐÁNH GIÁ", ""), ("THỦ TRƯỞNG CƠ QUAN",
                "")]))
            """)
        return try await document(req, title: "Phiếu đánh giá, xếp loại: \(row.input.personName)",
                        back: "/ky-danh-gia/\(p.id!.uuidString)/phieu/\(e.personCode)", body: body)
    }

    /// Danh sách xếp loại of the agency: everyone with their official (or, before approval,
    /// provisional) score and level, grouped by level, with the totals; XLSX and CSV too.
    @Sendable static func list(_ req: Request) async throws -> Response {
        let f = try EvaluationPeriodPage.flow(req)
        let p = try await f.periods.find(try EvaluationPeriodPage.id(req))
        let agency = try await Organization.find(p.organizationID, on: req.db)
        let sheets = try await f.progress(p).sheets
        let approved = sheets.contains { !$0.level.isEmpty }
        let scores = ScoreService(store: req.store, principal: f.principal)
        let live = approved ? [:] : try await scores.live(p)
        // Before the self-assessment step there are no sheets yet: the agency's people as last scored.
        let unsheeted = sheets.isEmpty ? live.keys.sorted() : []
        let codes = sheets.map(\.personCode) + unsheeted
        let people = try await Person.query(on: req.db).filter(\.$code ~~ codes).all()
        let byCode = Dictionary(people.map { ($0.code, $0) }) { a, _ in a }
        let positions = Dictionary(try await Position.query(on: req.db).all().map { ($0.id!, $0.name) }) { a, _ in a }
        let units = Dictionary(try await Organization.query(on: req.db).filter(\.$path, .custom("LIKE"),
                                                                               p.scopePath + "%").all().map { ($0.id!, $0.name) }) { a,
                                                                                   _ in a }
        struct Line { var code, name, position, unit: String; var hundredths: Int?; var level: Level? }
        func line(_ code: String, hundredths: Int?, level: Level?) -> Line {
            let person = byCode[code]
            return Line(code: code, name: person?.fullName ?? "", position: person?.positionID.flatMap { positions[$0] } ?? "",
                        unit: person.flatMap { units[$0.organizationID] } ?? "", hundredths: hundredths, level: level)
        }
        let lines = (sheets.map { e in
            line(e.personCode, hundredths: approved ? e.hundredths : live[e.personCode]?.0,
                 level: approved ? Level(rawValue: e.level) : live[e.personCode]?.1)
        } + unsheeted.map { line($0, hundredths: live[$0]?.hundredths, level: live[$0]?.level) }).sorted { a, b in
            let (la, lb) = (a.level.map { Level.allCases.firstIndex(of: $0)! } ?? 9,
                            b.level.map { Level.allCases.firstIndex(of: $0)! } ?? 9)
            return (la, -(a.hundredths ?? -1), a.code) < (lb, -(b.hundredths ?? -1), b.code)
        }
        let label = PeriodCode(p.code)?.label ?? p.code
        let format = req.input.text("dinh_dang")
        if !format.isEmpty {
            let table = [["STT", "Mã", "Họ và tên", "Chức vụ, vị trí việc làm", "Đơn vị", "Điểm",
                          "Xếp loại"]] + lines.enumerated().map { i, l in
                [String(i + 1), l.code, l.name, l.position, l.unit, ResultController.score(l.hundredths),
                 l.level?.label ?? "Chưa xếp loại"]
            }
            return try Download.table(table, name: "danh-sach-xep-loai-\(p.code)", format: format, at: req.now)
        }
        let rows = lines.enumerated().map { i, l in
            HTML("""
                <tr><td class=\"num\">\(i + 1)</td><td>\(l.name)</td><td>\(l.position)</td><td>\(l.unit)</td><td \
                class=\"num\">\(ResultController.score(l.hundredths))</td><td>\(l.level?.label ?? "Chưa xếp loại")</td></tr>
                """)
        }
        let total = lines.count
        let counts = Level.allCases.map { level -> HTML in
            let n = lines.filter { $0.level == level }.count
            let pct = total == 0 ? "0" : DecimalText.vn(((try? Rational(Int128(n * 100), Int128(total))) ?? .zero).rounded(places: 1))
            return HTML("<li>\(level.label): \(n) người (\(pct)%)</li>")
        }
        let body = HTML("""
            \(heading(agency, place: req.application.settings.placeName, date: req.today))
            <h1 class="doc-title">DANH SÁCH ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG<br>CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC</h1>
            <p class="doc-sub">\(label)\(approved ? "" : " (chưa phê duyệt, tạm tính)")</p>
            \(HTML.when(sheets.isEmpty && !lines.isEmpty, HTML("""
                <p class="doc-text">Kỳ chưa chuyển sang bước tự đánh giá nên chưa có phiếu: điểm và xếp loại \
                dưới đây tính từ dữ liệu hiện có của từng người.</p>
                """)))
            \(HTML.when(lines.isEmpty, HTML("""
                <p class="doc-text">Danh sách trống: chưa có cán bộ nào của cơ quan có dữ liệu đánh giá trong \
                kỳ (chưa có bộ chỉ số áp dụng, hoặc điểm chưa được tính — bấm «Tính lại ngay» ở \
                trang kỳ đánh giá).</p>
                """)))
            <table class="doc-table"><thead><tr><th>TT</th><th>Họ và tên</th><th>Chức vụ, vị trí việc làm</th><th>Đơn \
            vị</th><th>Điểm</th>\
            <th>Xếp loại</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            <p><strong>Tổng số: \(total) người</strong>, trong đó:</p><ul>\(counts)</ul>
            \(signatures([("NGƯỜI LẬP DANH SÁCH", ""), ("THỦ TRƯỞNG CƠ QUAN", "")]))
            """)
        return try await document(req, title: "Danh sách xếp loại \(label) — \(agency?.name ?? "")",
                                  back: "/ky-danh-gia/\(p.id!.uuidString)", body: body)
    }
}
