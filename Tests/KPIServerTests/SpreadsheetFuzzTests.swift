import Foundation
@testable import KPIServer
import KPICore
import XCTVapor
import ZIPFoundation

/// Hole 5: crafted spreadsheets crashed or exhausted the server (a negative shared-string index, a
/// 14-letter column, `r="AAAAAAA1"`, entries unzipped without a cap). Each is refused with a
/// Vietnamese message, and thousands of malformed files go through the readers without a crash.
final class SpreadsheetFuzzTests: XCTestCase {
    /// An .xlsx with the given sheet XML (and shared strings), built like Excel's.
    static func xlsx(sheet: String?, shared: String? = nil, extra: [(String, Data)] = []) throws -> Data {
        let archive = try Archive(accessMode: .create)
        func add(_ path: String, _ data: Data) throws {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { pos, size in
                data.subdata(in: Int(pos)..<Int(pos) + size)
            }
        }
        if let sheet { try add("xl/worksheets/sheet1.xml", Data(sheet.utf8)) }
        if let shared { try add("xl/sharedStrings.xml", Data(shared.utf8)) }
        for (p, d) in extra { try add(p, d) }
        return archive.data!
    }

    static func sheet(_ cells: String) -> String {
        "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>\(cells)</sheetData></worksheet>"
    }

    static let shared = "<sst><si><t>Mã</t></si><si><t>Tên</t></si></sst>"

    func refusal(_ data: Data) -> String? {
        do { _ = try XLSX.read(data); return nil } catch let p as SheetProblem { return p.message } catch { return "other: \(error)" }
    }

    func testCraftedCellsAreRefusedWithAMessage() throws {
        let negative = try Self.xlsx(sheet: Self.sheet("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>-1</v></c></row>"), shared: Self.shared)
        XCTAssertEqual(refusal(negative),
                       """
                           Ô «A1» trỏ tới một chuỗi không có trong tệp: tệp Excel bị hỏng. Hãy mở bằng Excel, \
                           lưu lại rồi thử lại.
                           """)
        let beyond = try Self.xlsx(sheet: Self.sheet("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>99999999999999999999</v></c></row>"),
                                   shared: Self.shared)
        XCTAssertNotNil(refusal(beyond))
        let longColumn = try Self.xlsx(sheet: Self.sheet("<row r=\"1\"><c r=\"ABCDEFGHIJKLMN1\"><v>1</v></c></row>"))
        XCTAssertEqual(refusal(longColumn),
                       """
                           Ô «ABCDEFGHIJKLMN1» có địa chỉ không hợp lệ: tệp Excel bị hỏng. Hãy mở bằng Excel, \
                           lưu lại rồi thử lại.
                           """)
        let sevenLetters = try Self.xlsx(sheet: Self.sheet("<row r=\"1\"><c r=\"AAAAAAA1\"><v>1</v></c></row>"))
        XCTAssertNotNil(refusal(sevenLetters))
        let wide = try Self.xlsx(sheet: Self.sheet("<row r=\"1\"><c r=\"ZZ1\"><v>x</v></c></row>"))
        XCTAssertEqual(refusal(wide),
                       "Bảng có dữ liệu ở cột thứ 702, quá 256 cột. Hãy xóa các cột thừa rồi thử lại.")
        let wideButEmpty = try Self.xlsx(sheet: Self.sheet("<row r=\"1\"><c r=\"A1\"><v>x</v></c><c r=\"XFD1\"><v></v></c></row>"))
        XCTAssertEqual(try XLSX.read(wideButEmpty), [["x"]], "empty cells far right are ignored")
        let entities = try Self.xlsx(sheet: """
            <!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>
            """ + Self.sheet("<row><c t=\"inlineStr\"><is><t>&b;</t></is></c></row>"))
        XCTAssertEqual(refusal(entities),
                       "Tệp Excel có khai báo DTD, không được hỗ trợ. Hãy mở bằng Excel, lưu lại rồi thử lại.")
        let escaped = try Self.xlsx(sheet: Self.sheet("""
            <x:row><x:c r=\"B1\" t=\"inlineStr\"><x:is><x:t>A &amp; B &#273;&#x1EE9;ng &unknown;</x:t></x:is></x:c></x:row>
            """))
        XCTAssertEqual(try XLSX.read(escaped), [["", "A & B đứng &unknown;"]])
        let good = try Self.xlsx(sheet: Self.sheet("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"C1\" t=\"s\"><v>1</v></c></row>"),
                                 shared: Self.shared)
        XCTAssertEqual(try XLSX.read(good), [["Mã", "", "Tên"]])
    }

