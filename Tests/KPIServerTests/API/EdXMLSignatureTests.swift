import Fluent
import Foundation
@testable import KPIServer
import KPICore
import X509
import XCTVapor

/// The XML-DSig check of edXML packages against trusted certificates, on packages signed by an independent
/// implementation (signxml; EdXMLCorpus/ky-so/tao-mau.py): valid, changed after signing, by an unknown
/// signer, through a trusted CA, with an expired certificate, unsigned.
final class EdXMLSignatureTests: XCTestCase {
    static let corpus = APIEdXMLTests.corpus.appendingPathComponent("ky-so")

    static func data(_ name: String) throws -> Data { try Data(contentsOf: corpus.appendingPathComponent(name)) }
    static func certificate(_ name: String) throws -> Certificate {
        try Certificate(pemEncoded: String(decoding: try data(name), as: UTF8.self))
    }

    let now = DateOnly(year: 2026, month: 11, day: 25)!.startInVietnam

    func testOnlyAnUnchangedPackageSignedByATrustedSignerIsValid() throws {
        let mttq = try Self.certificate("chung-thu-mttq-tinh.pem")
        let ca = try Self.certificate("ca-thu-nghiem.pem")
        let other = try Self.certificate("chung-thu-khac.pem")
        for name in ["ky-so-c14n.xml", "ky-so-c14n-loai-tru.xml"] {
            XCTAssertEqual(EdXMLSignatureCheck.check(try Self.data(name), trusted: [other, mttq], now: now),
                           .valid(signer: "Van thu MTTQ tinh"), name)
            guard case .untrusted(let signer, _) = EdXMLSignatureCheck.check(try Self.data(name), trusted: [other], now: now) else {
                return XCTFail("\(name): an unknown signer was trusted")
            }
            XCTAssertEqual(signer, "Van thu MTTQ tinh")
        }
        XCTAssertEqual(EdXMLSignatureCheck.check(try Self.data("ky-so-qua-ca.xml"), trusted: [ca], now: now),
                       .valid(signer: "Van thu VPTU"))
        guard case .invalid(let reason) = EdXMLSignatureCheck.check(try Self.data("sai-noi-dung-bi-sua.xml"), trusted: [mttq], now: now)
        else { return XCTFail("a changed package passed") }
        XCTAssertTrue(reason.contains("thay đổi"), reason)
        guard case .untrusted(_, let expired) = EdXMLSignatureCheck.check(try Self.data("ky-so-het-han.xml"), trusted: [mttq], now: now)
        else { return XCTFail("an expired certificate passed") }
        XCTAssertTrue(expired.contains("hết hiệu lực"), expired)
        XCTAssertEqual(EdXMLSignatureCheck.check(try APIEdXMLTests.package("khoi-dang.xml"), trusted: [mttq], now: now), .unsigned)
        // A signature value from another key: refused even when the certificate in the package is trusted.
        let swapped = String(decoding: try Self.data("ky-so-c14n.xml"), as: UTF8.self)
            .replacingOccurrences(of: "<ds:SignatureValue>", with: "<ds:SignatureValue>AAAA")
        guard case .invalid = EdXMLSignatureCheck.check(Data(swapped.utf8), trusted: [mttq], now: now) else {
            return XCTFail("a forged signature value passed")
        }
    }

    func testTheCheckIsKeptOnTheTaskAndAnAgencyMayRequireIt() async throws {
        try await withApp { app in
            let qlvb = try await APIClientUnderTest.make(app, username: "qlvb-tinh", org: "NGHEAN", scopes: [.tasksRead, .tasksWrite])
            var admin = Browser(app)
            try await admin.login("quantri")
            let pem = String(decoding: try Self.data("ca-thu-nghiem.pem"), as: UTF8.self)
            let added = try await admin.post("/cai-dat/ung-dung/chung-thu", ["pem": pem])
            XCTAssertEqual(added.status, .seeOther, added.text)
            let page = try await admin.get("/cai-dat/ung-dung")
            XCTAssertTrue(page.text.contains("CA thu nghiem KPI"), page.text)
            let twice = try await admin.post("/cai-dat/ung-dung/chung-thu", ["pem": pem])
            XCTAssertEqual(twice.status, .unprocessableEntity)
            XCTAssertTrue(twice.text.contains("đã có trong danh sách tin cậy"))
            let junk = try await admin.post("/cai-dat/ung-dung/chung-thu", ["pem": "không phải chứng thư"])
            XCTAssertEqual(junk.status, .unprocessableEntity)

            // Ban Tổ chức Tỉnh ủy (H40.01) takes only validly signed packages.
            app.settings.edxmlRequireSigned = "H40.01"
            let unsigned = try await APIEdXMLTests.send(qlvb, try APIEdXMLTests.package("khoi-dang.xml"))
            try unsigned.assertProblem(.unprocessableEntity, "edxml-refused")
            XCTAssertEqual((try unsigned.json()["errors"] as? [[String: Any]])?.first?["field"] as? String, "Signature")
            XCTAssertTrue(unsigned.text.contains("Không có chữ ký số"), unsigned.text)
            let signed = try await APIEdXMLTests.send(qlvb, try Self.data("ky-so-qua-ca.xml"))
            XCTAssertEqual(signed.status, .created, signed.text)
            let signature = try XCTUnwrap(try signed.json()["signature"] as? [String: Any])
            XCTAssertEqual(signature["status"] as? String, "hop-le")
            XCTAssertEqual(signature["label"] as? String, "Chữ ký số hợp lệ: Van thu VPTU")
            let code = try XCTUnwrap(((try signed.json()["tasks"] as? [[String: Any]])?.first)?["code"] as? String)
            let found = try await WorkTask.query(on: app.db).filter(\.$code == code).first()
            let task = try XCTUnwrap(found)
            var head = Browser(app)
            try await head.login("truongban")
            let shown = try await head.get("/viec/\(try task.requireID().uuidString)")
            XCTAssertTrue(shown.text.contains("Chữ ký số hợp lệ: Van thu VPTU"), shown.text)
            XCTAssertTrue(shown.text.contains("Gửi từ Văn phòng Tỉnh ủy (H40.02)"), shown.text)

            // Removing the CA: a new signed package of the same signer is no longer trusted, and refused there.
            let row = try await TrustedCertificate.query(on: app.db).first()
            let removed = try await admin.post("/cai-dat/ung-dung/chung-thu/\(try XCTUnwrap(row).requireID().uuidString)/go", [:])
            XCTAssertEqual(removed.status, .seeOther)
            let left = try await EdXMLTrust.certificates(on: app.db)
            XCTAssertEqual(EdXMLSignatureCheck.check(try Self.data("ky-so-qua-ca.xml"), trusted: left, now: now),
                           .untrusted(signer: "Van thu VPTU", reason: EdXMLSignatureCheck.notTrusted))
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action ~~ ["edxml.certificate.add", "edxml.certificate.remove"])
                .count()
            XCTAssertEqual(audit, 2)
        }
    }
}

