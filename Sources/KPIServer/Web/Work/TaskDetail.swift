import Foundation
import Fluent
import KPICore
import Vapor

extension TaskPage {
    static func form(_ req: Request, _ t: WorkTask, _ action: String, _ button: String, primary: Bool = false, confirm: String = "",
                     _ fields: HTML = .empty) -> HTML {
        """
        <form method="post" action="/viec/\(t.id!.uuidString)/\(action)" \
        class="act"\(HTML.when(!confirm.isEmpty, HTML(" data-confirm=\"\(confirm)\"")))>\(req.csrfField)
        <input type="hidden" name="phien_ban" \
        value="\(t.version)">\(fields)<button\(HTML.when(primary, " class=\"primary\""))>\(button)</button></form>
        """
    }

    /// A field of an action form, its value kept from the last attempt.
    static func text(_ key: String, _ label: String, _ values: [String: String], _ control: FormField.Control = .text(),
                     required: Bool = true, min: Int? = nil, max: Int? = nil, step: Int? = nil) -> HTML {
        FormField(key, label, value: values[key], control, required: required, min: min, max: max, step: step).html
    }

    /// The forms of the actions the user is offered (`TaskFlow.offered`), in the order of the work.
    static func actions(_ req: Request, _ m: TaskPageModel, values v: [String: String]) -> HTML {
        let t = m.task
        var parts: [HTML] = []
        if m.offered.contains(.start) { parts.append(form(req, t, "bat-dau", "Bắt đầu thực hiện", primary: true)) }
        if m.offered.contains(.progress) {
            parts.append("<h3>Cập nhật tiến độ</h3>" + form(req, t, "tien-do", "Cập nhật", """
                \(text("phan_tram", "Phần trăm hoàn thành", v.isEmpty ? ["phan_tram": String(t.percent)] : v, .text(.number),
                       min: 0, max: 100, step: 5))
                \(text("ghi_chu", "Ghi chú", v, required: false))
                """))
        }
        if m.offered.contains(.submit) {
            parts.append("<h3>Gửi nghiệm thu</h3>" + form(req, t, "gui-nghiem-thu", "Gửi nghiệm thu", primary: true, """
                <p class="hint">Đã có \(m.evidence.count) minh chứng. Cần ít nhất một minh chứng (tệp, số văn \
                bản hoặc liên kết) trước khi gửi.</p>
                \(text("ghi_chu", "Ghi chú gửi người nghiệm thu", v, required: false))
                """))
        }
        if m.offered.contains(.requestExtension) {
            parts.append("<h3>Xin gia hạn</h3>" + form(req, t, "xin-gia-han", "Gửi đề nghị gia hạn", """
                \(text("han_moi", "Hạn mới đề nghị", v, .date))\(text("ly_do", "Lý do", v))
                """))
        }
        if m.offered.contains(.decideProposal) {
            parts.append(form(req, t, "duyet-de-xuat", "Duyệt đề xuất", primary: true))
            parts.append(form(req, t, "khong-duyet", "Không duyệt", text("ly_do", "Lý do không duyệt", v)))
        }
        if m.offered.contains(.decideExtension) {
            parts.append(HTML("<p>Đề nghị gia hạn đến <strong>\(WorkViews.date(t.requestedDue))</strong>.</p>"))
            parts.append(form(req, t, "dong-y-gia-han", "Đồng ý gia hạn", primary: true))
            parts.append(form(req, t, "tu-choi-gia-han", "Không đồng ý", text("ly_do", "Lý do không đồng ý", v)))
        }
        if m.offered.contains(.accept) {
            let choice = v["ket_qua"] ?? "dat"
            func radio(_ value: String, _ label: String) -> HTML {
                HTML("""
                    <label class=\"choice\"><input type=\"radio\" name=\"ket_qua\" \
                    value=\"\(value)\"\(HTML.when(choice == value, " checked"))> \(label)</label>
                    """)
            }
            parts.append("<h3>Nghiệm thu</h3>" + form(req, t, "nghiem-thu", "Ghi kết quả nghiệm thu", primary: true,
                                                      confirm: """
                                                          Ghi kết quả nghiệm thu? Nhiệm vụ sẽ kết thúc và tính vào kết \
                                                          quả đánh giá.
                                                          """, """
                <fieldset><legend>Kết quả</legend>\(radio("dat", "Đạt"))\(radio("chua-dat", "Chưa đạt (có lỗi lớn)"))\
                \(radio("mien-tru", "Chưa đạt do nguyên nhân khách quan (miễn trừ)"))</fieldset>
                \(text("so_loi", "Số lỗi lớn (khi chưa đạt)", v, .text(.number), required: false, min: 1))
                \(text("nguoi_xac_nhan", "Người có thẩm quyền xác nhận nguyên nhân khách quan", v, required: false))
                \(HTML.when(!t.submittedOn.isEmpty && t.submittedOn > t.due, HTML("""
                    <fieldset><legend>Chậm tiến độ</legend>
                    <p class="hint">Kết quả gửi ngày \(WorkViews.date(t.submittedOn)), sau hạn \
                    \(WorkViews.date(t.due)): tính là chậm tiến độ, trừ khi người có thẩm quyền xác nhận do nguyên \
                    nhân khách quan (Nghị định 335, Điều \
                    14).</p>
                    <label class="choice"><input type="checkbox" name="cham_khach_quan" value="1"\
                    \(HTML.when(v["cham_khach_quan"] == "1", " checked"))> Chậm do nguyên nhân khách quan (miễn trừ)</label>
                    \(text("xac_nhan_cham", "Người có thẩm quyền xác nhận", v, required: false))
                    \(text("ly_do_cham", "Nguyên nhân khách quan", v, required: false))
                    </fieldset>
                    """)))
                """))
            parts.append("<h3>Trả lại</h3>" + form(req, t, "tra-lai", "Trả lại để làm lại", """
                \(text("ly_do", "Lý do trả lại", v))
                <label class="choice"><input type="checkbox" name="khach_quan" value="1"> Do nguyên nhân khách quan (không tính \
                lỗi)</label>
                """))
        }
        if m.offered.contains(.assign) {
            parts.append("<h3>Phân công trong đơn vị</h3>" + form(req, t, "phan-cong", "Phân công", primary: true,
                                                                 text("nguoi", "Mã cán bộ chủ trì", v)))
        }
        if m.offered.contains(.cancel) {
            parts.append(HTML("<details class=\"danger-zone\"><summary>Hủy nhiệm vụ</summary>") + form(req, t, "huy",
                "Hủy nhiệm vụ",
                confirm: "Hủy nhiệm vụ này? Không thể hoàn tác.", text("ly_do", "Lý do hủy", v)) + HTML("</details>"))
        }
        guard !parts.isEmpty else { return .empty }
        return "<section class=\"panel actions-panel\"><h2>Thao tác</h2>\(parts)</section>"
    }

