import Fluent
import Foundation
import SQLKit
import KPICore

/// The stored inputs of a period and how they are scored: one place for the preview, the results
/// and the explanation.
enum ScoreInputs {
    struct Item: Sendable {
        var row: ScoreInput
        var data: ScoreInputData
        /// The agency whose period computed the row: the quota is applied per agency.
        var agency: String { row.agencyPath }
    }

    /// The period's inputs of the people under `scopePath`, or those computed in the period of
    /// `agency` (its members, `PeriodScope`), or one `person`'s, decoded (an unreadable row is skipped).
    static func load(period: String, under scopePath: String = "/", agency: String? = nil, person: UUID? = nil,
                     on db: any Database) async throws -> [Item] {
        var query: SQLQueryString = "SELECT * FROM score_inputs WHERE period = \(bind: period)"
        if let person { query = query + " AND person_id = \(bind: person)" }
        if let agency {
            query = query + " AND agency_path = \(bind: agency)"
        } else if scopePath != "/" {
            query = query + " AND scope_path LIKE \(bind: scopePath + "%")"
        }
        return try await db.models(ScoreInput.self, query).compactMap { row in
            (try? JSONDecoder().decode(ScoreInputData.self, from: Data(row.data.utf8))).map { Item(row: row, data: $0) }
        }
    }

    /// One agency's people scored, each with the framework in force for them (`ScoreService.framework`),
    /// the quota applied per framework within the agency as in the real approval: result and framework
    /// by person code. People no published framework applies to are left out.
    static func score(agency members: [(scopePath: String, data: ScoreInputData)], period: String,
                      frameworks: [Framework]) throws -> [String: (result: PersonResult, framework: Framework)] {
        var byFramework: [UUID: (Framework, [ScoreInputData])] = [:]
        for m in members {
            guard let f = ScoreService.framework(for: m.data.staffKind, group: m.data.groupCode, at: m.scopePath, period: period,
                                                 among: frameworks) else { continue }
            byFramework[f.id!, default: (f, [])].1.append(m.data)
        }
        var out: [String: (result: PersonResult, framework: Framework)] = [:]
        for (f, batch) in byFramework.values {
            let definition = FrameworkService.decode(f)
            let engine = ScoringEngine(rules: try FrameworkService.rules(f))
            for r in try engine.rank(batch, definition: definition) { out[r.id] = (r, f) }
        }
        return out
    }

    /// Scores the items with the framework `definition` (groups (ii)–(iv) from its indicators when
    /// the inputs carry metrics), the quota per agency and group as in the real approval; results by person code.
    static func rank(_ items: [Item], definition: FrameworkDefinition, code: String) throws -> [String: PersonResult] {
        let engine = ScoringEngine(rules: try definition.rules(code: code))
        var out: [String: PersonResult] = [:]
        for (_, members) in Dictionary(grouping: items, by: \.agency) {
            for r in try engine.rank(members.map(\.data), definition: definition) { out[r.id] = r }
        }
        return out
    }
}

extension Framework {
    /// Whether the framework applies to a position group ("" = every group).
    func applies(toGroup code: String) -> Bool {
        groupCodes.isEmpty || groupCodes.split(separator: ";").contains { $0 == code }
    }
}
