import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// SAX parsing of sheet XML: shared strings, inline strings, numbers and dates in cells.
final class SheetParser: NSObject, XMLParserDelegate {
    private var shared: [String] = []
    private var rows: [[String]] = []
    private var row: [Int: String] = [:]
    private var cellRef = ""
    private var cellType = ""
    private var text = ""
    private var inText = false
    private var strings: [String] = []
    private var current = ""

    static func parseSharedStrings(_ data: Data) -> [String] {
        let p = SheetParser()
        let parser = XMLParser(data: data)
        parser.delegate = p
        parser.parse()
        return p.strings
    }

    static func parseSheet(_ data: Data, shared: [String]) -> [[String]] {
        let p = SheetParser()
        p.shared = shared
        let parser = XMLParser(data: data)
        parser.delegate = p
        parser.parse()
        return p.rows
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch name {
        case "si": current = ""
        case "row": row = [:]
        case "c":
            cellRef = attributes["r"] ?? ""
            cellType = attributes["t"] ?? ""
            text = ""
        case "t", "v":
            inText = true
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { text += string; current += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "t", "v": inText = false
        case "si": strings.append(current)
        case "c":
            let value: String
            switch cellType {
            case "s": value = Int(text).flatMap { $0 < shared.count ? shared[$0] : nil } ?? ""
            default: value = text
            }
            row[Self.columnIndex(cellRef) ?? row.count] = value
        case "row":
            let width = (row.keys.max() ?? -1) + 1
            rows.append((0..<width).map { row[$0] ?? "" })
        default: break
        }
    }

    /// "C12" → 2.
    static func columnIndex(_ ref: String) -> Int? {
        let letters = ref.prefix { $0.isLetter }
        guard !letters.isEmpty else { return nil }
        return letters.uppercased().unicodeScalars.reduce(0) { $0 * 26 + Int($1.value) - 64 } - 1
    }
}
