import Foundation
import Fluent
import KPICore
import Vapor

/// After publication, on the sheet: the revisions (the current one marked), the person's complaints
/// with the head's answers, the re-review cases; on the period page: the complaints and the
/// re-reviews of the period, and opening re-review cases.
enum EvaluationAfterPage {
    static func register(_ r: any RoutesBuilder) {
        r.post("ky-danh-gia", ":id", "phieu", ":person", "kien-nghi", use: file).reads(.notice)
        r.post("ky-danh-gia", ":id", "kien-nghi", ":cid", use: answer).reads(.notice)
        r.post("ky-danh-gia", ":id", "phuc-tra", use: openCases).reads(EvaluationPeriodPage.pageParams).reads(.int("mau",
            -1_000_000...1_000_000, "Số hồ sơ chọn mẫu", in: .form))
        r.post("ky-danh-gia", ":id", "phuc-tra", ":rid", use: conclude).reads(.notice)
    }

    static let kinds = ["phe-duyet": "Phê duyệt", "kien-nghi": "Kiến nghị", "phuc-tra": "Phúc tra",
        "ket-luan": "Kết luận suy thoái, tham nhũng"]
    static let complaintStates = ["cho-tra-loi": "Chờ trả lời", "chap-nhan": "Chấp nhận",
                                  "khong-chap-nhan": "Không chấp nhận"]
    static let caseStates = ["dang-phuc-tra": "Đang phúc tra", "giu-nguyen": "Giữ nguyên", "dieu-chinh": "Điều chỉnh"]

    /// The correction fields of an answer or a conclusion.
    static func correctionFields(_ rubric: [EvaluationSheetPage.Rubric], current: [String: String], noTasks: Bool, prefix: String) -> HTML {
        let selects = rubric.map { r in
            FormField("sua_\(r.code)", "\(r.code) — \(r.name)", value: current[r.code] ?? r.levels.first ?? "",
                      .select(r.levels.map { .init($0, $0) }), id: prefix + "sua_" + r.code).html
        }
        return HTML("""
            <fieldset><legend>Nội dung điều chỉnh (khi chấp nhận hoặc điều chỉnh)</legend>
            \(selects)
            \(HTML.when(noTasks, FormField("sua_diem_nv", "Điểm kết quả nhiệm vụ", id: prefix + "sua_diem_nv", maxLength: 10,
                                           inputMode: .decimal).html))
            <div class="field"><label class="check"><input type="checkbox" name="lam_moi" value="1"> Tính lại theo dữ liệu công \
            việc hiện \
            tại (khi nhiệm vụ, đánh giá đã được sửa)</label></div>
            <div class="field"><label for="\(prefix)sua_quyet_dinh">Quyết định cho phép vượt hạn mức xuất sắc (nếu \
            có)</label><input \
            id="\(prefix)sua_quyet_dinh" name="sua_quyet_dinh" maxlength="200"></div>
            </fieldset>
            """)
    }

    static func correction(_ v: [String: String]) -> EvaluationFlow.Correction {
        EvaluationFlow.Correction(rubric: EvaluationSheetPage.choices(v, "sua_").filter { $0.key != "diem_nv" && $0.key != "quyet_dinh" },
                                  taskScore: v["sua_diem_nv"], refresh: v["lam_moi"] == "1", decision: v["sua_quyet_dinh"] ?? "")
    }

