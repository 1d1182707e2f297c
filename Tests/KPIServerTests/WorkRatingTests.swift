import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Đánh giá hài lòng through the public link: no sign-in, one answer per receipt code, rate-limited,
/// refused on a closed or unknown link.
final class WorkRatingTests: XCTestCase {
    func testCitizensRateThroughThePublicLink() async throws {
        try await withApp { app in
            app.settings.ratingsPerWindow = 6
            let done = try await WorkTask.query(on: app.db).filter(\.$state == "hoan-thanh").first()
            let task = try XCTUnwrap(done)
            let id = task.id!
            var staff = Browser(app)
            try await staff.login("canbo")
            try await staff.get("/viec/\(id)")
            let notTheirs = try await staff.post("/viec/\(id)/lien-ket-danh-gia", [:])
            XCTAssertEqual(notTheirs.status, .forbidden)
            var leader = Browser(app)
            try await leader.login("lanhdao")
            try await leader.get("/viec/\(id)")
            let opened = try await leader.post("/viec/\(id)/lien-ket-danh-gia", [:])
            XCTAssertEqual(opened.status, .seeOther)
            let found = try await RatingLink.query(on: app.db).filter(\.$taskID == id).first()
            let link = try XCTUnwrap(found)
            let page = try await leader.get("/viec/\(id)")
            XCTAssertTrue(page.text.contains("/danh-gia/\(link.token)/qr.svg"))

            var citizen = Browser(app)
            let form = try await citizen.get("/danh-gia/\(link.token)")
            XCTAssertEqual(form.status, .ok)
            XCTAssertTrue(form.text.contains(task.title))
            XCTAssertFalse(form.text.contains("Đăng xuất"), "no sign-in")
            let qr = try await citizen.get("/danh-gia/\(link.token)/qr.svg")
            XCTAssertEqual(qr.status, .ok)
            XCTAssertEqual(qr.headers.contentType?.subType, "svg+xml")
            XCTAssertTrue(qr.text.contains("data-version="))

            let noCode = try await citizen.post("/danh-gia/\(link.token)", ["ma_bien_nhan": " ", "diem": "5"])
            XCTAssertEqual(noCode.status, .unprocessableEntity)
            XCTAssertTrue(noCode.text.contains("Vui lòng ghi mã biên nhận"))
            let badScore = try await citizen.post("/danh-gia/\(link.token)", ["ma_bien_nhan": "BN-0001", "diem": "6"])
            XCTAssertEqual(badScore.status, .unprocessableEntity)
            let ok = try await citizen.post("/danh-gia/\(link.token)", ["ma_bien_nhan": "BN-0001", "diem": "4",
                                                                        "gop_y": "Cán bộ nhiệt tình"])
            XCTAssertEqual(ok.status, .ok)
            XCTAssertTrue(ok.text.contains("Cảm ơn ông/bà đã đánh giá"))
            let twice = try await citizen.post("/danh-gia/\(link.token)", ["ma_bien_nhan": "BN-0001", "diem": "1"])
            XCTAssertEqual(twice.status, .unprocessableEntity)
            XCTAssertTrue(twice.text.contains("đã được dùng để đánh giá"))
            let ratings = try await Rating.query(on: app.db).filter(\.$taskID == id).all()
            XCTAssertEqual(ratings.map(\.score), [4])
            let summary = try await leader.get("/viec/\(id)")
            XCTAssertTrue(summary.text.contains("trung bình 4,0/5"), summary.text)
            XCTAssertTrue(summary.text.contains("Cán bộ nhiệt tình"))
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "rating.submit").first()
            XCTAssertEqual(audit?.actor, "nguoi-dan")
            XCTAssertNotEqual(audit?.ip, "-")

            // Rate limit: six posts from one address in the window, then a clear refusal.
            _ = try await citizen.post("/danh-gia/\(link.token)", ["ma_bien_nhan": "BN-0002", "diem": "5"])
            _ = try await citizen.post("/danh-gia/\(link.token)", ["ma_bien_nhan": "BN-0003", "diem": "5"])
            let limited = try await citizen.post("/danh-gia/\(link.token)", ["ma_bien_nhan": "BN-0004", "diem": "5"])
            XCTAssertEqual(limited.status, .tooManyRequests)
            XCTAssertTrue(limited.text.contains("Vui lòng thử lại sau 10 phút"))
            do { let n = try await Rating.query(on: app.db).filter(\.$taskID == id).count(); XCTAssertEqual(n, 3) }

            // Closed and unknown links.
            app.settings.ratingsPerWindow = 100
            try await leader.get("/viec/\(id)")
            let closed = try await leader.post("/viec/\(id)/lien-ket-danh-gia/\(link.id!)/dong", [:])
            XCTAssertEqual(closed.status, .seeOther)
            let afterClose = try await citizen.post("/danh-gia/\(link.token)", ["ma_bien_nhan": "BN-0009", "diem": "5"])
            XCTAssertEqual(afterClose.status, .notFound)
            XCTAssertTrue(afterClose.text.contains("không tồn tại hoặc đã đóng"))
            let unknown = try await citizen.get("/danh-gia/khong-co-lien-ket-nay")
            XCTAssertEqual(unknown.status, .notFound)
            XCTAssertTrue(unknown.text.contains("không tồn tại hoặc đã đóng"))
            do { let n = try await Rating.query(on: app.db).filter(\.$taskID == id).count(); XCTAssertEqual(n, 3) }
        }
    }
}
