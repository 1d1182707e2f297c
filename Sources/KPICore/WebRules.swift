import Foundation

/// Rules of the web layer that are decisions, not plumbing: where a browser may be sent after
/// signing in, which error format a client gets, how spreadsheet cells are made inert.
public enum WebRules {
    /// `candidate` when it is a path on this site ("/viec?xem=da-giao"), nil otherwise. Refuses
    /// anything a browser could read as another host: "//host", "/\host" (browsers treat "\" as
    /// "/"), schemes, and control characters or spaces, which browsers strip ("/\t/host").
    public static func localPath(_ candidate: String) -> String? {
        guard candidate.hasPrefix("/"), candidate.utf8.count <= 2_000 else { return nil }
        for scalar in candidate.unicodeScalars {
            if scalar == "\\" || scalar.value < 0x21 || scalar.value == 0x7F { return nil }
        }
        if candidate.dropFirst().hasPrefix("/") { return nil }
        return candidate
    }

    /// True when an `Accept` header prefers JSON to HTML. A browser sends "text/html,…,*/*;q=0.8"
    /// and gets pages; "*/*" alone (curl) gets pages too; only a client that ranks
    /// application/json (or problem+json) above text/html gets JSON.
    public static func prefersJSON(accept: String) -> Bool {
        var html = 0.0, json = 0.0, any = 0.0
        for part in accept.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let type = pieces.first, !type.isEmpty else { continue }
            var q = 1.0
            for p in pieces.dropFirst() where p.hasPrefix("q=") {
                q = Double(p.dropFirst(2)).map { min(max($0, 0), 1) } ?? 0
            }
            switch type {
            case "text/html", "application/xhtml+xml", "text/*": html = max(html, q)
            case "application/json", "application/problem+json": json = max(json, q)
            case "*/*": any = max(any, q)
            default: break
            }
        }
        if html == 0 { html = any }
        return json > html
    }

    /// A spreadsheet cell's text made inert: text starting with "=", "+", "-", "@", a tab or a
    /// carriage return gets a leading apostrophe, so Excel or LibreOffice never runs it as a
    /// formula (CSV/formula injection). Numbers ("-5", "-1.234,5", "+84") stay as they are.
    public static func inertCell(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return text }
        if isNumber(text) { return text }
        return "'" + text
    }

    /// "-5", "+3.5", "-1.234,5", "1e3": a number as people or programs write one.
    static func isNumber(_ text: String) -> Bool {
        let body = text.dropFirst(text.hasPrefix("-") || text.hasPrefix("+") ? 1 : 0)
        guard !body.isEmpty, body.first!.isASCII, body.first!.isNumber else { return false }
        return body.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "." || $0 == "," || $0 == "e" || $0 == "E") }
    }
}
