import Foundation

/// Xác thực hai bước: the rules of time-based one-time passwords (TOTP, RFC 6238 over HOTP, RFC 4226)
/// and of recovery codes (mã khôi phục). The keyed hash itself (HMAC-SHA1) is the server's, which
/// holds the cryptography library; everything that decides is here.
public enum TOTPRules {
    /// Seconds per step (the code changes every 30 seconds).
    public static let period: Int64 = 30
    public static let digits = 6
    /// Steps accepted either side of now: a phone clock up to 30 seconds off still works.
    public static let drift: Int64 = 1
    /// Bytes of a new secret (160 bits, RFC 4226's recommendation).
    public static let secretBytes = 20

    /// The step (counter) at a time.
    public static func step(at date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / Double(period)).rounded(.down))
    }

    /// The 8-byte big-endian counter that is hashed for a step.
    public static func counter(_ step: Int64) -> [UInt8] {
        (0..<8).map { i in UInt8(truncatingIfNeeded: UInt64(bitPattern: step) >> UInt64(56 - 8 * i)) }
    }

    /// RFC 4226 dynamic truncation of an HMAC-SHA1 result to a zero-padded code of `digits` digits.
    public static func code(fromHMAC mac: [UInt8]) -> String {
        guard mac.count >= 20 else { return "" }
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        let value = binary % 1_000_000
        let text = String(value)
        return String(repeating: "0", count: digits - text.count) + text
    }

    /// The steps to try for a code typed at `date`: now, then the one before and after; never one
    /// already used (a code works once — RFC 6238 §5.2), so none at or before `lastUsed`.
    public static func candidateSteps(at date: Date, lastUsed: Int64?) -> [Int64] {
        let now = step(at: date)
        return [now, now - drift, now + drift].filter { s in lastUsed.map { s > $0 } ?? true }
    }

    /// What the user typed, as digits, or nil when it is not a code (spaces and dashes are allowed,
    /// as apps show "123 456").
    public static func normalizedCode(_ typed: String) -> String? {
        let kept = typed.filter { !$0.isWhitespace && $0 != "-" }
        guard kept.count == digits, kept.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return kept
    }

    /// The `otpauth://` address an authenticator app reads from the QR code.
    public static func provisioningURI(secret: String, account: String, issuer: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let enc = { (s: String) in s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s }
        return "otpauth://totp/\(enc(issuer)):\(enc(account))?secret=\(secret)&issuer=\(enc(issuer))"
            + "&algorithm=SHA1&digits=\(digits)&period=\(period)"
    }
}

/// Mã khôi phục: ten single-use codes shown once at enrolment, for a lost phone.
public enum RecoveryCodes {
    public static let count = 10
    /// No 0/O, 1/l/i: read from paper without doubt.
    static let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")

    /// A new code, `xxxxx-xxxxx` (10 characters of 31: about 49 bits), from the given random bytes
    /// (at least 10).
    public static func make(random bytes: [UInt8]) -> String {
        let chars = bytes.prefix(10).map { alphabet[Int($0) % alphabet.count] }
        return String(chars.prefix(5)) + "-" + String(chars.dropFirst(5))
    }

    /// What the user typed, normalized (lower case, no spaces or dashes), or nil when it cannot be a
    /// recovery code.
    public static func normalized(_ typed: String) -> String? {
        let kept = typed.lowercased().filter { !$0.isWhitespace && $0 != "-" }
        guard kept.count == 10, kept.allSatisfy({ alphabet.contains($0) }) else { return nil }
        return kept
    }
}

/// Base32 (RFC 4648, upper case, no padding): how TOTP secrets are written for apps and people.
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer: UInt32 = 0, bits = 0
        for b in bytes {
            buffer = (buffer << 8) | UInt32(b)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes, ignoring spaces, dashes and padding, in any case; nil on any other character.
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer: UInt32 = 0, bits = 0
        for c in text.uppercased().utf8 where c != 0x20 && c != 0x2D && c != 0x3D {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            buffer = (buffer << 5) | UInt32(v)
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> UInt32(bits - 8)) & 0xff))
                bits -= 8
            }
        }
        return out
    }

    /// The secret in groups of four, as typed into an app by hand.
    public static func grouped(_ text: String) -> String {
        stride(from: 0, to: text.count, by: 4).map { i in
            let s = text.index(text.startIndex, offsetBy: i)
            return String(text[s..<text.index(s, offsetBy: min(4, text.count - i))])
        }.joined(separator: " ")
    }
}

/// Who must use two-step sign-in: anyone holding a required role (`KPI_MFA_REQUIRED_ROLES`).
public enum TwoFactorPolicy {
    public static let defaultRequired: Set<Role> = [.systemAdmin, .unitAdmin, .advisory]

    public static func isRequired(for grants: [Grant], required: Set<Role>) -> Bool {
        grants.contains { required.contains($0.role) }
    }
}
