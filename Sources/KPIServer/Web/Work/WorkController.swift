import Foundation
import Fluent
import KPICore
import Vapor

/// Công việc: the lists (/viec), the new-task form, a task's page with its actions and evidence.

struct WorkController {
    static func register(_ r: any RoutesBuilder) {
        let listParams: [ParamSpec] = [.page, .search, .unitCode, .dateFrom, .dateTo, .text("xem", max: 20, "Danh sách"),
                                 .text("trang_thai", max: 30, "Trạng thái")]
        r.get("viec", use: list).reads(listParams + [.notice, .int("so", 0...100_000, "Số nhiệm vụ")])
        r.get("viec", "xuat", use: export).reads(listParams + [.format])
        r.get("viec", "bang", use: board).reads(.unitCode, .format, .flag("moi", "Cập nhật ngay"))
        r.get("viec", "lich", use: calendar).reads(listParams + [.text("thang", max: 7, "Tháng")])
        r.get("viec", "moi", use: newForm).reads(.flag("de_xuat", "Đề xuất"), .uuid("cha", "Nhiệm vụ cha"))
        r.post("viec", "moi", use: create)
        r.get("viec", "thuong-xuyen", use: recurringList).reads(.notice)
        r.post("viec", "thuong-xuyen", use: recurringCreate).reads(.int("ngay_den_han", -1_000_000...1_000_000, "Ngày đến hạn",
                                                                        in: .form))
        r.post("viec", "thuong-xuyen", ":id", "ngung", use: recurringStop)
        r.get("viec", "van-ban-den", use: incomingForm)
        r.post("viec", "van-ban-den", use: incomingPost).accepts(.edxml)
        r.get("viec", "hang-loat", use: batchForm)
        r.post("viec", "hang-loat", use: batchPost)
        r.get("viec", ":id", use: show).reads(.notice)
        r.post("viec", ":id", "minh-chung", use: addEvidence).accepts(.evidence)
        r.post("viec", ":id", "danh-gia-phoi-hop", use: rateParticipants)
        r.get("viec", ":id", "minh-chung", ":eid", use: download)
        r.post("viec", ":id", "minh-chung", ":eid", "go", use: removeEvidence)
        r.post("viec", ":id", ":action", use: act).reads(.version, .int("phan_tram", -1_000_000...1_000_000, "Tiến độ", in: .form),
                                                          .int("so_loi", -1_000_000...1_000_000, "Số lỗi lớn", in: .form))
    }

    static func service(_ req: Request) throws -> WorkService {
        WorkService(store: req.store, principal: try req.requirePrincipal(), actor: req.actor, settings: req.application.settings)
    }

    static func id(_ req: Request, _ name: String = "id") throws -> UUID {
        guard let id = req.parameters.get(name).flatMap(UUID.init(uuidString:)) else { throw Abort(.notFound,
            reason: "Không có nhiệm vụ này.") }
        return id
    }

    static func listQuery(_ req: Request) async throws -> WorkService.ListQuery {
        let p = try req.requirePrincipal()
        let asked = WorkService.View(rawValue: req.input.text("xem"))
        let view = asked ?? (p.personID != nil ? .mine : .awaiting)
        var lq = WorkService.ListQuery(view: view, state: req.input.text("trang_thai"), q: req.input.text("q"),
                                       dueFrom: req.input.text("tu"), dueTo: req.input.text("den"))
        lq.page = req.input.page
        if view == .unit {
            let code = req.input.text("don_vi")
            guard let org = try await service(req).unit(code: code) else {
                throw Abort(.notFound, reason: "Không có đơn vị mã «\(code)».")
            }
            lq.scopePath = org.path
        }
        return lq
    }

    @Sendable static func list(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let lq = try await listQuery(req)
        let (rows, total) = try await svc.list(lq)
        return req.page(WorkViews.list(req, query: lq, rows: rows, total: total))
    }

