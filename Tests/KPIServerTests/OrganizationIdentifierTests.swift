import Fluent
import Foundation
@testable import KPIServer
import KPICore
import XCTVapor

/// Mã định danh điện tử of organizations (issue 20, item 6): checked and unique on the page and in an
/// import file, kept upper-case, and the key by which the API finds an agency.
final class OrganizationIdentifierTests: XCTestCase {
    let form = ["ma": "SNV-P9", "ten": "Phòng Thi đua - Khen thưởng", "khoi": "chinh-quyen", "cap": "tinh", "ma_cap_tren": "SNV"]

    func testThePageChecksTheFormAndUniqueness() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            try await b.get("/danh-muc/co-quan/moi")
            let created = try await b.post("/danh-muc/co-quan/moi", form.merging(["ma_dinh_danh": " h40.99.01 "]) { $1 })
            XCTAssertEqual(created.status, .seeOther, created.text)
            let stored = try await Organization.query(on: app.db).filter(\.$code == "SNV-P9").first()
            XCTAssertEqual(stored?.identifier, "H40.99.01")

            let before = try await Organization.query(on: app.db).count()
            for (identifier, words) in [("H40.99.01", "đã được dùng cho «Phòng Thi đua - Khen thưởng» (SNV-P9)"),
                                        ("H40..2", "nhóm trống"), ("40H.1", "không đúng dạng")] {
                try await b.get("/danh-muc/co-quan/moi")
                let refused = try await b.post("/danh-muc/co-quan/moi",
                                               form.merging(["ma": "SNV-P10", "ma_dinh_danh": identifier]) { $1 })
                XCTAssertEqual(refused.status, .unprocessableEntity, identifier)
                XCTAssertTrue(refused.text.contains(words), "\(identifier): \(words)")
                XCTAssertTrue(refused.text.contains("value=\"Phòng Thi đua - Khen thưởng\""), "nothing typed is lost")
            }
            let after = try await Organization.query(on: app.db).count()
            XCTAssertEqual(after, before)
            // Found by the identifier in the list's search too.
            let search = try await b.get("/danh-muc/co-quan?q=h40.99.01")
            XCTAssertTrue(search.text.contains("SNV-P9"))
        }
    }

    func testAnImportFileWithAnIdentifierTwiceIsRefusedWhole() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            let csv = """
                Mã,Tên,Khối,Cấp,Mã cơ quan cấp trên,Mã định danh điện tử
                SNV-P7,Phòng Tổ chức biên chế,Chính quyền,Tỉnh,SNV,H40.77.01
                SNV-P8,Phòng Cải cách hành chính,Chính quyền,Tỉnh,SNV,h40.77.01

                """
            try await b.get("/nhap-du-lieu")
            let dry = try await b.upload("/nhap-du-lieu", fields: ["danh_muc": "co-quan"], fileField: "tep", fileName: "co-quan.csv",
                                         data: Data(csv.utf8))
            XCTAssertTrue(dry.text.contains("đã được dùng cho «Phòng Tổ chức biên chế» (SNV-P7)"), dry.text)
            let made = try await Organization.query(on: app.db).filter(\.$code ~~ ["SNV-P7", "SNV-P8"]).count()
            XCTAssertEqual(made, 0)
        }
    }

    func testTheAPIFindsAnAgencyByItsIdentifier() async throws {
        try await withApp { app in
            let snv = try await Organization.query(on: app.db).filter(\.$code == "SNV").first()
            let identifier = try XCTUnwrap(snv?.identifier.nilIfEmpty, "the demonstration gives agencies identifiers")
            let client = try await APIClientUnderTest.make(app, username: "qlvb-tinh", org: nil, scopes: [.catalogRead])
            let doc = try await client.get("/api/v1/organizations?identifier=\(identifier)").json()
            let items = try XCTUnwrap(doc["items"] as? [[String: Any]])
            XCTAssertEqual(items.compactMap { $0["code"] as? String }, ["SNV"])
            XCTAssertEqual(items.first?["identifier"] as? String, identifier)
            try await client.get("/api/v1/organizations?identifier=H40..1").assertProblem(.badRequest, "invalid-parameter")
            try await client.get("/api/v1/organizations?identifier=\(identifier.lowercased())")
                .assertProblem(.badRequest, "invalid-parameter")
        }
    }
}
