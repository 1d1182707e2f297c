import Fluent
import Foundation
import KPICore
import OpenAPIRuntime
import OpenAPIVapor
import Vapor

/// `/api/v1` (issue 20): the handlers of the operations of api/openapi.yaml. The generated code
/// (`APIProtocol`, Sources/KPIServer/API/Generated) decodes each call and encodes each answer, so the
/// contract and the server cannot drift; the handlers call the same services and scope rules as the
/// pages.
struct KPIAPI: APIProtocol {
    static let prefix = "/api/v1"

    /// Registers the operations behind the token check, and the contract and its reference page in
    /// front of it (public: the contract holds no data).
    static func register(_ app: Application) throws {
        let open = app.grouped("api", "v1")
        open.get("openapi.yaml", use: contract)
        open.get(use: reference)
        open.get("tai-lieu", use: reference)
        let transport = VaporTransport(routesBuilder: app.grouped(APIAuthMiddleware()))
        try KPIAPI().registerHandlers(on: transport, serverURL: URL(string: prefix)!, middlewares: [APIProblemMiddleware()])
    }

    /// The methods the API answers at `path` (for a 405 with `Allow` when another was asked).
    static func allowedMethods(at path: String, _ app: Application) -> [String] {
        let parts = path.split(separator: "/").map(String.init)
        var fitting = app.routes.all.filter { route in
            guard route.path.count == parts.count, route.path.first?.description == "api" else { return false }
            return zip(route.path, parts).allSatisfy { component, part in
                if case .constant(let c) = component { return c == part }
                return true
            }
        }
        // As the router does, a constant wins over a parameter at the same place: /people/batch is not
        // /people/{code}.
        for i in parts.indices where fitting.contains(where: { if case .constant = $0.path[i] { true } else { false } }) {
            fitting = fitting.filter { if case .constant = $0.path[i] { true } else { false } }
        }
        return Set(fitting.map(\.method.rawValue)).sorted()
    }

    func getMe(_ input: Operations.GetMe.Input) async throws -> Operations.GetMe.Output {
        let (req, client, p) = try APIContext.current()
        let refs = try await RefIndex.load(on: req.db)
        let roots = p.grants.map { g in g.scopePath == "/" ? "*" : (refs.org(path: g.scopePath)?.code ?? "") }
        return .ok(.init(body: .json(.init(name: client.name, scopes: APIScope.allCases.filter(client.scopes.contains).map(\.rawValue),
                                           organizations: roots.sorted(), tokenExpiresAt: client.expiresAt))))
    }

    /// api/openapi.yaml as committed (read once from the resources folder).
    @Sendable static func contract(_ req: Request) async throws -> Response {
        var h = HTTPHeaders()
        h.contentType = HTTPMediaType(type: "application", subType: "yaml", parameters: ["charset": "utf-8"])
        return Response(status: .ok, headers: h, body: .init(string: try APIDocument.text(req.application)))
    }

    @Sendable static func reference(_ req: Request) async throws -> Response {
        req.page(try APIDocument.reference(req.application))
    }
}