    @Sendable static func export(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let rows = try await svc.all(try await listQuery(req))
        let table = [["Mã", "Nhiệm vụ", "Nguồn", "Số văn bản", "Người chủ trì", "Mã cán bộ", "Đơn vị",
                      "Sản phẩm", "Số lượng",
                      "Đơn vị tính",
                      "Ngày bắt đầu", "Hạn", "Trạng thái", "Tiến độ (%)", "Cảnh báo", "Kết quả nghiệm thu",
                      "Lỗi lớn",
                      "Chậm hạn"]] + rows.map { r in
            let t = r.task
            return [t.code, t.title, TaskSource(rawValue: t.source)?.label ?? t.source, t.documentNumber, r.assigneeName, r.assigneeCode,
                    r.unitName,
                    t.productName, DecimalText.vn(text: t.quantity), t.productUnit,
                    WorkViews.date(t.start), WorkViews.date(t.due), TaskState(rawValue: t.state)?.label ?? t.state, String(t.percent),
                    r.warning?.label ?? "", WorkViews.verdictLabel(t.verdict), String(t.majorErrors), String(t.delays)]
        }
        return try Download.table(table, name: "nhiem-vu",
                                  format: req.input.text("dinh_dang").isEmpty ? "xlsx" : req.input.text("dinh_dang"), at: req.now)
    }

    @Sendable static func board(_ req: Request) async throws -> Response {
        let svc = try service(req)
        var units = try await svc.boardUnits()
        guard !units.isEmpty else { throw Abort(.forbidden,
                                                reason: """
                                                    Bảng theo dõi dành cho lãnh đạo và người giám sát của đơn vị.
                                                    """) }
        let code = req.input.text("don_vi")
        var unit = units[0]
        if let listed = units.first(where: { $0.code == code }) {
            unit = listed
        } else if !code.isEmpty {
            guard let deeper = try await svc.unit(code: code) else { throw Abort(.notFound,
                                                                                 reason: "Không có đơn vị mã «\(code)».") }
            unit = deeper
            units.append(deeper)
        }
        let board = try await svc.board(unit: unit, fresh: req.input.text("moi") == "1")
        if req.input.text("dinh_dang") != "" {
            let states = TaskState.allCases
            let table = [["Loại", "Đơn vị / người chủ trì", "Mã", "Quá hạn"] + states.map(\.label)] + board.lines.map { l in
                [l.kind == .unit ? "Đơn vị trực thuộc" : "Cán bộ", l.name, l.code,
                 String(l.overdue)] + states.map { String(l.counts[$0.rawValue] ?? 0) }
            }
            return try Download.table(table, name: "bang-theo-doi-\(unit.code)", format: req.input.text("dinh_dang"), at: req.now)
        }
        let parent = try await svc.boardParent(of: unit)
        return req.page(WorkViews.board(req, units: units, unit: unit, parent: parent, board: board))
    }

    @Sendable static func calendar(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let today = req.today
        let month = DateOnly(parsing: req.input.text("thang") + "-01") ?? DateOnly(year: today.year, month: today.month, day: 1)!
        var lq = try await listQuery(req)
        if WorkService.View(rawValue: req.input.text("xem")) == nil { lq.view = svc.principal.personID != nil ? .mine : .assigned }
        lq.state = "tat-ca"
        lq.dueFrom = month.iso
        lq.dueTo = DateOnly(year: month.year, month: month.month, day: DateOnly.daysIn(month: month.month, year: month.year))!.iso
        let rows = try await svc.all(lq)
        let holidays = try await DeadlineJob.calendar(req.store)
        return req.page(WorkViews.calendar(req, view: lq.view, month: month, rows: rows, calendar: holidays))
    }

    @Sendable static func newForm(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let propose = req.input.text("de_xuat") == "1" || !svc.principal.canAnywhere(.leadWork)
        var values = ["token": UUID().uuidString, "bat_dau": req.today.iso, "so_luong": "1", "uu_tien": TaskPriority.normal.rawValue,
                      "nguon": propose ? TaskSource.selfProposed.rawValue : TaskSource.adHoc.rawValue]
        if let parent = req.input.uuid("cha") {
            let (t, _) = try await svc.find(parent)
            values["cha"] = parent.uuidString
            values["cha_ten"] = "\(t.code) — \(t.title)"
        }
        return req.page(try await TaskPage.form(req, svc: svc, propose: propose, values: values, problems: []))
    }

