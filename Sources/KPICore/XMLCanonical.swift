import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Canonical XML (W3C C14N 1.0, inclusive and exclusive, without comments), as XML-DSig needs it to check
/// the signature of an edXML package: the same bytes for the same information, whatever the sender's
/// attribute order, quoting, empty-element form, character references or CDATA. Read with the same bounded,
/// entity-free parsing as `EdXML.read` (the caller has refused DOCTYPE and ENTITY before).
public enum XMLCanonical {
    public enum Method: String, Sendable {
        case inclusive = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
        case exclusive = "http://www.w3.org/2001/10/xml-exc-c14n#"
    }

    /// One node of the document as read with namespace processing off: qualified names, attributes with
    /// their `xmlns` declarations, text (CDATA as text), comments dropped.
    public final class Element: @unchecked Sendable {
        public let qName: String
        public let attributes: [String: String]
        public var children: [Node] = []
        public weak var parent: Element?

        init(qName: String, attributes: [String: String], parent: Element?) {
            self.qName = qName
            self.attributes = attributes
            self.parent = parent
        }

        public var prefix: String { qName.contains(":") ? String(qName.split(separator: ":", maxSplits: 1)[0]) : "" }
        public var localName: String { qName.contains(":") ? String(qName.split(separator: ":", maxSplits: 1)[1]) : qName }

        /// The namespace declarations made on this element: prefix ("" for the default) → URI.
        var declarations: [String: String] {
            var out: [String: String] = [:]
            for (k, v) in attributes {
                if k == "xmlns" { out[""] = v } else if k.hasPrefix("xmlns:") { out[String(k.dropFirst(6))] = v }
            }
            return out
        }

        /// Every namespace in scope here (the nearest declaration of each prefix).
        public var inScope: [String: String] {
            var out = parent?.inScope ?? [:]
            for (p, u) in declarations { out[p] = u }
            return out
        }

        public var namespaceURI: String { inScope[prefix] ?? "" }

        public var elements: [Element] { children.compactMap { if case .element(let e) = $0 { e } else { nil } } }

        /// The text directly inside, joined.
        public var text: String {
            children.map { if case .text(let t) = $0 { t } else { "" } }.joined()
        }

        /// The first element below (depth first, self included) that satisfies `match`.
        public func first(where match: (Element) -> Bool) -> Element? {
            if match(self) { return self }
            for e in elements { if let found = e.first(where: match) { return found } }
            return nil
        }
    }

    public enum Node: Sendable {
        case element(Element)
        case text(String)
    }

    /// The document element of `data`, or nil when it is not well-formed XML.
    public static func parse(_ data: Data, limits: EdXML.Limits = .init()) -> Element? {
        let builder = Builder(limits: limits)
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        guard parser.parse(), !builder.failed, builder.open.isEmpty else { return nil }
        return builder.root
    }

    /// The canonical form of `element` and what it holds, leaving out `excluding` (the enveloped signature).
    /// An element below the document's root is rendered as a document subset: with the namespaces in scope
    /// from its ancestors (inclusive) or those it uses (exclusive).
    public static func canonical(_ element: Element, method: Method, excluding: Element? = nil) -> String {
        var out = ""
        render(element, method: method, rendered: [:], excluding: excluding, into: &out)
        return out
    }

