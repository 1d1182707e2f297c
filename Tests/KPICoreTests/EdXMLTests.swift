import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import KPICore
import XCTest

/// edXML (QCVN 102:2016): what a package gives, and what is refused, naming the element.
final class EdXMLTests: XCTestCase {
    static func package(header: String = EdXMLTests.header, body: String = "", root: String = "edXML:edXMLEnvelope",
                        namespace: String = EdXML.namespace, prologue: String = "") -> Data {
        Data("""
            <?xml version="1.0" encoding="UTF-8"?>\(prologue)
            <\(root) xmlns:edXML="\(namespace)">
              <edXML:edXMLHeader><edXML:MessageHeader>\(header)</edXML:MessageHeader>
                <Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature>
              </edXML:edXMLHeader>
              <edXML:edXMLBody>\(body)</edXML:edXMLBody>
            </\(root)>
            """.utf8)
    }

    static let header = """
        <edXML:From><edXML:OrganId>000.00.00.H40</edXML:OrganId><edXML:OrganName>UBND tỉnh Nghệ An</edXML:OrganName></edXML:From>
        <edXML:To><edXML:OrganId>h40.12</edXML:OrganId><edXML:OrganName>Sở Nội vụ</edXML:OrganName></edXML:To>
        <edXML:DocumentId>000.00.00.H40,2026/07/01,1234</edXML:DocumentId>
        <edXML:Code><edXML:CodeNumber>1234</edXML:CodeNumber><edXML:CodeNotation>UBND-TH</edXML:CodeNotation></edXML:Code>
        <edXML:PromulgationInfo><edXML:Place>Nghệ An</edXML:Place><edXML:PromulgationDate>2026/07/01</edXML:PromulgationDate>
        </edXML:PromulgationInfo>
        <edXML:DocumentType><edXML:Type>2</edXML:Type><edXML:TypeName>Công văn</edXML:TypeName></edXML:DocumentType>
        <edXML:Subject>Về việc triển khai đánh giá &amp; xếp loại theo KPI</edXML:Subject>
        <edXML:Content><![CDATA[Giao Sở Nội vụ <chủ trì> hướng dẫn.]]></edXML:Content>
        <edXML:SignerInfo><edXML:Competence>KT. CHỦ TỊCH</edXML:Competence><edXML:Position>PHÓ CHỦ TỊCH</edXML:Position>
          <edXML:FullName>Nguyễn Văn Đệ</edXML:FullName></edXML:SignerInfo>
        <edXML:DueDate>2026/07/15</edXML:DueDate>
        """

    func testAPackageGivesItsFacts() throws {
        let pdf = Data("%PDF-1.4 thử".utf8).base64EncodedString()
        let body = """
            <edXML:Attachment><edXML:AttachmentName>cong-van.pdf</edXML:AttachmentName>
              <edXML:ContentType>application/pdf</edXML:ContentType><edXML:Content>\(pdf.prefix(8))
            \(pdf.dropFirst(8))</edXML:Content></edXML:Attachment>
            """
        let p = try EdXML.read(Self.package(body: body)).get()
        XCTAssertEqual(p.from, .init(id: "000.00.00.H40", name: "UBND tỉnh Nghệ An"))
        XCTAssertEqual(p.to, [.init(id: "H40.12", name: "Sở Nội vụ")])
        XCTAssertEqual(p.documentID, "000.00.00.H40,2026/07/01,1234")
        XCTAssertEqual(p.number, "1234/UBND-TH")
        XCTAssertEqual(p.promulgationDate, DateOnly(year: 2026, month: 7, day: 1))
        XCTAssertEqual(p.dueDate, DateOnly(year: 2026, month: 7, day: 15))
        XCTAssertEqual(p.subject, "Về việc triển khai đánh giá & xếp loại theo KPI")
        XCTAssertEqual(p.content, "Giao Sở Nội vụ <chủ trì> hướng dẫn.")
        XCTAssertEqual(p.signer?.text, "KT. CHỦ TỊCH PHÓ CHỦ TỊCH Nguyễn Văn Đệ")
        XCTAssertEqual(p.documentType, "Công văn")
        XCTAssertEqual(p.attachments.map(\.name), ["cong-van.pdf"])
        XCTAssertEqual(p.attachments.first?.data, Array("%PDF-1.4 thử".utf8))
        XCTAssertTrue(p.signed)
    }

    func problem(_ data: Data, limits: EdXML.Limits = .init()) -> EdXMLProblem? {
        guard case .failure(let p) = EdXML.read(data, limits: limits) else { return nil }
        return p
    }

    func testWhatIsRefusedNamesTheElement() {
        let h = Self.header
        let cases: [(Data, String)] = [
            (Self.package(namespace: "http://www.mic.gov.vn/TBT/QCVN_102_2015"), "edXML:edXMLEnvelope"),
            (Self.package(root: "edXML:Envelope"), "edXML:Envelope"),
            (Self.package(header: h.replacingOccurrences(of: "000.00.00.H40</edXML:OrganId>", with: "UBND</edXML:OrganId>")),
             "edXMLHeader/MessageHeader/From/OrganId"),
            (Self.package(header: h.replacingOccurrences(of: "<edXML:To><edXML:OrganId>h40.12</edXML:OrganId>", with: "<edXML:To>")),
             "edXMLHeader/MessageHeader/To/OrganId"),
            (Self.package(header: h.replacingOccurrences(of: "2026/07/15", with: "15/07/2026")), "edXMLHeader/MessageHeader/DueDate"),
            (Self.package(header: h.replacingOccurrences(of: "2026/07/01</edXML:Prom", with: "2026/02/30</edXML:Prom")),
             "edXMLHeader/MessageHeader/PromulgationInfo/PromulgationDate"),
            (Self.package(header: h.replacingOccurrences(of: "<edXML:CodeNumber>1234</edXML:CodeNumber>", with: "")),
             "edXMLHeader/MessageHeader/Code/CodeNumber"),
            (Self.package(header: h.replacingOccurrences(of: "<edXML:Subject>", with: "<edXML:Subject2>")
                .replacingOccurrences(of: "</edXML:Subject>", with: "</edXML:Subject2>")), "edXMLHeader/MessageHeader/Subject"),
            (Self.package(body: "<edXML:Attachment><edXML:AttachmentName>a.pdf</edXML:AttachmentName>"
                          + "<edXML:Content>không phải base64!</edXML:Content></edXML:Attachment>"), "edXMLBody/Attachment[1]/Content"),
            (Data(String(decoding: Self.package(), as: UTF8.self).dropLast(10).utf8), "edXMLEnvelope"),
        ]
        for (data, element) in cases {
            XCTAssertEqual(problem(data)?.element, element, problem(data)?.message ?? "accepted")
        }
    }

