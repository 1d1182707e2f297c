import Foundation
import KPICore
import XCTest

/// Canonical XML and XML-DSig reading, against the output of an independent implementation (lxml's C14N,
/// signatures made by signxml): the files in Tests/KPIServerTests/API/EdXMLCorpus/ky-so/.
final class XMLSignatureTests: XCTestCase {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KPIServerTests/API/EdXMLCorpus/ky-so")

    static func file(_ name: String) throws -> Data { try Data(contentsOf: corpus.appendingPathComponent(name)) }
    static func text(_ name: String) throws -> String { String(decoding: try file(name), as: UTF8.self) }

    func testCanonicalFormsMatchAnIndependentImplementation() throws {
        let root = try XCTUnwrap(XMLCanonical.parse(try Self.file("c14n-mau.xml")))
        XCTAssertEqual(XMLCanonical.canonical(root, method: .inclusive), try Self.text("c14n-mau.inc.c14n"))
        XCTAssertEqual(XMLCanonical.canonical(root, method: .exclusive), try Self.text("c14n-mau.exc.c14n"))
        let inner = try XCTUnwrap(root.elements.dropFirst().first)
        XCTAssertEqual(XMLCanonical.canonical(inner, method: .inclusive), try Self.text("c14n-mau.con.inc.c14n"))
        XCTAssertEqual(XMLCanonical.canonical(inner, method: .exclusive), try Self.text("c14n-mau.con.exc.c14n"))
    }

    func testASignedPackageGivesTheBytesItsDigestAndSignatureCover() throws {
        for name in ["ky-so-c14n", "ky-so-c14n-loai-tru"] {
            let info = try XCTUnwrap(try XMLSignatureInfo.read(try Self.file(name + ".xml")).get(), name)
            XCTAssertEqual(info.signatureMethod, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
            XCTAssertEqual(info.references.count, 1)
            XCTAssertEqual(String(decoding: info.references[0].content, as: UTF8.self), try Self.text(name + ".noi-dung.c14n"), name)
            XCTAssertEqual(String(decoding: info.signedInfo, as: UTF8.self), try Self.text(name + ".signedinfo.c14n"), name)
            XCTAssertEqual(info.references[0].digestValue.count, 32)
            XCTAssertEqual(info.certificates.count, 1)
            XCTAssertEqual(info.signatureValue.count, 256)
        }
        // No signature: nothing to check; an outside reference or an unknown transform: refused, said why.
        XCTAssertNil(try XMLSignatureInfo.read(Data("<a/>".utf8)).get())
        let outside = try Self.text("ky-so-c14n.xml").replacingOccurrences(of: "URI=\"\"", with: "URI=\"http://x/y\"")
        guard case .failure(let why) = XMLSignatureInfo.read(Data(outside.utf8)) else { return XCTFail("accepted") }
        XCTAssertTrue(why.message.contains("ra ngoài gói"), why.message)
    }
}