    func testSizeLimitsHoldWhileUnzipping() throws {
        // 80 MB of one repeated row compresses to well under a megabyte.
        let row = "<row><c><v>1</v></c></row>"
        let bomb = try Self.xlsx(sheet: Self.sheet(String(repeating: row, count: 80 * 1024 * 1024 / row.utf8.count)))
        XCTAssertLessThan(bomb.count, 2 * 1024 * 1024)
        XCTAssertEqual(refusal(bomb),
                       "Tệp Excel giải nén ra quá 64 MB. Hãy chia thành nhiều tệp nhỏ hơn rồi nhập lần lượt.")
        var small = SheetLimits()
        small.maxRows = 10
        let many = try Self.xlsx(sheet: Self.sheet(String(repeating: row, count: 11)))
        XCTAssertThrowsError(try XLSX.read(many, limits: small)) { XCTAssertEqual(($0 as? SheetProblem)?.message,
                                                                                  """
                                                                                      Bảng có quá 10 dòng. Hãy chia thành nhiều \
                                                                                      tệp nhỏ \
                                                                                      hơn.
                                                                                      """) }
        small.maxCells = 5
        small.maxRows = 100
        XCTAssertThrowsError(try XLSX.read(many, limits: small))
        XCTAssertEqual(refusal(Data("PK\u{3}\u{4}không phải zip".utf8)), "Tệp không phải bảng tính Excel (.xlsx) hợp lệ.")
        let noSheet = try Self.xlsx(sheet: nil, shared: Self.shared)
        XCTAssertEqual(refusal(noSheet), "Tệp Excel không có trang tính nào.")
        XCTAssertEqual(try XLSX.read(try Self.xlsx(sheet: "")), [], "an empty sheet is an empty table")
    }

