import Foundation
import KPICore
import XCTest

final class MailTests: XCTestCase {
    func testAddressesThatAreAndAreNot() {
        XCTAssertEqual(MailAddress.check(" Nguyen.Van-A@NgheAn.gov.vn "), "nguyen.van-a@nghean.gov.vn")
        XCTAssertEqual(MailAddress.check("a+b@x.vn"), "a+b@x.vn")
        for bad in ["", "a", "a@b", "a@@b.vn", "a b@x.vn", "nguyễn@x.vn", "a@x..vn", "a@-x.vn", ".a@x.vn", "a..b@x.vn",
                    "a@x.vn\r\nBcc: b@y.vn", "<a@x.vn>", "a@x.vn>", String(repeating: "a", count: 65) + "@x.vn",
                    "a@" + String(repeating: "b", count: 64) + ".vn"] {
            XCTAssertNil(MailAddress.check(bad), bad)
        }
        XCTAssertTrue(MailAddress.problem("x y").contains("«x y»"))
    }

    func testEveryNoticeKindHasOneCategory() {
        let kinds = NoticeCategory.all.flatMap(\.kinds)
        XCTAssertEqual(kinds.count, Set(kinds).count, "a kind in two categories")
        XCTAssertEqual(NoticeCategory.of(kind: "qua-han").key, "han")
        XCTAssertEqual(NoticeCategory.of(kind: "gui-nghiem-thu").standard, .now)
        XCTAssertEqual(NoticeCategory.of(kind: "mot-loai-moi").key, "nhiem-vu")
    }

    func testVietnameseSubjectIsEncodedWordsThatDecodeBack() {
        let subject = "[KPI Công vụ] Quá hạn (02/12/2026): NV-2026-000123 — Báo cáo tổng kết công tác tổ chức "
            + "xây dựng Đảng năm 2026"
        let encoded = MIME.encodedWords(subject)
        for line in encoded.components(separatedBy: "\r\n") {
            XCTAssertLessThanOrEqual(line.utf8.count, 76, line)
            XCTAssertTrue(line.allSatisfy(\.isASCII))
        }
        XCTAssertEqual(MIME.decodeWords(encoded), subject)
        XCTAssertEqual(MIME.encodedWords("Plain subject"), "Plain subject")
        // A line break in a title never makes a new header.
        XCTAssertFalse(MIME.encodedWords("a\r\nBcc: x@y.vn").contains("\r\nBcc"))
    }

    func testRenderedMessageHasBothPartsInBase64() throws {
        let m = MailMessage(from: "kpi@nghean.gov.vn", fromName: "KPI Công vụ", to: "a@x.vn", subject: "Thông báo",
                            text: "Kính gửi anh Nguyễn Văn A,\n.dòng bắt đầu bằng dấu chấm", html: "<p>Kính gửi</p>",
                            date: Date(timeIntervalSince1970: 1_796_179_200), messageID: "abc-123@nghean.gov.vn")
        let wire = m.rendered()
        XCTAssertTrue(wire.contains("\r\nDate: Wed, 02 Dec 2026 09:40:00 +0700\r\n"), wire)
        XCTAssertTrue(wire.contains("To: <a@x.vn>"))
        XCTAssertTrue(wire.contains("Content-Type: text/plain; charset=utf-8"))
        XCTAssertTrue(wire.contains("Content-Type: text/html; charset=utf-8"))
        XCTAssertFalse(wire.contains("\n."), "no line starts with a dot")
        let lines = wire.components(separatedBy: "\r\n")
        XCTAssertTrue(lines.allSatisfy { $0.utf8.count <= 998 && $0.allSatisfy(\.isASCII) })
        // The plain part decodes back to the text.
        let start = try XCTUnwrap(lines.firstIndex(of: "Content-Type: text/plain; charset=utf-8"))
        let body = lines[(start + 3)...].prefix { !$0.hasPrefix("--") }.joined()
        XCTAssertEqual(String(decoding: try XCTUnwrap(Data(base64Encoded: body)), as: UTF8.self), m.text)
    }

