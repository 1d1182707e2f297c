import Fluent
import Foundation
import KPICore
import Vapor

/// `kpi api-client`: creates an API client (or finds the one of that account name) and issues it a
/// token, printed once on standard output — for the IT staff installing a connection, and for the
/// test script's contract test. The same service and audit as the administrator's page, acting as
/// `system:api-client` with the whole province in reach (who runs this holds the server).
struct APIClientCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "username", help: "Tên tài khoản của ứng dụng (chữ không dấu, số, . _ -)") var username: String?
        @Option(name: "name", help: "Tên ứng dụng (mặc định: tên tài khoản)") var name: String?
        @Option(name: "org", help: "Mã đơn vị gốc của phạm vi (mặc định: toàn tỉnh)") var org: String?
        @Option(name: "scopes", help: "Các quyền, cách nhau bởi dấu cách hoặc dấu phẩy") var scopes: String?
        @Option(name: "days", help: "Số ngày hiệu lực của khóa (mặc định 365)") var days: Int?
        @Option(name: "rate", help: "Số lần gọi mỗi phút (mặc định 600)") var rate: Int?
        @Flag(name: "rotate", help: "Thay thế các khóa đang dùng (khóa cũ còn hiệu lực 7 ngày)") var rotate: Bool
    }

    var help: String {
        "Tạo ứng dụng kết nối API (nếu chưa có) và cấp một khóa truy cập; in khóa ra đầu ra chuẩn."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let username = signature.username?.lowercased(), !username.isEmpty else {
            context.console.error("""
                Cần --username và --scopes, ví dụ: kpi api-client --username qlvb-tinh --scopes "catalog:read tasks:write"
                """)
            throw ExitCode(2)
        }
        let scopes: [APIScope]
        switch APIScope.parse(signature.scopes ?? "") {
        case .success(let s) where !s.isEmpty: scopes = s
        case .success:
            context.console.error("Cần --scopes: " + APIScope.allCases.map(\.rawValue).joined(separator: ", "))
            throw ExitCode(2)
        case .failure(let e): context.console.error(e.message); throw ExitCode(2)
        }
        try await app.migrateSchema()
        let now = app.clock.now
        let principal = Principal(userID: UUID(), username: "system:api-client", displayName: "kpi api-client", personID: nil,
                                  scopePath: "/", grants: [Grant(role: .systemAdmin, scopePath: "/")], mustChangePassword: false,
                                  sessionID: nil, csrfToken: "", agencies: try await Agencies.map(on: app.db))
        let svc = APIClientService(store: app.store, principal: principal, actor: .system("api-client", at: now))
        do {
            let existing = try await User.query(on: app.db).filter(\.$username == username).first()
            let clientID: UUID
            if let user = existing {
                guard let record = try await APIClientRecord.query(on: app.db).filter(\.$userID == user.requireID()).first() else {
                    context.console.error("Tài khoản «\(username)» đã có và không phải ứng dụng kết nối.")
                    throw ExitCode(2)
                }
                clientID = try record.requireID()
            } else {
                let hash = try await app.password.async.hash(SessionMiddleware.newToken())
                clientID = try await svc.create(username: username, name: signature.name ?? username, contact: "",
                                                orgCode: signature.org ?? "", ratePerMinute: signature.rate, passwordHash: hash)
            }
            let issued = try await svc.issue(client: clientID, label: "kpi api-client", scopes: scopes, days: signature.days,
                                             rotating: signature.rotate)
            context.console.print(issued.token)
        } catch let p as CatalogProblems {
            for problem in p.problems { context.console.error(problem.sentence) }
            throw ExitCode(2)
        }
    }
}
