import Foundation
import KPICore
import Vapor

/// Góp ý (/gop-y): feedback sent from any page (the footer's link carries the page's address and
/// title), the list with search, filters and export, one piece with its answer, and the advisory
/// body's answer form.
struct FeedbackController {
    static let topics = ParamSpec.choice("chu_de", FeedbackTopic.allCases.map(\.rawValue), "Góp ý về")
    static let statuses = ParamSpec.choice("trang_thai", FeedbackStatus.allCases.map(\.rawValue), "Trạng thái")

    static func register(_ r: any RoutesBuilder) {
        r.get("gop-y", use: list).reads(.page, .search, .format, .notice, topics, statuses, .flag("cua_toi", "Góp ý của tôi"))
        r.get("gop-y", "moi", use: form).reads(topics, .text("ve", max: FeedbackDraft.maxSubject, "Cụ thể về"),
                                              .text("trang", max: FeedbackDraft.maxPage, "Trang"))
        r.post("gop-y", "moi", use: send).reads(
            .choice("chu_de", FeedbackTopic.allCases.map(\.rawValue), "Góp ý về", in: .form),
            .text("ve", max: FeedbackDraft.maxSubject, "Cụ thể về", in: .form),
            .text("trang", max: FeedbackDraft.maxPage, "Trang", in: .form),
            .text("noi_dung", max: FeedbackDraft.maxText, "Nội dung góp ý", in: .form))
        r.get("gop-y", ":id", use: show).reads(.notice)
        r.post("gop-y", ":id", "tra-loi", use: answer).reads(.text("tra_loi", max: FeedbackDraft.maxText, "Trả lời", in: .form))
    }

    static let path = "/gop-y"

