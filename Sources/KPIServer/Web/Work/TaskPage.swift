import Foundation
import Fluent
import KPICore
import Vapor

/// The new-task form and a task's own page (facts, actions for this user, evidence, timeline).
enum TaskPage {
    static func field(_ key: String, _ label: String, _ control: HTML, required: Bool = false, hint: String = "",
                      problems: [TaskProblem]) -> HTML {
        let mine = problems.filter { $0.field == key }.map(\.message)
        return """
            <div class="field" data-field="\(key)"><label for="\(key)">\(label)\
            \(HTML.when(required, " <span class=\"req\">*</span>"))</label>\(control)
            \(HTML.when(!hint.isEmpty, HTML("<small>\(hint)</small>")))\
            \(HTML.when(!mine.isEmpty, HTML("<small class=\"err\" role=\"alert\">\(mine.joined(separator: " "))</small>")))</div>
            """
    }

    static func input(_ key: String, _ values: [String: String], type: String = "text", extra: String = "",
                      problems: [TaskProblem]) -> HTML {
        let invalid = problems.contains { $0.field == key }
        if type == "date" {
            return HTML("""
                <input type=\"text\" id=\"\(key)\" name=\"\(key)\" \
                value=\"\(dateValue(values[key]))\"\(HTML(unsafe: dateAttributes + extra))\(HTML.when(invalid, " aria-invalid=\"true\""))>
                """)
        }
        return HTML("""
            <input type=\"\(type)\" id=\"\(key)\" name=\"\(key)\" \
            value=\"\(values[key] ?? "")\"\(HTML(unsafe: extra))\(HTML.when(invalid, " aria-invalid=\"true\""))>
            """)
    }

    /// Dates are typed and shown dd/mm/yyyy whatever the browser's language (a date picker would
    /// follow the operating system's and show mm/dd/yyyy on many office PCs).
    static let dateAttributes = " inputmode=\"numeric\" placeholder=\"dd/mm/yyyy\" maxlength=\"10\" autocomplete=\"off\" class=\"date\""

    static func dateValue(_ raw: String?) -> String {
        guard let raw else { return "" }
        return DateOnly(parsing: raw)?.display ?? raw
    }

    static func select(_ key: String, _ options: [(String, String)], _ selected: String) -> HTML {
        HTML("""
            <select id=\"\(key)\" \
            name=\"\(key)\">\(options.map { v, l in HTML("""
                <option value=\"\(v)\"\(HTML.when(v == selected, " selected"))>\(l)</option>
                """) })</select>
            """)
    }