    static func render(_ e: Element, method: Method, rendered: [String: String], excluding: Element?, into out: inout String) {
        if let excluding, e === excluding { return }
        let scope = e.inScope
        var now = rendered
        var namespaces: [(String, String)] = []
        switch method {
        case .inclusive:
            for (prefix, uri) in scope where (rendered[prefix] ?? "") != uri {
                // xmlns="" only undoes a default namespace an output ancestor declared.
                if prefix.isEmpty && uri.isEmpty && rendered[""] == nil { continue }
                namespaces.append((prefix, uri))
            }
        case .exclusive:
            var used = Set([e.prefix])
            for name in e.attributes.keys where !name.hasPrefix("xmlns") && name.contains(":") {
                used.insert(String(name.split(separator: ":", maxSplits: 1)[0]))
            }
            for prefix in used where prefix != "xml" {
                let uri = scope[prefix] ?? ""
                if (rendered[prefix] ?? "") == uri { continue }
                if prefix.isEmpty && uri.isEmpty && rendered[""] == nil { continue }
                namespaces.append((prefix, uri))
            }
        }
        namespaces.sort { $0.0 < $1.0 }
        for (p, u) in namespaces { now[p] = u }
        out += "<" + e.qName
        for (p, u) in namespaces { out += (p.isEmpty ? " xmlns=\"" : " xmlns:\(p)=\"") + escapeAttribute(u) + "\"" }
        let attributes = e.attributes.filter { !($0.key == "xmlns" || $0.key.hasPrefix("xmlns:")) }.map { name, value in
            let prefix = name.contains(":") ? String(name.split(separator: ":", maxSplits: 1)[0]) : ""
            let local = name.contains(":") ? String(name.split(separator: ":", maxSplits: 1)[1]) : name
            let uri = prefix.isEmpty ? "" : prefix == "xml" ? "http://www.w3.org/XML/1998/namespace" : (scope[prefix] ?? "")
            return (uri: uri, local: local, name: name, value: value)
        }.sorted { ($0.uri, $0.local) < ($1.uri, $1.local) }
        for a in attributes { out += " \(a.name)=\"" + escapeAttribute(a.value) + "\"" }
        out += ">"
        for child in e.children {
            switch child {
            case .text(let t): out += escapeText(t)
            case .element(let c): render(c, method: method, rendered: now, excluding: excluding, into: &out)
            }
        }
        out += "</" + e.qName + ">"
    }

    /// What C14N replaces in text and in attribute values.
    static let textEscapes: [Unicode.Scalar: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"]
    static let attributeEscapes: [Unicode.Scalar: String] = ["&": "&amp;", "<": "&lt;", "\"": "&quot;", "\t": "&#x9;",
                                                             "\n": "&#xA;", "\r": "&#xD;"]

    static func escapeText(_ s: String) -> String { escape(s, textEscapes) }
    static func escapeAttribute(_ s: String) -> String { escape(s, attributeEscapes) }

    static func escape(_ s: String, _ table: [Unicode.Scalar: String]) -> String {
        var out = ""
        for c in s.unicodeScalars {
            if let r = table[c] { out += r } else { out.unicodeScalars.append(c) }
        }
        return out
    }

    final class Builder: NSObject, XMLParserDelegate {
        let limits: EdXML.Limits
        var root: Element?
        var open: [Element] = []
        var failed = false
        var count = 0

        init(limits: EdXML.Limits) { self.limits = limits }

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
                    attributes attributeDict: [String: String] = [:]) {
            count += 1
            guard !failed, open.count < limits.maxDepth, count <= limits.maxElements else {
                failed = true
                return parser.abortParsing()
            }
            let e = Element(qName: elementName, attributes: attributeDict, parent: open.last)
            if let p = open.last { p.children.append(.element(e)) } else if root == nil { root = e } else { failed = true }
            open.append(e)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            if !open.isEmpty { open.removeLast() }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            // Text outside the document element (whitespace between the prologue and it) is not part of it.
            guard let e = open.last else { return }
            if case .text(let t)? = e.children.last {
                e.children[e.children.count - 1] = .text(t + string)
            } else {
                e.children.append(.text(string))
            }
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            self.parser(parser, foundCharacters: String(decoding: CDATABlock, as: UTF8.self))
        }

        func parser(_ parser: XMLParser, foundProcessingInstructionWithTarget target: String, data: String?) {
            // Not rendered: a signed package holding one inside its elements will not verify (said, not guessed).
            if !open.isEmpty { failed = true; parser.abortParsing() }
        }
    }
}
