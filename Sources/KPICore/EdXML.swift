import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Gói văn bản điện tử edXML (QCVN 102:2016/BTTTT), as the document systems (quản lý văn bản và điều hành)
/// of the Party, government and Front blocks send a directive: `edXMLEnvelope` → `edXMLHeader` →
/// `MessageHeader` (From, To, DocumentId, Code, PromulgationInfo, Subject, Content, SignerInfo, DueDate)
/// and `edXMLBody` with the attachments. What is read, and how strictly, lives here; which agency an
/// identifier names, and what the package becomes, is the server's (issue 20, item 5).
public struct EdXMLPackage: Sendable, Equatable {
    /// Cơ quan gửi, nhận: mã định danh (`OrganId`) and name as the package writes it.
    public struct Organ: Sendable, Equatable {
        public var id: String
        public var name: String

        public init(id: String, name: String) {
            self.id = id
            self.name = name
        }
    }

    /// Người ký: thẩm quyền (KT. CHỦ TỊCH), chức vụ, họ tên.
    public struct Signer: Sendable, Equatable {
        public var competence: String
        public var position: String
        public var fullName: String

        public var text: String { [competence, position, fullName].filter { !$0.isEmpty }.joined(separator: " ") }
    }

    /// Tệp đính kèm, decoded from base64.
    public struct Attachment: Sendable, Equatable {
        public var name: String
        public var contentType: String
        public var description: String
        public var data: [UInt8]
    }

    public var from: Organ
    public var to: [Organ]
    /// The sending system's id of the document: the natural key of what it becomes.
    public var documentID: String
    /// Số (`CodeNumber`) and ký hiệu (`CodeNotation`).
    public var codeNumber: String
    public var codeNotation: String
    public var promulgationPlace: String
    public var promulgationDate: DateOnly
    public var documentType: String
    /// Trích yếu.
    public var subject: String
    public var content: String
    public var signer: Signer?
    /// Hạn xử lý, when the document sets one.
    public var dueDate: DateOnly?
    public var attachments: [Attachment]
    /// The package carries an XML-DSig `Signature` (checked by the server against configured certificates).
    public var signed: Bool

    /// Số, ký hiệu as written on a document: "123/QĐ-UBND".
    public var number: String { codeNotation.isEmpty ? codeNumber : "\(codeNumber)/\(codeNotation)" }
}

/// Why a package is refused: the element at fault (its path under the envelope) and what to do, in Vietnamese.
public struct EdXMLProblem: Error, Sendable, Equatable {
    public var element: String
    public var message: String

    public init(_ element: String, _ message: String) {
        self.element = element
        self.message = message
    }
}

public enum EdXML {
    public static let namespace = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
    public static let signatureNamespace = "http://www.w3.org/2000/09/xmldsig#"

    /// Bounds checked while reading, before any work on the content: a hostile package stops there.
    public struct Limits: Sendable {
        public var maxBytes = 30 << 20
        public var maxDepth = 32
        public var maxElements = 20_000
        /// Characters of one element's text (attachments' content excepted, bounded by `maxBytes`).
        public var maxText = 20_000
        public var maxAttachments = 20
        public init() {}
    }

    /// The package in `data`, or the first problem found. The XML may not declare a DOCTYPE or an entity
    /// (nothing to expand, nothing external to fetch); it must be UTF-8.
    public static func read(_ data: Data, limits: Limits = Limits()) -> Result<EdXMLPackage, EdXMLProblem> {
        guard data.count <= limits.maxBytes else {
            return .failure(.init("edXMLEnvelope", "Gói edXML lớn quá \(limits.maxBytes >> 20) MB."))
        }
        if let why = Self.refusedPrologue(data) { return .failure(.init("edXMLEnvelope", why)) }
        let collector = TreeCollector(limits: limits)
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = collector
        let ok = parser.parse()
        if let problem = collector.problem { return .failure(problem) }
        // (A package cut short may end the parse without an error: every element must have closed.)
        guard ok, collector.stack.isEmpty, let root = collector.root else {
            let line = parser.lineNumber
            let why = "Gói không phải XML hợp lệ (lỗi ở dòng \(line)); kiểm tra tệp có bị cắt hay sửa tay không."
            return .failure(.init(collector.openPath.isEmpty ? "edXMLEnvelope" : collector.openPath, why))
        }
        return EdXMLMapping.package(root, limits: limits)
    }

