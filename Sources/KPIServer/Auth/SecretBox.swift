import Crypto
import Foundation
import KPICore
import Vapor

/// Encrypts two-step secrets at rest (AES-GCM, 256-bit key). Each secret is sealed with its
/// account's id as associated data, so a database owner cannot move one account's secret to another.
/// The key comes from `KPI_MFA_KEY`, else from a key file in the data folder made on first start.
struct SecretBox: Sendable {
    let key: SymmetricKey

    enum Problem: Error, CustomStringConvertible {
        case badKey
        var description: String {
            "KPI_MFA_KEY phải là 32 byte mã hóa base64 (tạo bằng: head -c 32 /dev/urandom | base64)."
        }
    }

    /// The configured key: from the environment, else the key file (made when absent, mode 0600);
    /// a random one for an in-memory (test) database, whose secrets die with it.
    static func load(_ settings: Settings) throws -> SecretBox {
        if let text = settings.mfaKey {
            guard let data = Data(base64Encoded: text), data.count == 32 else { throw Problem.badKey }
            return SecretBox(key: SymmetricKey(data: data))
        }
        if settings.inMemory { return SecretBox(key: SymmetricKey(size: .bits256)) }
        let path = settings.dataDirectory + "/khoa-xac-thuc.key"
        let fm = FileManager.default
        if let text = try? String(contentsOfFile: path, encoding: .utf8),
           let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 {
            return SecretBox(key: SymmetricKey(data: data))
        }
        try fm.createDirectory(atPath: settings.dataDirectory, withIntermediateDirectories: true)
        let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        guard fm.createFile(atPath: path, contents: Data(fresh.base64EncodedString().utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Abort(.internalServerError, reason: "Không tạo được tệp khóa \(path).")
        }
        return SecretBox(key: SymmetricKey(data: fresh))
    }

    func seal(_ secret: [UInt8], for userID: UUID) throws -> String {
        let box = try AES.GCM.seal(secret, using: key, authenticating: Data(userID.uuidString.utf8))
        guard let combined = box.combined else { throw Abort(.internalServerError) }
        return combined.base64EncodedString()
    }

    /// The secret, or nil when the stored text was not sealed with this key for this account.
    func open(_ sealed: String, for userID: UUID) -> [UInt8]? {
        guard let data = Data(base64Encoded: sealed), let box = try? AES.GCM.SealedBox(combined: data),
              let plain = try? AES.GCM.open(box, using: key, authenticating: Data(userID.uuidString.utf8)) else { return nil }
        return Array(plain)
    }
}

struct SecretBoxKey: StorageKey { typealias Value = SecretBox }

extension Application {
    var secretBox: SecretBox {
        guard let box = storage[SecretBoxKey.self] else { fatalError("configure() sets the two-step key") }
        return box
    }
}

/// TOTP codes (RFC 6238): the core's rules over HMAC-SHA1.
enum TOTP {
    static func code(secret: [UInt8], step: Int64) -> String {
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: TOTPRules.counter(step), using: SymmetricKey(data: secret))
        return TOTPRules.code(fromHMAC: Array(mac))
    }

    /// The step a typed code matches (now, or one step either side), never one at or before
    /// `lastUsed`; nil when it matches none. Compared in constant time.
    static func matchingStep(secret: [UInt8], typed: String, at date: Date, lastUsed: Int64?) -> Int64? {
        guard let digits = TOTPRules.normalizedCode(typed) else { return nil }
        var found: Int64?
        for step in TOTPRules.candidateSteps(at: date, lastUsed: lastUsed) where found == nil {
            if CSRFMiddleware.constantTimeEqual(code(secret: secret, step: step), digits) { found = step }
        }
        return found
    }
}
