import Foundation
import Ink
import KPICore
import Vapor

/// Hướng dẫn sử dụng inside the product (issue 18, item 4): the Markdown of docs/ rendered with Ink,
/// every heading given an anchor, the screenshots under docs/anh served beside it, and from each
/// page a link to its section (`GuideSections`). The same file reads well on GitHub and in a text
/// editor; an installation carries docs/ beside the binary (or `KPI_DOCS_DIR`).
enum Guide {
    static let file = "huong-dan-su-dung.md"

    /// Where docs/ is: `KPI_DOCS_DIR`, else ./docs, else beside the executable (a build tree's or an
    /// installation's). Nil when none holds the guide.
    static func directory(_ settings: Settings) -> String? {
        var candidates: [String] = []
        if let d = settings.docsDirectory { candidates.append(d) }
        candidates.append(FileManager.default.currentDirectoryPath + "/docs")
        let exe = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments.first ?? "")).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        // Beside an installed binary, or in the build tree (.build/<triple>/debug/kpi).
        for relative in ["docs", "../share/kpi-cong-vu/docs", "../../docs", "../../../docs"] {
            candidates.append(exe.appendingPathComponent(relative).standardized.path)
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/" + file) }
    }

    /// The anchor of a heading: its words without diacritics, joined by hyphens ("Kỳ đánh giá" →
    /// "ky-danh-gia"), as the links inside the guide write them.
    static func slug(_ title: String) -> String {
        let folded = TextNormalizer.fold(title.replacingOccurrences(of: "`", with: ""))
        var out = ""
        for ch in folded {
            if ch.isASCII && (ch.isLetter || ch.isNumber) { out.append(ch) } else if !out.hasSuffix("-") { out.append("-") }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out
    }

    struct Rendered: Sendable {
        var html: String
        /// The headings (level 2 and 3) in order: level, anchor, title.
        var headings: [(level: Int, id: String, title: String)]
        var anchors: Set<String> { Set(headings.map(\.id)) }
    }

    /// The guide's Markdown as HTML: anchors on headings, pictures from /huong-dan/anh/.
    static func render(_ markdown: String) -> Rendered {
        final class Collected { var headings: [(level: Int, id: String, title: String)] = [] }
        let collected = Collected()
        var parser = MarkdownParser()
        parser.addModifier(Modifier(target: .headings) { html, markdown in
            let level = markdown.prefix { $0 == "#" }.count
            let title = markdown.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            guard level == 2 || level == 3 else { return html }
            let id = slug(title)
            collected.headings.append((level, id, title))
            return html.replacingOccurrences(of: "<h\(level)>", with: "<h\(level) id=\"\(id)\">")
        })
        parser.addModifier(Modifier(target: .images) { html, _ in
            html.replacingOccurrences(of: "src=\"anh/", with: "loading=\"lazy\" src=\"/huong-dan/anh/")
        })
        let html = parser.html(from: markdown)
        return Rendered(html: html, headings: collected.headings)
    }

    /// The guide as rendered now, read again when the file changes. Requests run at once: the cache
    /// is behind its own lock (the application's storage is not for writing from requests).
    static func current(_ app: Application) throws -> Rendered? {
        guard let dir = directory(app.settings) else { return nil }
        let path = dir + "/" + file
        let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? Date.distantPast
        if let cached = cache.get(path: path, modified: modified) { return cached }
        let guide = render(try String(contentsOfFile: path, encoding: .utf8))
        cache.set(path: path, modified: modified, guide: guide)
        return guide
    }

    static let cache = GuideCache()
}

/// The last rendering of the guide file, by path and modification date.
final class GuideCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entry: (path: String, modified: Date, guide: Guide.Rendered)?

    func get(path: String, modified: Date) -> Guide.Rendered? {
        lock.withLock { entry.flatMap { $0.path == path && $0.modified == modified ? $0.guide : nil } }
    }

    func set(path: String, modified: Date, guide: Guide.Rendered) {
        lock.withLock { entry = (path, modified, guide) }
    }
}

/// Which section of the guide each page is about: the longest matching rule wins; a page no rule
/// names gets the guide's start («Theo vai trò»). A test checks that every anchor here is a heading.
enum GuideSections {
    static let byPrefix: [(String, String)] = [
        ("/", "tong-quan"),
        ("/huong-dan", "theo-vai-tro"),
        ("/dang-nhap", "dang-nhap"), ("/doi-mat-khau", "dang-nhap"), ("/phien-dang-nhap", "dang-nhap"),
        ("/quen-mat-khau", "dang-nhap"), ("/dat-mat-khau", "dang-nhap"), ("/du-lieu-cua-toi", "du-lieu-ca-nhan"),
        ("/xac-thuc-hai-buoc", "xac-thuc-hai-buoc"),
        ("/danh-muc", "danh-muc"), ("/danh-muc/co-quan", "co-quan-co-tham-quyen-danh-gia"),
        ("/danh-muc/san-pham", "danh-muc-san-pham-cong-viec"), ("/danh-muc/vi-pham", "ky-luat-ky-cuong"),
        ("/danh-muc/nguoi-dung", "nguoi-dung-va-phan-quyen"), ("/nguoi-dung", "nguoi-dung-va-phan-quyen"),
        ("/nhap-du-lieu", "nhap-du-lieu-tu-tep"), ("/nhat-ky", "nhat-ky-he-thong"),
        ("/khung-danh-gia", "bo-chi-so"),
        ("/ky-danh-gia", "ky-danh-gia"), ("/danh-gia-cua-toi", "quy-trinh-cua-mot-ky"),
        ("/ket-qua", "ket-qua-va-giai-trinh-diem"),
        ("/viec", "cong-viec"), ("/danh-gia-cong-khai", "cong-viec"), ("/danh-gia", "cong-viec"),
        ("/ky-luat", "ky-luat-ky-cuong"), ("/nghi-che-do", "nghi-theo-che-do"), ("/uy-quyen", "uy-quyen"),
        ("/ky-luat/ket-luan", "ket-luan-suy-thoai-tham-nhung"), ("/cong-khai", "cong-khai-ket-qua"),
        ("/co-quan/cai-dat", "cong-khai-ket-qua"), ("/ket-qua/nguoi", "lich-su-ket-qua"),
        ("/bao-cao", "bao-cao"), ("/bao-cao/cong-bang", "phan-tich-cong-bang"), ("/bao-cao/so-ket", "bao-cao-so-ket-thi-diem"),
        ("/bao-cao/cong-tac-can-bo", "danh-sach-phuc-vu-cong-tac-can-bo"),
        ("/cai-dat", "cai-dat"), ("/thong-bao", "thong-bao-va-thu-dien-tu"), ("/gop-y", "gop-y-trong-thi-diem"),
    ]

    /// The anchor for a page's path.
    static func anchor(for path: String) -> String {
        if path.hasPrefix("/ky-danh-gia/") {
            if path.contains("/phieu/") { return "quy-trinh-cua-mot-ky" }
            if path.hasSuffix("/danh-sach") { return "in-phieu-va-danh-sach" }
        }
        var best = ("", "theo-vai-tro")
        for (prefix, anchor) in byPrefix where prefix.count > best.0.count {
            if path == prefix || path.hasPrefix(prefix == "/" ? "/\u{0}" : prefix + "/") { best = (prefix, anchor) }
        }
        return best.1
    }

    static func link(for path: String) -> String { "/huong-dan#" + anchor(for: path) }
}
