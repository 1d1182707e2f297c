/// Phê duyệt: the head's decision on the quota's proposal (DOMAIN.md §5). The engine proposes by
/// score and flags ties at the edge; the approver may choose differently among those who reached
/// "xuất sắc" by score, but more than the cap only under a recorded decision (an agency with an
/// outstanding-achievement decision may be given a higher cap), and ties only once looked at.
public enum QuotaReview {
    /// Someone whose score reached "xuất sắc": the ones the approver chooses among.
    public struct Candidate: Sendable, Equatable {
        public var id: String
        public var group: String
        public var hundredths: Int
        /// Within the quota in the engine's proposal.
        public var proposed: Bool
        /// Tied with the last one within the quota.
        public var tie: Bool
    }

    /// Caps of one ranked batch: the whole (the agency) and each group.
    public struct Caps: Sendable, Equatable {
        public var agency: Int
        public var groups: [String: Int]
        public init(agency: Int, groups: [String: Int]) {
            self.agency = agency
            self.groups = groups
        }
    }

    public static func isCandidate(_ r: PersonResult) -> Bool {
        r.level == .excellent || r.explanation.contains { if case .outsideQuota = $0 { true } else { false } }
    }

    /// The candidates of one batch ranked by the engine, best first.
    public static func candidates(_ results: [PersonResult]) -> [Candidate] {
        results.filter(isCandidate).map {
            Candidate(id: $0.id, group: $0.group, hundredths: $0.yearHundredths ?? 0, proposed: $0.level == .excellent,
                      tie: $0.tieAtQuotaEdge)
        }.sorted { ($0.hundredths, $1.id) > ($1.hundredths, $0.id) }
    }

    /// The caps the engine applied to a batch, counted the same way.
    public static func caps(_ results: [PersonResult], rule: QuotaRule) -> Caps {
        let allocator = QuotaAllocator(rule: rule)
        // The pool is counted on the levels before the quota: those moved to "tốt" by it were in.
        let before = results.map { isCandidate($0) ? Level.excellent : $0.level }
        var groups: [String: Int] = [:]
        for (r, level) in zip(results, before) where allocator.inPool(level) { groups[r.group, default: 0] += 1 }
        return Caps(agency: allocator.cap(before.filter(allocator.inPool).count), groups: groups.mapValues(allocator.cap))
    }

    public enum Problem: Error, Equatable, Sendable {
        /// Chose someone whose score did not reach "xuất sắc".
        case notEligible(String)
        /// Over the cap without a recorded decision.
        case overCap(scope: String, cap: Int, chosen: Int)
        /// Ties at the edge not yet looked at.
        case tiesUnconfirmed(Int)

        public var message: String {
            switch self {
            case let .notEligible(id):
                "«\(id)» chưa đạt ngưỡng điểm xuất sắc nên không thể chọn xếp loại xuất sắc."
            case let .overCap(scope, cap, chosen):
                """
                    Vượt hạn mức xuất sắc \(scope): tối đa \(cap) người, đã chọn \(chosen). Bỏ bớt lựa chọn, \
                    hoặc ghi số quyết định cho \
                    phép vượt hạn mức.
                    """
            case let .tiesUnconfirmed(n):
                """
                    Có \(n) người đồng điểm ở ranh giới hạn mức: xem lại lựa chọn và đánh dấu «Đã xem xét \
                    các trường hợp đồng điểm» trước \
                    khi phê duyệt.
                    """
            }
        }
    }

    /// The approver's choice checked against the batch: the levels it sets for the candidates
    /// (the others keep the engine's), or the first problem. `decision` is the recorded decision
    /// allowing a higher cap ("" when none).
    public static func decide(_ results: [PersonResult], rule: QuotaRule, chosen: Set<String>, decision: String,
                              tiesConfirmed: Bool) -> Result<[String: Level], Problem> {
        let candidates = candidates(results)
        let ids = Set(candidates.map(\.id))
        if let stray = chosen.subtracting(ids).sorted().first, results.contains(where: { $0.id == stray }) {
            return .failure(.notEligible(stray))
        }
        let ties = candidates.filter(\.tie).count
        if ties > 0 && !tiesConfirmed { return .failure(.tiesUnconfirmed(ties)) }
        if decision.trimmingCharacters(in: .whitespaces).isEmpty {
            let caps = caps(results, rule: rule)
            let picked = candidates.filter { chosen.contains($0.id) }
            if picked.count > caps.agency { return .failure(.overCap(scope: "của cơ quan", cap: caps.agency, chosen: picked.count)) }
            for (group, n) in Dictionary(grouping: picked, by: \.group).mapValues(\.count).sorted(by: { $0.key < $1.key })
            where n > caps.groups[group, default: 0] {
                return .failure(.overCap(scope: "của nhóm «\(group)»", cap: caps.groups[group, default: 0], chosen: n))
            }
        }
        var levels: [String: Level] = [:]
        for c in candidates { levels[c.id] = chosen.contains(c.id) ? .excellent : .good }
        return .success(levels)
    }
}

