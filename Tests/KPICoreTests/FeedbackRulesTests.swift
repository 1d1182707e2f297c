import KPICore
import XCTest

/// Góp ý (issue 18): what a piece of feedback and its answer must be before anything is stored.
final class FeedbackRulesTests: XCTestCase {
    func problems(_ d: FeedbackDraft) -> [String: String] {
        guard case .failure(let p) = d.check() else { return [:] }
        return Dictionary(p.list.map { ($0.field, $0.message) }, uniquingKeysWith: { a, _ in a })
    }

    func testAGoodDraftIsCleanedAndKept() throws {
        let d = FeedbackDraft(topic: "san-pham", subject: "  SP-CM-02   Báo cáo ", page: "/danh-muc/san-pham",
                              text: "  Hệ số quy đổi của báo cáo tháng nên là 0,5.\n\nVì báo cáo ngắn.  ")
        guard case .success(let c) = d.check() else { return XCTFail("refused: \(problems(d))") }
        XCTAssertEqual(c.topic, .product)
        XCTAssertEqual(c.subject, "SP-CM-02 Báo cáo")
        XCTAssertEqual(c.page, "/danh-muc/san-pham")
        XCTAssertEqual(c.text, "Hệ số quy đổi của báo cáo tháng nên là 0,5.\n\nVì báo cáo ngắn.",
                       "line breaks kept, ends trimmed")
    }

    func testEachBadFieldIsNamed() {
        let good = FeedbackDraft(topic: "trang", subject: "", page: "", text: "Nút lọc khó thấy trên điện thoại.")
        XCTAssertEqual(problems(good), [:])
        var d = good
        d.topic = "bat-ky"
        XCTAssertEqual(problems(d)["chu_de"], "Vui lòng chọn góp ý về nội dung nào.")
        d = good
        d.text = " ngắn  "
        XCTAssertEqual(problems(d)["noi_dung"], "Vui lòng ghi nội dung góp ý (ít nhất 10 ký tự).")
        d.text = String(repeating: "ý", count: FeedbackDraft.maxText + 1)
        XCTAssertEqual(problems(d)["noi_dung"], "Nội dung góp ý dài quá 4.000 ký tự; hãy tách thành nhiều góp ý.")
        d = good
        d.subject = String(repeating: "a", count: FeedbackDraft.maxSubject + 1)
        XCTAssertEqual(problems(d)["ve"], "Phần «Cụ thể về» dài quá 200 ký tự.")
        // Only an address inside the application.
        XCTAssertTrue(FeedbackDraft.isApplicationPath("/viec?loc=qua-han"))
        XCTAssertFalse(FeedbackDraft.isApplicationPath("//example.com/x"))
        for page in ["https://example.com/", "//example.com/x", "viec", "/a\\b", "/a b", "/" + String(repeating: "a", count: 300)] {
            d = good
            d.page = page
            XCTAssertEqual(problems(d)["trang"], "Địa chỉ trang không hợp lệ; hãy gửi góp ý từ chính trang đó.", page)
        }
    }

    func testTheAnswerIsSaidInFull() {
        XCTAssertEqual(try? FeedbackDraft.checkAnswer("  Đã sửa hệ số trong bộ chỉ số mới. ").get(),
                       "Đã sửa hệ số trong bộ chỉ số mới.")
        guard case .failure(let short) = FeedbackDraft.checkAnswer("Được."),
              case .failure(let long) = FeedbackDraft.checkAnswer(String(repeating: "x", count: FeedbackDraft.maxText + 1)) else {
            return XCTFail("accepted")
        }
        XCTAssertEqual(short.list.map(\.message), ["Vui lòng ghi nội dung trả lời (ít nhất 10 ký tự)."])
        XCTAssertEqual(long.list.map(\.message), ["Nội dung trả lời dài quá 4.000 ký tự."])
    }
}