    /// Through the real import page: the refusal reaches the user, nothing is staged.
    func testTheImportPageShowsTheRefusal() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            try await b.get("/nhap-du-lieu")
            let crafted = try Self.xlsx(sheet: Self.sheet("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>-1</v></c></row>"), shared: Self.shared)
            let res = try await b.upload("/nhap-du-lieu", fields: ["danh_muc": "co-quan"], fileField: "tep", fileName: "x.xlsx",
                                         data: crafted)
            XCTAssertEqual(res.status, .unprocessableEntity)
            XCTAssertTrue(res.text.contains("trỏ tới một chuỗi không có trong tệp"), res.text)
            let csv = try await b.upload("/nhap-du-lieu", fields: ["danh_muc": "co-quan"], fileField: "tep", fileName: "x.csv",
                                         data: Data([0xFF, 0xFE, 0x00, 0x41]))
            XCTAssertEqual(csv.status, .unprocessableEntity)
            XCTAssertTrue(csv.text.contains("CSV UTF-8"), csv.text)
        }
    }

    /// Thousands of malformed inputs, reproducible from the seed: the readers refuse or read, never
    /// crash. Sheet XML is mutated before zipping (so the parser sees it) and zipped bytes after.
    func testFuzzTheReaders() throws {
        var rng = SplitMix(seed: 16)
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        let tokens = ["<c r=\"", "\" t=\"s\">", "<v>", "</v>", "</c>", "<row>", "</row>", "-1", "9223372036854775807", "AAAAAAA1",
                      "ZZZZ9", "A1", "<is><t>", "</t></is>", "&amp;", "&#0;", "<!DOCTYPE x [<!ENTITY e \"e\">]>", "&e;", "\u{0}", "\"",
                      "<", ">",
                      "<si><t>", "</t></si>", "r=\"\"", "t=\"inlineStr\"", String(repeating: "A", count: 40)]
        var outcomes = (read: 0, refused: 0)
        for _ in 0..<1_500 {
            var cells = ""
            for _ in 0..<Int(rng.next() % 40) { cells += pick(tokens) }
            let sheet = rng.next() % 4 == 0 ? cells : Self.sheet(cells)
            var shared = ""
            for _ in 0..<Int(rng.next() % 8) { shared += pick(tokens) }
            let data = try Self.xlsx(sheet: sheet, shared: rng.next() % 2 == 0 ? nil : "<sst>\(shared)</sst>")
            if (try? XLSX.read(data)) != nil { outcomes.read += 1 } else { outcomes.refused += 1 }
        }
        let valid = try Self.xlsx(sheet: Self.sheet("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>"), shared: Self.shared)
        for _ in 0..<1_500 {
            var bytes = [UInt8](valid)
            for _ in 0..<Int(1 + rng.next() % 8) { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            if rng.next() % 5 == 0 { bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count)))) }
            _ = try? XLSX.read(Data(bytes))
        }
        let csvTokens = ["\"", ",", ";", "\r\n", "\n", "\r", "a", "\u{FEFF}", "\"\"", "=1+1", "ứ", "\u{0}"]
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<Int(rng.next() % 60) { text += pick(csvTokens) }
            let rows = CSV.parse(text)
            XCTAssertTrue(rows.allSatisfy { !$0.isEmpty })
        }
        XCTAssertGreaterThan(outcomes.refused, 100)
        XCTAssertGreaterThan(outcomes.read, 10)
    }
}

extension SpreadsheetFuzzTests {
    /// The streamed writer (`XLSX.Writer` on `ZipStream`): a sheet taken out in pieces while written is a
    /// valid archive (ZIPFoundation checks every entry's CRC-32 and sizes when it reads) with the same cells,
    /// and the in-memory `XLSX.write` gives the same bytes.
    func testStreamedWorkbookReadsBackWhole() throws {
        let now = Date(timeIntervalSince1970: 1_796_000_000)
        let rows = [["Mã", "Họ và tên", "Ghi chú"]] + (1...3_000).map { n in
            ["CB-\(n)", "Nguyễn Thị Ánh \(n)",
             n % 7 == 0 ? "=cmd|' /C calc'!A0 & <b>\"đậm\"</b>" : String(repeating: "ữ", count: n % 50)]
        }
        let writer = try XLSX.Writer(now: now)
        var out = writer.take()
        var pieces = 0
        for (i, row) in rows.enumerated() {
            try writer.append(row)
            if i % 250 == 0 { var piece = writer.take(); pieces += piece.readableBytes > 0 ? 1 : 0; out.writeBuffer(&piece) }
        }
        try writer.finish()
        var rest = writer.take()
        out.writeBuffer(&rest)
        XCTAssertGreaterThan(pieces, 1, "bytes come out while the sheet is written (zlib keeps up to its window)")
        let data = Data(out.readableBytesView)
        let read = try XLSX.read(data)
        XCTAssertEqual(read.count, rows.count)
        XCTAssertEqual(read[0], rows[0])
        XCTAssertEqual(read[2_999], rows[2_999])
        XCTAssertEqual(read[7][2], WebRules.inertCell(rows[7][2]), "formulas are written inert")
        XCTAssertEqual(try XLSX.write(rows, at: now), data)
        let archive = try Archive(data: data, accessMode: .read)
        XCTAssertEqual(archive.map(\.path), ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                                             "xl/styles.xml", "xl/worksheets/sheet1.xml"])
    }
}