    static func page(_ req: Request, _ m: TaskPageModel, flash: String?, isError: Bool, values: [String: String]) -> Page {
        let t = m.task
        let canAdd = m.offered.contains(.addEvidence)
        let participants = m.participants.compactMap { $0.personID.flatMap { m.participantNames[$0] } }
        let base = "/viec/\(t.id!.uuidString)"
        let evidenceRows = m.evidence.map { e in
            let what: HTML = switch e.kind {
            case "tep": HTML("""
                <a href=\"\(base)/minh-chung/\(e.id!.uuidString)\">\(e.name)</a> \
                <small>(\(VNNumber.format(Double(e.size) / 1024, decimals: 0)) KB)</small>
                """)
            case "lien-ket": HTML("""
                Liên kết: <a href=\"\(e.reference)\" rel=\"noopener noreferrer\" target=\"_blank\">\(e.reference)</a>
                """)
            default: HTML("Văn bản số \(e.reference)")
            }
            let remove: HTML = canAdd ? HTML("""
                <form method="post" action="\(base)/minh-chung/\(e.id!.uuidString)/go" class="inline" data-confirm="Gỡ minh chứng \
                «\(e.name)»?">\(req.csrfField)<button class="link">Gỡ</button></form>
                """) : .empty
            return HTML("<li>\(what) · \(e.addedBy), \(e.createdAt.map(DateFormatting.dateTime) ?? "") \(remove)</li>")
        }
        let upload: HTML = canAdd ? """
            <form method="post" action="\(base)/minh-chung" enctype="multipart/form-data" class="act">\(req.csrfField)<input type="hidden" \
            name="loai" value="tep">
            \(FormField("tep", """
                Tải lên tệp (\(m.evidenceTypes.map { $0.uppercased() }.joined(separator: ", ")); tối đa \
                \(m.evidenceMaxMegabytes) MB)
                """, .file(accept: m.evidenceTypes.map { "." + $0 }.joined(separator: ",")), required: true).html)\
            <button>Tải lên</button></form>
            <form method="post" action="\(base)/minh-chung" class="act">\(req.csrfField)
            \(FormField("loai", "Hoặc ghi", .select(FormField.options([("van-ban", "Số, ký hiệu văn bản"),
                                                                         ("lien-ket", "Liên kết (http…)")]))).html)
            \(FormField("noi_dung", "Nội dung", value: values["noi_dung"], required: true).html)<button>Thêm</button></form>
            """ : .empty
        let timeline = m.events.map { e in
            HTML("""
                <li><time>\(DateFormatting.dateTime(e.at))</time> · <strong>\(WorkService.eventLabels[e.kind] ?? e.kind)</strong> \
                · \(e.actorName)\(e.note.isEmpty ? "" : ": \(e.note)")\
                \(e.fromState != e.toState && !e.fromState.isEmpty
                    ? " (\(TaskState(rawValue: e.fromState)?.label ?? "") → \(TaskState(rawValue: e.toState)?.label ?? ""))" : "")</li>
                """)
        }
        let source = TaskSource(rawValue: t.source)
        let docDate = t.documentDate.isEmpty ? "" : " ngày \(WorkViews.date(t.documentDate))"
        let doc = t.documentNumber.isEmpty ? "" : " — văn bản số \(t.documentNumber)\(docDate)"
            + (t.documentIssuer.isEmpty ? "" : " của \(t.documentIssuer)")
        return Page(title: "\(t.code): \(t.title)", breadcrumbs: [("Tổng quan", "/"), ("Công việc", "/viec")], flash: flash,
                    flashIsError: isError, body: """
            <p>\(WorkViews.stateBadge(t.state, warning: m.warning))\
            \(t.verdict.isEmpty ? "" : " · Kết quả: \(WorkViews.verdictLabel(t.verdict))")</p>
            \(t.details.isEmpty ? .empty : HTML("<p class=\"description\">\(t.details)</p>"))
            <dl class="record">
            <div><dt>Người chủ trì</dt>\
            <dd>\(m.assignee.map { "\($0.fullName) (\($0.code))" } ?? "Chờ lãnh đạo đơn vị phân công")</dd></div>
            <div><dt>Đơn vị</dt><dd>\(m.unitName)</dd></div>
            <div><dt>Người giao</dt><dd>\(t.assignerName.isEmpty ? "Chưa duyệt (tự đề xuất)" : t.assignerName)</dd></div>
            <div><dt>Nguồn</dt><dd>\((source?.label ?? t.source) + doc)</dd></div>
            \(m.edxml.map { r in HTML("""
                <div><dt>Văn bản điện tử (edXML)</dt><dd>Gửi từ \(r.senderName) (\(r.senderID)) · \
                <span class="signature \(r.signature)">\(r.signatureNote)</span></dd></div>
                """) } ?? .empty)
            <div><dt>Sản phẩm</dt><dd>\(t.productName) (\(t.productCode))</dd></div>
            <div><dt>Số lượng × hệ số = khối lượng quy đổi</dt><dd>\
            \(DecimalText.vn(DecimalText.parse(t.quantity) ?? .zero)) \(t.productUnit) \
            × \(DecimalText.vn(text: t.factor))\
            \(t.complexity.isEmpty ? "" : " × \(DecimalText.parse(t.complexityFactor).map(DecimalText.vn) ?? "") (\(t.complexity))") \
            = \(DecimalText.vn(m.convertedUnits.rounded(places: 4)))</dd></div>
            <div><dt>Thời hạn</dt><dd>\(WorkViews.date(t.start)) → \(WorkViews.date(t.due))\
            \(t.requestedDue.isEmpty ? "" : " (xin gia hạn đến \(WorkViews.date(t.requestedDue)))")</dd></div>
            <div><dt>Ưu tiên</dt><dd>\(TaskPriority(rawValue: t.priority)?.label ?? t.priority)</dd></div>
            <div><dt>Tiến độ</dt><dd><progress max="100" value="\(t.percent)"></progress> \(t.percent)%</dd></div>
            <div><dt>Lỗi lớn · chậm hạn</dt><dd>\(t.majorErrors)\(t.exemptErrors > 0 ? " (miễn trừ \(t.exemptErrors))" : "") \
            · \(t.delays)\(t.exemptDelays > 0 ? " (miễn trừ \(t.exemptDelays))" : "")</dd></div>
            \(HTML.when(!t.delayExemptBy.isEmpty, HTML("""
                <div><dt>Miễn trừ chậm tiến độ</dt>\
                <dd>Xác nhận: \(t.delayExemptBy) — nguyên nhân: \(t.delayExemptReason)</dd></div>
                """)))
            <div><dt>Người phối hợp</dt>\
            <dd>\(participants.isEmpty ? "Không có" : participants.joined(separator: ", "))</dd></div>
            \(m.parent.map { p in HTML("""
                <div><dt>Thuộc nhiệm vụ</dt><dd><a href=\"/viec/\(p.id!.uuidString)\">\(p.code) — \(p.title)</a></dd></div>
                """) } ?? .empty)
            </dl>
            \(pendingSection(req, m))\(actions(req, m, values: values))
            <section id="minh-chung"><h2>Minh chứng (\(m.evidence.count))</h2>
            \(m.evidence.isEmpty ? HTML("<p class=\"empty\">Chưa có minh chứng.</p>") : HTML("""
                <ul class=\"evidence\">\(evidenceRows)</ul>
                """))\
            \(upload)</section>
            \(coordinationSection(req, m))\(ratingsSection(req, m))
            <section><h2>Nhiệm vụ con (\(m.children.count))</h2>
            \(m.children.isEmpty ? .empty : HTML("""
                <ul>\(m.children.map { c in HTML("""
                    <li><a href=\"/viec/\(c.id!.uuidString)\">\(c.code) — \(c.title)</a> · \
                    \(TaskState(rawValue: c.state)?.label ?? c.state)</li>
                    """) })</ul>
                """))
            \(HTML.when(m.offered.contains(.addSubtask), HTML("""
                <p><a href=\"/viec/moi?cha=\(t.id!.uuidString)\">+ Thêm nhiệm vụ con</a></p>
                """)))</section>
            <section><h2>Diễn biến</h2><ol class="timeline">\(timeline)</ol></section>
            <p><button type="button" data-print>In trang này</button> <a href="/viec">Về danh sách</a></p>
            """)
    }