    static func service(_ req: Request) throws -> FeedbackService {
        FeedbackService(store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    static func id(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw Abort(.notFound, reason: "Không có góp ý này, hoặc bạn không có quyền xem.")
        }
        return id
    }

    static func topic(_ f: Feedback) -> String { FeedbackTopic(rawValue: f.topic)?.label ?? f.topic }
    static func status(_ f: Feedback) -> String { FeedbackStatus(rawValue: f.status)?.label ?? f.status }

    /// The link at the foot of every page: feedback about this page, its title as the subject.
    static func footerLink(path: String, title: String) -> HTML {
        // Within the form's bounds: a long title is cut, an address too long for the form is left out.
        let query = Widgets.query(["chu_de": FeedbackTopic.page.rawValue, "trang": path.count <= FeedbackDraft.maxPage ? path : "",
                                   "ve": String(title.prefix(FeedbackDraft.maxSubject))])
        return HTML("<a href=\"/gop-y/moi?\(query)\">Góp ý về trang này</a> · <a href=\"/gop-y\">Góp ý đã gửi</a>")
    }

    @Sendable static func list(_ req: Request) async throws -> Response {
        let svc = try service(req)
        var q = FeedbackService.Query(q: req.input.text("q"), topic: req.input.text("chu_de"), status: req.input.text("trang_thai"),
                                      mine: req.input.text("cua_toi") == "1")
        q.page = req.input.page
        if !req.input.text("dinh_dang").isEmpty {
            var all = q
            all.page = 1
            let rows = try await svc.list(all, limit: 50_000).rows
            let table = [["Ngày gửi", "Người gửi", "Đơn vị", "Góp ý về", "Cụ thể về", "Trang", "Nội dung",
                          "Trạng thái", "Trả lời",
                          "Người trả lời", "Ngày trả lời"]] + rows.map { f in
                [f.createdAt.map(DateFormatting.dateTime) ?? "", f.senderName, f.unitName, topic(f), f.subject, f.page, f.text,
                 status(f), f.answer, f.answeredBy, f.answeredAt.map(DateFormatting.dateTime) ?? ""]
            }
            return try Download.table(table, name: "gop-y", format: req.input.text("dinh_dang"), at: req.now)
        }
        let (rows, total, open) = try await svc.list(q)
        let body = rows.map { f in
            let excerpt = f.text.count > 160 ? String(f.text.prefix(160)) + "…" : f.text
            return HTML("""
                <tr><td data-label="Ngày gửi">\(f.createdAt.map(DateFormatting.dateTime) ?? "")</td>
                <td data-label="Người gửi">\(f.senderName)\(f.unitName.isEmpty ? "" : " · \(f.unitName)")</td>
                <td data-label="Góp ý về">\(topic(f))\(f.subject.isEmpty ? "" : ": \(f.subject)")</td>
                <td data-label="Nội dung"><a href="/gop-y/\(f.id!.uuidString)">\(excerpt)</a></td>
                <td data-label="Trạng thái"><span class="badge \(f.status == FeedbackStatus.open.rawValue ? "warn" : "ok")">\
                \(status(f))</span></td></tr>
                """)
        }
        let params = Widgets.query(["q": q.q, "chu_de": q.topic, "trang_thai": q.status, "cua_toi": q.mine ? "1" : ""])
        let flash = ["gui": """
            Đã gửi góp ý. Cơ quan tham mưu sẽ trả lời; bạn nhận thông báo khi có trả lời.
            """][req.input.text("tb")]
        return req.page(Page(title: "Góp ý trong thí điểm", breadcrumbs: [("Tổng quan", "/")], flash: flash, body: """
            <div class="actions"><a class="button primary" href="/gop-y/moi">+ Gửi góp ý</a></div>
            <p class="hint">\(svc.mayAnswerAnywhere ? """
                Góp ý của cán bộ trong phạm vi bạn tham mưu, và góp ý của chính bạn. Trả lời từ trang của \
                từng góp ý; người \
                gửi nhận thông báo.
                """ : """
                Góp ý của bạn về tiêu chí, sản phẩm hay trang của phần mềm, và trả lời của cơ quan tham mưu.
                """)</p>
            <form method="get" class="filters" role="search">
            \(FormField("q", "Tìm", value: q.q, placeholder: "Người gửi, đơn vị, nội dung", width: .grow).html)
            \(FormField("chu_de", "Góp ý về", value: q.topic, .select(FeedbackTopic.allCases.map { .init($0.rawValue, $0.label) },
                                                                       blank: "Tất cả")).html)
            \(FormField("trang_thai", "Trạng thái", value: q.status,
                        .select(FeedbackStatus.allCases.map { .init($0.rawValue, $0.label) }, blank: "Tất cả")).html)
            \(HTML.when(svc.mayAnswerAnywhere, HTML("""
                <label class="choice"><input type="checkbox" name="cua_toi" value="1"\(HTML.when(q.mine, " checked"))> Chỉ góp ý \
                của tôi</label>
                """)))
            <div class="actions"><button>Lọc</button> <a href="/gop-y?\(params)&dinh_dang=xlsx">Xuất Excel</a> <a \
            href="/gop-y?\(params)&dinh_dang=csv">Xuất CSV</a></div></form>
            <p class="count">\(total) góp ý · \(open) chờ trả lời</p>
            \(rows.isEmpty ? HTML("<p class=\"empty\">Không có góp ý nào khớp bộ lọc.</p>") : HTML("""
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Ngày gửi</th><th scope="col">Người gửi</th>
            <th scope="col">Góp ý về</th><th scope="col">Nội dung</th><th scope="col">Trạng thái</th></tr></thead>
            <tbody>\(body)</tbody></table></div>
            """))
            \(Widgets.pager(page: q.page, perPage: 50, total: total) { "/gop-y?\(params)&trang=\($0)" })
            """))
    }

    static func formPage(_ req: Request, values v: [String: String], problems: [TaskProblem]) -> Page {
        let page = v["trang"] ?? ""
        return Page(title: "Gửi góp ý", breadcrumbs: [("Tổng quan", "/"), ("Góp ý", "/gop-y")], body: """
            \(Widgets.problems(problems.map(\.message)))
            <p class="hint">Góp ý về tiêu chí, chỉ số đánh giá, danh mục sản phẩm và hệ số quy đổi, hay một \
            trang \
            của phần mềm, giúp hoàn thiện hệ thống trong thời gian thí điểm. Cơ quan tham mưu đọc và trả \
            lời; bạn \
            nhận thông báo khi có trả lời.</p>
            <form method="post" action="/gop-y/moi" class="record-form">\(req.csrfField)
            <input type="hidden" name="trang" value="\(page)">
            \(FormField("chu_de", "Góp ý về", value: v["chu_de"] ?? FeedbackTopic.page.rawValue,
                        .select(FeedbackTopic.allCases.map { .init($0.rawValue, $0.label) }), required: true).html(problems))
            \(FormField("ve", "Cụ thể về", value: v["ve"],
                        hint: "Mã hoặc tên tiêu chí, sản phẩm, tên trang… (không bắt buộc)",
                        maxLength: FeedbackDraft.maxSubject).html(problems))
            \(page.isEmpty ? .empty : HTML("<p class=\"hint\">Gửi từ trang: <a href=\"\(page)\">\(page)</a></p>"))
            \(FormField("noi_dung", "Nội dung góp ý", value: v["noi_dung"], .textarea(rows: 6), required: true,
                        hint: "Điều chưa hợp lý và đề xuất sửa đổi (10 đến 4.000 ký tự).",
                        maxLength: FeedbackDraft.maxText).html(problems))
            <div class="actions"><button class="primary">Gửi góp ý</button> <a href="\(page.isEmpty ? "/gop-y" : page)">Hủy \
            bỏ</a></div></form>
            """)
    }

    @Sendable static func form(_ req: Request) async throws -> Response {
        _ = try service(req)
        // A hostile or foreign address is dropped here and refused again when sent.
        let page = TextNormalizer.clean(req.input.text("trang"))
        let safe = FeedbackDraft.isApplicationPath(page) ? page : ""
        return req.page(formPage(req, values: ["chu_de": req.input.text("chu_de"), "ve": req.input.text("ve"), "trang": safe],
                                 problems: []))
    }

    @Sendable static func send(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let v = try req.content.decode([String: String].self)
        do {
            _ = try await svc.send(FeedbackDraft(topic: v["chu_de"] ?? "", subject: v["ve"] ?? "", page: v["trang"] ?? "",
                                                 text: v["noi_dung"] ?? ""))
            return req.redirect(to: "/gop-y?tb=gui")
        } catch let e as WorkService.Invalid {
            return req.page(formPage(req, values: v, problems: e.problems), status: .unprocessableEntity)
        }
    }

    static func detail(_ req: Request, _ svc: FeedbackService, _ f: Feedback, flash: String? = nil, isError: Bool = false,
                       answer: String = "", problems: [TaskProblem] = []) -> Page {
        let open = f.status == FeedbackStatus.open.rawValue
        let answerForm: HTML = open && svc.mayAnswer(f) && f.userID != svc.principal.userID ? """
            <section class="panel"><h2>Trả lời</h2>
            <form method="post" action="/gop-y/\(f.id!.uuidString)/tra-loi" class="record-form" data-confirm="Gửi trả \
            lời? Sau khi gửi không sửa được; người góp ý nhận thông báo.">\(req.csrfField)
            \(FormField("tra_loi", "Nội dung trả lời", value: answer, .textarea(rows: 5), required: true,
                        maxLength: FeedbackDraft.maxText).html(problems))
            <div class="actions"><button class="primary">Gửi trả lời</button></div></form></section>
            """ : .empty
        return Page(title: "Góp ý: \(topic(f).lowercased())", breadcrumbs: [("Tổng quan", "/"), ("Góp ý", "/gop-y")], flash: flash,
                    flashIsError: isError, body: """
            <dl class="record">
            <div><dt>Người gửi</dt><dd>\(f.senderName)\(f.unitName.isEmpty ? "" : " · \(f.unitName)")</dd></div>
            <div><dt>Ngày gửi</dt><dd>\(f.createdAt.map(DateFormatting.dateTime) ?? "")</dd></div>
            <div><dt>Góp ý về</dt><dd>\(topic(f))\(f.subject.isEmpty ? "" : ": \(f.subject)")</dd></div>
            \(f.page.isEmpty ? .empty : HTML("<div><dt>Trang</dt><dd><a href=\"\(f.page)\">\(f.page)</a></dd></div>"))
            <div><dt>Trạng thái</dt><dd>\(status(f))</dd></div>
            </dl>
            <h2>Nội dung</h2><p class="description">\(f.text)</p>
            \(open ? .empty : HTML("""
                <h2>Trả lời của cơ quan tham mưu</h2><p class=\"description\">\(f.answer)</p>
                <p class=\"hint\">\(f.answeredBy), \(f.answeredAt.map(DateFormatting.dateTime) ?? "")</p>
                """))
            \(answerForm)
            <p><button type="button" data-print>In trang này</button> <a href="/gop-y">Về danh sách</a></p>
            """)
    }

    @Sendable static func show(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let flash = ["tra-loi": "Đã gửi trả lời; người góp ý nhận thông báo."][req.input.text("tb")]
        return req.page(detail(req, svc, try await svc.find(id(req)), flash: flash))
    }

    @Sendable static func answer(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let id = try id(req)
        let text = (try? req.content.decode([String: String].self))?["tra_loi"] ?? ""
        do {
            try await svc.answer(id, text)
            return req.redirect(to: "/gop-y/\(id.uuidString)?tb=tra-loi")
        } catch let e as WorkService.Invalid {
            return req.page(detail(req, svc, try await svc.find(id), answer: text, problems: e.problems), status: .unprocessableEntity)
        } catch let e as WorkService.Refused {
            guard !e.forbidden else { throw Abort(.forbidden, reason: e.message) }
            return req.page(detail(req, svc, try await svc.find(id), flash: e.message, isError: true), status: .conflict)
        }
    }
}
