import Foundation
import Fluent
import KPICore
import Vapor

/// Đánh giá hài lòng: the public rating page (/danh-gia/<mã>, no sign-in) and its QR code; opening
/// and closing links from a task's page.
struct RatingController {
    static func register(public r: any RoutesBuilder, signedIn s: any RoutesBuilder) {
        r.get("danh-gia", ":token", use: form).reads(.text("bn", max: 20, "Mã phiếu đánh giá"))
        r.post("danh-gia", ":token", use: submit).reads(.text("bn", max: 20, "Mã phiếu đánh giá", in: .form), .int("diem",
            -1_000_000...1_000_000, "Mức hài lòng", in: .form), .text("ma_bien_nhan", max: 200, "Mã biên nhận", in: .form),
            .text("gop_y",
                max: 5_000, "Góp ý", in: .form))
        r.get("danh-gia", ":token", "qr.svg", use: qr)
        s.post("viec", ":id", "lien-ket-danh-gia", use: openLink)
        s.post("viec", ":id", "lien-ket-danh-gia", ":lid", "dong", use: closeLink)
        s.post("viec", ":id", "lien-ket-danh-gia", ":lid", "phieu", use: printSlips)
            .reads(.int("so_phieu", 1...ReceiptRules.maxTokensPerPrint, "Số phiếu", in: .form))
    }

    static func publicURL(_ req: Request, token: String) -> String {
        "\(req.publicBase)/danh-gia/\(token)"
    }

    static func csrf(_ req: Request) -> String { req.preSignInToken }

    static func page(_ req: Request, token: String, task: WorkTask?, values v: [String: String], message: String?, isError: Bool,
                     done: Bool = false, mode: ReceiptMode = .free, printed: String = "", status: HTTPStatus = .ok) -> Response {
        let csrf = csrf(req)
        let body: HTML
        let receiptField: HTML = mode == .token
            ? HTML("""
                <input type=\"hidden\" name=\"bn\" value=\"\(printed)\"><p class=\"hint\">Phiếu đánh giá số \
                <strong>\(printed)</strong>.</p>
                """)
            : """
                \(FormField("ma_bien_nhan", "Mã biên nhận (số phiếu hẹn, số hồ sơ)", value: v["ma_bien_nhan"],
                            required: true,
                            maxLength: 50, autocomplete: "off").html)
                """
        if let task, !done, mode == .token, printed.isEmpty {
            body = "<p>Xin ông/bà cho biết mức độ hài lòng với việc: <strong>\(task.title)</strong>.</p>"
        } else if let task, !done {
            let stars = (1...5).reversed().map { n in
                HTML("""
                    <label class=\"choice\"><input type=\"radio\" name=\"diem\" \
                    value=\"\(n)\"\(HTML.when(v["diem"] == String(n), " checked")) required> \
                    \(String(repeating: "★", count: n))\(String(repeating: "☆", count: 5 - n)) \
                    \(["", "Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"][n])</label>
                    """)
            }
            body = """
                <p>Xin ông/bà cho biết mức độ hài lòng với việc: <strong>\(task.title)</strong>.</p>
                <form method="post" action="/danh-gia/\(token)" class="record-form"><input type="hidden" name="_csrf" value="\(csrf)">
                \(receiptField)
                <fieldset><legend>Mức độ hài lòng <span class="req">*</span></legend>\(stars)</fieldset>
                \(FormField("gop_y", "Góp ý (không bắt buộc)", value: v["gop_y"], .textarea(rows: 3), maxLength: 1000).html)
                <div class="actions"><button class="primary">Gửi đánh giá</button></div>
                <p class="hint">Đánh giá không cần đăng nhập và không ghi tên người đánh giá. Mỗi mã biên nhận \
                chỉ đánh giá một lần.</p>\
                </form>
                """
        } else {
            body = done ? """
                <p>Ý kiến của ông/bà sẽ được dùng để đánh giá và cải thiện chất lượng phục vụ.</p>
                """ : .empty
        }
        let res = req.page(Page(title: done ? "Cảm ơn ông/bà đã đánh giá" : "Đánh giá mức độ hài lòng", flash: message,
                                flashIsError: isError, body: body), status: status)
        res.cookies[CSRFMiddleware.preCookie] = HTTPCookies.Value(string: csrf, maxAge: 3600, path: "/",
            isSecure: req.application.settings.secureCookies, isHTTPOnly: true, sameSite: .strict)
        return res
    }

    @Sendable static func form(_ req: Request) async throws -> Response {
        let token = req.parameters.get("token") ?? ""
        guard let (_, task) = try await PublicRatings.open(token, on: req.db) else {
            return page(req, token: token, task: nil, values: [:], message: WorkService.closedLink, isError: true, status: .notFound)
        }
        let mode = try await PublicRatings.mode(of: task, on: req.db).0
        let printed = ReceiptRules.normalized(req.input.text("bn")) ?? ""
        let ask = mode == .token && printed.isEmpty
        return page(req, token: token, task: task, values: [:], message: ask ? PublicRatings.scanPrinted : nil, isError: ask,
                    mode: mode, printed: printed)
    }