    /// The sections shown on a sheet once its result is published.
    static func sections(_ req: Request, _ f: EvaluationFlow, _ p: EvaluationPeriod, _ e: Evaluation, rubric: [EvaluationSheetPage.Rubric],
                         noTasks: Bool) async throws -> HTML {
        let revisions = try await f.revisions(e)
        guard !revisions.isEmpty else { return .empty }
        let base = "/ky-danh-gia/\(p.id!.uuidString)"
        let current = revisions.first.flatMap { try? JSONDecoder().decode(ScoreInputData.self,
                                                                          from: Data($0.inputs.utf8)) }?.metrics?.rubric ?? [:]
        let revRows = revisions.map { r in
            HTML("""
                <tr><td data-label="Phiên bản" class="num">\(r.number)\
                \(HTML.when(r.number == e.revision, " <span class=\"badge ok\">hiện hành</span>"))</td>
                <td data-label="Căn cứ">\(kinds[r.kind] ?? r.kind)</td><td data-label="Điểm" \
                class="num">\(ResultController.score(r.hundredths))</td>
                <td data-label="Xếp loại">\(Level(rawValue: r.level)?.label ?? "Chưa xếp loại")</td><td data-label="Ghi \
                chú">\(r.note)</td>
                <td data-label="Người thực hiện">\(r.author), \(r.createdAt.map(DateFormatting.dateTime) ?? "")</td></tr>
                """)
        }
        let complaints = try await Complaint.query(on: req.db).filter(\.$periodID == e.periodID).filter(\.$personID == e.personID)
            .sort(\.$filedAt).all()
        let cases = try await ReReview.query(on: req.db).filter(\.$periodID == e.periodID).filter(\.$personID == e.personID)
            .sort(\.$openedAt).all()
        let isMe = e.personID == f.principal.personID
        let state = EvaluationFlow.state(p)
        let windowOpen = (state == .published || state == .locked) && (DateOnly(parsing: p.objectionUntil).map { req.today <= $0 } ?? false)
        let complaintItems = complaints.map { c in
            HTML("""
                <li><p><strong>\(complaintStates[c.state] ?? c.state)</strong> · gửi \(DateFormatting.dateTime(c.filedAt)) · hạn \
                trả \
                lời \(EvaluationPeriodPage.date(c.answerDue))</p>
                <blockquote>\(c.reasons)</blockquote>\(c.evidence.isEmpty ? .empty : HTML("<p>Minh chứng: \(c.evidence)</p>"))
                \(c.answeredAt.map { HTML("""
                    <p>Trả lời (\(c.answeredBy), \(DateFormatting.dateTime($0))): \
                    \(c.answer)\(c.revision.map { " — phiên bản \($0)" } ?? "")</p>
                    """) } ?? .empty)
                \(c.state == EvaluationFlow.complaintOpen && f.mayApprove(p) ? HTML("""
                <form method="post" action="\(base)/kien-nghi/\(c.id!.uuidString)" class="record-form" data-confirm="Gửi trả lời \
                kiến \
                nghị? Nếu chấp nhận, kết quả được sửa thành phiên bản mới.">\(req.csrfField)
                \(FormField("tra_loi", "Trả lời", .textarea(rows: 3), id: "tra_loi_\(c.id!.uuidString)", required: true,
                            maxLength: 4000).html)
                <div class="field"><label class="check"><input type="radio" name="ket_qua" value="chap-nhan"> Chấp nhận, sửa kết \
                quả</label>
                <label class="check"><input type="radio" name="ket_qua" value="khong-chap-nhan" checked> Không chấp nhận</label></div>
                \(correctionFields(rubric, current: current, noTasks: noTasks, prefix: "kn_"))
                <div class="actions"><button class="primary">Gửi trả lời</button></div></form>
                """) : .empty)</li>
                """)
        }
        let complaintForm: HTML = isMe && windowOpen && !complaints.contains(where: { $0.state == EvaluationFlow.complaintOpen }) ? HTML("""
            <form method="post" action="\(base)/phieu/\(e.personCode)/kien-nghi" class="record-form" data-confirm="Gửi kiến nghị \
            về kết \
            quả đánh giá của bạn?">\(req.csrfField)
            \(FormField("ly_do", "Lý do kiến nghị", .textarea(rows: 4), required: true, maxLength: 4000).html)
            \(FormField("minh_chung", "Minh chứng (số văn bản, đường dẫn; mỗi dòng một minh chứng)", .textarea(rows: 2),
                        maxLength: 2000).html)
            <p class="hint">Nhận kiến nghị đến hết \(EvaluationPeriodPage.date(p.objectionUntil)).</p>
            <div class="actions"><button class="primary">Gửi kiến nghị</button></div></form>
            """) : .empty
        let caseItems = cases.map { r in
            HTML("""
                <li><p><strong>\(caseStates[r.state] ?? r.state)</strong> · \(r.how == "mau" ? "chọn mẫu" : "chỉ định") \
                bởi \(r.openedBy), \(DateFormatting.dateTime(r.openedAt))</p>
                \(r.concludedAt.map { HTML("""
                    <p>Kết luận (\(r.concludedBy), \(DateFormatting.dateTime($0))): \
                    \(r.conclusion)\(r.revision.map { " — phiên bản \($0)" } ?? "")</p>
                    """) } ?? .empty)
                \(r.state == "dang-phuc-tra" && f.mayReReview(p) ? HTML("""
                <form method="post" action="\(base)/phuc-tra/\(r.id!.uuidString)" class="record-form" data-confirm="Ghi kết luận phúc \
                tra? \
                Nếu điều chỉnh, kết quả được sửa thành phiên bản mới.">\(req.csrfField)
                \(FormField("ket_luan", "Kết luận", .textarea(rows: 3), id: "ket_luan_\(r.id!.uuidString)", required: true,
                            maxLength: 4000).html)
                <div class="field"><label class="check"><input type="radio" name="ket_qua" value="dieu-chinh"> Điều chỉnh kết \
                quả</label>
                <label class="check"><input type="radio" name="ket_qua" value="giu-nguyen" checked> Giữ nguyên</label></div>
                \(correctionFields(rubric, current: current, noTasks: noTasks, prefix: "pt_"))
                <div class="actions"><button class="primary">Ghi kết luận</button></div></form>
                """) : .empty)</li>
                """)
        }
        return HTML("""
            <h2>Các phiên bản kết quả</h2>
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Phiên bản</th><th scope="col">Căn cứ</th><th \
            scope="col">Điểm</th>
            <th scope="col">Xếp loại</th><th scope="col">Ghi chú</th><th scope="col">Người thực hiện</th></tr></thead>\
            <tbody>\(revRows)</tbody></table></div>
            <h2>Kiến nghị</h2>
            \(complaints.isEmpty ? HTML("<p class=\"empty\">Chưa có kiến nghị.</p>") : HTML("""
                <ul class=\"cases\">\(complaintItems)</ul>
                """))
            \(complaintForm)
            \(cases.isEmpty ? .empty : HTML("<h2>Phúc tra</h2><ul class=\"cases\">\(caseItems)</ul>"))
            """)
    }

