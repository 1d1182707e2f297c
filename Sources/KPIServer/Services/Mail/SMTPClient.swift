import Foundation
import KPICore
import NIOCore
import NIOPosix
import NIOSSL

/// A small SMTP client (RFC 5321) on SwiftNIO: one connection sends a batch of messages. STARTTLS
/// (RFC 3207) is required unless the settings allow plain text to a relay on this machine; the
/// relay's certificate is checked against the system's authorities or `KPI_SMTP_CA_FILE`. AUTH PLAIN
/// after STARTTLS when a user name is set. Every step has a time limit: a relay that hangs fails the
/// batch (tried again later), it never holds a request, which only ever writes to the outbox.
struct SMTPClient: Sendable {
    struct Config: Sendable {
        var host: String
        var port: Int
        var requireTLS: Bool
        var username: String
        var password: String
        var caFile: String?
        /// The name given in EHLO.
        var heloName: String = "kpi-cong-vu"
        var timeout: TimeAmount = .seconds(30)
    }

    /// A failure of the whole connection (nothing of the batch was sent for sure).
    struct ConnectionError: Error, CustomStringConvertible {
        var description: String
        /// A 5xx answer to the session itself (a refused login): retried all the same, an administrator fixes it.
        var reply: SMTPReply?
    }

    /// What became of one message.
    enum Outcome: Sendable, Equatable {
        case sent
        /// Refused for good (a 5xx answer about this message).
        case refused(String)
        /// Refused for now (4xx): try again later.
        case deferred(String)
    }

    let config: Config
    let group: any EventLoopGroup