    /// A decision waiting for a second leader (the task of a leader nobody stands above): who
    /// proposed what, and for the other leaders with the authority, confirm or refuse.
    static func pendingSection(_ req: Request, _ m: TaskPageModel) -> HTML {
        guard let p = m.pending else { return .empty }
        let (t, d) = (m.task, p.decision)
        let base = "/viec/\(t.id!.uuidString)"
        let version: HTML = "<input type=\"hidden\" name=\"phien_ban\" value=\"\(t.version)\">"
        let decide: HTML = p.mine ? """
            <form method="post" action="\(base)/bac-de-nghi" class="inline">\(req.csrfField)\(version)<button>Rút đề \
            nghị</button></form>
            """ : p.mayConfirm ? """
            <form method="post" action="\(base)/xac-nhan-de-nghi" class="inline" data-confirm="Xác nhận quyết định \
            «\(d.summary)»?">\(req.csrfField)\(version)<button class="primary">Xác nhận</button></form>
            <form method="post" action="\(base)/bac-de-nghi" class="record-form">\(req.csrfField)\(version)
            \(FormField("ly_do", "Lý do bác đề nghị", id: "ly_do_bac", required: true, maxLength: 500).html)
            <div class="actions"><button>Bác đề nghị</button></div></form>
            """ : .empty
        return """
            <section id="de-nghi" class="notice-box"><h2>Quyết định chờ xác nhận</h2>
            <p><strong>\(d.summary)</strong> — đề nghị của \(d.proposedByName) lúc \(DateFormatting.dateTime(d.proposedAt)).
            Người chủ trì không có cấp trên trong hệ thống, nên quyết định chỉ có hiệu lực khi một lãnh \
            đạo khác cùng thẩm quyền xác \
            nhận.</p>
            \(decide)</section>
            """
    }

