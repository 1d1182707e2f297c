import Foundation
import KPICore
import Vapor

/// Nhập dữ liệu: upload a CSV or XLSX file, see the dry run, then confirm.
struct ImportController {
    static func register(_ r: any RoutesBuilder) {
        r.get("nhap-du-lieu", use: form).reads(.text("danh_muc", max: 40, "Danh mục"))
        r.post("nhap-du-lieu", use: upload).accepts(.importFile)
        r.post("nhap-du-lieu", "xac-nhan", use: confirm)
        r.get("nhap-du-lieu", "mau", ":catalog", use: template).reads(.format)
    }

    /// The catalogs this user may change somewhere: the only ones offered for import.
    static func importable(_ req: Request) -> [any CatalogAdapter] {
        guard let p = req.principal else { return [] }
        return CatalogRegistry.adapters(req.application).filter { p.canAnywhere($0.manageAction) }
    }

    /// Refuses a user who may change no catalog at all.
    static func requireImporter(_ req: Request) throws {
        _ = try req.requirePrincipal()
        guard !importable(req).isEmpty else { throw Abort(.forbidden, reason: "Bạn không có quyền nhập dữ liệu.") }
    }

    static func uploadForm(_ req: Request, selected: String) -> HTML {
        return """
            <form method="post" action="/nhap-du-lieu" enctype="multipart/form-data" class="record-form">\(req.csrfField)
            \(FormField("danh_muc", "Danh mục", value: selected, .select(importable(req).map { .init($0.spec.key, $0.spec.title) })).html)
            \(FormField("tep", "Tệp dữ liệu (CSV hoặc XLSX)", .file(accept: ".csv,.xlsx"), required: true).html)
            <p class="hint">Dòng đầu là tên cột (mã cột hoặc tên cột như trong tệp mẫu). Hệ thống kiểm tra \
            toàn bộ tệp trước; chỉ khi mọi \
            dòng hợp lệ mới cho phép nhập chính thức. Nhập lại cùng tệp không làm thay đổi gì.</p>
            <div class="actions"><button class="primary">Kiểm tra tệp</button></div></form>
            <h2>Tệp mẫu</h2><ul>\(importable(req).map { a in
                HTML("""
                    <li>\(a.spec.title): <a href=\"/nhap-du-lieu/mau/\(a.spec.key)?dinh_dang=xlsx\">Excel</a> · <a \
                    href=\"/nhap-du-lieu/mau/\(a.spec.key)?dinh_dang=csv\">CSV</a></li>
                    """)
            })</ul>
            """
    }

    @Sendable static func form(_ req: Request) async throws -> Response {
        try requireImporter(req)
        let selected = req.input.text("danh_muc").nonEmpty(or: "co-quan")
        return req.page(Page(title: "Nhập dữ liệu", breadcrumbs: [("Tổng quan", "/")], body: uploadForm(req, selected: selected)))
    }

    struct Upload: Content {
        var danh_muc: String
        var tep: File?
    }

    static func table(_ data: Data, name: String) throws -> [[String]] {
        if name.lowercased().hasSuffix(".xlsx") || data.starts(with: [0x50, 0x4B]) {
            return try XLSX.read(data)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SheetProblem("Tệp CSV không ở mã UTF-8. Trong Excel, chọn Lưu thành «CSV UTF-8» rồi thử lại.")
        }
        let rows = CSV.parse(text)
        let limits = SheetLimits.standard
        guard rows.count <= limits.maxRows else { throw SheetProblem("""
            Bảng có quá \(limits.maxRows) dòng. Hãy chia thành nhiều tệp nhỏ hơn.
            """) }
        guard rows.allSatisfy({ $0.count <= limits.maxColumns }) else {
            throw SheetProblem("Bảng có dòng quá \(limits.maxColumns) cột. Hãy xóa các cột thừa rồi thử lại.")
        }
        return rows
    }