    /// A DOCTYPE or an entity declaration anywhere, or an encoding other than UTF-8, in words; nil if none.
    static func refusedPrologue(_ data: Data) -> String? {
        let bytes = [UInt8](data)
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) {
            return "Gói edXML phải mã hóa UTF-8 (tệp này là UTF-16)."
        }
        // Case-insensitive search for "<!doctype" and "<!entity".
        func contains(_ word: String) -> Bool {
            let w = Array(word.utf8)
            guard bytes.count >= w.count else { return false }
            for i in 0...(bytes.count - w.count) where bytes[i] == 0x3C {
                var j = 0
                while j < w.count, (bytes[i + j] | 0x20) == (w[j] | 0x20) { j += 1 }
                if j == w.count { return true }
            }
            return false
        }
        if contains("<!doctype") || contains("<!entity") {
            return "Gói edXML không được khai báo DOCTYPE hay ENTITY (hệ thống không mở rộng thực thể nào)."
        }
        if let head = String(bytes: bytes.prefix(200), encoding: .utf8)?.lowercased(), let r = head.range(of: "encoding=") {
            let value = head[r.upperBound...].dropFirst().prefix { $0 != "\"" && $0 != "'" }
            if value != "utf-8" && value != "utf8" { return "Gói edXML phải mã hóa UTF-8 (khai báo: \(value))." }
        }
        return nil
    }
}

/// One element of the package: its local name, namespace, text and children.
final class XMLNode {
    let name: String
    let namespace: String
    var text = ""
    var children: [XMLNode] = []

    init(name: String, namespace: String) {
        self.name = name
        self.namespace = namespace
    }

    /// The first child of that local name in the edXML namespace.
    func child(_ name: String) -> XMLNode? { children.first { $0.name == name && $0.namespace == EdXML.namespace } }
    func all(_ name: String) -> [XMLNode] { children.filter { $0.name == name && $0.namespace == EdXML.namespace } }
    var trimmed: String { text.trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// Builds the element tree, enforcing the limits as it goes (the parse is aborted at the first breach).
final class TreeCollector: NSObject, XMLParserDelegate {
    let limits: EdXML.Limits
    var root: XMLNode?
    var stack: [XMLNode] = []
    var problem: EdXMLProblem?
    var elements = 0

    init(limits: EdXML.Limits) { self.limits = limits }

    var openPath: String { stack.dropFirst().map(\.name).joined(separator: "/") }

    func stop(_ parser: XMLParser, _ element: String, _ message: String) {
        if problem == nil { problem = EdXMLProblem(element, message) }
        parser.abortParsing()
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
                attributes attributeDict: [String: String] = [:]) {
        guard problem == nil else { return }
        elements += 1
        let node = XMLNode(name: elementName, namespace: namespaceURI ?? "")
        if stack.isEmpty {
            guard root == nil else { return stop(parser, elementName, "Gói có nhiều hơn một phần tử gốc.") }
            guard elementName == "edXMLEnvelope", node.namespace == EdXML.namespace else {
                return stop(parser, qName ?? elementName, """
                    Phần tử gốc phải là edXMLEnvelope trong không gian tên \(EdXML.namespace) (QCVN 102:2016); gói này \
                    có «\(qName ?? elementName)» (\(node.namespace.isEmpty ? "không có không gian tên" : node.namespace)).
                    """)
            }
            root = node
        } else {
            stack[stack.count - 1].children.append(node)
        }
        stack.append(node)
        if stack.count > limits.maxDepth { return stop(parser, openPath, "Gói lồng sâu quá \(limits.maxDepth) cấp.") }
        if elements > limits.maxElements { return stop(parser, openPath, "Gói có quá \(limits.maxElements) phần tử.") }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard problem == nil, !stack.isEmpty else { return }
        stack.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard problem == nil, let node = stack.last else { return }
        node.text += string
        // An attachment's content may be large (bounded by the package's size); any other text is short.
        // (More bytes than four per character of the bound: over it whatever the characters; the exact bound
        // of each field is the mapping's.)
        if node.name != "Content" || stack.dropLast().last?.name != "Attachment", node.text.utf8.count > limits.maxText * 4 {
            stop(parser, openPath, "Nội dung phần tử dài quá \(limits.maxText) ký tự.")
        }
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        self.parser(parser, foundCharacters: String(decoding: CDATABlock, as: UTF8.self))
    }

    func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
        stop(parser, openPath, "Gói edXML không được tham chiếu thực thể ngoài («\(name)»).")
        return nil
    }
}