    struct Form: Content {
        var tieu_de: String?; var mo_ta: String?; var nguon: String?; var so_van_ban: String?; var ngay_van_ban: String?
        var co_quan_ban_hanh: String?; var san_pham: String?; var so_luong: String?; var muc_do: String?; var bat_dau: String?
        var han: String?; var uu_tien: String?; var nguoi: String?; var don_vi: String?; var phoi_hop: String?; var cha: String?
        var token: String?; var de_xuat: String?; var cha_ten: String?
    }

    @Sendable static func create(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let f = try req.content.decode(Form.self)
        var d = TaskDraft(title: f.tieu_de ?? "", start: f.bat_dau ?? "", due: f.han ?? "")
        d.description = f.mo_ta ?? ""; d.source = f.nguon ?? ""; d.documentNumber = f.so_van_ban ?? ""; d.documentDate = f.ngay_van_ban
            ?? ""
        d.documentIssuer = f.co_quan_ban_hanh ?? ""; d.productCode = f.san_pham ?? ""; d.quantity = f.so_luong ?? "";
        d.complexity = f.muc_do ?? ""
        d.priority = f.uu_tien ?? ""
        let propose = f.de_xuat == "1"
        let form = WorkService.NewTask(draft: d, assigneeCodes: [f.nguoi ?? ""], unitCode: f.don_vi ?? "",
                                       participantCodes: [f.phoi_hop ?? ""],
                                       parentID: f.cha.flatMap(UUID.init(uuidString:)), token: f.token ?? "", propose: propose)
        do {
            let ids = try await svc.create(form)
            if ids.count == 1 { return req.redirect(to: "/viec/\(ids[0])?tb=tao") }
            return req.redirect(to: "/viec?xem=da-giao&tb=tao-nhieu&so=\(ids.count)")
        } catch let e as WorkService.Invalid {
            let values = try req.content.decode([String: String].self)
            return req.page(try await TaskPage.form(req, svc: svc, propose: propose, values: values, problems: e.problems),
                            status: .unprocessableEntity)
        }
    }

    static let notes: [String: String] = [
        "tao": "Đã giao nhiệm vụ.", "de-xuat": "Đã gửi đề xuất; nhiệm vụ chờ lãnh đạo duyệt.",
        "bat-dau": "Đã chuyển sang đang thực hiện.",
        "tien-do": "Đã cập nhật tiến độ.", "xin-gia-han": "Đã gửi đề nghị gia hạn.",
        "dong-y-gia-han": "Đã đồng ý gia hạn; hạn mới đã áp dụng.",
        "tu-choi-gia-han": "Đã không đồng ý gia hạn.", "gui-nghiem-thu": "Đã gửi nghiệm thu.",
        "nghiem-thu": "Đã nghiệm thu nhiệm vụ.",
        "tra-lai": "Đã trả lại nhiệm vụ để làm lại.", "huy": "Đã hủy nhiệm vụ.",
        "duyet-de-xuat": "Đã duyệt đề xuất; nhiệm vụ đã được giao.",
        "khong-duyet": "Đã không duyệt đề xuất.", "phan-cong": "Đã phân công người chủ trì.",
        "minh-chung": "Đã thêm minh chứng.",
        "go": "Đã gỡ minh chứng.",
        "lien-ket": "Đã tạo liên kết đánh giá; in hoặc gửi mã QR cho người dân, tổ chức được phục vụ.",
        "dong-lien-ket": "Đã đóng liên kết đánh giá.", "phoi-hop": "Đã lưu đánh giá phối hợp.",
        "de-nghi": SeparationOfDuties.awaitingSecond, "xac-nhan-de-nghi": "Đã xác nhận; quyết định đã có hiệu lực.",
        "bac-de-nghi": "Đã bác (hoặc rút) đề nghị; nhiệm vụ giữ nguyên.",
    ]