    func testNoEntityIsExpandedAndTheLimitsHold() {
        let laughs = "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>"
        XCTAssertTrue(problem(Self.package(prologue: laughs))?.message.contains("DOCTYPE") == true)
        let external = "<!doctype x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
        XCTAssertTrue(problem(Self.package(prologue: external))?.message.contains("DOCTYPE") == true)
        let utf16 = Data([0xFF, 0xFE]) + Self.package()
        XCTAssertTrue(problem(utf16)?.message.contains("UTF-8") == true)
        let deep = String(repeating: "<edXML:X>", count: 40) + String(repeating: "</edXML:X>", count: 40)
        XCTAssertTrue(problem(Self.package(body: deep))?.message.contains("sâu") == true)
        var small = EdXML.Limits()
        small.maxBytes = 1_000
        XCTAssertTrue(problem(Self.package(), limits: small)?.message.contains("lớn quá") == true)
        let long = Self.header.replacingOccurrences(of: "Về việc", with: String(repeating: "dài ", count: 30_000))
        XCTAssertNotNil(problem(Self.package(header: long)))
        var few = EdXML.Limits()
        few.maxAttachments = 1
        let one = "<edXML:Attachment><edXML:AttachmentName>a</edXML:AttachmentName><edXML:Content>YQ==</edXML:Content></edXML:Attachment>"
        XCTAssertNil(problem(Self.package(body: one), limits: few))
        XCTAssertEqual(problem(Self.package(body: one + one), limits: few)?.element, "edXMLBody/Attachment")
    }
}

/// The status messages a directive's task gives its sender (03, 05, 06, 02).
final class EdXMLStatusTests: XCTestCase {
    func at(_ minutes: Double) -> Date { Date(timeIntervalSince1970: 1_790_000_000 + minutes * 60) }

    func codes(_ lines: [(String, String)]) -> [String] {
        EdXMLStatusEntry.from(timeline: lines.enumerated().map { i, l in
            (kind: l.0, toState: l.1, at: at(Double(i)), actor: "A", note: "") }).map(\.code.rawValue)
    }

    func testEachStatusOnceInOrder() {
        XCTAssertEqual(codes([("tao", "da-giao")]), ["03"])
        XCTAssertEqual(codes([("tao", "da-giao"), ("phan-cong", "da-giao"), ("tien-do", "dang-thuc-hien"),
                              ("gui-nghiem-thu", "cho-nghiem-thu"), ("tra-lai", "dang-thuc-hien"),
                              ("gui-nghiem-thu", "cho-nghiem-thu"), ("nghiem-thu", "hoan-thanh")]), ["03", "05", "06"])
        XCTAssertEqual(codes([("tao", "da-giao"), ("huy", "da-huy"), ("tien-do", "dang-thuc-hien")]), ["03", "02"])
        // An acceptance that did not complete the task (none such today) announces nothing.
        XCTAssertEqual(codes([("tao", "da-giao"), ("nghiem-thu", "dang-thuc-hien")]), ["03"])
        XCTAssertEqual(codes([("minh-chung", "da-giao")]), [])
    }

    func testTheMessageIsAnEdXMLStatusPackage() throws {
        let m = EdXMLStatusMessage(senderID: "H40.02", number: "45/KH/TU", promulgationDate: DateOnly(year: 2026, month: 7, day: 2)!,
                                   documentID: "H40.02,2026/07/02,45-KH/TU",
                                   unit: .init(id: "H40.01", name: "Ban Tổ chức <Tỉnh ủy>"),
                                   entry: .init(code: .refused, at: Date(timeIntervalSince1970: 1_783_000_000), actor: "Trần & Lê",
                                                note: "Không thuộc thẩm quyền"))
        let xml = m.xml
        XCTAssertTrue(xml.contains("<edXML:StatusCode>02</edXML:StatusCode>"))
        XCTAssertTrue(xml.contains("<edXML:Description>Từ chối: Không thuộc thẩm quyền</edXML:Description>"))
        XCTAssertTrue(xml.contains("<edXML:OrganName>Ban Tổ chức &lt;Tỉnh ủy&gt;</edXML:OrganName>"))
        XCTAssertTrue(xml.contains("<edXML:PromulgationDate>2026/07/02</edXML:PromulgationDate>"))
        // 1 783 000 000 s is 2026-07-02 13:46:40 UTC: 20:46:40 in Việt Nam.
        XCTAssertTrue(xml.contains("<edXML:Timestamp>2026/07/02 20:46:40</edXML:Timestamp>"), xml)
        // It reads back as XML in the edXML namespace.
        let parser = XMLParser(data: Data(xml.utf8))
        XCTAssertTrue(parser.parse())
    }
}
