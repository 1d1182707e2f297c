import Fluent
import Foundation
import KPICore

/// The marked agencies of the tree as the core's `AgencyMap` (one small query: a province has some
/// hundreds of agencies).
enum Agencies {
    static func map(on db: any Database) async throws -> AgencyMap {
        AgencyMap(try await db.rows("""
            SELECT o.path, o.code, o.name, o.block, e.path AS evaluator_path FROM organizations o
            LEFT JOIN organizations e ON e.id = o.head_evaluator_id
            WHERE o.is_agency = \(bind: true) AND o.active = \(bind: true)
            """) { c in
            AgencyMap.Agency(path: try c.next(), code: try c.next(), name: try c.next(), block: try c.next(),
                             headEvaluatorPath: try c.next(String?.self))
        })
    }
}