    @Sendable static func show(_ req: Request) async throws -> Response {
        let svc = try service(req)
        return req.page(TaskPage.page(req, try await svc.taskPage(id(req)), flash: notes[req.input.text("tb")], isError: false,
                                      values: [:]))
    }

    /// Re-shows the task with the refusal and what the user typed.
    static func refused(_ req: Request, _ svc: WorkService, _ id: UUID, _ message: String, status: HTTPStatus) async throws -> Response {
        let values = (try? req.content.decode([String: String].self)) ?? [:]
        return req.page(TaskPage.page(req, try await svc.taskPage(id), flash: message, isError: true, values: values), status: status)
    }

    /// Runs an action on a task: a refusal (409) or bad input (422) re-shows the task with the message
    /// and what the user typed.
    static func onTask(_ req: Request, _ svc: WorkService, _ id: UUID, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let e as WorkService.Refused {
            return try await refused(req, svc, id, e.message, status: e.forbidden ? .forbidden : .conflict)
        } catch let e as WorkService.Invalid {
            return try await refused(req, svc, id, e.problems.map(\.message).joined(separator: " "), status: .unprocessableEntity)
        }
    }

    @Sendable static func act(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let id = try id(req)
        let action = req.parameters.get("action") ?? ""
        let v = (try? req.content.decode([String: String].self)) ?? [:]
        let version = Int(v["phien_ban"] ?? "") ?? 0
        func text(_ k: String) -> String { v[k] ?? "" }
        return try await onTask(req, svc, id) {
            if action == "phan-cong" {
                try await svc.distribute(id, version: version, personCode: text("nguoi"))
                return req.redirect(to: "/viec/\(id)?tb=phan-cong")
            }
            switch action {
            case "xac-nhan-de-nghi":
                try await svc.confirmDecision(id) { pending in
                    let form = (try? JSONSerialization.jsonObject(with: Data(pending.form.utf8)) as? [String: String]) ?? [:]
                    guard let e = try event(pending.action, { form[$0] ?? "" }) else {
                        throw WorkService.Refused(message: "Đề nghị không hợp lệ.")
                    }
                    return e
                }
                return req.redirect(to: "/viec/\(id)?tb=xac-nhan-de-nghi")
            case "bac-de-nghi":
                try await svc.rejectDecision(id, reason: text("ly_do"))
                return req.redirect(to: "/viec/\(id)?tb=bac-de-nghi")
            default: break
            }
            guard let event = try event(action, text) else { throw Abort(.notFound) }
            if SeparationOfDuties.isDecision(event), try await svc.needsSecondPerson(try await svc.find(id).0, on: req.db) {
                // Nobody stands above the task's lead: one leader proposes, another confirms.
                let kept = v.filter { ["ket_qua", "so_loi", "nguoi_xac_nhan", "ly_do", "khach_quan", "cham_khach_quan", "xac_nhan_cham",
                                       "ly_do_cham"].contains($0.key) }
                try await svc.proposeDecision(id, version: version, action: action, form: kept, event: event)
                return req.redirect(to: "/viec/\(id)?tb=de-nghi")
            }
            try await svc.act(id, version: version, event)
            return req.redirect(to: "/viec/\(id)?tb=\(action)")
        }
    }

