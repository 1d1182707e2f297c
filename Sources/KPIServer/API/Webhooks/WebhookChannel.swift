import Crypto
import Fluent
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KPICore
import NIOCore
import Vapor

/// Webhook deliveries from the outbox (issue 20, item 4): each event is POSTed as JSON to its
/// subscription's address with `KPI-Event-Id`, `KPI-Event` and `KPI-Signature: t=…,v1=<HMAC-SHA256 of
/// "t.body">`; a 2xx answer is delivered, anything else is tried again with backoff
/// (`WebhookRules.delay`) for a day, then parked for an administrator to redeliver. The address is
/// resolved first and refused when any of its addresses lies inside the network and is not on the
/// allow-list of Cài đặt; redirects are never followed.
struct WebhookChannel: DeliveryChannel {
    static let name = Webhooks.channel
    var name: String { Self.name }
    let store: Store
    let client: any Client
    let box: SecretBox
    let policy: WebhookAddressPolicy
    /// The longest wait for one attempt (connection and answer).
    var timeoutSeconds = WebhookRules.timeoutSeconds

    var isConfigured: Bool { true }

    func retryDelay(afterAttempts n: Int) -> TimeInterval { WebhookRules.delay(afterAttempts: n) }

    func deliver(_ messages: [OutboxMessage]) async -> [DeliveryResult] {
        var out: [DeliveryResult] = []
        for m in messages { out.append(await deliver(m)) }
        return out
    }

    func deliver(_ m: OutboxMessage) async -> DeliveryResult {
        let late = store.now.timeIntervalSince(m.createdAt) > WebhookRules.retryWindow
        let result = await attempt(m)
        if case .retry(let why) = result, late {
            return .failed("Đã thử trong 24 giờ không thành công, tạm dừng gửi (quản trị có thể gửi lại). "
                            + "Lần cuối: \(why)")
        }
        return result
    }

    func attempt(_ m: OutboxMessage) async -> DeliveryResult {
        guard let id = UUID(uuidString: m.recipient),
              let sub = try? await WebhookSubscription.find(id, on: store.db), sub.active else {
            return .failed("Đăng ký nhận sự kiện đã bị xóa hoặc tạm dừng.")
        }
        guard let secret = box.open(sub.secret, for: id) else { return .failed("Không mở được khóa ký của đăng ký này.") }
        guard let url = URL(string: sub.url), let host = url.host else { return .failed("Địa chỉ nhận không hợp lệ.") }
        switch await Self.resolve(host) {
        case .failure(let why): return .retry(why)
        case .success(let addresses):
            if let refusal = addresses.lazy.compactMap({ policy.refusal($0) }).first { return .failed("Không gửi: \(refusal).") }
        }
        let timestamp = Int64(store.now.timeIntervalSince1970)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(WebhookRules.signedText(timestamp: timestamp, body: m.body).utf8),
                                                  using: SymmetricKey(data: secret))
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.replaceOrAdd(name: .userAgent, value: "KPI-Cong-vu-Webhook/1")
        headers.replaceOrAdd(name: WebhookRules.eventIDHeader, value: m.altBody)
        headers.replaceOrAdd(name: WebhookRules.eventTypeHeader, value: m.subject)
        headers.replaceOrAdd(name: WebhookRules.signatureHeader,
                             value: WebhookRules.header(timestamp: timestamp, hexMAC: AuditLog.hex(mac)))
        let request = ClientRequest(method: .POST, url: URI(string: sub.url), headers: headers, body: ByteBuffer(string: m.body),
                                    timeout: .seconds(timeoutSeconds))
        do {
            let response = try await client.send(request)
            if (200..<300).contains(response.status.code) { return .sent }
            return .retry("Nơi nhận trả lời \(response.status.code).")
        } catch {
            return .retry("Không kết nối được nơi nhận: \(String(describing: error).prefix(200)).")
        }
    }

    /// Every address of `host` (a literal address is itself), or why it could not be resolved.
    enum Resolved: Sendable {
        case success([IPAddress])
        case failure(String)
    }

    static func resolve(_ host: String) async -> Resolved {
        if let literal = IPAddress(host) { return .success([literal]) }
        return await Task.detached { () -> Resolved in
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else {
                return .failure("Không tìm thấy địa chỉ của máy \(host).")
            }
            defer { freeaddrinfo(list) }
            var out: [IPAddress] = []
            var node: UnsafeMutablePointer<addrinfo>? = first
            while let n = node {
                var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(n.pointee.ai_addr, n.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0,
                   let a = IPAddress(String(cString: buffer)) {
                    out.append(a)
                }
                node = n.pointee.ai_next
            }
            return out.isEmpty ? .failure("Không tìm thấy địa chỉ của máy \(host).") : .success(out)
        }.value
    }
}
