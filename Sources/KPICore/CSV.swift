import Foundation

/// RFC 4180 CSV, as Excel writes it: comma or semicolon (a Vietnamese Excel writes ";"),
/// quoted fields with doubled quotes, CRLF or LF, an optional UTF-8 byte order mark.
public enum CSV {
    public static func parse(_ text: String) -> [[String]] {
        var s = Substring(text)
        if s.first == "\u{FEFF}" { s = s.dropFirst() }
        let delimiter = detectDelimiter(s)
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var i = s.startIndex
        while i < s.endIndex {
            let ch = s[i]
            if inQuotes {
                if ch == "\"" {
                    let next = s.index(after: i)
                    if next < s.endIndex && s[next] == "\"" {
                        field.append("\"")
                        i = next
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(ch)
                }
            } else if ch == "\"" && field.isEmpty {
                inQuotes = true
            } else if ch == delimiter {
                row.append(field)
                field = ""
            } else if ch == "\n" || ch == "\r\n" || ch == "\r" {
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.append(ch)
            }
            i = s.index(after: i)
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows.filter { !$0.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } }
    }

    static func detectDelimiter(_ s: Substring) -> Character {
        let firstLine = s.prefix { $0 != "\n" && $0 != "\r\n" && $0 != "\r" }
        let commas = firstLine.filter { $0 == "," }.count
        let semicolons = firstLine.filter { $0 == ";" }.count
        return semicolons > commas ? ";" : ","
    }

    /// Writes rows with a byte order mark so that Excel opens Vietnamese text correctly.
    public static func write(_ rows: [[String]]) -> String {
        "\u{FEFF}" + rows.map(line).joined()
    }

    /// The byte order mark a written file starts with.
    public static let start = "\u{FEFF}"

    /// One row as `write` writes it, with its line end (files written row by row: `start`, then lines).
    public static func line(_ row: [String]) -> String {
        row.map(quote).joined(separator: ",") + "\r\n"
    }

    static func quote(_ field: String) -> String {
        let f = WebRules.inertCell(field)
        if f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == ";" }) {
            return "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return f
    }
}
