import Vapor

/// Refused requests of signed-in users — 403, and the 404 an out-of-scope lookup answers — are
/// written to the audit trail as "tu-choi" (issue 16), so that probing for other units' records
/// shows. At most `perWindow` entries per user in 10 minutes (counted across processes), so a
/// script cannot flood the trail; the refusal itself is answered as usual either way.
struct RefusalAuditMiddleware: AsyncMiddleware {
    static let perWindow = 30

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            let res = try await next.respond(to: req)
            if res.status == .forbidden || res.status == .notFound { await record(req, res.status) }
            return res
        } catch let e as any AbortError where e.status == .forbidden || e.status == .notFound {
            await record(req, e.status)
            throw e
        }
    }

    private func record(_ req: Request, _ status: HTTPStatus) async {
        guard let p = req.principal else { return }
        let (actor, now, path) = (req.actor, req.now, String(req.url.path.prefix(300)))
        do {
            try await req.store.write { db in
                let n = try await SharedCounters.hit("tu-choi:" + p.userID.uuidString, window: 600, now: now, on: db)
                guard n <= Self.perWindow else { return }
                try await AuditLog.append(on: db, actor: actor, action: "tu-choi", entityType: "request",
                                          entityID: "\(req.method.rawValue) \(path)", scopePath: p.scopePath,
                                          after: ["status": String(status.code)])
            }
        } catch {
            req.logger.error("refusal not audited: \(error)")
        }
    }
}
