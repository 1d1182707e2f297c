import Foundation

/// Which elements of a QCVN 102:2016 package give which fact (docs/api.md, «Văn bản edXML», lists them):
/// paths under `edXMLEnvelope`, all in the edXML namespace. Attachments are read from `edXMLBody`, each an
/// `Attachment` element (anywhere under the body) with `AttachmentName`, `ContentType`, `Description` and the
/// file in base64 in `Content`: the standard leaves the carriage of files to the sending systems, and this
/// is the form documented for them.
enum EdXMLMapping {
    static let header = "edXMLHeader/MessageHeader"

    static func package(_ root: XMLNode, limits: EdXML.Limits) -> Result<EdXMLPackage, EdXMLProblem> {
        do {
            return .success(try read(root, limits: limits))
        } catch let p as EdXMLProblem {
            return .failure(p)
        } catch {
            return .failure(EdXMLProblem("edXMLEnvelope", "\(error)"))
        }
    }

    static func read(_ root: XMLNode, limits: EdXML.Limits) throws -> EdXMLPackage {
        guard let head = root.child("edXMLHeader") else { throw EdXMLProblem("edXMLHeader", "Thiếu phần đầu edXMLHeader.") }
        guard let mh = head.child("MessageHeader") else { throw EdXMLProblem(header, "Thiếu MessageHeader trong edXMLHeader.") }
        let from = try organ(mh.child("From"), header + "/From")
        let tos = mh.all("To")
        guard !tos.isEmpty else { throw EdXMLProblem(header + "/To", "Thiếu cơ quan nhận (To/OrganId).") }
        let to = try tos.map { try organ($0, header + "/To") }
        let documentID = try text(mh.child("DocumentId"), header + "/DocumentId", required: true, max: 200)
        guard !documentID.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw EdXMLProblem(header + "/DocumentId", "Mã văn bản (DocumentId) có ký tự điều khiển.")
        }
        let code = mh.child("Code")
        let codeNumber = try text(code?.child("CodeNumber"), header + "/Code/CodeNumber", required: true, max: 50)
        let codeNotation = try text(code?.child("CodeNotation"), header + "/Code/CodeNotation", required: false, max: 100)
        let info = mh.child("PromulgationInfo")
        let datePath = header + "/PromulgationInfo/PromulgationDate"
        guard let date = try day(info?.child("PromulgationDate"), datePath) else {
            throw EdXMLProblem(datePath, "Thiếu ngày ban hành (PromulgationInfo/PromulgationDate, dạng YYYY/MM/DD).")
        }
        let signerNode = mh.child("SignerInfo")
        let signer = try signerNode.map { s in
            EdXMLPackage.Signer(competence: try text(s.child("Competence"), header + "/SignerInfo/Competence", required: false, max: 100),
                                position: try text(s.child("Position"), header + "/SignerInfo/Position", required: false, max: 200),
                                fullName: try text(s.child("FullName"), header + "/SignerInfo/FullName", required: false, max: 200))
        }
        return EdXMLPackage(
            from: from, to: to, documentID: documentID, codeNumber: codeNumber, codeNotation: codeNotation,
            promulgationPlace: try text(info?.child("Place"), header + "/PromulgationInfo/Place", required: false, max: 200),
            promulgationDate: date,
            documentType: try text(mh.child("DocumentType")?.child("TypeName"), header + "/DocumentType/TypeName", required: false,
                                   max: 200),
            subject: try text(mh.child("Subject"), header + "/Subject", required: true, max: 2_000),
            content: try text(mh.child("Content"), header + "/Content", required: false, max: limits.maxText),
            signer: signer?.text.isEmpty == true ? nil : signer,
            dueDate: try day(mh.child("DueDate"), header + "/DueDate"),
            attachments: try attachments(root.child("edXMLBody"), limits: limits),
            signed: signed(root))
    }

    /// An organ (From, To): its identifier must be one (`AgencyIdentifier`); its name is kept as written.
    static func organ(_ node: XMLNode?, _ path: String) throws -> EdXMLPackage.Organ {
        let raw = try text(node?.child("OrganId"), path + "/OrganId", required: true, max: 100)
        let id = AgencyIdentifier.normalize(raw)
        if let why = AgencyIdentifier.problem(id) { throw EdXMLProblem(path + "/OrganId", "OrganId: \(why).") }
        return .init(id: id, name: try text(node?.child("OrganName"), path + "/OrganName", required: false, max: 300))
    }

    static func text(_ node: XMLNode?, _ path: String, required: Bool, max: Int) throws -> String {
        let value = TextNormalizer.clean(node?.trimmed ?? "")
        if required && value.isEmpty { throw EdXMLProblem(path, "Thiếu \(path.split(separator: "/").last ?? "") hoặc để trống.") }
        guard value.count <= max else { throw EdXMLProblem(path, "\(path.split(separator: "/").last ?? "") dài quá \(max) ký tự.") }
        return value
    }

    /// A date as QCVN 102 writes it: YYYY/MM/DD; nil when the element is absent or empty.
    static func day(_ node: XMLNode?, _ path: String) throws -> DateOnly? {
        let value = node?.trimmed ?? ""
        guard !value.isEmpty else { return nil }
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        guard value.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
              let d = DateOnly(year: Int(parts[0]) ?? 0, month: Int(parts[1]) ?? 0, day: Int(parts[2]) ?? 0),
              (2000...2100).contains(d.year) else {
            throw EdXMLProblem(path, "Ngày «\(value.prefix(30))» không đúng dạng YYYY/MM/DD (ví dụ 2026/07/15).")
        }
        return d
    }

    static func attachments(_ body: XMLNode?, limits: EdXML.Limits) throws -> [EdXMLPackage.Attachment] {
        guard let body else { return [] }
        var found: [XMLNode] = []
        func walk(_ n: XMLNode) {
            for c in n.children {
                if c.name == "Attachment" && c.namespace == EdXML.namespace { found.append(c) } else { walk(c) }
            }
        }
        walk(body)
        guard found.count <= limits.maxAttachments else {
            throw EdXMLProblem("edXMLBody/Attachment", "Gói có quá \(limits.maxAttachments) tệp đính kèm.")
        }
        return try found.enumerated().map { i, a in
            let path = "edXMLBody/Attachment[\(i + 1)]"
            let name = try text(a.child("AttachmentName"), path + "/AttachmentName", required: true, max: 255)
            let encoded = (a.child("Content")?.text ?? "").filter { !$0.isWhitespace }
            guard !encoded.isEmpty, let data = Data(base64Encoded: encoded) else {
                throw EdXMLProblem(path + "/Content", "Tệp «\(name)»: nội dung không phải base64 hoặc để trống.")
            }
            return .init(name: name, contentType: try text(a.child("ContentType"), path + "/ContentType", required: false, max: 100),
                         description: try text(a.child("Description"), path + "/Description", required: false, max: 500),
                         data: [UInt8](data))
        }
    }

    static func signed(_ n: XMLNode) -> Bool {
        (n.name == "Signature" && n.namespace == EdXML.signatureNamespace) || n.children.contains { signed($0) }
    }
}
