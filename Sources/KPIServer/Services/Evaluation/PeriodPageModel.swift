import Fluent
import Foundation
import KPICore

/// What a period's page (/ky-danh-gia/<id>) shows and exports, gathered once by the service: the
/// period and its agency, the progress of the steps, the sheets matching the filters with each
/// person's name, unit, score and level (the live proposal until approval), and what the user may do
/// next. The controller parses the request and the view only draws this.
struct PeriodPageModel {
    /// One sheet (phiếu) as listed.
    struct Sheet {
        var sheet: Evaluation
        var name: String
        var unit: String
        /// The score in hundredths: the approved one, or until approval the one computed now.
        var hundredths: Int?
        /// The approved level, or the proposal computed now (`provisional`).
        var level: Level?
        var provisional: Bool
        /// On leave for the whole period (nghỉ theo chế độ cả kỳ): not evaluated, nothing to do.
        var onLeave: Bool
    }

    /// The list's filters: by name, code or unit, and by what is still to be done.
    enum Filter: String, CaseIterable {
        case all = "", selfPending = "chua-tu-danh-gia", reviewPending = "chua-danh-gia", onLeave = "nghi"

        var label: String {
            switch self {
            case .all: "Tất cả"
            case .selfPending: "Chưa tự đánh giá"
            case .reviewPending: "Chưa được đánh giá"
            case .onLeave: "Nghỉ theo chế độ cả kỳ"
            }
        }
    }

    var period: EvaluationPeriod
    var state: EvaluationState
    var agencyName: String
    var sheets: [Sheet]
    /// Counts over all the period's sheets, whatever the filters.
    var total: Int
    var selfPending: Int
    var reviewPending: Int
    var onLeave: Int
    /// May take the workflow's next step (mở, chuyển bước, trình) / approve, publish and lock.
    var mayRun: Bool
    var mayApprove: Bool
    /// The deadlines proposed for the self-assessment, review and approval steps, when the user may
    /// start them.
    var proposedDeadlines: StepDeadlines?
    /// Who the period holds, when it is not simply everyone under its agency: the agencies nested
    /// in it, and whether the tree's marks changed since it was opened (the period keeps its people).
    var membership: [String] = []

    var title: String { "\(PeriodCode(period.code)?.label ?? period.code) — \(agencyName)" }
}

extension EvaluationFlow {
    /// The page model of period `id` for this user, its sheets filtered by `search` and `filter`.
    func periodPage(_ id: UUID, search: String, filter: PeriodPageModel.Filter) async throws -> PeriodPageModel {
        let p = try await periods.find(id)
        let state = EvaluationFlow.state(p)
        let agency = try await Organization.find(p.organizationID, on: store.db)
        let progress = try await progress(p)
        let who = try await names(progress.sheets.map(\.personID))
        // Until approval, the scores as computed now (the quota's proposal included).
        let live = state.recomputes ? try await ScoreService(store: store, principal: principal).live(p) : [:]
        let folded = TextNormalizer.fold(search)
        let sheets = progress.sheets.compactMap { e -> PeriodPageModel.Sheet? in
            let (name, unit) = who[e.personID] ?? ("", "")
            let away = progress.onLeave.contains(e.personID)
            guard folded.isEmpty || TextNormalizer.fold("\(e.personCode) \(name) \(unit)").contains(folded) else { return nil }
            switch filter {
            case .all: break
            case .selfPending: guard progress.selfPending(e) else { return nil }
            case .reviewPending: guard progress.reviewPending(e) else { return nil }
            case .onLeave: guard away else { return nil }
            }
            let approved = Level(rawValue: e.level)
            return PeriodPageModel.Sheet(sheet: e, name: name, unit: unit,
                                         hundredths: approved == nil ? live[e.personCode]?.hundredths : e.hundredths,
                                         level: approved ?? live[e.personCode]?.level, provisional: approved == nil, onLeave: away)
        }
        let mayRun = principal.can(.runEvaluation, at: p.scopePath)
        var model = PeriodPageModel(
            period: p, state: state, agencyName: agency?.name ?? "", sheets: sheets, total: progress.sheets.count,
            selfPending: progress.selfPending.count, reviewPending: progress.reviewPending.count,
            onLeave: progress.sheets.filter { progress.onLeave.contains($0.personID) }.count, mayRun: mayRun,
            mayApprove: mayApprove(p),
            proposedDeadlines: state == .open && mayRun
                ? StepDeadlines.proposed(from: store.today, calendar: try await DeadlineJob.calendar(store)) : nil)
        model.membership = try await membership(p)
        return model
    }

    /// What the page says about the period's members (`PeriodPageModel.membership`).
    func membership(_ p: EvaluationPeriod) async throws -> [String] {
        let excluded = p.scope.excluded
        let map = try await store.agencies()
        var notes: [String] = []
        if !excluded.isEmpty {
            let names = try await Organization.query(on: store.db).filter(\.$path ~~ excluded).all().map(\.name).sorted()
            let list = names.joined(separator: ", ")
            notes.append("Kỳ này không gồm cán bộ của \(list): mỗi đơn vị đó đánh giá cán bộ của mình "
                         + "trong kỳ riêng.")
        }
        if !map.isAgency(p.scopePath) || Set(map.nested(under: p.scopePath)) != Set(excluded) {
            notes.append("""
                Việc đánh dấu cơ quan có thẩm quyền đánh giá đã thay đổi sau khi mở kỳ. Kỳ này giữ nguyên \
                danh sách cán bộ như \
                lúc mở; thay đổi áp dụng từ kỳ sau.
                """)
        }
        return notes
    }

    /// People's names and units by id.
    func names(_ ids: [UUID]) async throws -> [UUID: (String, String)] {
        guard !ids.isEmpty else { return [:] }
        let people = try await Person.query(on: store.db).filter(\.$id ~~ ids).all()
        let units = Dictionary(try await Organization.query(on: store.db).filter(\.$id ~~ Array(Set(people.map(\.organizationID)))).all()
            .map { ($0.id!, $0.name) }) { a, _ in a }
        return Dictionary(people.map { ($0.id!, ($0.fullName, units[$0.organizationID] ?? "")) }) { a, _ in a }
    }
}
