import Foundation

/// Thư điện tử (issue 18, item 3): what the core knows about mail — which addresses are ones, how
/// each kind of notice is delivered, how a message is written on the wire (RFC 5322, MIME, RFC 2047
/// for Vietnamese subjects), how SMTP answers are read and when a failed delivery is tried again.
/// The sending itself (a connection, STARTTLS) is the server's.
public enum MailAddress {
    static let localSpecials = Set("!#$%&'*+-/=?^_`{|}~.")

    /// The address in lower case, or nil when it is not one a relay takes: ASCII, one «@», a local
    /// part of letters, digits and the usual signs, a domain of at least two labels of letters,
    /// digits and hyphens. No spaces, brackets or line breaks (nothing that could add a header).
    public static func check(_ raw: String) -> String? {
        let text = raw.trimmingCharacters(in: .whitespaces).lowercased()
        guard text.utf8.count <= 254, text.allSatisfy({ $0.isASCII }) else { return nil }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...64).contains(parts[0].count) else { return nil }
        let local = parts[0], domain = parts[1]
        guard local.allSatisfy({ $0.isLetter || $0.isNumber || localSpecials.contains($0) }),
              !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { return nil }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ label in
            (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
        }) else { return nil }
        return text
    }

    /// The refusal, in words, of an address that is not one.
    public static func problem(_ raw: String) -> String {
        "«\(raw)» không phải địa chỉ thư điện tử (dạng ten@coquan.gov.vn, không dấu, không dấu cách)."
    }
}

/// How a person receives one kind of notice by mail; the notification centre keeps every notice
/// whatever the choice.
public enum NoticeDelivery: String, CaseIterable, Sendable, Codable {
    /// Gửi ngay: a mail per notice, within a minute or two.
    case now = "ngay"
    /// Tổng hợp hằng ngày: one mail a day listing them.
    case digest = "tong-hop"
    /// Không gửi thư.
    case off = "khong"

    public var label: String {
        switch self {
        case .now: "Gửi thư ngay"
        case .digest: "Gộp vào thư tổng hợp hằng ngày"
        case .off: "Không gửi thư (chỉ xem trong hệ thống)"
        }
    }
}

/// A kind of notice a person chooses the delivery of.
public struct NoticeCategory: Sendable, Equatable {
    public var key: String
    public var label: String
    /// The notice kinds (Notice.kind) it covers.
    public var kinds: Set<String>
    public var standard: NoticeDelivery

    public static let all: [NoticeCategory] = [
        NoticeCategory(key: "han", label: "Cảnh báo hạn nhiệm vụ (sắp đến hạn, đến hạn, quá hạn)",
                       kinds: ["sap-den-han", "den-han", "qua-han"], standard: .digest),
        NoticeCategory(key: "cho-xu-ly",
                       label: "Việc chờ tôi xử lý (đề xuất, xin gia hạn, chờ nghiệm thu, chờ xác nhận)",
                       kinds: ["de-xuat", "xin-gia-han", "gui-nghiem-thu", "xac-nhan"], standard: .now),
        NoticeCategory(key: "danh-gia", label: "Kỳ đánh giá: các bước chờ tôi, hạn kiến nghị",
                       kinds: ["ky-danh-gia"], standard: .now),
        NoticeCategory(key: "nhiem-vu", label: "Diễn biến nhiệm vụ (được giao, trả lại, nghiệm thu, gia hạn, hủy)",
                       kinds: ["tao", "phan-cong", "dong-y-gia-han", "tu-choi-gia-han", "nghiem-thu", "tra-lai", "huy",
                               "duyet-de-xuat", "khong-duyet"], standard: .digest),
        NoticeCategory(key: "tai-khoan", label: "Tài khoản (vai trò, khóa tài khoản)", kinds: ["tai-khoan"], standard: .now),
        NoticeCategory(key: "gop-y", label: "Góp ý và trả lời góp ý", kinds: ["gop-y"], standard: .digest),
    ]

    /// The category of a notice kind; a kind no category names goes with the task events.
    public static func of(kind: String) -> NoticeCategory {
        all.first { $0.kinds.contains(kind) } ?? all.first { $0.key == "nhiem-vu" }!
    }
}

/// One message as written on the wire: RFC 5322 headers, a multipart/alternative body of UTF-8
/// plain text and HTML, both in base64 (no line can start with a dot or run too long).
public struct MailMessage: Sendable, Equatable {
    public var from: String
    public var fromName: String
    public var to: String
    public var subject: String
    public var text: String
    public var html: String
    public var date: Date
    /// Without the angle brackets.
    public var messageID: String

    public init(from: String, fromName: String, to: String, subject: String, text: String, html: String, date: Date,
                messageID: String) {
        self.from = from; self.fromName = fromName; self.to = to; self.subject = subject; self.text = text; self.html = html
        self.date = date; self.messageID = messageID
    }

    /// The message, lines ending in CRLF, ready for DATA (before dot-stuffing, which base64 makes moot).
    public func rendered() -> String {
        let boundary = "=_kpi_" + String(messageID.unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }
            .prefix(24).map(Character.init))
        let headers = [
            "From: \(MIME.encodedWords(fromName)) <\(from)>",
            "To: <\(to)>",
            "Subject: \(MIME.encodedWords(subject))",
            "Date: \(MIME.date(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
        ]
        let parts = [("text/plain", text), ("text/html", html)].map { type, body in
            "--\(boundary)\r\nContent-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + MIME.base64Lines(body) + "\r\n"
        }
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + parts.joined() + "--\(boundary)--\r\n"
    }
}