    static func service(_ req: Request, key: String) throws -> CatalogService {
        guard let adapter = CatalogRegistry.adapter(key, req.application) else { throw Abort(.badRequest,
            reason: "Danh mục không hợp lệ.") }
        return CatalogService(adapter: adapter, store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    @Sendable static func upload(_ req: Request) async throws -> Response {
        try requireImporter(req)
        let up = try req.content.decode(Upload.self)
        let svc = try service(req, key: up.danh_muc)
        guard let file = up.tep, file.data.readableBytes > 0 else {
            return req.page(Page(title: "Nhập dữ liệu", flash: "Vui lòng chọn một tệp CSV hoặc XLSX.", flashIsError: true,
                                 body: uploadForm(req, selected: up.danh_muc)), status: .unprocessableEntity)
        }
        let data = Data(buffer: file.data)
        let hash = AuditLog.sha256(data.base64EncodedString())
        let rows: [[String]]
        do {
            rows = try table(data, name: file.filename)
        } catch let problem as SheetProblem {
            return req.page(Page(title: "Nhập dữ liệu",
                                 flash: "Không đọc được tệp «\(file.filename)»: \(problem.message)",
                                 flashIsError: true, body: uploadForm(req, selected: up.danh_muc)), status: .unprocessableEntity)
        }
        try await ImportStaging.save(data, hash: hash, req: req)
        let report = try await ImportService(catalog: svc).run(table: rows, dryRun: true, fileName: file.filename, fileHash: hash)
        return req.page(ImportViews.report(report, svc: svc, fileName: file.filename, hash: hash, req: req),
                        status: report.ok ? .ok : .unprocessableEntity)
    }

    struct Confirm: Content {
        var danh_muc: String
        var tep_hash: String
        var ten_tep: String
    }

    @Sendable static func confirm(_ req: Request) async throws -> Response {
        try requireImporter(req)
        let c = try req.content.decode(Confirm.self)
        let svc = try service(req, key: c.danh_muc)
        guard let data = try await ImportStaging.load(hash: c.tep_hash, req: req) else {
            return req.page(Page(title: "Nhập dữ liệu",
                                 flash: "Tệp đã kiểm tra không còn trên máy chủ. Vui lòng tải lên lại.",
                                 flashIsError: true, body: uploadForm(req, selected: c.danh_muc)), status: .gone)
        }
        let rows = try table(data, name: c.ten_tep)
        let report = try await ImportService(catalog: svc).run(table: rows, dryRun: false, fileName: c.ten_tep, fileHash: c.tep_hash)
        // Used once: a committed file is done, a refused one is uploaded again after it is fixed.
        try ImportStaging.discard(hash: c.tep_hash, req: req)
        return req.page(ImportViews.report(report, svc: svc, fileName: c.ten_tep, hash: c.tep_hash, req: req),
                        status: report.ok ? .ok : .unprocessableEntity)
    }

    /// The empty template of a catalog: for those who may import into it.
    @Sendable static func template(_ req: Request) async throws -> Response {
        let key = req.parameters.get("catalog") ?? ""
        guard let spec = Catalogs.spec(key) else { throw Abort(.notFound) }
        guard importable(req).contains(where: { $0.spec.key == key }) else {
            throw Abort(.forbidden, reason: "Bạn không có quyền nhập dữ liệu vào danh mục này.")
        }
        let format = req.input.text("dinh_dang").nonEmpty(or: "xlsx")
        return try Download.table([spec.fields.map(\.label)],
                                  name: "mau-\(spec.key)", format: format, at: req.now)
    }
}

/// Uploaded files kept between the dry run and the confirmation, named by their hash.
/// A checked file waiting for the user's confirmation. Staged files can hold temporary passwords
/// (user imports), so each lives in its uploader's own folder, is deleted once confirmed, and expires
/// after `lifetime` (the time of staging is in its name, read against the application clock); every
/// save sweeps the expired ones of all users.
enum ImportStaging {
    static let lifetime: TimeInterval = 3600

    static func root(_ req: Request) -> String { req.application.settings.dataDirectory + "/imports" }

    static func directory(_ req: Request) throws -> String {
        root(req) + "/" + (try req.requirePrincipal()).userID.uuidString
    }

    static func save(_ data: Data, hash: String, req: Request) async throws {
        try sweep(req)
        let dir = try directory(req)
        try DurableFile.makeDirectory(dir)
        try discard(hash: hash, req: req)
        try DurableFile.write(data, to: dir + "/\(hash).\(Int64(req.now.timeIntervalSince1970))")
    }

    /// The user's own staged file with this hash, unless it expired.
    static func load(hash: String, req: Request) async throws -> Data? {
        guard hash.count == 64, hash.allSatisfy({ $0.isHexDigit }) else { return nil }
        let dir = try directory(req)
        let now = req.now.timeIntervalSince1970
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix(hash + ".") {
            guard let at = Double(name.dropFirst(hash.count + 1)), now - at < lifetime, now >= at - 60 else { continue }
            return FileManager.default.contents(atPath: dir + "/" + name)
        }
        return nil
    }

    static func discard(hash: String, req: Request) throws {
        let dir = try directory(req)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix(hash + ".") {
            try? FileManager.default.removeItem(atPath: dir + "/" + name)
        }
    }

    /// Removes every expired staged file (any user's).
    static func sweep(_ req: Request) throws {
        let root = root(req), now = req.now.timeIntervalSince1970
        for user in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            let dir = root + "/" + user
            // A name with a leading dot is a file being written (`DurableFile`), not one to sweep.
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where !name.hasPrefix(".") {
                let at = name.split(separator: ".").dropFirst().first.flatMap { Double($0) }
                if at.map({ now - $0 >= lifetime }) ?? true { try? FileManager.default.removeItem(atPath: dir + "/" + name) }
            }
        }
    }
}

enum ImportViews {
    static func report(_ r: ImportService.Report, svc: CatalogService, fileName: String, hash: String, req: Request) -> Page {
        let summary: HTML = """
            <ul class="summary"><li>Số dòng dữ liệu: <strong>\(VNNumber.format(r.rowsRead))</strong></li>
            <li>Thêm mới: <strong>\(VNNumber.format(r.created))</strong></li><li>Cập nhật: \
            <strong>\(VNNumber.format(r.updated))</strong>\
            </li>
            <li>Không thay đổi: <strong>\(VNNumber.format(r.unchanged))</strong></li></ul>
            """
        if !r.ok {
            let problems = r.fileProblems.map { HTML("<tr><td data-label=\"Dòng\">—</td><td data-label=\"Lỗi\">\($0)</td></tr>") }
                + r.problems.map { HTML("<tr><td data-label=\"Dòng\">\($0.row)</td><td data-label=\"Lỗi\">\($0.message)</td></tr>") }
            return Page(title: "Tệp chưa hợp lệ", breadcrumbs: [("Tổng quan", "/"), ("Nhập dữ liệu", "/nhap-du-lieu")],
                        flash: """
                            Tệp «\(fileName)» có \(r.problems.count + r.fileProblems.count) lỗi. Chưa có dữ liệu nào \
                            được ghi. Hãy sửa tệp \
                            rồi tải lên lại.
                            """,
                        flashIsError: true, body: """
                <div class="table-wrap"><table class="list errors"><thead><tr><th scope="col">Dòng</th><th scope="col">Lỗi</th></tr>\
                </thead>
                <tbody>\(problems)</tbody></table></div>\(ImportController.uploadForm(req, selected: svc.spec.key))
                """)
        }
        if r.committed {
            return Page(title: "Đã nhập dữ liệu", breadcrumbs: [("Tổng quan", "/"), ("Nhập dữ liệu", "/nhap-du-lieu")],
                        flash: "Đã nhập tệp «\(fileName)» vào danh mục \(svc.spec.title.lowercased()).", body: """
                \(summary)<p><a href="/danh-muc/\(svc.spec.key)">Xem danh mục \(svc.spec.title.lowercased())</a></p>
                """)
        }
        return Page(title: "Kiểm tra tệp: hợp lệ", breadcrumbs: [("Tổng quan", "/"), ("Nhập dữ liệu", "/nhap-du-lieu")],
                    flash: "Tệp «\(fileName)» hợp lệ. Chưa có gì được ghi; kết quả nếu nhập chính thức:",
                    body: """
            \(summary)
            <form method="post" action="/nhap-du-lieu/xac-nhan">\(req.csrfField)
            <input type="hidden" name="danh_muc" value="\(svc.spec.key)"><input type="hidden" name="tep_hash" value="\(hash)">
            <input type="hidden" name="ten_tep" value="\(fileName)">
            <div class="actions"><button class="primary">Nhập chính thức</button> <a href="/nhap-du-lieu">Hủy</a></div></form>
            """)
    }
}
