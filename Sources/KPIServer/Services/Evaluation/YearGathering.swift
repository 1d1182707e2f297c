import Fluent
import Foundation
import KPICore
import SQLKit

extension ScoreGathering {
    /// Điểm năm (DOMAIN.md §5, Nghị định 335 Điều 21): for everyone active in the agency, every month
    /// or quarter of the year in which they have an approved result — in any agency, so a person who
    /// moved carries the old agency's results —, the score of its current revision (a period without
    /// a score, such as leave, is listed and not counted), the tasks behind it for the level
    /// conditions, the year's disciplinary decisions (kỷ luật từ khiển trách trở lên) and the conclusions
    /// of degradation or corruption recorded for it (`ConclusionRecord`).
    func gatherYear(_ year: PeriodCode, scope: PeriodScope) async throws -> [Gathered] {
        let members = try await self.members([scope])
        let like = scope.path + "%"
        var periods: [UUID: [ScoreInputData.YearFacts.Period]] = [:]
        let decoder = JSONDecoder()
        for (person, hundredths, level, revision, code, agency, inputText) in try await db.rows("""
            SELECT e.person_id, e.hundredths, e.level, e.revision, p.code, o.code AS agency, r.inputs
            FROM evaluations e JOIN people m ON m.id = e.person_id
            JOIN evaluation_periods p ON p.id = e.period_id JOIN organizations o ON o.id = p.organization_id
            JOIN evaluation_revisions r ON r.period_id = e.period_id AND r.person_id = e.person_id AND r.number = e.revision
            WHERE m.scope_path LIKE \(bind: like) AND p.kind <> \(bind: PeriodCode.Kind.year.rawValue) AND p.code \
            LIKE \(bind: "\(year.year)-%")
              AND p.state IN (\(bind: EvaluationState.published.rawValue), \(bind: EvaluationState.locked.rawValue)) AND e.revision > 0
            ORDER BY p.code
            """, { c in
            (try c.next(UUID.self), try c.next(Int?.self), try c.next(String.self), try c.next(Int.self), try c.next(String.self),
             try c.next(String.self), try c.next(String.self))
        }) {
            let inputs = try? decoder.decode(ScoreInputData.self, from: Data(inputText.utf8))
            let counts = inputs?.taskCounts ?? (counted: 0, onTime: 0)
            periods[person, default: []].append(.init(
                code: code, agency: agency, hundredths: hundredths, level: level, revision: revision, tasks: counts.counted,
                onTime: counts.onTime, leave: inputs?.leave?.wholePeriod == true ? true : nil))
        }
        var disciplined = Set<UUID>()
        for person in try await db.rows("""
            SELECT d.person_id FROM discipline_records d JOIN people m ON m.id = d.person_id
            WHERE m.scope_path LIKE \(bind: like) AND d.kind = 'ky-luat' AND d.voided = \(bind: false)
              AND d.occurred_on >= \(bind: year.first.iso) AND d.occurred_on <= \(bind: year.last.iso)
            """, { try $0.next(UUID.self) }) {
            disciplined.insert(person)
        }
        // Kết luận suy thoái, tham nhũng applying to the year (DOMAIN.md §5).
        var concluded: [UUID: Set<String>] = [:]
        for (person, kind) in try await db.rows("""
            SELECT c.person_id, c.kind FROM conclusions c JOIN people m ON m.id = c.person_id
            WHERE m.scope_path LIKE \(bind: like) AND c.voided = \(bind: false) AND c.year = \(bind: year.year)
            """, { (try $0.next(UUID.self), try $0.next(String.self)) }) {
            concluded[person, default: []].insert(kind)
        }
        return members.map { m in
            var data = ScoreInputData(personCode: m.code, personName: m.name, staffKind: m.staffKind, groupCode: m.groupCode,
                                      unitName: m.unitName, tasks: [], satisfaction: "", coordination: "", discipline: "")
            let flags = (disciplined.contains(m.id) ? [OverrideFlag.discipline.rawValue] : []) + (concluded[m.id] ?? []).sorted()
            data.year = .init(periods: periods[m.id] ?? [], flags: flags)
            return Gathered(member: m, data: data)
        }
    }
}