    /// The event a form posts; bad numbers and dates become Vietnamese refusals.
    static func event(_ action: String, _ text: (String) -> String) throws -> TaskEvent? {
        func int(_ k: String, _ what: String) throws -> Int {
            guard let n = Int(text(k).trimmingCharacters(in: .whitespaces)) else { throw WorkService.Invalid(k,
                "\(what) phải là số nguyên.") }
            return n
        }
        switch action {
        case "bat-dau": return .start
        case "tien-do": return .progress(percent: try int("phan_tram", "Tiến độ"), note: TextNormalizer.clean(text("ghi_chu")))
        case "xin-gia-han":
            guard let d = DateOnly(parsing: text("han_moi")) else { throw WorkService.Invalid("han_moi",
                "Vui lòng nhập hạn mới dạng dd/mm/yyyy.") }
            return .requestExtension(newDue: d, reason: text("ly_do"))
        case "dong-y-gia-han": return .approveExtension
        case "tu-choi-gia-han": return .refuseExtension(reason: text("ly_do"))
        case "gui-nghiem-thu": return .submit(evidence: 0, note: TextNormalizer.clean(text("ghi_chu")))
        case "nghiem-thu":
            // Miễn trừ chậm tiến độ: a late completion confirmed as due to an objective cause.
            let delay = text("cham_khach_quan") == "1"
                ? DelayExemption(confirmedBy: text("xac_nhan_cham"), reason: text("ly_do_cham")) : nil
            switch text("ket_qua") {
            case "dat": return .accept(.pass, delayExemption: delay)
            case "chua-dat": return .accept(.fail(errors: try int("so_loi", "Số lỗi lớn")), delayExemption: delay)
            case "mien-tru": return .accept(.exempt(errors: try int("so_loi", "Số lỗi lớn"), confirmedBy: text("nguoi_xac_nhan")),
                                            delayExemption: delay)
            default: throw WorkService.Invalid("ket_qua", "Vui lòng chọn kết quả nghiệm thu.")
            }
        case "tra-lai": return .returnForRework(reason: text("ly_do"), exempt: text("khach_quan") == "1")
        case "huy": return .cancel(reason: text("ly_do"))
        case "duyet-de-xuat": return .approveProposal
        case "khong-duyet": return .declineProposal(reason: text("ly_do"))
        default: return nil
        }
    }

    struct Upload: Content {
        var loai: String?
        var tep: File?
        var noi_dung: String?
    }

    @Sendable static func addEvidence(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let id = try id(req)
        return try await onTask(req, svc, id) {
            // Who may add is settled before the file is read.
            try svc.requireAddEvidence(try await svc.find(id).0)
            let u = try req.content.decode(Upload.self)
            switch u.loai ?? "tep" {
            case "tep":
                guard let file = u.tep, file.data.readableBytes > 0 else { throw WorkService.Invalid("tep",
                    "Vui lòng chọn tệp minh chứng.") }
                try await svc.addFile(id, filename: file.filename, data: Data(buffer: file.data))
            case let kind:
                try await svc.addReference(id, kind: kind, text: u.noi_dung ?? "")
            }
            return req.redirect(to: "/viec/\(id)?tb=minh-chung#minh-chung")
        }
    }

    @Sendable static func removeEvidence(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let id = try id(req)
        return try await onTask(req, svc, id) {
            try await svc.removeEvidence(id, evidence: try Self.id(req, "eid"))
            return req.redirect(to: "/viec/\(id)?tb=go#minh-chung")
        }
    }

    @Sendable static func download(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let (path, name) = try await svc.file(try id(req), evidence: try id(req, "eid"))
        let res = try await req.fileio.asyncStreamFile(at: path)
        let ext = (name as NSString).pathExtension
        res.headers.replaceOrAdd(name: .contentType, value: EvidencePolicy.contentType(ext))
        let ascii = name.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0.value >= 32 ? String($0) : "_" }.joined()
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ascii
        res.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)")
        res.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return res
    }

    struct CoordinationForm: Content {
        var nguoi: [String]?
        var diem: [String]?
        var nhan_xet: [String]?
    }

    @Sendable static func rateParticipants(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let id = try id(req)
        let f = (try? req.content.decode(CoordinationForm.self)) ?? CoordinationForm()
        let who = f.nguoi ?? [], scores = f.diem ?? [], notes = f.nhan_xet ?? []
        let ratings = who.enumerated().compactMap { i, raw in
            UUID(uuidString: raw).map { WorkService.CoordinationRating(participantID: $0, score: i < scores.count ? scores[i] : "",
                                                                       note: i < notes.count ? notes[i] : "") }
        }
        return try await onTask(req, svc, id) {
            try await svc.rateParticipants(id, ratings)
            return req.redirect(to: "/viec/\(id)?tb=phoi-hop#phoi-hop")
        }
    }
}
