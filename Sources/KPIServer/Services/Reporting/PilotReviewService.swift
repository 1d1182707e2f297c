import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Báo cáo sơ kết thí điểm (issue 19, item 7): for chosen agencies and months, what the pilot did —
/// participation, tasks and products, the distribution of levels and how it compares with the same
/// people's levels the year before (Xếp loại các năm trước), complaints and re-reviews, and how timely
/// each workflow step was. Read from stored rows only: the periods' summaries (`ScoreAggregates`),
/// their sheets' timestamps, complaints, re-reviews and imported levels; in the viewer's scope.
struct PilotReviewService {
    typealias Refused = WorkService.Refused
    let store: Store
    let principal: Principal

    struct Query: Sendable {
        /// Agency codes; empty: every agency in the viewer's scope.
        var agencies: [String]
        var from: PeriodCode
        var to: PeriodCode
        var months: [PeriodCode] { to < from ? [] : PeriodCode.months(from: from, through: to, limit: ReportController.maxMonths) }
    }

    struct AgencyLine: Sendable {
        var org: Organization
        var summary = ScoreSummary()
        var selfAssessment = PilotReview.Step()
        var review = PilotReview.Step()
        var approval = PilotReview.Step()
        var complaints = 0
        var complaintsAccepted = 0
        var reReviews = 0
        var reReviewsChanged = 0
        /// The year before: levels imported for the people the pilot evaluated.
        var before: [Level: Int] = [:]
    }

    struct PeriodLine: Sendable {
        var agency: String
        var code: PeriodCode
        var state: EvaluationState
        var selfAssessment = PilotReview.Step()
        var review = PilotReview.Step()
        var approveDue: DateOnly?
        var approvedOn: DateOnly?
        var lockedOn: DateOnly?
    }

    struct Review: Sendable {
        var query: Query
        var agencies: [AgencyLine]
        var periods: [PeriodLine]
        var byMonth: [(PeriodCode, ScoreSummary)]
        var priorYear: Int
        var total: AgencyLine? {
            guard var t = agencies.first else { return nil }
            for a in agencies.dropFirst() {
                t.summary.merge(a.summary); t.selfAssessment.merge(a.selfAssessment); t.review.merge(a.review)
                t.approval.merge(a.approval); t.complaints += a.complaints; t.complaintsAccepted += a.complaintsAccepted
                t.reReviews += a.reReviews; t.reReviewsChanged += a.reReviewsChanged
                for (l, n) in a.before { t.before[l, default: 0] += n }
            }
            return t
        }
    }

    var scopes: [String] { ReportService(store: store, principal: principal).scopes }

    /// The agencies the viewer may report on.
    func agencies() async throws -> [Organization] {
        let scopes = self.scopes
        guard !scopes.isEmpty else { throw Abort(.forbidden, reason: Principal.refusal) }
        return try await Organization.query(on: store.db).filter(\.$isAgency == true).sort(\.$code).all()
            .filter { o in scopes.contains { o.path.hasPrefix($0) } }
    }

    /// The organization whose name heads the printed report: the viewer's own agency, else the agency
    /// of their outermost scope (the tree's root for the whole province).
    func heading() async throws -> Organization? {
        let map = try await store.agencies()
        if let me = principal.personID, let person = try await Person.find(me, on: store.db),
           let agency = map.agency(of: person.scopePath),
           let org = try await Organization.query(on: store.db).filter(\.$path == agency.path).first() {
            return org
        }
        guard let scope = scopes.first else { return nil }
        if let org = try await Organization.query(on: store.db).filter(\.$path == scope).first() {
            return map.agency(of: org.path).flatMap { a in a.path == org.path ? org : nil } ?? org
        }
        return try await Organization.query(on: store.db).filter(\.$parentID == nil).first()
    }

