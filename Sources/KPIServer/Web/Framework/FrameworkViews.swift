import KPICore
import Vapor

/// The pages of frameworks: list, version, draft form, comparison, what-if preview.
enum FrameworkViews {
    static func statusText(_ f: Framework, today: DateOnly) -> String {
        if f.status == "draft" { return "Bản nháp" }
        return f.effectiveFrom > today.iso ? "Đã ban hành, chờ hiệu lực" : "Đã ban hành"
    }

    static func crumbs(_ f: Framework) -> [(String, String)] {
        [("Tổng quan", "/"), ("Bộ chỉ số", "/khung-danh-gia"), ("\(f.name) — phiên bản \(f.version)",
                                                                FrameworkController.base(f.id!))]
    }

    static func scopeText(_ f: Framework) -> String {
        f.organizationID == nil ? "Toàn tỉnh" : "Riêng cơ quan"
    }

    static func list(_ all: [Framework], q: String, status: String, req: Request) -> Page {
        let rows = all.map { f in
            HTML("""
                <tr><td data-label="Mã">\(f.code)</td><td data-label="Tên"><a href="\(FrameworkController.base(f.id!))">\(f.name)</a></td>
                <td data-label="Áp dụng cho">\(Catalogs.label(Catalogs.staffKinds, f.staffKind)) · \(scopeText(f))</td>
                <td data-label="Phiên bản" class="num">\(f.version)</td><td data-label="Trạng \
                thái">\(statusText(f, today: req.today))</td>
                <td data-label="Hiệu lực từ">\(DateOnly(parsing: f.effectiveFrom)?.display ?? "—")</td></tr>
                """)
        }
        let options = [("", "Tất cả"), ("published", "Đã ban hành"), ("draft", "Bản nháp")].map { v, l in
            HTML("<option value=\"\(v)\"\(HTML.when(v == status, " selected"))>\(l)</option>")
        }
        return Page(title: "Bộ chỉ số đánh giá", breadcrumbs: [("Tổng quan", "/")], body: """
            <p class="hint">Bộ chỉ số chung của tỉnh và các phiên bản riêng của cơ quan. Muốn thay đổi: mở \
            phiên bản đang áp dụng, tạo bản \
            nháp, sửa, xem trước tác động rồi ban hành với ngày hiệu lực.</p>
            <form method="get" class="filters" role="search">
            <div class="field"><label for="q">Tìm</label><input id="q" name="q" value="\(q)" placeholder="Mã hoặc tên"></div>
            <div class="field"><label for="trang_thai">Trạng thái</label><select id="trang_thai" name="trang_thai">\(options)</select>\
            </div>
            <div class="actions"><button>Lọc</button> <a href="/khung-danh-gia/xuat?dinh_dang=xlsx">Xuất Excel</a> <a \
            href="/khung-danh-gia/xuat?dinh_dang=csv">Xuất CSV</a></div></form>
            <p class="count">\(all.count) phiên bản</p>
            \(all.isEmpty ? HTML("<p class=\"empty\">Không có phiên bản nào khớp bộ lọc.</p>") : HTML("""
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Mã</th><th scope="col">Tên</th><th scope="col">Áp \
            dụng \
            cho</th>
            <th scope="col">Phiên bản</th><th scope="col">Trạng thái</th><th scope="col">Hiệu lực từ</th></tr></thead>\
            <tbody>\(rows)</tbody></table></div>
            """))
            """)
    }

    /// A value as people read it: decimals with a comma, formulas as written.
    static func shown(_ key: String, _ value: String) -> String {
        if key.hasSuffix("Formula") || key == "indicators" { return value }
        if key == "quotaPool" {
            return value == "all" ? "Tất cả người được xếp loại" : "Người đạt từ hoàn thành tốt trở lên"
        }
        if key == "quotaRounding" { return ["floor": "Làm tròn xuống", "ceil": "Làm tròn lên",
                                            "round": "Làm tròn"][value] ?? value }
        if key == "period" { return value == "quarter" ? "Quý" : "Tháng" }
        if value.isEmpty { return "Không áp dụng" }
        return DecimalText.vn(text: value)
    }

