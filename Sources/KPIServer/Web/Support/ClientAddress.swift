import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Vapor

/// The client's address (issue 16). `X-Forwarded-For` is believed only when the direct peer is one
/// of `KPI_TRUSTED_PROXIES`; then the rightmost address that is not a trusted proxy is the client
/// (anything left of it was written by the client itself and proves nothing). The rate limits and
/// the audit trail read it from here.
struct TrustedProxies: Sendable {
    /// (network bytes, prefix length)
    private let ranges: [([UInt8], Int)]

    init(_ specs: [String]) {
        ranges = specs.compactMap { spec in
            let parts = spec.split(separator: "/", maxSplits: 1).map(String.init)
            guard let bytes = Self.bytes(parts[0]) else { return nil }
            let bits = parts.count == 2 ? Int(parts[1]) ?? -1 : bytes.count * 8
            guard (0...(bytes.count * 8)).contains(bits) else { return nil }
            return (bytes, bits)
        }
    }

    var isEmpty: Bool { ranges.isEmpty }

    func contains(_ address: String) -> Bool {
        guard let b = Self.bytes(address) else { return false }
        return ranges.contains { net, bits in
            guard net.count == b.count else { return false }
            for i in 0..<(bits / 8) where net[i] != b[i] { return false }
            let rest = bits % 8
            if rest == 0 { return true }
            let mask = UInt8(0xFF << (8 - rest) & 0xFF)
            return net[bits / 8] & mask == b[bits / 8] & mask
        }
    }

    /// The client among the peer and the forwarded chain.
    func client(peer: String?, forwardedFor: [String]) -> String {
        guard let peer else { return "-" }
        guard contains(peer) else { return peer }
        let chain = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in chain.reversed() {
            guard Self.bytes(hop) != nil else { return peer }   // garbage in the header: trust nothing of it
            if !contains(hop) { return hop }
        }
        return chain.first ?? peer
    }

    /// IPv4 (4 bytes) or IPv6 (16 bytes); an IPv4-mapped IPv6 address counts as IPv4.
    static func bytes(_ text: String) -> [UInt8]? {
        guard text.utf8.count <= 45 else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            let b = withUnsafeBytes(of: &v6) { Array($0) }
            if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return Array(b[12...]) }
            return b
        }
        return nil
    }
}

struct TrustedProxiesKey: StorageKey { typealias Value = TrustedProxies }

extension Request {
    /// The client's address as the rate limits and the audit trail see it.
    var clientIP: String {
        let proxies = application.storage[TrustedProxiesKey.self] ?? TrustedProxies([])
        return proxies.client(peer: remoteAddress?.ipAddress, forwardedFor: headers[.xForwardedFor])
    }
}
