/// Applies the quota of "xuất sắc" (DOMAIN.md §5): at most rate × pool in the whole agency and in
/// each group. Candidates are taken by score; those who do not fit become "tốt". A tie that
/// straddles the cap is flagged for the approver, never broken silently.
struct QuotaAllocator {
    let rule: QuotaRule

    /// rate × pool, exactly, rounded as configured (rate and pool are never negative).
    func cap(_ pool: Int) -> Int {
        let scaled = rule.rate.numerator * Int128(pool)
        let q = Int(scaled / rule.rate.denominator), r = scaled % rule.rate.denominator
        switch rule.rounding {
        case .floor: return q
        case .ceil: return r == 0 ? q : q + 1
        case .round: return 2 * r >= rule.rate.denominator ? q + 1 : q
        }
    }

    func poolSize(_ results: [PersonResult]) -> Int {
        switch rule.pool {
        case .all: results.filter { $0.level != nil }.count
        case .goodOrBetter: results.filter { $0.level == .excellent || $0.level == .good }.count
        }
    }

    func apply(_ results: inout [PersonResult]) {
        let agencyCap = cap(poolSize(results))
        var groupCaps: [String: Int] = [:]
        for (group, members) in Dictionary(grouping: results, by: \.group) { groupCaps[group] = cap(poolSize(members)) }
        let candidates = results.indices.filter { results[$0].level == .excellent }
            .sorted { (results[$0].yearScore!.rounded(places: 2), results[$1].id) > (results[$1].yearScore!.rounded(places: 2), results[$0].id) }
        var taken = 0
        var takenByGroup: [String: Int] = [:]
        var lastTakenScore: Rational?
        for i in candidates {
            let group = results[i].group
            let score = results[i].yearScore!.rounded(places: 2)
            let groupTaken = takenByGroup[group, default: 0]
            if taken < agencyCap && groupTaken < groupCaps[group, default: 0] {
                taken += 1
                takenByGroup[group] = groupTaken + 1
                lastTakenScore = score
                results[i].reasons.append("Trong hạn mức xuất sắc: nhóm «\(group)» \(groupTaken + 1)/\(groupCaps[group, default: 0]), cơ quan \(taken)/\(agencyCap).")
            } else {
                results[i].level = .good
                results[i].reasons.append("Ngoài hạn mức xuất sắc (nhóm «\(group)» tối đa \(groupCaps[group, default: 0]), cơ quan tối đa \(agencyCap)): xếp hoàn thành tốt nhiệm vụ.")
                if score == lastTakenScore {
                    results[i].tieAtQuotaEdge = true
                    results[i].reasons.append("Đồng điểm với người cuối cùng trong hạn mức: người phê duyệt quyết định.")
                    if let j = candidates.first(where: { results[$0].level == .excellent && results[$0].yearScore!.rounded(places: 2) == score }) {
                        results[j].tieAtQuotaEdge = true
                    }
                }
            }
        }
    }
}