    /// Đánh giá hài lòng: the task's public links with their QR codes and what people said.
    static func ratingsSection(_ req: Request, _ m: TaskPageModel) -> HTML {
        guard let (links, mode) = m.ratings else { return .empty }
        let t = m.task
        let decides = m.actor.decides
        let base = "/viec/\(t.id!.uuidString)/lien-ket-danh-gia"
        let items = links.map { s in
            let url = RatingController.publicURL(req, token: s.link.token)
            let comments = s.latest.filter { !$0.comment.isEmpty }.map { HTML("""
                <li>\(String(repeating: "★", count: $0.score)) — \($0.comment)</li>
                """) }
            return HTML("""
                <li class="rating-link">\
                <div>\(s.link.active ? HTML("""
                    <img src=\"/danh-gia/\(s.link.token)/qr.svg\" alt=\"Mã QR đánh giá\" width=\"132\" height=\"132\">
                    """) : .empty)</div>
                <div><p>\(s.link.active ? "Đang mở" : "Đã đóng") · <a href="\(url)">\(url)</a></p>
                <p><strong>\(s.count)</strong> lượt đánh \
                giá\(s.average.map { ", trung bình \(VNNumber.format($0, decimals: 1))/5" } ?? "")</p>
                \(comments.isEmpty ? .empty : HTML("<ul>\(comments)</ul>"))
                \(decides && s.link.active && mode == .token ? HTML("""
                    <form method=\"post\" action=\"\(base)/\(s.link.id!.uuidString)/phieu\" class=\"inline\">\(req.csrfField)\
                    \(FormField("so_phieu", "Số phiếu", value: "10", .text(.number), id: "so_phieu_\(s.link.id!.uuidString)", min: 1,
                                max: ReceiptRules.maxTokensPerPrint).bare()) <button>In phiếu có mã QR riêng</button></form>
                    """) : .empty)
                \(decides && s.link.active ? HTML("""
                    <form method=\"post\" action=\"\(base)/\(s.link.id!.uuidString)/dong\" class=\"inline\" data-confirm=\"Đóng liên \
                    kết? \
                    Người dân sẽ không đánh giá qua liên kết này được nữa.\">\(req.csrfField)<button \
                    class=\"link\">Đóng liên \
                    kết</button></form>
                    """) : .empty)
                </div></li>
                """)
        }
        let open: HTML = decides && ![TaskState.cancelled.rawValue, TaskState.declined.rawValue].contains(t.state)
            ? HTML("""
                <form method=\"post\" action=\"\(base)\" class=\"inline\">\(req.csrfField)<button>Tạo liên kết đánh giá (mã \
                QR)</button></form>
                """) : .empty
        return """
            <section id="danh-gia"><h2>Đánh giá hài lòng của người được phục vụ</h2>
            <p class="hint">Người dân, tổ chức quét mã QR hoặc mở liên kết để chấm 1–5 sao, không cần đăng \
            nhập. Cơ quan nhận mã biên nhận \
            theo cách: \(mode.label.lowercased()) (<a href="\(ReceiptController.path)">thiết lập</a>).</p>
            \(links.isEmpty ? .empty : HTML("<ul class=\"rating-links\">\(items)</ul>"))\(open)</section>
            """
    }

    /// Đánh giá phối hợp: the lead rates each participant once the task is completed; others see the ratings.
    static func coordinationSection(_ req: Request, _ m: TaskPageModel) -> HTML {
        let (t, parts, names) = (m.task, m.participants, m.participantNames)
        guard !parts.isEmpty, t.state == TaskState.completed.rawValue else { return .empty }
        if m.offered.contains(.rateParticipants) {
            let rows = parts.map { p in
                let words = ["", "Rất kém", "Kém", "Đạt", "Tốt", "Rất tốt"]
                let levels = (1...5).reversed().map { n in FormField.Option(String(n), "\(n) — \(words[n])") }
                return HTML("""
                    <fieldset><legend>\(p.personID.flatMap { names[$0] } ?? "")</legend><input type="hidden" name="nguoi[]" \
                    value="\(p.id!.uuidString)">
                    \(FormField("diem[]", "Mức phối hợp", value: p.rating > 0 ? String(p.rating) : "",
                                .select(levels, blank: "— Chấm điểm —"),
                                id: "diem-\(p.id!.uuidString)", required: true).html)
                    \(FormField("nhan_xet[]", "Nhận xét", value: p.ratingNote, id: "nx-\(p.id!.uuidString)", maxLength: 500).html)\
                    </fieldset>
                    """)
            }
            return """
                <section id="phoi-hop" class="panel"><h2>Đánh giá người phối hợp</h2>
                <form method="post" action="/viec/\(t.id!.uuidString)/danh-gia-phoi-hop" class="act">\(req.csrfField)\(rows)
                <button class="primary">Lưu đánh giá phối hợp</button></form></section>
                """
        }
        let rows = parts.map { p in
            HTML("""
                <li>\(p.personID.flatMap { names[$0] } ?? ""): \
                \(p.rating == 0 ? "chưa đánh giá" : "\(p.rating)/5")\(p.ratingNote.isEmpty ? "" : " — \(p.ratingNote)")</li>
                """)
        }
        return "<section id=\"phoi-hop\"><h2>Đánh giá người phối hợp</h2><ul>\(rows)</ul></section>"
    }
}