    func review(_ q: Query) async throws -> Review {
        let all = try await agencies()
        var chosen = all
        if !q.agencies.isEmpty {
            chosen = []
            for code in q.agencies {
                guard let o = all.first(where: { $0.code == code }) else {
                    throw Refused(message: "Không có cơ quan mã «\(code)» trong phạm vi báo cáo của bạn.")
                }
                if !chosen.contains(where: { $0.id == o.id }) { chosen.append(o) }
            }
        }
        let months = q.months
        let codes = months.map(\.text)
        var lines = chosen.map { AgencyLine(org: $0) }
        func index(_ agencyPath: String) -> Int? { lines.firstIndex { $0.org.path == agencyPath } }
        var byMonth = Dictionary(uniqueKeysWithValues: months.map { ($0.text, ScoreSummary()) })
        for r in try await ScoreAggregates.rows(store.db, periods: codes, under: chosen.map(\.path)) {
            guard let i = index(r.agencyPath) else { continue }
            lines[i].summary.merge(r.summary)
            byMonth[r.period]?.merge(r.summary)
        }
        // The periods of these agencies and months, with each sheet's step times.
        let periods = try await EvaluationPeriod.query(on: store.db).filter(\.$code ~~ codes)
            .filter(\.$organizationID ~~ chosen.compactMap(\.id)).all()
        let calendarDay = { (d: Date?) in d.map(DateOnly.inVietnam) }
        var periodLines: [PeriodLine] = []
        let ids = periods.compactMap(\.id)
        let sheets = ids.isEmpty ? [] : try await Evaluation.query(on: store.db).filter(\.$periodID ~~ ids).all()
        let byPeriod = Dictionary(grouping: sheets, by: \.periodID)
        for p in periods {
            guard let i = lines.firstIndex(where: { $0.org.id == p.organizationID }), let code = PeriodCode(p.code) else { continue }
            let state = EvaluationState(rawValue: p.state) ?? .open
            var line = PeriodLine(agency: lines[i].org.name, code: code, state: state, approveDue: DateOnly(parsing: p.approveDue),
                                  approvedOn: calendarDay(p.approvedAt), lockedOn: calendarDay(p.lockedAt))
            // Only steps that have started count: an open period's sheets owe nothing yet.
            if state != .open {
                for e in byPeriod[p.id!] ?? [] {
                    line.selfAssessment.add(doneOn: calendarDay(e.selfAt), due: DateOnly(parsing: p.selfDue))
                    line.review.add(doneOn: calendarDay(e.reviewedAt), due: DateOnly(parsing: p.reviewDue))
                }
                lines[i].selfAssessment.merge(line.selfAssessment)
                lines[i].review.merge(line.review)
                if state != .selfAssessment && state != .review {
                    lines[i].approval.add(doneOn: line.approvedOn, due: line.approveDue)
                }
            }
            periodLines.append(line)
        }
        periodLines.sort { ($0.agency, $0.code) < ($1.agency, $1.code) }
        if !ids.isEmpty {
            let agencyOf = Dictionary(uniqueKeysWithValues: periods.map { ($0.id!, $0.organizationID) })
            for c in try await Complaint.query(on: store.db).filter(\.$periodID ~~ ids).all() {
                guard let i = lines.firstIndex(where: { $0.org.id == agencyOf[c.periodID] }) else { continue }
                lines[i].complaints += 1
                if c.state == "chap-nhan" { lines[i].complaintsAccepted += 1 }
            }
            for r in try await ReReview.query(on: store.db).filter(\.$periodID ~~ ids).all() {
                guard let i = lines.firstIndex(where: { $0.org.id == agencyOf[r.periodID] }) else { continue }
                lines[i].reReviews += 1
                if r.state == "dieu-chinh" { lines[i].reReviewsChanged += 1 }
            }
        }
        // The year before the first month: the imported levels of the people these periods evaluated.
        let priorYear = q.from.year - 1
        if !ids.isEmpty {
            for (agencyID, level) in try await store.rows("""
                SELECT p.organization_id, l.level FROM prior_levels l
                JOIN (SELECT DISTINCT e.person_id, pe.organization_id FROM evaluations e
                      JOIN evaluation_periods pe ON pe.id = e.period_id WHERE e.period_id IN (\(binds: ids))) p
                  ON p.person_id = l.person_id
                WHERE l.year = \(bind: priorYear) AND l.active = \(bind: true)
                """, { (try $0.next(UUID.self), try $0.next(String.self)) }) {
                guard let i = lines.firstIndex(where: { $0.org.id == agencyID }), let l = Level(rawValue: level) else { continue }
                lines[i].before[l, default: 0] += 1
            }
        }
        return Review(query: q, agencies: lines, periods: periodLines, byMonth: months.map { ($0, byMonth[$0.text] ?? ScoreSummary()) },
                      priorYear: priorYear)
    }
}
