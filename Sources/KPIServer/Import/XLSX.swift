import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import KPICore
import NIOCore
import ZIPFoundation

/// Minimal Office Open XML spreadsheets: write one sheet of strings, read the first sheet.
enum XLSX {

    static func write(_ rows: [[String]], sheetName: String = "Dữ liệu", at now: Date = Date(timeIntervalSince1970: 0)) throws -> Data {
        let sheet = try Writer(sheetName: sheetName, now: now)
        var out = sheet.take()
        for row in rows {
            try sheet.append(row)
            var chunk = sheet.take()
            out.writeBuffer(&chunk)
        }
        try sheet.finish()
        var rest = sheet.take()
        out.writeBuffer(&rest)
        return Data(out.readableBytesView)
    }

    /// One sheet of strings written row by row into a ZIP made as it goes (`ZipStream`): `take()` hands
    /// over what is ready, so an export of any length is sent while it is made. The first row is the
    /// header (bold, frozen).
    final class Writer: @unchecked Sendable {  // used by one task at a time
        private let zip: ZipStream
        private var rowNumber = 0

        init(sheetName: String = "Dữ liệu", now: Date) throws {
            zip = ZipStream(now: now)
            for (path, text) in XLSX.parts(sheetName: sheetName) {
                try zip.begin(path)
                try zip.write(text)
            }
            try zip.begin("xl/worksheets/sheet1.xml")
            try zip.write("""
                <?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><worksheet \
                xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetViews><sheetView workbookViewId=\"0\"><pane \
                ySplit=\"1\" topLeftCell=\"A2\" state=\"frozen\"/></sheetView></sheetViews><sheetData>
                """)
        }

        func append(_ row: [String]) throws {
            rowNumber += 1
            let r = rowNumber
            var xml = "<row r=\"\(r)\">"
            for (c, value) in row.enumerated() {
                let style = r == 1 ? " s=\"1\"" : ""
                xml += """
                    <c r=\"\(column(c))\(r)\" t=\"inlineStr\"\(style)><is><t \
                    xml:space=\"preserve\">\(escape(WebRules.inertCell(value)))</t></is></c>
                    """
            }
            xml += "</row>"
            try zip.write(xml)
        }

        func finish() throws {
            try zip.write("</sheetData></worksheet>")
            try zip.finish()
        }

        func take() -> ByteBuffer { zip.take() }
    }

    /// The workbook's fixed parts, before the sheet.
    static func parts(sheetName: String) -> [(String, String)] {
        [("[Content_Types].xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" \
            ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" \
            ContentType="application/xml"/><Override PartName="/xl/workbook.xml" \
            ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override \
            PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
            <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
            </Types>
            """),
         ("_rels/.rels", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" \
            Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>\
            </Relationships>
            """),
         ("xl/workbook.xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
            xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet \
            name="\(escape(String(sheetName.prefix(31))))" sheetId="1" r:id="rId1"/></sheets></workbook>
            """),
         ("xl/_rels/workbook.xml.rels", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" \
            Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>\
            <Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>\
            </Relationships>
            """),
         ("xl/styles.xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name \
            val="Arial"/></font><font><b/><sz val="11"/><name val="Arial"/></font></fonts><fills count="1"><fill><patternFill \
            patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs \
            count="2"><xf fontId="0"/><xf fontId="1" applyFont="1"/></cellXfs></styleSheet>
            """)]
    }

    /// The cells of the first sheet as text, row by row (empty cells as ""). Everything about the
    /// file is hostile until checked: each entry is unzipped against a running size cap (a small
    /// file can unpack to gigabytes), and the sheet parser refuses bad cell references, string
    /// indexes and oversized tables (`SheetLimits`).
    static func read(_ data: Data, limits: SheetLimits = .standard) throws -> [[String]] {
        // Read from a temporary file, not from memory: ZIPFoundation's in-memory reader traps on an
        // offset past the end of the data (a crafted central directory stopped the server; found by
        // SpreadsheetFuzzTests), while reading a file past its end only comes up short.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kpi-xlsx-\(UUID().uuidString).xlsx")
        guard FileManager.default.createFile(atPath: file.path, contents: data) else {
            throw SheetProblem("Máy chủ không ghi được tệp tạm để đọc. Vui lòng báo quản trị hệ thống.")
        }
        defer { try? FileManager.default.removeItem(at: file) }
        guard let archive = try? Archive(url: file, accessMode: .read) else {
            throw SheetProblem("Tệp không phải bảng tính Excel (.xlsx) hợp lệ.")
        }
        var budget = limits.maxUnzippedBytes
        func entry(_ path: String) throws -> Data? {
            guard let e = archive[path] else { return nil }
            guard e.type == .file, Int64(e.uncompressedSize) <= Int64(budget) else { throw SheetProblem.tooLarge(limits) }
            var out = Data()
            do {
                _ = try archive.extract(e, skipCRC32: false) { chunk in
                    guard out.count + chunk.count <= budget else { throw SheetProblem.tooLarge(limits) }
                    out.append(chunk)
                }
            } catch let p as SheetProblem {
                throw p
            } catch {
                throw SheetProblem("""
                    Tệp Excel bị hỏng (không giải nén được «\(path)»). Hãy mở bằng Excel, lưu lại rồi thử \
                    lại.
                    """)
            }
            budget -= out.count
            return out
        }
        let shared = try entry("xl/sharedStrings.xml").map { try SheetParser.parseSharedStrings($0, limits: limits) } ?? []
        let sheetPath = archive.first { $0.path.hasPrefix("xl/worksheets/sheet") && $0.path.hasSuffix(".xml") }?.path
        guard let path = sheetPath, let sheet = try entry(path) else {
            throw SheetProblem("Tệp Excel không có trang tính nào.")
        }
        return try SheetParser.parseSheet(sheet, shared: shared, limits: limits)
    }

    static func column(_ index: Int) -> String {
        var n = index + 1
        var s = ""
        while n > 0 {
            let r = (n - 1) % 26
            s = String(UnicodeScalar(65 + r)!) + s
            n = (n - 1) / 26
        }
        return s
    }

    static func escape(_ s: String) -> String {
        // Characters XML 1.0 forbids are dropped rather than producing a file Excel refuses.
        let allowed = s.unicodeScalars.filter { $0.value == 9 || $0.value == 10 || $0.value == 13 || $0.value >= 32 }
        return String(String.UnicodeScalarView(allowed)).replacingOccurrences(of: "&", with: "&amp;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
