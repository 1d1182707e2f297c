import Foundation
import Fluent
import KPICore
import Vapor

/// The new-task form and a task's own page (facts, actions for this user, evidence, timeline).
enum TaskPage {
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
        let productGroups = Dictionary(grouping: products, by: \.groupID).sorted { (groups[$0.key] ?? "") < (groups[$1.key] ?? "") }
            .map { gid, list in
                (label: groups[gid] ?? "", options: list.map { p in
                    FormField.Option(p.code, """
                        \(p.name) (\(p.unit); hệ số \(DecimalText.vn(text: p.factor))\
                        \(p.complexity.isEmpty ? "" : "; mức độ: \(p.complexity)"))
                        """)
                })
            }
        func field(_ f: FormField) -> HTML { f.problems(problems.messages(f.name)).html }
        let sources = TaskSource.allCases.filter { propose ? $0 == .selfProposed : $0 != .selfProposed }.map { ($0.rawValue, $0.label) }
        let who: HTML = propose ? HTML("""
            <p class=\"hint\">Nhiệm vụ tự đề xuất do bạn chủ trì; lãnh đạo đơn vị duyệt trước khi tính vào \
            kết quả.</p>
            """) : """
            <fieldset><legend>Giao cho</legend>
            \(field(FormField("nguoi", "Người chủ trì (mã cán bộ)", value: v["nguoi"], hint: """
                Nhập một hoặc nhiều mã, cách nhau bởi dấu phẩy: mỗi người nhận một nhiệm vụ riêng.
                """, list: "ds-can-bo", autocomplete: "off")))
            <datalist id="ds-can-bo">\(people.map { HTML("<option value=\"\($0.code)\">\($0.fullName)</option>") })</datalist>
            \(field(FormField("don_vi", "Hoặc giao cho đơn vị", value: v["don_vi"],
                             .select(units.map { .init($0.code, $0.name) }, blank: "— Không —"),
                             hint: "Lãnh đạo đơn vị sẽ phân công người chủ trì.")))
            \(field(FormField("phoi_hop", "Người phối hợp (mã cán bộ)", value: v["phoi_hop"], list: "ds-can-bo",
                              autocomplete: "off")))
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
            \(field(FormField("tieu_de", "Tên nhiệm vụ", value: v["tieu_de"], required: true, maxLength: 500)))
            \(field(FormField("mo_ta", "Mô tả, yêu cầu", value: v["mo_ta"], .textarea(rows: 3))))
            \(who)
            <fieldset><legend>Nguồn nhiệm vụ</legend>
            \(field(FormField("nguon", "Nguồn", value: v["nguon"], .select(FormField.options(sources)))))
            \(field(FormField("so_van_ban", "Số, ký hiệu văn bản", value: v["so_van_ban"],
                             hint: "Bắt buộc với nhiệm vụ từ văn bản chỉ đạo.")))
            \(field(FormField("ngay_van_ban", "Ngày văn bản", value: v["ngay_van_ban"], .date)))
            \(field(FormField("co_quan_ban_hanh", "Cơ quan ban hành", value: v["co_quan_ban_hanh"])))
            </fieldset>
            <fieldset><legend>Sản phẩm và khối lượng</legend>
            \(field(FormField("san_pham", "Sản phẩm", value: v["san_pham"], .groupedSelect(productGroups,
                blank: "— Chọn sản phẩm —"),
                             required: true, hint: """
                                 Theo danh mục sản phẩm của vị trí việc làm; khối lượng được quy đổi theo hệ \
                                 số.
                                 """)))
            \(field(FormField("so_luong", "Số lượng", value: v["so_luong"], required: true, inputMode: .decimal)))
            \(field(FormField("muc_do", "Mức độ phức tạp", value: v["muc_do"],
                             hint: "Để trống nếu sản phẩm không chia mức độ; ví dụ: Phức tạp.")))
            </fieldset>
            <fieldset><legend>Thời hạn</legend>
            \(field(FormField("bat_dau", "Ngày bắt đầu", value: v["bat_dau"], .date, required: true)))
            \(field(FormField("han", "Hạn hoàn thành", value: v["han"], .date, required: true)))
            \(field(FormField("uu_tien", "Mức ưu tiên", value: v["uu_tien"],
                             .select(TaskPriority.allCases.map { .init($0.rawValue, $0.label) }))))
            </fieldset>
            <div class="actions"><button class="primary">\(propose ? "Gửi đề xuất" : "Giao việc")</button> <a href="/viec">Hủy \
            bỏ</a></div>
            </form>
            """)
    }
}