    func testRepliesAreReadWholeAndOnlyWhenComplete() throws {
        let ehlo = Array("250-mail.nghean.gov.vn\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n".utf8)
        let (reply, used) = try XCTUnwrap(SMTPReply.parse(ehlo))
        XCTAssertEqual(reply.code, 250)
        XCTAssertEqual(used, ehlo.count)
        XCTAssertTrue(reply.extensions.contains("STARTTLS"))
        XCTAssertTrue(reply.extensions.contains("AUTH"))
        XCTAssertNil(try SMTPReply.parse(Array("250-first\r\n250 sec".utf8)), "the last line has not come")
        XCTAssertThrowsError(try SMTPReply.parse(Array("HTTP/1.1 400 Bad Request\r\n".utf8)))
        XCTAssertThrowsError(try SMTPReply.parse(Array("250-a\r\n354 b\r\n".utf8)), "codes must agree")
        let refused = try XCTUnwrap(SMTPReply.parse(Array("550 5.1.1 no such user\r\n".utf8))).0
        XCTAssertTrue(refused.isPermanent)
        XCTAssertFalse(try XCTUnwrap(SMTPReply.parse(Array("451 try later\r\n".utf8))).0.isPermanent)
    }

    func testRetriesBackOffToAnHourAndNeverStop() {
        XCTAssertEqual(RetrySchedule.delay(afterAttempts: 1), 60)
        XCTAssertEqual(RetrySchedule.delay(afterAttempts: 2), 120)
        XCTAssertEqual(RetrySchedule.delay(afterAttempts: 3), 240)
        XCTAssertEqual(RetrySchedule.delay(afterAttempts: 7), 3_600)
        XCTAssertEqual(RetrySchedule.delay(afterAttempts: Int.max), 3_600)
        XCTAssertEqual(RetrySchedule.delay(afterAttempts: -5), 60)
    }

    func testDotStuffing() {
        XCTAssertEqual(SMTPData.stuffed(".a\r\nb\r\n.c"), "..a\r\nb\r\n..c")
    }

    func testMailSettingsRefuseWhatIsNotSafe() {
        let host = SettingsCatalog.spec("thu-may-chu")!
        XCTAssertEqual(try? host.check("Mail.NgheAn.gov.vn").get(), "mail.nghean.gov.vn")
        XCTAssertEqual(try? host.check("").get(), "")
        XCTAssertNil(try? host.check("https://mail.x.vn").get())
        XCTAssertNil(try? SettingsCatalog.spec("thu-nguoi-gui")!.check("khong dung").get())
        XCTAssertNil(try? SettingsCatalog.spec("thu-cong")!.check("70000").get())
        XCTAssertEqual(try? SettingsCatalog.spec("thu-bao-mat")!.check("khong").get(), "khong")
        XCTAssertNil(try? SettingsCatalog.spec("thu-bao-mat")!.check("ssl3").get())
        let base = ["thu-may-chu": "mail.nghean.gov.vn", "dia-chi-cong-khai": "https://kpi.nghean.gov.vn", "thu-bao-mat": "starttls"]
        XCTAssertEqual(SettingsCatalog.crossProblems(base), [])
        XCTAssertEqual(SettingsCatalog.crossProblems(base.merging(["thu-bao-mat": "khong"]) { $1 }).map(\.key), ["thu-bao-mat"])
        XCTAssertEqual(SettingsCatalog.crossProblems(base.merging(["thu-bao-mat": "khong", "thu-may-chu": "localhost"]) { $1 }), [])
        XCTAssertEqual(SettingsCatalog.crossProblems(base.merging(["dia-chi-cong-khai": ""]) { $1 }).map(\.key), ["dia-chi-cong-khai"])
        XCTAssertEqual(SettingsCatalog.crossProblems(["thu-may-chu": "", "thu-bao-mat": "khong"]), [], "mail off: nothing to check")
    }
}
