import Crypto
import Foundation
import KPICore
import X509

/// Kiểm tra chữ ký số của gói edXML (issue 20, item 5): the XML-DSig signature read by `XMLSignatureInfo`
/// is checked here — each reference's digest over its canonical bytes, the signature value over the
/// canonical SignedInfo with the signer's public key — and the signer against the certificates the
/// administrator trusts: one of them, or issued by one of them, valid on the day of receipt.
enum EdXMLSignatureCheck {
    enum Outcome: Sendable, Equatable {
        /// The package carries no signature.
        case unsigned
        /// Valid, by a trusted signer (the certificate's subject).
        case valid(signer: String)
        /// Mathematically valid, but the signer is not among the trusted certificates (or expired).
        case untrusted(signer: String, reason: String)
        /// The content was changed after signing, the signature does not match, or it cannot be read.
        case invalid(reason: String)

        /// A stable code for the API and the database.
        var code: String {
            switch self {
            case .unsigned: "khong-ky"
            case .valid: "hop-le"
            case .untrusted: "chua-tin-cay"
            case .invalid: "khong-hop-le"
            }
        }

        /// A short Vietnamese label for the task page and the API.
        var label: String {
            switch self {
            case .unsigned: "Không có chữ ký số"
            case .valid(let s): "Chữ ký số hợp lệ: \(s)"
            case .untrusted(let s, let r): "Chữ ký số của \(s) chưa được tin cậy: \(r)"
            case .invalid(let r): "Chữ ký số không hợp lệ: \(r)"
            }
        }
    }

    static let notTrusted = "chứng thư không có trong danh sách tin cậy và không do chứng thư tin cậy nào cấp"

    static let signatureAlgorithms: [String: Certificate.SignatureAlgorithm] = [
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": .sha256WithRSAEncryption,
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": .sha384WithRSAEncryption,
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": .sha512WithRSAEncryption,
    ]

    static func digest(_ method: String, _ bytes: [UInt8]) -> [UInt8]? {
        switch method {
        case "http://www.w3.org/2001/04/xmlenc#sha256": Array(SHA256.hash(data: bytes))
        case "http://www.w3.org/2001/04/xmldsig-more#sha384": Array(SHA384.hash(data: bytes))
        case "http://www.w3.org/2001/04/xmlenc#sha512": Array(SHA512.hash(data: bytes))
        default: nil
        }
    }

    /// The outcome for the package `data`, against `trusted` on `now`.
    static func check(_ data: Data, trusted: [Certificate], now: Date) -> Outcome {
        let info: XMLSignatureInfo
        switch XMLSignatureInfo.read(data) {
        case .failure(let e): return .invalid(reason: e.message)
        case .success(nil): return .unsigned
        case .success(let v?): info = v
        }
        guard let algorithm = signatureAlgorithms[info.signatureMethod] else {
            return .invalid(reason: "thuật toán ký «\(info.signatureMethod)» không được nhận (chỉ RSA với SHA-256, "
                                + "SHA-384, SHA-512)")
        }
        for r in info.references {
            guard let d = digest(r.digestMethod, r.content) else {
                return .invalid(reason: "thuật toán băm «\(r.digestMethod)» không được nhận (chỉ SHA-256, SHA-384, SHA-512)")
            }
            guard d == r.digestValue else { return .invalid(reason: "nội dung gói đã bị thay đổi sau khi ký") }
        }
        // The signer: the certificate in KeyInfo, else whichever trusted certificate's key verifies.
        let candidates = info.certificates.isEmpty ? trusted : info.certificates.compactMap { try? Certificate(derEncoded: $0) }
        guard let signer = candidates.first(where: {
            $0.publicKey.isValidSignature(info.signatureValue, for: info.signedInfo, signatureAlgorithm: algorithm)
        }) else {
            return .invalid(reason: "giá trị chữ ký không khớp với khóa của chứng thư trong gói")
        }
        let name = subjectName(signer)
        guard signer.notValidBefore <= now, now <= signer.notValidAfter else {
            return .untrusted(signer: name, reason: "chứng thư hết hiệu lực hoặc chưa có hiệu lực vào ngày nhận")
        }
        if trusted.contains(signer) { return .valid(signer: name) }
        if trusted.contains(where: { ca in
            ca.subject == signer.issuer && ca.notValidBefore <= now && now <= ca.notValidAfter
                && ca.publicKey.isValidSignature(signer.signature, for: signer)
        }) {
            return .valid(signer: name)
        }
        return .untrusted(signer: name, reason: notTrusted)
    }

    /// The subject's common name, else the whole distinguished name.
    static func subjectName(_ c: Certificate) -> String {
        for rdn in c.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(describing: attribute.value)
            }
        }
        return String(describing: c.subject)
    }
}