    static func definitionTable(_ d: FrameworkDefinition) -> HTML {
        let rows = d.fields.filter { $0.key != "indicators" }.map { key, value in
            HTML("<div><dt>\(FrameworkDefinition.label(key))</dt><dd>\(shown(key, value))</dd></div>")
        }
        let indicators = d.indicators.map { i in
            HTML("""
                <tr><td data-label="Mã">\(i.code)</td><td data-label="Chỉ số">\(i.name)</td>
                <td data-label="Nhóm">\(FrameworkDefinition.groups.first { $0.0 == i.group }?.1 ?? i.group)</td>
                <td data-label="Điểm tối đa" class="num">\(shown("max", i.maxPoints))</td>
                <td data-label="Phương pháp">\(FrameworkDefinition.methods.first { $0.0 == i.method }?.1 ?? i.method)</td><td \
                data-label="Tham số">\(i.parameter)</td></tr>
                """)
        }
        return """
            <dl class="record">\(rows)</dl>
            <h2>Chỉ số nhóm (ii)–(iv)</h2>
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Mã</th><th scope="col">Chỉ số</th><th \
            scope="col">Nhóm</th>
            <th scope="col">Điểm tối đa</th><th scope="col">Phương pháp</th><th scope="col">Tham số</th></tr></thead>\
            <tbody>\(indicators)</tbody></table></div>
            """
    }

    static func show(_ f: Framework, versions: [Framework], svc: FrameworkService, flash: String?, problems: [FrameworkDefinition.Problem],
                     req: Request) -> Page {
        let base = FrameworkController.base(f.id!)
        let canEdit = svc.principal.can(.configureFramework, at: f.scopePath)
        var actions: [HTML] = []
        if f.status == "draft" && canEdit {
            actions.append("<a class=\"button primary\" href=\"\(base)/sua\">Sửa bản nháp</a>")
            actions.append("<a href=\"\(base)/so-sanh\">So sánh với bản đang áp dụng</a>")
            actions.append("<a href=\"\(base)/xem-truoc\">Xem trước tác động</a>")
        } else if canEdit {
            actions.append("""
                <form method=\"post\" action=\"\(base)/nhap\" class=\"inline\">\(req.csrfField)<button class=\"primary\">Tạo bản nháp \
                để \
                điều chỉnh</button></form>
                """)
            actions.append("<a href=\"\(base)/so-sanh\">So sánh với phiên bản trước</a>")
        }
        let publish: HTML = f.status == "draft" && canEdit ? """
            <section class="panel"><h2>Ban hành</h2>
            <form method="post" action="\(base)/ban-hanh" class="record-form">\(req.csrfField)
            <div class="field"><label for="hieu_luc">Ngày hiệu lực <span class="req">*</span></label>
            <input id="hieu_luc" name="hieu_luc" placeholder="dd/MM/yyyy" inputmode="numeric" class="date" value="\(req.today.display)">\
            </div>
            <div class="field"><label><input type="checkbox" name="xac_nhan" value="1"> Tôi đã xem trước tác động và xác \
            nhận ban hành; \
            phiên bản đã ban hành không sửa được nữa.</label></div>
            <div class="actions"><button class="primary">Ban hành phiên bản \(f.version)</button></div></form></section>
            """ : .empty
        let derive: HTML = f.organizationID == nil && f.status == "published" && svc.principal.canAnywhere(.configureFramework) ? """
            <section class="panel"><h2>Phiên bản riêng của cơ quan</h2>
            <p class="hint">Cơ quan được thêm chỉ số, điều chỉnh công thức và mức giảm trong khuôn khổ của \
            tỉnh; không được thay đổi điểm \
            các nhóm, ngưỡng xếp loại và hạn mức.</p>
            <form method="post" action="\(base)/phai-sinh" class="record-form">\(req.csrfField)
            <div class="field"><label for="co_quan">Mã cơ quan</label><input id="co_quan" name="co_quan" list="orgs" autocomplete="off">\
            </div>
            <div class="actions"><button>Tạo phiên bản riêng</button></div></form></section>
            """ : .empty
        let history = versions.map { v in
            HTML("""
                <li><a href=\"\(FrameworkController.base(v.id!))\">Phiên bản \(v.version)</a> — \
                \(statusText(v, today: req.today))\
                \(v.effectiveFrom.isEmpty ? "" : ", hiệu lực từ \(DateOnly(parsing: v.effectiveFrom)?.display ?? "")")\
                \(v.id == f.id ? " (đang xem)" : "")</li>
                """)
        }
        return Page(title: "\(f.name) — phiên bản \(f.version)", breadcrumbs: [("Tổng quan", "/"), ("Bộ chỉ số",
            "/khung-danh-gia")],
                    flash: flash, body: """
            \(Widgets.problems(problems.map(\.description)))
            <div class="actions">\(actions)</div>
            <p><strong>\(statusText(f, today: req.today))</strong>\
            \(f.effectiveFrom.isEmpty ? "" : " · hiệu lực từ \(DateOnly(parsing: f.effectiveFrom)?.display ?? "")") · áp dụng \
            cho \
            \(Catalogs.label(Catalogs.staffKinds, f.staffKind).lowercased()) · \(scopeText(f).lowercased()) · \
            \(f.groupCodes.isEmpty ? "mọi nhóm vị trí" : """
                nhóm vị trí \(f.groupCodes.replacingOccurrences(of: ";", with: ", "))
                """)</p>
            \(f.note.isEmpty ? HTML.empty : HTML("<p class=\"hint\">\(f.note)</p>"))
            \(definitionTable(FrameworkService.decode(f)))
            \(publish)\(derive)
            <h2>Các phiên bản</h2><ul>\(history)</ul>
            <p><a href="/nhat-ky?doi_tuong=\(f.id!.uuidString)">Lịch sử thay đổi</a></p>
            """)
    }

