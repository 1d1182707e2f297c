import Fluent
import KPICore
import Vapor

/// Tổng quan: what the signed-in user can reach, with counts of their scope.
enum HomeController {
    @Sendable static func home(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        let scopes = p.scopes(.viewCatalog)
        func inScope<M: Model>(_ q: QueryBuilder<M>, _ key: KeyPath<M, FieldProperty<M, String>>) -> QueryBuilder<M> {
            q.group(.or) { or in
                for s in scopes { or.filter(key, .custom("LIKE"), s + "%") }
                if scopes.isEmpty { or.filter(key, .equal, "-") }
            }
        }
        let orgs = try await inScope(Organization.query(on: req.db).filter(\.$active == true), \.$path).count()
        let people = try await inScope(Person.query(on: req.db).filter(\.$active == true), \.$scopePath).count()
        let roles = Set(p.grants.map(\.role)).map(\.label).sorted().joined(separator: ", ")
        var cards: [HTML] = [
            """
                <a class=\"card\" href=\"/danh-muc/co-quan\"><strong>\(VNNumber.format(orgs))</strong><span>cơ quan, đơn vị trong \
                phạm \
                vi</span></a>
                """,
            """
                <a class=\"card\" href=\"/danh-muc/can-bo\"><strong>\(VNNumber.format(people))</strong><span>cán bộ, công chức, \
                viên \
                chức</span></a>
                """,
        ]
        if p.canAnywhere(.manageCatalog) {
            cards.append("""
                <a class=\"card\" href=\"/nhap-du-lieu\"><strong>Nhập dữ liệu</strong><span>từ tệp CSV hoặc Excel</span></a>
                """)
        }
        if p.canAnywhere(.viewAudit) {
            cards.append("""
                <a class=\"card\" href=\"/nhat-ky\"><strong>Nhật ký hệ thống</strong><span>mọi thao tác, có kiểm tra toàn \
                vẹn</span></a>
                """)
        }
        return req.page(Page(title: "Tổng quan", body: """
            <p>Xin chào <strong>\(p.displayName)</strong>. Vai trò: \(roles.isEmpty ? "chưa được phân quyền" : roles).</p>
            <div class="cards">\(cards)</div>
            """))
    }
}
