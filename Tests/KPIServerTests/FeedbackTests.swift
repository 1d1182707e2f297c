import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Góp ý (issue 18): anyone sends feedback from a page; the advisory body of the sender's scope is
/// told, reads it, answers it once (never their own), and exports it; others do not see it.
final class FeedbackTests: XCTestCase {
    func testSendAnswerOnceAndWhoSeesIt() async throws {
        try await withApp { app in
            var staff = Browser(app)
            try await staff.login("canbo")
            // The footer of every page links to feedback about that page.
            let board = try await staff.get("/viec")
            XCTAssertTrue(board.text.contains("/gop-y/moi?chu_de=trang&amp;trang=%2Fviec&amp;ve="), "footer link")
            let form = try await staff.get("/gop-y/moi?chu_de=trang&trang=%2Fviec&ve=C%C3%B4ng%20vi%E1%BB%87c")
            XCTAssertEqual(form.status, .ok)
            XCTAssertTrue(form.text.contains("Gửi từ trang: <a href=\"/viec\">/viec</a>"))
            // An address the form would refuse is not offered either (the same rule).
            let foreign = try await staff.get("/gop-y/moi?chu_de=trang&trang=%2Fa%5Cb")
            XCTAssertFalse(foreign.text.contains("Gửi từ trang:"))
            let base = ["chu_de": "trang", "ve": "Công việc", "trang": "/viec",
                        "noi_dung": "Bộ lọc theo hạn khó dùng trên điện thoại.\nĐề nghị để ở đầu trang."]
            for (change, message) in [(["noi_dung": "Khó dùng"], "ít nhất 10 ký tự"),
                                      (["trang": "https://example.com"], "Địa chỉ trang không hợp lệ")] {
                let res = try await staff.post("/gop-y/moi", base.merging(change) { $1 })
                XCTAssertEqual(res.status, .unprocessableEntity, "\(change)")
                XCTAssertTrue(res.text.contains(message), message)
                XCTAssertTrue(res.text.contains("Công việc"), "what was typed is kept")
            }
            do { let n = try await Feedback.query(on: app.db).count(); XCTAssertEqual(n, 0, "nothing half-saved") }
            let sent = try await staff.post("/gop-y/moi", base)
            XCTAssertEqual(sent.status, .seeOther)
            XCTAssertEqual(sent.headers.first(name: .location), "/gop-y?tb=gui")
            let stored = try await Feedback.query(on: app.db).all()
            XCTAssertEqual(stored.count, 1)
            let f = try XCTUnwrap(stored.first)
            let unit = try await Organization.query(on: app.db).filter(\.$code == "BTCTU-P3").first()!
            XCTAssertEqual(f.scopePath, unit.path)
            XCTAssertEqual(f.unitName, unit.name)
            XCTAssertEqual(f.text, "Bộ lọc theo hạn khó dùng trên điện thoại.\nĐề nghị để ở đầu trang.")
            XCTAssertEqual(f.status, FeedbackStatus.open.rawValue)
            let id = try f.requireID().uuidString

            // The sender's list: search without diacritics, filters.
            let mine = try await staff.get("/gop-y?q=bo%20loc%20theo%20han")
            XCTAssertTrue(mine.text.contains("1 góp ý · 1 chờ trả lời"), mine.text)
            XCTAssertTrue(mine.text.contains("/gop-y/\(id)"))
            let none = try await staff.get("/gop-y?trang_thai=da-tra-loi")
            XCTAssertTrue(none.text.contains("0 góp ý · 1 chờ trả lời"))

            // The advisory body (province-wide) is told; a leader of the room is not and cannot open it.
            let adviser = try await User.query(on: app.db).filter(\.$username == "thammuu").first()!
            let told = try await Notice.query(on: app.db).filter(\.$userID == adviser.requireID()).filter(\.$kind == "gop-y").all()
            XCTAssertEqual(told.map(\.link), ["/gop-y/\(id)"])
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let refused = try await leader.get("/gop-y/\(id)")
            XCTAssertEqual(refused.status, .notFound)
            let leaderList = try await leader.get("/gop-y")
            XCTAssertTrue(leaderList.text.contains("0 góp ý"))

            // The sender may not answer; the adviser answers, in full, once.
            let own = try await staff.get("/gop-y/\(id)")
            XCTAssertEqual(own.status, .ok)
            XCTAssertFalse(own.text.contains("Gửi trả lời"))
            let self_ = try await staff.post("/gop-y/\(id)/tra-loi", ["tra_loi": "Tôi tự trả lời góp ý này."])
            XCTAssertEqual(self_.status, .forbidden)
            var board2 = Browser(app)
            try await board2.login("thammuu")
            let page = try await board2.get("/gop-y/\(id)")
            XCTAssertTrue(page.text.contains("Gửi trả lời"))
            let short = try await board2.post("/gop-y/\(id)/tra-loi", ["tra_loi": "Được."])
            XCTAssertEqual(short.status, .unprocessableEntity)
            XCTAssertTrue(short.text.contains("ít nhất 10 ký tự"))
            let answered = try await board2.post("/gop-y/\(id)/tra-loi",
                                                 ["tra_loi": "Đã chuyển bộ lọc lên đầu trang trong bản sau."])
            XCTAssertEqual(answered.status, .seeOther)
            let again = try await board2.post("/gop-y/\(id)/tra-loi", ["tra_loi": "Trả lời lần thứ hai, không được ghi."])
            XCTAssertEqual(again.status, .conflict)
            XCTAssertTrue(again.text.contains("Góp ý này đã được trả lời."))
            let after = try await Feedback.find(f.requireID(), on: app.db)!
            XCTAssertEqual(after.answer, "Đã chuyển bộ lọc lên đầu trang trong bản sau.")
            XCTAssertEqual(after.status, FeedbackStatus.answered.rawValue)
            XCTAssertNotNil(after.answeredAt)

            // The sender is told and reads the answer; the trail has both steps.
            let sender = try await User.query(on: app.db).filter(\.$username == "canbo").first()!
            let back = try await Notice.query(on: app.db).filter(\.$userID == sender.requireID()).filter(\.$kind == "gop-y").count()
            XCTAssertEqual(back, 1)
            let read = try await staff.get("/gop-y/\(id)")
            XCTAssertTrue(read.text.contains("Đã chuyển bộ lọc lên đầu trang trong bản sau."))
            let trail = try await AuditEntry.query(on: app.db).filter(\.$entityID == id).all().map(\.action).sorted()
            XCTAssertEqual(trail, ["feedback.answer", "feedback.send"])

            // The export carries the feedback and its answer.
            let csv = try await board2.get("/gop-y?dinh_dang=csv")
            XCTAssertEqual(csv.status, .ok)
            XCTAssertTrue(csv.text.contains("Đã chuyển bộ lọc lên đầu trang trong bản sau."))
            XCTAssertTrue(csv.text.contains("Trang, chức năng của phần mềm"))
        }
    }

    func testNobodyAnswersTheirOwnFeedback() async throws {
        try await withApp { app in
            var adviser = Browser(app)
            try await adviser.login("thammuu")
            try await adviser.get("/gop-y/moi")
            let sent = try await adviser.post("/gop-y/moi", ["chu_de": "chi-so", "ve": "Tiêu chí phối hợp",
                                                             "noi_dung": "Thang điểm phối hợp nên có mức 0."])
            XCTAssertEqual(sent.status, .seeOther)
            let id = try await Feedback.query(on: app.db).first()!.requireID().uuidString
            let page = try await adviser.get("/gop-y/\(id)")
            XCTAssertFalse(page.text.contains("Gửi trả lời"), "no answer form on one's own feedback")
            let own = try await adviser.post("/gop-y/\(id)/tra-loi", ["tra_loi": "Tôi đồng ý với chính mình."])
            XCTAssertEqual(own.status, .forbidden)
            XCTAssertTrue(own.text.contains(SeparationOfDuties.ownFeedback), own.text)
            let stored = try await Feedback.find(UUID(uuidString: id), on: app.db)!
            XCTAssertEqual(stored.status, FeedbackStatus.open.rawValue)
        }
    }
}