    static func form(_ f: Framework, definition d: FrameworkDefinition, note: String, indicatorsText: String?, groupsText: String?,
                     problems: [FrameworkDefinition.Problem], req: Request) -> Page {
        let byField = Dictionary(problems.map { ($0.field.hasPrefix("indicators") ? "indicators" : $0.field, $0.message) },
                                 uniquingKeysWith: { a, b in a + "; " + b })
        func input(_ key: String, _ value: String, hint: String = "", wide: Bool = false) -> HTML {
            let formula = key.hasSuffix("Formula")
            return FormField(key, FrameworkDefinition.label(key), value: formula ? value : DecimalText.vn(text: value), hint: hint,
                             error: byField[key] ?? "", inputMode: formula ? nil : .decimal, width: wide ? .wide : .normal).html
        }
        func select(_ key: String, _ value: String, _ options: [(String, String)]) -> HTML {
            FormField(key, FrameworkDefinition.label(key), value: value, .select(FormField.options(options)),
                      error: byField[key] ?? "").html
        }
        let base = FrameworkController.base(f.id!)
        return Page(title: "Sửa bản nháp: \(f.name) — phiên bản \(f.version)", breadcrumbs: crumbs(f), body: """
            <div id="live-problems" aria-live="polite">\(Widgets.problems(problems.map(\.description)))</div>
            <form method="post" action="\(base)/sua" class="record-form" data-check="\(base)/kiem-tra" novalidate>\(req.csrfField)
            <p class="hint">Hệ thống kiểm tra ngay khi bạn gõ. Biến dùng trong công thức: a (số lượng), b (chất \
            lượng), c (tiến độ), theo \
            phần trăm; với lãnh đạo thêm d (kết quả đơn vị) và dd (tổ chức triển khai), 100 hoặc 50.</p>
            <fieldset><legend>Phạm vi áp dụng</legend>
            <p class="hint">\(Catalogs.label(Catalogs.staffKinds, f.staffKind)) · \(scopeText(f).lowercased())</p>
            \(FormField("groupCodes", FrameworkDefinition.label("groupCodes"),
                        value: groupsText ?? f.groupCodes.replacingOccurrences(of: ";", with: "; "),
                        hint: "Mã các nhóm vị trí, cách nhau bởi dấu ; để trống nếu áp dụng cho mọi nhóm",
                        error: byField["groupCodes"] ?? "").html)</fieldset>
            <fieldset><legend>Nhóm (i) — Kết quả thực hiện nhiệm vụ</legend>
            \(input("taskPoints", d.taskPoints))
            \(input("taskFormula", d.taskFormula, hint: "Ví dụ: 70 * (a + b + c) / 300", wide: true))
            \(input("leaderTaskFormula", d.leaderTaskFormula, hint: """
                Ví dụ: 70 * (0.6 * (a + b + c) / 300 + 0.2 * d / 100 + 0.2 * dd / 100); trong công thức dùng dấu chấm cho số \
                thập phân
                """, wide: true))
            \(input("errorPenalty", d.errorPenalty, hint: """
                Mỗi lỗi lớn giảm phần này trọng số của nhiệm vụ, ví dụ 0,25
                """))
            \(input("delayPenalty", d.delayPenalty))</fieldset>
            <fieldset><legend>Nhóm (ii)–(iv) — Tiêu chí chung</legend>
            \(input("satisfactionMax", d.satisfactionMax))\(input("coordinationMax", d.coordinationMax))\
            \(input("disciplineMax", d.disciplineMax))
            \(FormField("indicators", FrameworkDefinition.label("indicators"),
                        value: indicatorsText ?? FrameworkDefinition.formatIndicators(d.indicators), .textarea(rows: 6), hint: """
                            Mỗi dòng một chỉ số: Mã | Tên | Nhóm (hai-long, phoi-hop, ky-luat) | Điểm tối đa | Phương \
                            pháp (rating, \
                            deduction, rubric, formula) | Tham số
                            """, error: byField["indicators"] ?? "", width: .wide).html)</fieldset>
            <fieldset><legend>Xếp loại và hạn mức</legend>
            \(input("excellentThreshold", d.excellentThreshold))\(input("goodThreshold", d.goodThreshold))\
            \(input("passThreshold", d.passThreshold))
            \(input("onTimeForExcellent", d.onTimeForExcellent, hint: "Từ 0 đến 1; để trống nếu không áp dụng"))\
            \(input("onTimeForGood", d.onTimeForGood))
            \(input("quotaRate", d.quotaRate, hint: "Ví dụ 0,2 = 20%"))
            \(select("quotaPool", d.quotaPool, [("good-or-better", "Người đạt từ hoàn thành tốt trở lên"), ("all",
                "Tất cả người được xếp loại")]))
            \(select("quotaRounding", d.quotaRounding, [("floor", "Làm tròn xuống"), ("round", "Làm tròn"), ("ceil",
                "Làm tròn lên")]))
            \(select("period", d.period, [("month", "Tháng"), ("quarter", "Quý")]))</fieldset>
            \(FormField("note", "Ghi chú thay đổi", value: note, .textarea(rows: 2), maxLength: 1000, width: .wide).html)
            <div class="actions"><button class="primary">Lưu bản nháp</button> <a href="\(base)">Hủy</a></div></form>
            """)
    }

