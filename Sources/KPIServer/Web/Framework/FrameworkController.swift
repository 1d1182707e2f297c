import Foundation
import KPICore
import Vapor

/// Bộ chỉ số pages: /khung-danh-gia[/xuat | /<id>[/nhap | /sua | /kiem-tra | /so-sanh | /xem-truoc | /ban-hanh | /phai-sinh]].
struct FrameworkController {
    static func register(_ r: any RoutesBuilder) {
        let c = r.grouped("khung-danh-gia")
        c.get(use: list).reads(.search, .notice, .text("trang_thai", max: 30, "Trạng thái"))
        c.get("xuat", use: export).reads(.format, .search, .text("trang_thai", max: 30, "Trạng thái"))
        c.get(":id", use: show).reads(.notice)
        c.post(":id", "nhap", use: startDraft)
        c.get(":id", "sua", use: editForm)
        c.post(":id", "sua", use: save)
        c.post(":id", "kiem-tra", use: check)
        c.get(":id", "so-sanh", use: compare)
        c.get(":id", "xem-truoc", use: preview)
        c.post(":id", "ban-hanh", use: publish)
        c.post(":id", "phai-sinh", use: derive)
    }

    static func service(_ req: Request) throws -> FrameworkService {
        FrameworkService(store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    static func id(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw Abort(.notFound) }
        return id
    }

    static func base(_ id: UUID) -> String { "/khung-danh-gia/\(id.uuidString)" }

    @Sendable static func list(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let q = TextNormalizer.fold(req.input.text("q"))
        let status = req.input.text("trang_thai")
        let all = try await svc.list().filter {
            (q.isEmpty || TextNormalizer.fold($0.code + " " + $0.name).contains(q)) && (status.isEmpty || $0.status == status)
        }
        return req.page(FrameworkViews.list(all, q: req.input.text("q"), status: status, req: req))
    }

    @Sendable static func export(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let rows = try await svc.list().map { f in
            [f.code, f.name, Catalogs.label(Catalogs.staffKinds, f.staffKind), String(f.version), FrameworkViews.statusText(f,
                today: req.today),
             DateOnly(parsing: f.effectiveFrom)?.display ?? ""]
        }
        return try Download.table([["Mã", "Tên", "Áp dụng cho", "Phiên bản", "Trạng thái", "Hiệu lực từ"]] + rows,
                                  name: "bo-chi-so",
                                  format: req.input.text("dinh_dang").nonEmpty(or: "xlsx"), at: req.now)
    }

    @Sendable static func show(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let f = try await svc.find(try id(req))
        let versions = try await svc.lineage(f)
        let flash: String? = switch req.input.text("tb") {
        case "luu": "Đã lưu bản nháp."
        case "ban-hanh": "Đã ban hành."
        case "nhap": "Đã tạo bản nháp từ phiên bản đang áp dụng."
        case "phai-sinh": "Đã tạo bản nháp của cơ quan từ bộ chỉ số chung."
        default: nil
        }
        return req.page(FrameworkViews.show(f, versions: versions, svc: svc, flash: flash, problems: [], req: req))
    }

    @Sendable static func startDraft(_ req: Request) async throws -> Response {
        let draft = try await service(req).startDraft(from: try id(req))
        return req.redirect(to: base(draft) + "?tb=nhap")
    }

    @Sendable static func editForm(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let f = try await svc.find(try id(req))
        try svc.requireEdit(f)
        guard f.status == "draft" else { return req.redirect(to: base(f.id!)) }
        return req.page(FrameworkViews.form(f, definition: FrameworkService.decode(f), note: f.note, indicatorsText: nil, groupsText: nil,
                                            problems: [], req: req))
    }

    /// The form's fields, as typed (kept whole when the save is refused).
    struct Form: Content {
        var taskPoints: String?, taskFormula: String?, leaderTaskFormula: String?, errorPenalty: String?, delayPenalty: String?
        var satisfactionMax: String?, coordinationMax: String?, disciplineMax: String?, indicators: String?
        var excellentThreshold: String?, goodThreshold: String?, passThreshold: String?
        var onTimeForExcellent: String?, onTimeForGood: String?, quotaRate: String?, quotaPool: String?, quotaRounding: String?
        var period: String?, note: String?, groupCodes: String?

        /// The definition, numbers normalized to dot decimals; problems of the indicator lines.
        func definition() -> (FrameworkDefinition, [FrameworkDefinition.Problem]) {
            var d = FrameworkDefinition()
            func num(_ s: String?) -> String {
                let t = TextNormalizer.clean(s ?? "")
                return DecimalText.parse(t).map(DecimalText.plain) ?? t
            }
            d.taskPoints = num(taskPoints); d.errorPenalty = num(errorPenalty); d.delayPenalty = num(delayPenalty)
            d.taskFormula = TextNormalizer.clean(taskFormula ?? ""); d.leaderTaskFormula = TextNormalizer.clean(leaderTaskFormula ?? "")
            d.satisfactionMax = num(satisfactionMax); d.coordinationMax = num(coordinationMax); d.disciplineMax = num(disciplineMax)
            d.excellentThreshold = num(excellentThreshold); d.goodThreshold = num(goodThreshold); d.passThreshold = num(passThreshold)
            d.onTimeForExcellent = num(onTimeForExcellent); d.onTimeForGood = num(onTimeForGood)
            d.quotaRate = num(quotaRate); d.quotaPool = quotaPool ?? ""; d.quotaRounding = quotaRounding ?? ""; d.period = period ?? ""
            switch FrameworkDefinition.parseIndicators(indicators ?? "") {
            case .success(let list): d.indicators = list; return (d, [])
            case .failure(let p): d.indicators = []; return (d, [p])
            }
        }
    }

    @Sendable static func save(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let f = try await svc.find(try id(req))
        let form = try req.content.decode(Form.self)
        let (d, lineProblems) = form.definition()
        do {
            guard lineProblems.isEmpty else { throw FrameworkService.Invalid(problems: lineProblems) }
            try await svc.save(f.id!, definition: d, groups: form.groupCodes, note: TextNormalizer.clean(form.note ?? ""))
            return req.redirect(to: base(f.id!) + "?tb=luu")
        } catch let e as FrameworkService.Invalid {
            return req.page(FrameworkViews.form(f, definition: d, note: form.note ?? "", indicatorsText: form.indicators,
                                                groupsText: form.groupCodes, problems: e.problems, req: req), status: .unprocessableEntity)
        }
    }

    /// Validation as you type: the problems of the form's current values, as JSON.
    @Sendable static func check(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let f = try await svc.find(try id(req))
        try svc.requireEdit(f)
        let (d, lineProblems) = try req.content.decode(Form.self).definition()
        let problems = lineProblems.isEmpty ? try await svc.problems(d, for: f) : lineProblems
        let body = try JSONEncoder().encode(problems.map { ["field": $0.field, "message": $0.message] })
        return Response(status: .ok, headers: ["Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"],
                        body: .init(data: body))
    }

    @Sendable static func compare(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let f = try await svc.find(try id(req))
        var other = try await svc.published(f)
        if other?.id == f.id { other = try await svc.lineage(f).first { $0.status == "published" && $0.id != f.id } }
        if other == nil, let parentID = f.parentID { other = try await svc.find(parentID) }
        return req.page(FrameworkViews.compare(f, with: other, today: req.today))
    }

    @Sendable static func preview(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let f = try await svc.find(try id(req))
        do {
            return req.page(FrameworkViews.preview(f, try await svc.preview(f.id!)))
        } catch let e as FrameworkDefinition.Problem {
            return req.page(Page(title: "Xem trước tác động", breadcrumbs: FrameworkViews.crumbs(f),
                                 flash: "Bản nháp còn lỗi nên chưa xem trước được: \(e.description)",
                                 flashIsError: true, body: "<p><a href=\"\(base(f.id!))/sua\">Sửa bản nháp</a></p>"),
                                 status: .unprocessableEntity)
        }
    }

    struct PublishForm: Content { var hieu_luc: String?; var xac_nhan: String? }

    @Sendable static func publish(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let f = try await svc.find(try id(req))
        try svc.requireEdit(f)
        let form = try req.content.decode(PublishForm.self)
        var problems: [FrameworkDefinition.Problem] = []
        let date = DateOnly(parsing: form.hieu_luc ?? "")
        if date == nil { problems.append(.init("effectiveFrom", "nhập ngày hiệu lực dạng dd/MM/yyyy")) }
        if form.xac_nhan != "1" { problems.append(.init("confirm",
                                                        """
                                                            đánh dấu ô xác nhận: phiên bản đã ban hành không sửa được \
                                                            nữa
                                                            """)) }
        do {
            guard problems.isEmpty, let date else { throw FrameworkService.Invalid(problems: problems) }
            try await svc.publish(f.id!, effective: date)
            return req.redirect(to: base(f.id!) + "?tb=ban-hanh")
        } catch let e as FrameworkService.Invalid {
            let versions = try await svc.lineage(f)
            return req.page(FrameworkViews.show(f, versions: versions, svc: svc, flash: nil, problems: e.problems, req: req),
                            status: .unprocessableEntity)
        }
    }

    struct DeriveForm: Content { var co_quan: String? }

    @Sendable static func derive(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let f = try await svc.find(try id(req))
        do {
            let id = try await svc.derive(f.id!, agencyCode: TextNormalizer.clean(try req.content.decode(DeriveForm.self).co_quan ?? ""))
            return req.redirect(to: base(id) + "?tb=phai-sinh")
        } catch let e as FrameworkService.Invalid {
            let versions = try await svc.lineage(f)
            return req.page(FrameworkViews.show(f, versions: versions, svc: svc, flash: nil, problems: e.problems, req: req),
                            status: .unprocessableEntity)
        }
    }
}