    static func form(_ req: Request, svc: WorkService, propose: Bool, values v: [String: String],
                     problems: [TaskProblem]) async throws -> Page {
        let db = req.db
        let scopes = svc.principal.scopes(.leadWork)
        var products = try await Product.query(on: db).filter(\.$active == true).sort(\.$code).all()
        var people: [Person] = []
        var units: [Organization] = []
        if propose, let me = svc.principal.personID, let person = try await Person.find(me, on: db) {
            let position = try await Position.find(person.positionID, on: db)
            products = products.filter {
                ProductScope.applies(productGroup: $0.groupID, productPosition: $0.positionID, productScope: $0.scopePath,
                                     personGroup: position?.groupID, personPosition: person.positionID, personScope: person.scopePath)
            }
        } else if !scopes.isEmpty {
            people = try await Person.query(on: db).filter(\.$active == true)
                .group(.or) { g in for s in scopes { g.filter(\.$scopePath, .custom("LIKE"), s + "%") } }
                .sort(\.$fullName).limit(500).all()
            units = try await Organization.query(on: db).filter(\.$active == true)
                .group(.or) { g in for s in scopes { g.filter(\.$path, .custom("LIKE"), s + "%") } }
                .sort(\.$path).limit(300).all()
        }
        let groups = Dictionary(uniqueKeysWithValues: try await PositionGroup.query(on: db).all().map { ($0.id!, $0.name) })
        let productOptions = Dictionary(grouping: products,
                                        by: \.groupID).sorted { (groups[$0.key] ?? "") < (groups[$1.key] ?? "") }.map { gid, list in
            HTML("""
                <optgroup \
                label=\"\(groups[gid] ?? "")\">\(list.map { p in HTML("""
                    <option value=\"\(p.code)\"\(HTML.when(p.code == v["san_pham"], " selected"))>\(p.name) (\(p.unit); hệ số \
                    \(DecimalText.vn(text: p.factor))\(p.complexity.isEmpty ? "" : "; mức độ: \(p.complexity)"))</option>
                    """) })</optgroup>
                """)
        }
        let sources = TaskSource.allCases.filter { propose ? $0 == .selfProposed : $0 != .selfProposed }.map { ($0.rawValue, $0.label) }
        let who: HTML = propose ? HTML("""
            <p class=\"hint\">Nhiệm vụ tự đề xuất do bạn chủ trì; lãnh đạo đơn vị duyệt trước khi tính vào kết quả.</p>
            """) : """
            <fieldset><legend>Giao cho</legend>
            \(field("nguoi", "Người chủ trì (mã cán bộ)", input("nguoi", v, extra: " list=\"ds-can-bo\" autocomplete=\"off\"",
                                                                problems: problems),
                    hint: "Nhập một hoặc nhiều mã, cách nhau bởi dấu phẩy: mỗi người nhận một nhiệm vụ riêng.", problems: problems))
            <datalist id="ds-can-bo">\(people.map { HTML("<option value=\"\($0.code)\">\($0.fullName)</option>") })</datalist>
            \(field("don_vi", "Hoặc giao cho đơn vị", select("don_vi", [("", "— Không —")] + units.map { ($0.code, $0.name) },
                                                             v["don_vi"] ?? ""),
                    hint: "Lãnh đạo đơn vị sẽ phân công người chủ trì.", problems: problems))
            \(field("phoi_hop", "Người phối hợp (mã cán bộ)", input("phoi_hop", v, extra: " list=\"ds-can-bo\" autocomplete=\"off\"",
                                                                    problems: problems), problems: problems))
            </fieldset>
            """
        let title = propose ? "Đề xuất nhiệm vụ" : "Giao việc"
        return Page(title: title, breadcrumbs: [("Tổng quan", "/"), ("Công việc", "/viec")], body: """
            \(Widgets.problems(problems.map(\.message)))
            <form method="post" action="/viec/moi" class="record-form">\(req.csrfField)
            <input type="hidden" name="token" value="\(v["token"] ?? UUID().uuidString)">
            \(HTML.when(propose, "<input type=\"hidden\" name=\"de_xuat\" value=\"1\">"))
            \(HTML.when(v["cha"] != nil, HTML("""
                <input type=\"hidden\" name=\"cha\" value=\"\(v["cha"] ?? "")\"><input type=\"hidden\" name=\"cha_ten\" \
                value=\"\(v["cha_ten"] ?? "")\"><p>Nhiệm vụ con của: <strong>\(v["cha_ten"] ?? "")</strong></p>
                """)))
            \(field("tieu_de", "Tên nhiệm vụ", input("tieu_de", v, extra: " required maxlength=\"500\"", problems: problems),
                    required: true, problems: problems))
            \(field("mo_ta", "Mô tả, yêu cầu", HTML("""
                <textarea id=\"mo_ta\" name=\"mo_ta\" rows=\"3\">\(v["mo_ta"] ?? "")</textarea>
                """), problems: problems))
            \(who)
            <fieldset><legend>Nguồn nhiệm vụ</legend>
            \(field("nguon", "Nguồn", select("nguon", sources, v["nguon"] ?? ""), problems: problems))
            \(field("so_van_ban", "Số, ký hiệu văn bản", input("so_van_ban", v, problems: problems), hint: """
                Bắt buộc với nhiệm vụ từ văn bản chỉ đạo.
                """, problems: problems))
            \(field("ngay_van_ban", "Ngày văn bản", input("ngay_van_ban", v, type: "date", problems: problems), problems: problems))
            \(field("co_quan_ban_hanh", "Cơ quan ban hành", input("co_quan_ban_hanh", v, problems: problems), problems: problems))
            </fieldset>
            <fieldset><legend>Sản phẩm và khối lượng</legend>
            \(field("san_pham", "Sản phẩm", HTML("""
                <select id=\"san_pham\" name=\"san_pham\" required><option value=\"\">— Chọn sản phẩm —</option>\(productOptions)</select>
                """), required: true,
                    hint: "Theo danh mục sản phẩm của vị trí việc làm; khối lượng được quy đổi theo hệ số.", problems: problems))
            \(field("so_luong", "Số lượng", input("so_luong", v, extra: " required inputmode=\"decimal\"", problems: problems),
                    required: true, problems: problems))
            \(field("muc_do", "Mức độ phức tạp", input("muc_do", v, problems: problems), hint: """
                Để trống nếu sản phẩm không chia mức độ; ví dụ: Phức tạp.
                """, problems: problems))
            </fieldset>
            <fieldset><legend>Thời hạn</legend>
            \(field("bat_dau", "Ngày bắt đầu", input("bat_dau", v, type: "date", extra: " required", problems: problems), required: true,
                    problems: problems))
            \(field("han", "Hạn hoàn thành", input("han", v, type: "date", extra: " required", problems: problems), required: true,
                    problems: problems))
            \(field("uu_tien", "Mức ưu tiên", select("uu_tien", TaskPriority.allCases.map { ($0.rawValue, $0.label) }, v["uu_tien"] ?? ""),
                    problems: problems))
            </fieldset>
            <div class="actions"><button class="primary">\(propose ? "Gửi đề xuất" : "Giao việc")</button> <a href="/viec">Hủy bỏ</a></div>
            </form>
            """)
    }
}
