/// Sự kiện gửi cho ứng dụng kết nối (webhook, issue 20 item 4): what a client may subscribe to.
public enum WebhookEvent: String, CaseIterable, Codable, Sendable {
    case taskAssigned = "task.assigned"
    case taskDueSoon = "task.due-soon"
    case taskOverdue = "task.overdue"
    case taskSubmitted = "task.submitted"
    case taskAccepted = "task.accepted"
    case taskReturned = "task.returned"
    case periodPublished = "period.published"
    case periodLocked = "period.locked"
    case resultRevised = "result.revised"
    /// Thông điệp trạng thái edXML (03, 05, 06, 02) of a directive received as edXML.
    case edxmlStatus = "edxml.status"

    public var label: String {
        switch self {
        case .taskAssigned: "Nhiệm vụ được giao"
        case .taskDueSoon: "Nhiệm vụ sắp đến hạn"
        case .taskOverdue: "Nhiệm vụ quá hạn"
        case .taskSubmitted: "Kết quả gửi nghiệm thu"
        case .taskAccepted: "Kết quả được nghiệm thu"
        case .taskReturned: "Kết quả bị trả lại"
        case .periodPublished: "Kỳ đánh giá công khai kết quả"
        case .periodLocked: "Kỳ đánh giá chốt điểm"
        case .resultRevised: "Kết quả được điều chỉnh (kiến nghị, phúc tra)"
        case .edxmlStatus: "Trạng thái xử lý văn bản edXML"
        }
    }

    /// The event a task's timeline kind (`WorkService.describe`) raises, if any.
    public static func forTask(kind: String) -> WebhookEvent? {
        switch kind {
        case "tao", "duyet-de-xuat", "phan-cong": .taskAssigned
        case "gui-nghiem-thu": .taskSubmitted
        case "nghiem-thu": .taskAccepted
        case "tra-lai": .taskReturned
        default: nil
        }
    }
}

/// How deliveries are signed, retried and given up (documented in docs/api.md, with a Python check).
public enum WebhookRules {
    /// Header of the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
    public static let signatureHeader = "KPI-Signature"
    public static let eventIDHeader = "KPI-Event-Id"
    public static let eventTypeHeader = "KPI-Event"
    /// What is signed: the timestamp, a dot, the body exactly as sent.
    public static func signedText(timestamp: Int64, body: String) -> String { "\(timestamp).\(body)" }
    public static func header(timestamp: Int64, hexMAC: String) -> String { "t=\(timestamp),v1=\(hexMAC)" }

    /// A delivery keeps being retried this long after the event, then is parked (an admin redelivers).
    public static let retryWindow: Double = 24 * 3_600
    /// Exponential backoff: 1, 2, 4 … minutes, at most 2 hours between attempts.
    public static func delay(afterAttempts n: Int) -> Double {
        let step = min(max(n, 1), 8) - 1
        return min(7_200, 60 * Double(1 << step))
    }

    /// The longest wait for a receiver's answer; a slow receiver is a failed attempt, never a slow page.
    public static let timeoutSeconds: Int64 = 10
    /// Receiver addresses: https, or http only to an allow-listed host (an internal system).
    public static let maxURLLength = 500
}

/// Where a webhook may be sent (issue 20, item 4): never inside the network — loopback, private,
/// link-local, carrier-grade NAT, unique-local, multicast and unspecified addresses are refused — unless
/// an administrator lists the address or its range (CIDR) in Cài đặt.
public struct WebhookAddressPolicy: Sendable, Equatable {
    public var allowed: [CIDR]

    public init(allowed: [CIDR] = []) { self.allowed = allowed }