    static func back(_ req: Request, _ id: UUID, _ code: String, _ tb: String) -> Response {
        req.redirect(to: "/ky-danh-gia/\(id.uuidString)/phieu/\(code)?tb=\(tb)")
    }

    @Sendable static func file(_ req: Request) async throws -> Response {
        try await EvaluationSheetPage.handle(req) { f, id, code, v in
            _ = try await f.fileComplaint(id, personCode: code, reasons: v["ly_do"] ?? "", evidence: v["minh_chung"] ?? "",
                                          answerDays: req.application.settings.complaintAnswerDays)
        }
    }

    @Sendable static func answer(_ req: Request) async throws -> Response {
        let f = try EvaluationPeriodPage.flow(req)
        let id = try EvaluationPeriodPage.id(req)
        guard let cid = req.parameters.get("cid").flatMap(UUID.init(uuidString:)), let c = try await Complaint.find(cid, on: req.db),
        c.periodID == id else {
            throw Abort(.notFound, reason: "Không có kiến nghị này.")
        }
        let v = try req.content.decode([String: String].self)
        do {
            try await f.answerComplaint(cid, accept: v["ket_qua"] == "chap-nhan", answer: v["tra_loi"] ?? "", correction: correction(v))
            return back(req, id, c.personCode, "luu")
        } catch let e as WorkService.Refused {
            req.parameters.set("person", to: c.personCode)
            return try await EvaluationSheetPage.render(req, values: nil, problem: e.message, status: .unprocessableEntity)
        }
    }

