import Fluent
@testable import KPIServer
import XCTVapor

final class RoleTests: XCTestCase {
    func user(_ app: Application, _ name: String) async throws -> User {
        try await User.query(on: app.db).filter(\.$username == name).first()!
    }

    func testSystemAdminGrantsAndRevokes() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            let canbo = try await user(app, "canbo")
            let page = "/danh-muc/nguoi-dung/\(canbo.id!.uuidString)"
            let view = try await b.get(page)
            XCTAssertTrue(view.text.contains("Vai trò và phạm vi"))
            let res = try await b.post("/nguoi-dung/\(canbo.id!.uuidString)/quyen", ["vai_tro": "lanh-dao", "don_vi": "BTCTU-P3"])
            XCTAssertEqual(res.location, page + "?luu=1")
            let dup = try await b.post("/nguoi-dung/\(canbo.id!.uuidString)/quyen", ["vai_tro": "lanh-dao", "don_vi": "BTCTU-P3"])
            XCTAssertTrue(dup.text.contains("đã có vai trò này"))
            let grant = try await RoleGrant.query(on: app.db).filter(\.$userID == canbo.id!).filter(\.$role == "lanh-dao").first()!
            let confirm = try await b.get("/nguoi-dung/\(canbo.id!.uuidString)/quyen/\(grant.id!.uuidString)/thu-hoi")
            XCTAssertTrue(confirm.text.contains("Xác nhận thu hồi"))
            try await b.post("/nguoi-dung/\(canbo.id!.uuidString)/quyen/\(grant.id!.uuidString)/thu-hoi", [:])
            let v1 = try await RoleGrant.query(on: app.db).filter(\.$userID == canbo.id!).count()
            XCTAssertEqual(v1, 1)
            let actions = try await AuditEntry.query(on: app.db).filter(\.$entityID == canbo.id!.uuidString).all().map(\.action)
            XCTAssertTrue(actions.contains("role.grant") && actions.contains("role.revoke"))
        }
    }

    func testUnitAdminCannotWidenPowers() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri.snv")
            let snvUser = try await user(app, "quantri.snv")
            // Issue 16: quantri.snv granted itself lanh-dao of Sở Nội vụ (which brings approving
            // evaluations). Nobody grants anything to their own account, whatever the role.
            for (role, unit) in [("quan-tri-he-thong", ""), ("lanh-dao", "SNV"), ("lanh-dao", "SNV-P1"), ("can-bo", "SNV")] {
                let res = try await b.post("/nguoi-dung/\(snvUser.id!.uuidString)/quyen", ["vai_tro": role, "don_vi": unit])
                XCTAssertEqual(res.status, .forbidden, role)
                XCTAssertTrue(res.text.contains("Không ai tự cấp quyền"), res.text)
            }
            let own = try await RoleGrant.query(on: app.db).filter(\.$userID == snvUser.id!).count()
            XCTAssertEqual(own, 1, "still only the unit admin grant")
            let page = try await b.get("/danh-muc/nguoi-dung/\(snvUser.id!.uuidString)")
            XCTAssertFalse(page.text.contains("Cấp quyền</button>"), "no grant form on one's own account")
            XCTAssertFalse(page.text.contains("Đặt lại mật khẩu</button>"))
            XCTAssertFalse(page.text.contains("/sua\">Sửa</a>"), "no edit button on one's own account")
            // Accounts outside the subtree are invisible.
            let other = try await user(app, "canbo")
            let v2 = try await b.get("/danh-muc/nguoi-dung/\(other.id!.uuidString)").status
            XCTAssertEqual(v2, .notFound)
            let v3 = try await b.post("/nguoi-dung/\(other.id!.uuidString)/quyen", ["vai_tro": "can-bo", "don_vi": ""]).status
            XCTAssertEqual(v3, .notFound)
            let v4 = try await b.post("/nguoi-dung/\(other.id!.uuidString)/dat-lai-mat-khau", [:]).status
            XCTAssertEqual(v4, .notFound)
        }
    }

    func testStaffCannotGrant() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("canbo")
            let me = try await user(app, "canbo")
            let res = try await b.post("/nguoi-dung/\(me.id!.uuidString)/quyen", ["vai_tro": "quan-tri-he-thong", "don_vi": ""])
            XCTAssertEqual(res.status, .notFound)
            let v5 = try await RoleGrant.query(on: app.db).filter(\.$userID == me.id!).count()
            XCTAssertEqual(v5, 1)
        }
    }

    func testPasswordResetForcesChangeAndEndsSessions() async throws {
        try await withApp { app in
            var victim = Browser(app)
            try await victim.login("canbo")
            var admin = Browser(app)
            try await admin.login("quantri")
            let canbo = try await user(app, "canbo")
            try await admin.get("/danh-muc/nguoi-dung/\(canbo.id!.uuidString)")
            let res = try await admin.post("/nguoi-dung/\(canbo.id!.uuidString)/dat-lai-mat-khau", [:])
            let temporary = String(res.text[res.text.range(of: "<code>")!.upperBound...].prefix { $0 != "<" })
            XCTAssertEqual(temporary.count, 16)
            let v6 = try await victim.get("/").status
            XCTAssertEqual(v6, .seeOther, "the old session ended")
            var fresh = Browser(app)
            let v7 = try await fresh.login("canbo", temporary).location
            XCTAssertEqual(v7, "/doi-mat-khau")
        }
    }

    func testDeactivatedUserCannotSignIn() async throws {
        try await withApp { app in
            var admin = Browser(app)
            try await admin.login("quantri")
            let canbo = try await user(app, "canbo")
            try await admin.get("/danh-muc/nguoi-dung/\(canbo.id!.uuidString)/ngung")
            let v8 = try await admin.post("/danh-muc/nguoi-dung/\(canbo.id!.uuidString)/ngung", [:]).status
            XCTAssertEqual(v8, .seeOther)
            var b = Browser(app)
            let v9 = try await b.login("canbo").status
            XCTAssertEqual(v9, .unauthorized)
        }
    }
}