    /// Sends `messages` (envelope sender, recipient, rendered message) over one connection; the
    /// outcome of each, in order. Throws `ConnectionError` when the session could not be held.
    func send(_ messages: [(from: String, to: String, data: String)]) async throws -> [Outcome] {
        let tls: NIOSSLContext?
        do {
            var tlsConfig = TLSConfiguration.makeClientConfiguration()
            if let ca = config.caFile { tlsConfig.trustRoots = .file(ca) }
            tls = config.requireTLS ? try NIOSSLContext(configuration: tlsConfig) : nil
        } catch {
            throw ConnectionError(description: "Không đọc được chứng thư của máy chủ thư (KPI_SMTP_CA_FILE): \(error)")
        }
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(config.timeout)
                .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .connect(host: config.host, port: config.port) { ch in
                    ch.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: ch) }
                }
        } catch {
            throw ConnectionError(description: """
                Không kết nối được máy chủ thư \(config.host):\(config.port): \(Self.reason(error))
                """)
        }
        let raw = channel.channel
        // The whole session within a few steps' time per message, and never over four minutes: the mail
        // job's lease (ten minutes) must outlast a relay that hangs.
        let budget = min(config.timeout * Int64(4 + 3 * messages.count), .minutes(4))
        let limit = raw.eventLoop.scheduleTask(in: budget) { raw.close(promise: nil) }
        defer { limit.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            var session = Session(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            try await session.expect(220, "chào")
            var ehlo = try await session.command("EHLO \(config.heloName)", expect: 250, step: "EHLO")
            if let tls {
                guard ehlo.extensions.contains("STARTTLS") else {
                    throw ConnectionError(description: """
                        Máy chủ thư không hỗ trợ STARTTLS: thư không được gửi trần. Chọn máy chủ khác hoặc \
                        cấu hình \
                        máy chủ thư.
                        """)
                }
                _ = try await session.command("STARTTLS", expect: 220, step: "STARTTLS")
                let host = config.host
                let handler = try NIOSSLClientHandler(context: tls, serverHostname: Self.isAddress(host) ? nil : host)
                try await raw.pipeline.addHandler(handler, position: .first).get()
                ehlo = try await session.command("EHLO \(config.heloName)", expect: 250, step: "EHLO sau STARTTLS")
            }
            if !config.username.isEmpty {
                let token = Data("\u{0}\(config.username)\u{0}\(config.password)".utf8).base64EncodedString()
                _ = try await session.command("AUTH PLAIN \(token)", expect: 235, step: "đăng nhập (AUTH)", secret: true)
            }
            var outcomes: [Outcome] = []
            for m in messages {
                outcomes.append(try await session.deliver(m))
            }
            _ = try? await session.command("QUIT", expect: 221, step: "QUIT")
            return outcomes
        }
    }

    /// Why a connection failed, in words an administrator acts on (the technical detail after).
    static func reason(_ error: any Error) -> String {
        let detail = String(describing: error)
        let why = detail.contains("refused")
            ? "máy chủ không nhận kết nối (đang tắt, sai cổng, hoặc tường lửa chặn)."
            : detail.lowercased().contains("timeout") || detail.contains("timed out")
            ? "quá thời gian chờ (máy chủ không trả lời)."
            : detail.contains("resolution") || detail.contains("NXDOMAIN") || detail.contains("unknown host")
            ? "không tìm thấy tên máy chủ (kiểm tra tên và DNS)." : "lỗi kết nối."
        return why + " Chi tiết: " + String(detail.prefix(300))
    }

    static func isAddress(_ host: String) -> Bool {
        host.contains(":") || host.split(separator: ".").allSatisfy { Int($0) != nil }
    }

    /// The reading and writing of one connection.
    struct Session {
        var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        var pending: [UInt8] = []

        init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
            self.inbound = inbound
            self.outbound = outbound
        }

        mutating func reply() async throws -> SMTPReply {
            while true {
                do {
                    if let (r, used) = try SMTPReply.parse(pending) {
                        pending.removeFirst(used)
                        return r
                    }
                } catch let e as SMTPProtocolError {
                    throw ConnectionError(description: "Máy chủ thư trả lời không đúng giao thức SMTP: «\(e.line)».")
                }
                guard var buffer = try await inbound.next() else {
                    throw ConnectionError(description: "Máy chủ thư đóng kết nối giữa chừng.")
                }
                pending += buffer.readBytes(length: buffer.readableBytes) ?? []
            }
        }

        mutating func expect(_ code: Int, _ step: String) async throws {
            let r = try await reply()
            guard r.code == code else {
                throw ConnectionError(description: "Máy chủ thư từ chối bước \(step): \(r.text).", reply: r)
            }
        }

        mutating func command(_ line: String, expect code: Int, step: String, secret: Bool = false) async throws -> SMTPReply {
            try await outbound.write(ByteBuffer(string: line + "\r\n"))
            let r = try await reply()
            guard r.code == code else {
                throw ConnectionError(description: "Máy chủ thư từ chối bước \(step): \(r.text).", reply: r)
            }
            return r
        }

        /// One message: MAIL, RCPT, DATA. A refusal of the message resets the session for the next one.
        mutating func deliver(_ m: (from: String, to: String, data: String)) async throws -> SMTPClient.Outcome {
            for (line, ok) in [("MAIL FROM:<\(m.from)>", [250]), ("RCPT TO:<\(m.to)>", [250, 251])] {
                try await outbound.write(ByteBuffer(string: line + "\r\n"))
                let r = try await reply()
                guard ok.contains(r.code) else { return try await refused(r) }
            }
            try await outbound.write(ByteBuffer(string: "DATA\r\n"))
            let start = try await reply()
            guard start.code == 354 else { return try await refused(start) }
            try await outbound.write(ByteBuffer(string: SMTPData.stuffed(m.data) + (m.data.hasSuffix("\r\n") ? "" : "\r\n") + ".\r\n"))
            let done = try await reply()
            guard done.code == 250 else { return try await refused(done) }
            return .sent
        }

        mutating func refused(_ r: SMTPReply) async throws -> SMTPClient.Outcome {
            try await outbound.write(ByteBuffer(string: "RSET\r\n"))
            _ = try await reply()
            return r.isPermanent ? .refused(r.text) : .deferred(r.text)
        }
    }
}