    @Sendable static func openCases(_ req: Request) async throws -> Response {
        let f = try EvaluationPeriodPage.flow(req)
        let id = try EvaluationPeriodPage.id(req)
        let v = try req.content.decode([String: String].self)
        do {
            let codes = (v["ma"] ?? "").split(whereSeparator: { $0 == "," || $0 == ";" || $0.isWhitespace }).map(String.init)
            let opened = try await f.openReReviews(id, personCodes: codes, sample: Int(v["mau"] ?? "0") ?? -1)
            return req.redirect(to: "/ky-danh-gia/\(id.uuidString)?tb=phuc-tra&n=\(opened.count)")
        } catch let e as WorkService.Refused {
            return try await EvaluationPeriodPage.render(req, problem: e.message, status: .unprocessableEntity)
        }
    }

    @Sendable static func conclude(_ req: Request) async throws -> Response {
        let f = try EvaluationPeriodPage.flow(req)
        let id = try EvaluationPeriodPage.id(req)
        guard let rid = req.parameters.get("rid").flatMap(UUID.init(uuidString:)), let r = try await ReReview.find(rid, on: req.db),
        r.periodID == id else {
            throw Abort(.notFound, reason: "Không có hồ sơ phúc tra này.")
        }
        let v = try req.content.decode([String: String].self)
        do {
            try await f.concludeReReview(rid, change: v["ket_qua"] == "dieu-chinh", conclusion: v["ket_luan"] ?? "",
                                         correction: correction(v))
            return back(req, id, r.personCode, "luu")
        } catch let e as WorkService.Refused {
            req.parameters.set("person", to: r.personCode)
            return try await EvaluationSheetPage.render(req, values: nil, problem: e.message, status: .unprocessableEntity)
        }
    }

    /// On the period page: complaints and re-review cases of the period, and opening cases.
    static func periodSection(_ req: Request, _ f: EvaluationFlow, _ p: EvaluationPeriod) async throws -> HTML {
        let state = EvaluationFlow.state(p)
        guard state == .published || state == .locked else { return .empty }
        let complaints = try await Complaint.query(on: req.db).filter(\.$periodID == p.requireID()).sort(\.$filedAt).all()
        let cases = try await ReReview.query(on: req.db).filter(\.$periodID == p.requireID()).sort(\.$openedAt).all()
        let base = "/ky-danh-gia/\(p.id!.uuidString)"
        let list = complaints.map { c in
            HTML("""
                <li><a href=\"\(base)/phieu/\(c.personCode)\">\(c.personCode)</a> · \(complaintStates[c.state] ?? c.state) · hạn trả \
                lời \
                \(EvaluationPeriodPage.date(c.answerDue))</li>
                """)
        } + cases.map { r in
            HTML("""
                <li><a href=\"\(base)/phieu/\(r.personCode)\">\(r.personCode)</a> · phúc tra \
                (\(r.how == "mau" ? "chọn mẫu" : "chỉ định")) \
                · \(caseStates[r.state] ?? r.state)</li>
                """)
        }
        let form: HTML = state == .locked && f.mayReReview(p) ? HTML("""
            <details class="panel"><summary>Phúc tra</summary>
            <form method="post" action="\(base)/phuc-tra" class="record-form">\(req.csrfField)
            \(FormField("ma", "Mã người cần phúc tra (cách nhau bởi dấu phẩy)", maxLength: 2000).html)
            \(FormField("mau", "Số hồ sơ chọn mẫu ngẫu nhiên thêm", value: "0", maxLength: 3, inputMode: .numeric).html)
            <div class="actions"><button class="primary">Mở phúc tra</button></div></form></details>
            """) : .empty
        return HTML("""
            <section class="panel"><h2>Kiến nghị và phúc tra</h2>
            \(list.isEmpty ? HTML("""
                <p class=\"empty\">Chưa có kiến nghị hay hồ sơ phúc tra.</p>
                """) : HTML("<ul>\(list)</ul>"))</section>
            \(form)
            """)
    }
}
