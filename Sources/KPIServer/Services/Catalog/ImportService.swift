import Fluent
import KPICore
import Vapor

/// Import of a catalog file with a dry run. Both run the very same code inside one transaction;
/// the dry run, or any bad row, rolls it back, so "valid in the dry run" means "imports as shown".
struct ImportService: Sendable {
    let catalog: CatalogService

    struct Report: Sendable {
        var rowsRead = 0
        var created = 0
        var updated = 0
        var unchanged = 0
        var problems: [RowProblem] = []
        var fileProblems: [String] = []
        var committed = false
        var ok: Bool { problems.isEmpty && fileProblems.isEmpty }
    }

    private struct Rollback: Error { var report: Report }

    func run(table: [[String]], dryRun: Bool, fileName: String, fileHash: String) async throws -> Report {
        let spec = catalog.spec
        try catalog.principal.requireAnywhere(catalog.adapter.manageAction)
        var report = Report()
        guard let header = table.first else {
            report.fileProblems = ["Tệp không có dữ liệu. Dòng đầu phải là tên cột, các dòng sau là dữ liệu."]
            return report
        }
        let (mapping, headerProblems) = spec.mapHeader(header)
        guard headerProblems.isEmpty else {
            report.fileProblems = headerProblems
            return report
        }
        var rows: [(line: Int, values: [String: FieldValue])] = []
        for (i, cells) in table.dropFirst().enumerated() {
            var raw: RawRecord = [:]
            for (col, key) in mapping where col < cells.count { raw[key] = cells[col] }
            let checked = spec.check(raw)
            if checked.problems.isEmpty {
                rows.append((i + 2, checked.values))
            } else {
                report.problems += checked.problems.map { RowProblem(row: i + 2, message: $0.sentence) }
            }
        }
        report.rowsRead = table.count - 1
        // One row per record: the same record twice in a file is refused with both lines named.
        let keys = rows.map { catalog.adapter.importKey($0.values) }
        for (key, count) in Dictionary(grouping: keys, by: \.key) where count.count > 1 {
            let lines = zip(rows, keys).filter { $0.1.key == key }.map { String($0.0.line) }
            report.problems.append(RowProblem(row: Int(lines[1]) ?? 0,
                                              message: "\(count[0].label) lặp lại ở các dòng \(lines.joined(separator: ", "))"))
        }
        rows = ImportOrder.sorted(rows, spec: spec, problems: &report.problems)
        report.problems.sort { $0.row < $1.row }
        let prepared = report
        let ordered = rows
        let (adapter, principal, actor) = (catalog.adapter, catalog.principal, catalog.actor)
        do {
            report = try await catalog.store.write { db in
                var r = prepared
                let refs = try await RefIndex.load(on: db)
                for row in ordered {
                    do {
                        let existing = try await adapter.id(values: row.values, db: db)
                        let applied = try await CatalogService.apply(adapter, row.values, existing: existing, refs: refs,
                                                                     db: db, principal: principal, actor: actor, action: "import")
                        if !applied.changed { r.unchanged += 1 } else if applied.created { r.created += 1 } else { r.updated += 1 }
                    } catch let p as CatalogProblems {
                        r.problems += p.problems.map { RowProblem(row: row.line, message: $0.sentence) }
                    }
                }
                r.problems.sort { $0.row < $1.row }
                if dryRun || !r.ok { throw Rollback(report: r) }
                r.committed = true
                try await AuditLog.append(on: db, actor: actor, action: "\(adapter.entityType).import",
                                          entityType: adapter.entityType, entityID: fileHash, scopePath: "/",
                                          after: ["file": fileName, "created": String(r.created),
                                                  "updated": String(r.updated), "unchanged": String(r.unchanged)])
                return r
            }
        } catch let rollback as Rollback {
            report = rollback.report
        }
        return report
    }
}

/// Orders organization rows so that a parent is saved before its children, and reports cycles.
enum ImportOrder {
    static func sorted(_ rows: [(line: Int, values: [String: FieldValue])], spec: CatalogSpec,
                       problems: inout [RowProblem]) -> [(line: Int, values: [String: FieldValue])] {
        guard spec.key == Catalogs.organizations.key else { return rows }
        var parents: [String: String?] = [:]
        for r in rows { parents[r.values["ma"]?.text ?? ""] = r.values["ma_cap_tren"]?.text }
        let cyclic = OrgTreeRules.cycles(parents: parents)
        var result: [(line: Int, values: [String: FieldValue])] = []
        var placed = Set<String>()
        var pending = rows
        for r in rows where cyclic.contains(r.values["ma"]?.text ?? "") {
            problems.append(RowProblem(row: r.line,
                                       message: """
                                           «Mã cơ quan cấp trên»: tạo vòng lặp trong cây tổ chức \
                                           (\(r.values["ma"]?.text ?? "") nằm dưới \
                                           chính nó)
                                           """))
        }
        pending.removeAll { cyclic.contains($0.values["ma"]?.text ?? "") }
        let inFile = Set(pending.map { $0.values["ma"]?.text ?? "" })
        while !pending.isEmpty {
            let ready = pending.filter { r in
                guard let p = r.values["ma_cap_tren"]?.text else { return true }
                return !inFile.contains(p) || placed.contains(p)
            }
            if ready.isEmpty { return result + pending }
            result += ready
            placed.formUnion(ready.map { $0.values["ma"]?.text ?? "" })
            pending.removeAll { r in ready.contains { $0.line == r.line } }
        }
        return result
    }
}