    @Sendable static func submit(_ req: Request) async throws -> Response {
        let token = req.parameters.get("token") ?? ""
        let v = (try? req.content.decode([String: String].self)) ?? [:]
        guard try await PublicRatings.allow(ip: req.clientIP, limit: req.application.settings.ratingsPerWindow, store: req.store) else {
            let task = try await PublicRatings.open(token, on: req.db)?.1
            return page(req, token: token, task: task, values: v,
                        message: """
                            Có quá nhiều đánh giá gửi từ địa chỉ mạng này trong ít phút. Vui lòng thử lại sau 10 \
                            phút.
                            """,
                        isError: true, status: .tooManyRequests)
        }
        let printed = ReceiptRules.normalized(req.input.formText("bn")) ?? ""
        switch try await PublicRatings.submit(token: token, receipt: v["ma_bien_nhan"] ?? "", printed: printed, score: v["diem"] ?? "",
                                              comment: v["gop_y"] ?? "", store: req.store, ip: req.clientIP) {
        case .success:
            return page(req, token: token, task: nil, values: [:], message: "Đã ghi nhận đánh giá của ông/bà.", isError: false,
                        done: true)
        case .failure(let e):
            let task = try await PublicRatings.open(token, on: req.db)?.1
            var mode = ReceiptMode.free
            if let task { mode = try await PublicRatings.mode(of: task, on: req.db).0 }
            return page(req, token: token, task: task, values: v, message: e.message, isError: true, mode: mode, printed: printed,
                        status: task == nil ? .notFound : .unprocessableEntity)
        }
    }

    @Sendable static func qr(_ req: Request) async throws -> Response {
        let token = req.parameters.get("token") ?? ""
        guard try await PublicRatings.open(token, on: req.db) != nil, let code = QRCode(publicURL(req, token: token)) else {
            throw Abort(.notFound, reason: WorkService.closedLink)
        }
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "image", subType: "svg+xml")
        headers.replaceOrAdd(name: .cacheControl, value: "private, max-age=300")
        return Response(status: .ok, headers: headers, body: .init(string: code.svg()))
    }

    @Sendable static func openLink(_ req: Request) async throws -> Response {
        let svc = try WorkController.service(req)
        let id = try WorkController.id(req)
        return try await WorkController.onTask(req, svc, id) {
            _ = try await svc.openRatingLink(id)
            return req.redirect(to: "/viec/\(id)?tb=lien-ket#danh-gia")
        }
    }

    @Sendable static func closeLink(_ req: Request) async throws -> Response {
        let svc = try WorkController.service(req)
        let id = try WorkController.id(req)
        return try await WorkController.onTask(req, svc, id) {
            try await svc.closeRatingLink(id, link: try WorkController.id(req, "lid"))
            return req.redirect(to: "/viec/\(id)?tb=dong-lien-ket#danh-gia")
        }
    }

    /// Phiếu đánh giá: one-time QR codes for an open link, a sheet to print and cut, one per citizen.
    @Sendable static func printSlips(_ req: Request) async throws -> Response {
        let svc = try WorkController.service(req)
        let id = try WorkController.id(req)
        let lid = try WorkController.id(req, "lid")
        return try await WorkController.onTask(req, svc, id) {
            let n = req.input.formInt("so_phieu") ?? 0
            let (link, task, tokens) = try await ReceiptService(store: req.store, principal: svc.principal, actor: req.actor)
                .issueTokens(taskID: id, linkID: lid, count: n, work: svc)
            let slips = tokens.map { code -> HTML in
                let url = publicURL(req, token: link.token) + "?bn=" + code
                let qr = QRCode(url).map { HTML(qr: $0, pixelsPerModule: 3) } ?? .empty
                return HTML("""
                    <li class="slip"><div class="qr" role="img" aria-label="Mã QR phiếu \(code)">\(qr)</div>
                    <p><strong>Phiếu đánh giá số \(code)</strong><br>Quét mã để đánh giá mức độ hài lòng với \
                    việc «\(task.title)». Mỗi \
                    phiếu đánh giá một lần.</p></li>
                    """)
            }
            return req.page(Page(title: "Phiếu đánh giá có mã QR riêng", breadcrumbs: [("Công việc", "/viec"), (task.code,
                "/viec/\(id)")],
                                 body: """
                <p class="no-print">\(tokens.count) phiếu, mỗi phiếu một mã dùng một lần. In trang này, cắt theo ô và \
                phát cho từng người \
                dân sau khi phục vụ. <button type="button" data-print>In phiếu</button></p>
                <ul class="slips">\(slips)</ul>
                """))
        }
    }
}