    static func compare(_ f: Framework, with other: Framework?, today: DateOnly) -> Page {
        let mine = FrameworkService.decode(f)
        guard let other else {
            return Page(title: "So sánh", breadcrumbs: crumbs(f),
                        body: "<p class=\"empty\">Chưa có phiên bản nào khác để so sánh.</p>")
        }
        let theirs = Dictionary(uniqueKeysWithValues: FrameworkService.decode(other).fields.map { ($0.key, $0.value) })
        let rows = mine.fields.map { key, value -> HTML in
            let old = theirs[key] ?? ""
            let changed = old != value
            return HTML("""
                <tr\(HTML.when(changed, " class=\"changed\""))><th scope="row">\(FrameworkDefinition.label(key))</th>
                <td data-label="Phiên bản \(other.version)"><pre>\(shown(key, old))</pre></td><td data-label="Phiên \
                bản \(f.version)">\
                <pre>\(shown(key, value))</pre></td>
                <td data-label="Thay đổi">\(changed ? "Có" : "—")</td></tr>
                """)
        }
        let count = mine.fields.filter { theirs[$0.key] != $0.value }.count
        return Page(title: "So sánh phiên bản \(f.version) với phiên bản \(other.version)", breadcrumbs: crumbs(f), body: """
            <p class="count">\(count) mục thay đổi</p>
            <div class="table-wrap"><table class="list compare"><thead><tr><th scope="col">Mục</th><th scope="col">Phiên \
            bản \(other.version) (\(statusText(other, today: today).lowercased()))</th>
            <th scope="col">Phiên bản \(f.version) (\(statusText(f, today: today).lowercased()))</th><th scope="col">Thay đổi</th>\
            </tr>\
            </thead><tbody>\(rows)</tbody></table></div>
            """)
    }

