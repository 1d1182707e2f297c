import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Hướng dẫn trong sản phẩm (issue 18, item 4): the guide of docs/ rendered at /huong-dan, every link
/// inside it and every page's help link landing on a heading that exists, its pictures served and
/// nothing else.
final class GuideTests: XCTestCase {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs").standardized.path

    static func guide() throws -> (markdown: String, rendered: Guide.Rendered) {
        let text = try String(contentsOfFile: docs + "/" + Guide.file, encoding: .utf8)
        return (text, Guide.render(text))
    }

    func testEveryLinkInsideTheGuideAndEveryPictureExists() throws {
        let (markdown, guide) = try Self.guide()
        XCTAssertEqual(guide.headings.count, guide.anchors.count, "two headings with the same anchor")
        XCTAssertEqual(Guide.slug("Kỳ đánh giá"), "ky-danh-gia")
        XCTAssertEqual(Guide.slug("Kỷ luật, kỷ cương"), "ky-luat-ky-cuong")
        XCTAssertEqual(Guide.slug("Đăng nhập"), "dang-nhap")
        let links = markdown.matches(of: /\]\(#([a-z0-9-]+)\)/).map { String($0.1) }
        XCTAssertGreaterThan(links.count, 20, "the role section links to the sections")
        XCTAssertEqual(Set(links).subtracting(guide.anchors).sorted(), [], "links to headings that do not exist")
        let pictures = markdown.matches(of: /\]\(anh\/([a-z0-9-]+\.png)\)/).map { String($0.1) }
        XCTAssertGreaterThanOrEqual(pictures.count, 6)
        for p in pictures { XCTAssertTrue(FileManager.default.fileExists(atPath: Self.docs + "/anh/" + p), p) }
        XCTAssertTrue(guide.html.contains("<h2 id=\"theo-vai-tro\">Theo vai trò</h2>"))
        XCTAssertTrue(guide.html.contains("src=\"/huong-dan/anh/"))
    }

    func testEveryPageHasASectionThatExists() async throws {
        let anchors = try Self.guide().rendered.anchors
        for (_, anchor) in GuideSections.byPrefix { XCTAssertTrue(anchors.contains(anchor), anchor) }
        try await withApp(demo: false) { app in
            for route in app.routes.all where route.method == .GET {
                let path = "/" + route.path.map { $0.description.hasPrefix(":") ? "x" : $0.description }.joined(separator: "/")
                XCTAssertTrue(anchors.contains(GuideSections.anchor(for: path)), path)
            }
        }
        XCTAssertEqual(GuideSections.anchor(for: "/viec/123"), "cong-viec")
        XCTAssertEqual(GuideSections.anchor(for: "/viec"), "cong-viec")
        XCTAssertEqual(GuideSections.anchor(for: "/danh-muc/san-pham/moi"), "danh-muc-san-pham-cong-viec")
        XCTAssertEqual(GuideSections.anchor(for: "/danh-muc/can-bo"), "danh-muc")
        XCTAssertEqual(GuideSections.anchor(for: "/ky-danh-gia/abc/phieu/CB-1"), "quy-trinh-cua-mot-ky")
        XCTAssertEqual(GuideSections.anchor(for: "/viecxyz"), "theo-vai-tro", "a prefix is a whole path segment")
    }

    func testTheGuideIsServedWithItsPicturesAndLinkedFromEachPage() async throws {
        try await withApp { app in
            var s = app.settings
            s.docsDirectory = Self.docs
            app.settings = s
            var visitor = Browser(app)
            let page = try await visitor.get("/huong-dan")
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.text.contains("<h2 id=\"cong-viec\">Công việc</h2>"))
            XCTAssertTrue(page.text.contains("href=\"#quy-trinh-cua-mot-ky\""), "the table of contents")
            let picture = try await visitor.get("/huong-dan/anh/viec-cua-toi.png")
            XCTAssertEqual(picture.status, .ok)
            XCTAssertEqual(picture.headers.contentType, .png)
            for bad in ["..%2F..%2FPackage.swift", "khong-co.png", "VIEC.png", "viec-cua-toi.svg", "%2Fetc%2Fpasswd"] {
                let refused = try await visitor.get("/huong-dan/anh/\(bad)")
                XCTAssertTrue([.notFound, .forbidden, .badRequest].contains(refused.status), "\(bad): \(refused.status)")
                XCTAssertNotEqual(refused.headers.contentType, .png, bad)
            }
            let signIn = try await visitor.get("/dang-nhap")
            XCTAssertTrue(signIn.text.contains("href=\"/huong-dan#dang-nhap\""))

            var canbo = Browser(app)
            try await canbo.login("canbo")
            let work = try await canbo.get("/viec")
            XCTAssertTrue(work.text.contains("<a href=\"/huong-dan#cong-viec\">Hướng dẫn cho trang này</a>"))

            // Without the docs folder the page says what to do.
            s.docsDirectory = "/khong-co-thu-muc"
            app.settings = s
            if Guide.directory(app.settings) == nil {
                let missing = try await visitor.get("/huong-dan")
                XCTAssertEqual(missing.status, .notFound)
                XCTAssertTrue(missing.text.contains("KPI_DOCS_DIR"))
            }
        }
    }

    /// A hostile address with a part longer than a file name may be is not found, not a server error
    /// (the static files were looked up with it).
    func testOverlongAddressesAreNotFound() async throws {
        try await withApp(demo: false) { app in
            var visitor = Browser(app)
            for path in ["/dat-mat-khau/" + String(repeating: "A", count: 5_000), "/huong-dan/anh/" + String(repeating: "b", count: 300),
                         "/" + String(repeating: "c/", count: 1_500)] {
                let res = try await visitor.get(path)
                XCTAssertEqual(res.status, .notFound, String(path.prefix(40)))
            }
            let fine = try await visitor.get("/dat-mat-khau/" + String(repeating: "A", count: 43))
            XCTAssertEqual(fine.status, .notFound, "an unknown link of the right length: the link's own page")
            XCTAssertTrue(fine.text.contains("không còn dùng được"))
        }
    }
}
