import Vapor
import KPICore

/// HTML that is safe to send: every interpolated `String` is escaped, only `HTML` values pass as is.
/// Views are Swift values built from these, so a forgotten escape is a type error, not a hole. Raw
/// markup enters only in this file (`init(unsafe:)` is private to it): the QR code's SVG, drawn by
/// our own encoder from nothing but modules.
struct HTML: ExpressibleByStringInterpolation, Sendable {
    var html: String

    init(stringLiteral value: String) { html = value }
    fileprivate init(unsafe raw: String) { html = raw }
    /// Markup the project itself wrote, not from a request or the database: the user guide rendered
    /// from docs/ (`Guide`).
    init(projectMarkup: String) { html = projectMarkup }

    /// A QR code as inline SVG.
    init(qr: QRCode, pixelsPerModule: Int) { html = qr.svg(pixelsPerModule: pixelsPerModule) }
    init(stringInterpolation: Interpolation) { html = stringInterpolation.out }

    static let empty = HTML(unsafe: "")

    static func escape(_ s: String) -> String {
        // Most text has nothing to escape: return it as it is.
        guard s.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    struct Interpolation: StringInterpolationProtocol {
        var out = ""
        init(literalCapacity: Int, interpolationCount: Int) { out.reserveCapacity(literalCapacity * 2) }
        mutating func appendLiteral(_ literal: String) { out += literal }
        mutating func appendInterpolation(_ s: String) { out += HTML.escape(s) }
        mutating func appendInterpolation(_ s: String?) { out += HTML.escape(s ?? "") }
        mutating func appendInterpolation(_ h: HTML) { out += h.html }
        mutating func appendInterpolation(_ hs: [HTML]) { for h in hs { out += h.html } }
        mutating func appendInterpolation(_ i: Int) { out += String(i) }
    }

    static func + (a: HTML, b: HTML) -> HTML { HTML(unsafe: a.html + b.html) }

    /// `html` when the condition holds, nothing otherwise.
    static func when(_ condition: Bool, _ html: @autoclosure () -> HTML) -> HTML {
        condition ? html() : .empty
    }
}

extension HTML: AsyncResponseEncodable {
    func encodeResponse(for request: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .html
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return Response(status: .ok, headers: headers, body: .init(string: html))
    }
}

extension Array where Element == HTML {
    func joined() -> HTML { HTML(unsafe: map(\.html).joined()) }
}