    static func preview(_ f: Framework, _ p: FrameworkService.Preview) -> Page {
        guard let period = p.period else {
            return Page(title: "Xem trước tác động", breadcrumbs: crumbs(f),
                        body: "<p class=\"empty\">Chưa có kỳ đánh giá nào đã kết thúc để xem trước.</p>")
        }
        let summary = Level.allCases.map { l in
            HTML("""
                <tr><th scope=\"row\">\(l.label)</th><td class=\"num\" data-label=\"Đang áp dụng\">\(p.countsBefore[l] ?? 0)</td><td \
                class=\"num\" data-label=\"Bản nháp\">\(p.countsAfter[l] ?? 0)</td></tr>
                """)
        }
        func score(_ r: PersonResult) -> String { r.yearHundredths.map { ScoringEngine.vn(hundredths: $0) } ?? "—" }
        let rows = p.changed.map { r in
            HTML("""
                <tr><td data-label="Người">\(r.personName) (\(r.personCode))</td><td data-label="Đơn vị">\(r.unitName)</td>
                <td data-label="Hiện nay" class="num">\(score(r.before)) · \(r.before.level?.label ?? "—")</td>
                <td data-label="Theo bản nháp" class="num">\(score(r.after)) · \(r.after.level?.label ?? "—")</td>
                <td data-label="Lý do">\(r.after.explanation.filter { if case .yearMean = $0 { false } else { true } }
                    .map(\.text).joined(separator: " "))</td></tr>
                """)
        }
        let parts = period.split(separator: "-")
        let periodText = parts.count == 2 ? "tháng \(parts[1])/\(parts[0])" : period
        return Page(title: "Xem trước tác động — \(periodText)", breadcrumbs: crumbs(f), body: """
            <p>Chấm lại \(p.people) người thuộc phạm vi áp dụng trong kỳ \(periodText) (kỳ gần nhất đã kết \
            thúc) theo phiên bản đang áp \
            dụng và theo bản nháp, áp dụng hạn mức theo từng cơ quan. Không có gì được ghi lại.</p>
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Mức xếp loại</th><th scope="col">Đang áp \
            dụng</th><th \
            scope="col">Bản nháp</th></tr></thead><tbody>\(summary)</tbody></table></div>
            <h2>\(p.changed.count) người thay đổi mức xếp loại</h2>
            \(p.changed.isEmpty ? HTML("<p class=\"empty\">Không ai thay đổi mức xếp loại.</p>") : HTML("""
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Người</th><th scope="col">Đơn vị</th><th \
            scope="col">Điểm, mức hiện nay</th>
            <th scope="col">Điểm, mức theo bản nháp</th><th scope="col">Lý do (theo bản nháp)</th></tr></thead>\
            <tbody>\(rows)</tbody>\
            </table></div>
            """))
            <p><a href="\(FrameworkController.base(f.id!))">Quay lại bản nháp</a></p>
            """)
    }
}
