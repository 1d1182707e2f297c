import Foundation
import KPICore
import Vapor

/// People in batches through the API (issue 20, item 1): a personnel system keeps the people of its
/// subtree up to date by code. The batch becomes the rows of an import file and goes through
/// `ImportService`, the engine of the «Nhập dữ liệu» page, in one transaction: the same checks, the
/// same dry run, one bad row refuses the whole batch with every problem named by its item.
enum APIPeopleBatch {
    static let maxItems = 1_000
    static let header = ["ma", "ho_ten", "loai", "ma_don_vi", "ma_vi_tri", "chuc_vu", "dang_vien", "email", "dien_thoai", "tu_ngay",
                         "den_ngay", "kiem_nhiem"]

    /// The item as a row of the import table (dates as the file writes them, dd/MM/yyyy).
    static func row(_ p: Components.Schemas.PersonUpsert, index: Int) throws -> [String] {
        let at = "items[\(index)]"
        try APIValidate.code(p.code, at + ".code")
        try APIValidate.code(p.organizationCode, at + ".organizationCode")
        try APIValidate.code(p.positionCode, at + ".positionCode")
        try APIValidate.length(p.fullName, at + ".fullName", max: 150, min: 1)
        try APIValidate.length(p.email, at + ".email", max: 255)
        try APIValidate.length(p.phone, at + ".phone", max: 20)
        if (p.concurrentUnits?.count ?? 0) > 20 { throw APIValidate.fail(at + ".concurrentUnits", "tối đa 20 đơn vị") }
        for u in p.concurrentUnits ?? [] { try APIValidate.code(u, at + ".concurrentUnits") }
        // A date the catalog cannot hold (year 296) goes through as written: the import names it (422).
        func day(_ value: String?, _ name: String) throws -> String {
            guard let iso = try APIValidate.date(value, at + "." + name) else { return "" }
            return DateOnly(parsing: iso)?.display ?? iso
        }
        return [p.code, p.fullName, p.staffKind.rawValue, p.organizationCode, p.positionCode ?? "",
                p.leadershipRank?.rawValue ?? "", p.partyMember.map { $0 ? "1" : "0" } ?? "", p.email ?? "", p.phone ?? "",
                try day(p.activeFrom, "activeFrom"), try day(p.activeTo, "activeTo"), (p.concurrentUnits ?? []).joined(separator: ";")]
    }
}

extension KPIAPI {
    func upsertPeople(_ input: Operations.UpsertPeople.Input) async throws -> Operations.UpsertPeople.Output {
        let (req, _, p) = try APIContext.require(.catalogWrite)
        guard case .json(let body) = input.body else { throw APIProblem.notJSON }
        try APIValidate.batch(body.items.count, max: APIPeopleBatch.maxItems, noun: "người")
        let rows = try body.items.enumerated().map { try APIPeopleBatch.row($1, index: $0) }
        let dryRun = input.query.dryRun ?? false
        let catalog = CatalogService(adapter: PeopleCatalog(), store: req.store, principal: p, actor: req.actor)
        let report: ImportService.Report
        do {
            report = try await ImportService(catalog: catalog).run(table: [APIPeopleBatch.header] + rows, dryRun: dryRun,
                                                                    fileName: "API", fileHash: "api-\(UUID().uuidString)")
        } catch let e as any AbortError where e.status == .forbidden {
            throw APIProblem(.forbidden, "action-forbidden",
                             "Ứng dụng không được cập nhật danh mục cán bộ trong phạm vi này.")
        }
        guard report.ok else {
            // Row 2 of the table is item 0.
            let errors = report.problems.map { (field: "items[\($0.row - 2)]", message: $0.message) }
                + report.fileProblems.map { (field: "items", message: $0) }
            throw APIProblem(.unprocessableEntity, "invalid-fields",
                             "Lô chưa được ghi: \(errors.count) lỗi, xem «errors» (theo thứ tự người trong lô, từ 0).",
                             errors: errors)
        }
        return .ok(.init(body: .json(.init(dryRun: dryRun, committed: report.committed, received: report.rowsRead,
                                           created: report.created, updated: report.updated, unchanged: report.unchanged))))
    }
}