    /// The allow-list from its setting text (one entry per line or separated by commas); nil naming
    /// the first entry that is not an address or a range.
    public static func parse(_ text: String) -> Result<WebhookAddressPolicy, WebhookAddressError> {
        var out: [CIDR] = []
        for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == " " }) where !part.isEmpty {
            guard let c = CIDR(String(part)) else { return .failure(WebhookAddressError(entry: String(part))) }
            out.append(c)
        }
        return .success(WebhookAddressPolicy(allowed: out))
    }

    /// Why a resolved address may not be called, or nil when it may.
    public func refusal(_ address: IPAddress) -> String? {
        if allowed.contains(where: { $0.contains(address) }) { return nil }
        guard let range = Self.internalRanges.first(where: { $0.cidr.contains(address) }) else { return nil }
        return "địa chỉ \(address.text) thuộc \(range.label); chỉ gửi được khi quản trị thêm địa chỉ này vào "
            + "danh sách cho phép"
    }

    static let internalRanges: [(cidr: CIDR, label: String)] = [
        ("0.0.0.0/8", "dải không xác định"), ("10.0.0.0/8", "mạng nội bộ"),
        ("100.64.0.0/10", "mạng nội bộ của nhà mạng"),
        ("127.0.0.0/8", "máy này (loopback)"), ("169.254.0.0/16", "dải liên kết cục bộ"), ("172.16.0.0/12", "mạng nội bộ"),
        ("192.0.0.0/24", "dải dành riêng"), ("192.168.0.0/16", "mạng nội bộ"), ("198.18.0.0/15", "dải thử nghiệm"),
        ("224.0.0.0/4", "dải phát nhóm"), ("240.0.0.0/4", "dải dành riêng"), ("::/128", "dải không xác định"),
        ("::1/128", "máy này (loopback)"), ("fc00::/7", "mạng nội bộ"),
        ("fe80::/10", "dải liên kết cục bộ"), ("ff00::/8", "dải phát nhóm"),
    ].map { (CIDR($0.0)!, $0.1) }
}

public struct WebhookAddressError: Error, Equatable, Sendable {
    public var entry: String
    public init(entry: String) { self.entry = entry }
    public var message: String {
        "«\(entry)» không phải địa chỉ IP hay dải địa chỉ (ví dụ 10.20.0.5 hoặc 10.20.0.0/16)"
    }
}

/// An IPv4 or IPv6 address as its 16 bytes (IPv4 in the first 4, with `isV4`).
public struct IPAddress: Sendable, Equatable, Hashable {
    public var bytes: [UInt8]
    public var isV4: Bool

    public init?(_ text: String) {
        if let v4 = Self.v4(text) { bytes = v4; isV4 = true; return }
        if let v6 = Self.v6(text) {
            // An IPv4-mapped address is judged as the IPv4 address it carries.
            if v6[0..<10].allSatisfy({ $0 == 0 }) && v6[10] == 0xff && v6[11] == 0xff {
                bytes = Array(v6[12..<16]); isV4 = true; return
            }
            bytes = v6; isV4 = false; return
        }
        return nil
    }

    public var text: String {
        if isV4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }

    static func v4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard (1...3).contains(p.count), p.allSatisfy(\.isASCIIDigit), let n = Int(p), n <= 255,
                  p.count == 1 || p.first != "0" else { return nil }
            out.append(UInt8(n))
        }
        return out
    }

    static func v6(_ text: String) -> [UInt8]? {
        var t = Substring(text)
        if t.hasPrefix("[") && t.hasSuffix("]") { t = t.dropFirst().dropLast() }
        guard t.count <= 45, !t.contains("%") else { return nil }
        let halves = t.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt8]? {
            guard !s.isEmpty else { return [] }
            var out: [UInt8] = []
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, p) in parts.enumerated() {
                if i == parts.count - 1, p.contains("."), let v4 = v4(String(p)) { out += v4; continue }
                guard (1...4).contains(p.count), let n = UInt16(p, radix: 16) else { return nil }
                out += [UInt8(n >> 8), UInt8(n & 0xff)]
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}

/// An address range: an address and a prefix length (a bare address is the range of itself).
public struct CIDR: Sendable, Equatable, ExpressibleByStringLiteral {
    public var base: IPAddress
    public var prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let a = IPAddress(String(parts[0])) else { return nil }
        let width = a.isV4 ? 32 : 128
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...width).contains(p), parts[1].allSatisfy(\.isASCIIDigit) else { return nil }
            prefix = p
        } else {
            prefix = width
        }
        base = a
    }

    public init(stringLiteral value: String) { self = CIDR(value)! }

    /// As written in the setting: the address alone for a single one, else address/prefix.
    public var text: String { prefix == (base.isV4 ? 32 : 128) ? base.text : "\(base.text)/\(prefix)" }

    public func contains(_ a: IPAddress) -> Bool {
        guard a.isV4 == base.isV4 else { return false }
        var left = prefix
        for (x, y) in zip(a.bytes, base.bytes) {
            guard left > 0 else { return true }
            let bits = min(8, left)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if x & mask != y & mask { return false }
            left -= bits
        }
        return true
    }
}