public enum MIME {
    /// A header value: as is when it is plain printable ASCII, else RFC 2047 encoded words
    /// (=?UTF-8?B?…?=) of at most 45 bytes each, never splitting a character, folded on new lines.
    public static func encodedWords(_ s: String) -> String {
        let clean = s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if clean.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) && !clean.contains("=?") && clean.count <= 900 {
            return clean
        }
        var words: [String] = []
        var chunk = Data()
        for ch in clean {
            let bytes = Data(String(ch).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(chunk.base64EncodedString())?=")
                chunk = Data()
            }
            chunk.append(bytes)
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?\(chunk.base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    /// The text decoded from encoded words (what a mail reader shows): for tests and the outbox page.
    public static func decodeWords(_ s: String) -> String {
        let unfolded = s.replacingOccurrences(of: "\r\n ", with: " ")
        guard unfolded.contains("=?") else { return unfolded }
        var bytes = Data()
        for word in unfolded.split(separator: " ") {
            let w = String(word)
            guard w.hasPrefix("=?UTF-8?B?"), w.hasSuffix("?="),
                  let d = Data(base64Encoded: String(w.dropFirst(10).dropLast(2))) else { return unfolded }
            bytes.append(d)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// UTF-8 in base64, lines of 76 characters joined by CRLF.
    public static func base64Lines(_ s: String) -> String {
        let all = Data(s.utf8).base64EncodedString()
        var lines: [Substring] = []
        var i = all.startIndex
        while i < all.endIndex {
            let j = all.index(i, offsetBy: 76, limitedBy: all.endIndex) ?? all.endIndex
            lines.append(all[i..<j])
            i = j
        }
        return lines.joined(separator: "\r\n")
    }

    /// RFC 5322 date in Việt Nam's time ("Wed, 02 Dec 2026 09:15:00 +0700").
    public static func date(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(secondsFromGMT: 7 * 3600)
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return f.string(from: d)
    }
}

/// One reply of an SMTP server: the code and its text lines.
public struct SMTPReply: Sendable, Equatable {
    public var code: Int
    public var lines: [String]

    public var isPositive: Bool { (200..<400).contains(code) }
    /// 5xx: the server refuses for good (a mailbox that does not exist, a policy); trying again will not help.
    public var isPermanent: Bool { code >= 500 }
    public var text: String { "\(code) " + lines.joined(separator: " / ") }

    /// A complete reply from the start of `buffer` (lines ending in CRLF or LF), and how many bytes it
    /// used; nil while the last line has not come. Throws when a line is not an SMTP reply.
    public static func parse(_ buffer: [UInt8]) throws -> (SMTPReply, Int)? {
        var lines: [String] = []
        var start = 0
        var code = 0
        while let nl = buffer[start...].firstIndex(of: 10) {
            var line = Array(buffer[start..<nl])
            if line.last == 13 { line.removeLast() }
            start = nl + 1
            guard line.count >= 3, let c = Int(String(decoding: line.prefix(3), as: UTF8.self)), (200...599).contains(c),
                  code == 0 || c == code else {
                throw SMTPProtocolError(line: String(decoding: line.prefix(200), as: UTF8.self))
            }
            code = c
            lines.append(line.count > 4 ? String(decoding: line.dropFirst(4), as: UTF8.self) : "")
            if line.count == 3 || line[3] == 32 { return (SMTPReply(code: c, lines: lines), start) }
            guard line[3] == 45 else { throw SMTPProtocolError(line: String(decoding: line.prefix(200), as: UTF8.self)) }
            guard lines.count < 100 else { throw SMTPProtocolError(line: "quá nhiều dòng") }
        }
        guard buffer.count - start < 4_096 else { throw SMTPProtocolError(line: "dòng quá dài") }
        return nil
    }

    /// The extensions an EHLO reply names, in upper case (STARTTLS, AUTH PLAIN LOGIN, …).
    public var extensions: Set<String> {
        Set(lines.dropFirst().map { $0.uppercased() }).union(lines.dropFirst().compactMap { $0.split(separator: " ").first }
            .map { $0.uppercased() })
    }
}

public struct SMTPProtocolError: Error, Equatable, Sendable {
    public var line: String
}

/// Lịch gửi lại: a message whose delivery failed for a reason that can pass (a server down, a 4xx
/// answer) is tried again after 1, 2, 4, … minutes, at most an hour apart, and never dropped.
public enum RetrySchedule {
    public static func delay(afterAttempts n: Int) -> TimeInterval {
        let step = min(max(n, 1), 7) - 1
        return min(3_600, 60 * Double(1 << step))
    }
}

/// Dot-stuffing (RFC 5321 4.5.2): a line of the body that starts with a dot gets another.
public enum SMTPData {
    public static func stuffed(_ message: String) -> String {
        var out = message.hasPrefix(".") ? "." + message : message
        out = out.replacingOccurrences(of: "\r\n.", with: "\r\n..")
        return out
    }
}
