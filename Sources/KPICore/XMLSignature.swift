import Foundation

/// Chữ ký số XML-DSig of an edXML package (issue 20, item 5): what the `Signature` element says and the
/// exact bytes its digests and its signature value are computed over. Hashing and the public-key check are
/// the server's (it holds the cryptography and the certificates the administrator trusts).
public struct XMLSignatureInfo: Sendable {
    public struct Reference: Sendable {
        public var uri: String
        public var digestMethod: String
        public var digestValue: [UInt8]
        /// The referenced content after its transforms (enveloped signature, canonicalization).
        public var content: [UInt8]
    }

    public var canonicalization: XMLCanonical.Method
    public var signatureMethod: String
    /// SignedInfo, canonicalized: the bytes the signature value signs.
    public var signedInfo: [UInt8]
    public var signatureValue: [UInt8]
    public var references: [Reference]
    /// The certificates in KeyInfo/X509Data (DER), signer first as senders put it.
    public var certificates: [[UInt8]]

    public static let namespace = "http://www.w3.org/2000/09/xmldsig#"
    static let enveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

    /// Why a signature cannot even be checked (Vietnamese), as `EdXMLProblem`'s message.
    public struct Unreadable: Error, Sendable, Equatable {
        public var message: String
    }

    /// The signature of the package `data` (its first `Signature` element in the XML-DSig namespace), nil
    /// when it has none.
    public static func read(_ data: Data) -> Result<XMLSignatureInfo?, Unreadable> {
        guard let root = XMLCanonical.parse(data) else { return .failure(.init(message: "Gói không phải XML hợp lệ.")) }
        guard let sig = root.first(where: { $0.localName == "Signature" && $0.namespaceURI == namespace }) else { return .success(nil) }
        func child(_ e: XMLCanonical.Element?, _ name: String) -> XMLCanonical.Element? {
            e?.elements.first { $0.localName == name && $0.namespaceURI == namespace }
        }
        func base64(_ text: String?) -> [UInt8]? {
            (text?.filter { !$0.isWhitespace }).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
        }
        guard let info = child(sig, "SignedInfo") else { return .failure(.init(message: "Chữ ký thiếu SignedInfo.")) }
        guard let c14n = child(info, "CanonicalizationMethod")?.attributes["Algorithm"],
              let method = XMLCanonical.Method(rawValue: c14n) else {
            let why = "Chữ ký dùng cách chuẩn hóa XML không hỗ trợ (chỉ C14N 1.0 và C14N loại trừ, không chú thích)."
            return .failure(.init(message: why))
        }
        guard let signatureMethod = child(info, "SignatureMethod")?.attributes["Algorithm"] else {
            return .failure(.init(message: "Chữ ký thiếu SignatureMethod."))
        }
        guard let value = base64(child(sig, "SignatureValue")?.text), !value.isEmpty else {
            return .failure(.init(message: "Chữ ký thiếu SignatureValue hoặc không phải base64."))
        }
        var references: [Reference] = []
        for ref in info.elements where ref.localName == "Reference" && ref.namespaceURI == namespace {
            let uri = ref.attributes["URI"] ?? ""
            guard let digestMethod = child(ref, "DigestMethod")?.attributes["Algorithm"],
                  let digest = base64(child(ref, "DigestValue")?.text) else {
                return .failure(.init(message: "Tham chiếu «\(uri)» của chữ ký thiếu DigestMethod hoặc DigestValue."))
            }
            let target: XMLCanonical.Element?
            if uri.isEmpty {
                target = root
            } else if uri.hasPrefix("#") {
                let id = String(uri.dropFirst())
                target = root.first { $0.attributes["Id"] == id || $0.attributes["ID"] == id || $0.attributes["id"] == id }
            } else {
                return .failure(.init(message: "Chữ ký tham chiếu ra ngoài gói («\(uri)»): không được nhận."))
            }
            guard let target else { return .failure(.init(message: "Chữ ký tham chiếu «\(uri)» không có trong gói.")) }
            var envelope = false
            var transform = XMLCanonical.Method.inclusive
            for t in child(ref, "Transforms")?.elements ?? [] {
                let algorithm = t.attributes["Algorithm"] ?? ""
                if algorithm == enveloped {
                    envelope = true
                } else if let m = XMLCanonical.Method(rawValue: algorithm) {
                    transform = m
                } else {
                    return .failure(.init(message: "Chữ ký dùng phép biến đổi không hỗ trợ («\(algorithm)»)."))
                }
            }
            let content = XMLCanonical.canonical(target, method: transform, excluding: envelope ? sig : nil)
            references.append(.init(uri: uri, digestMethod: digestMethod, digestValue: digest, content: Array(content.utf8)))
        }
        guard !references.isEmpty else { return .failure(.init(message: "Chữ ký không tham chiếu nội dung nào.")) }
        let certificates = (child(child(sig, "KeyInfo"), "X509Data")?.elements ?? [])
            .filter { $0.localName == "X509Certificate" }.compactMap { base64($0.text) }
        return .success(XMLSignatureInfo(canonicalization: method, signatureMethod: signatureMethod,
                                         signedInfo: Array(XMLCanonical.canonical(info, method: method).utf8),
                                         signatureValue: value, references: references, certificates: certificates))
    }
}
