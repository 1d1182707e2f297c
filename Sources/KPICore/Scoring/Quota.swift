/// Applies the quota of "xuất sắc" (DOMAIN.md §5): at most rate × pool in the whole agency and in
/// each group. Candidates are taken by their shown score; those who do not fit become "tốt". A tie
/// that straddles the cap is flagged for the approver, never broken silently.
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

    func inPool(_ level: Level?) -> Bool {
        switch rule.pool {
        case .all: level != nil
        case .goodOrBetter: level == .excellent || level == .good
        }
    }

    func apply(_ results: inout [PersonResult]) {
        var agencyPool = 0
        var groupPools: [String: Int] = [:]
        var candidates: [(score: Int, index: Int)] = []
        for i in results.indices {
            let level = results[i].level
            if inPool(level) {
                agencyPool += 1
                groupPools[results[i].group, default: 0] += 1
            }
            if level == .excellent { candidates.append((results[i].yearHundredths!, i)) }
        }
        let agencyCap = cap(agencyPool)
        let groupCaps = groupPools.mapValues(cap)
        // By score, then by id (bytewise): the proposal does not depend on the order people were given in.
        let ids = results.map(\.id)
        candidates.sort { a, b in a.score != b.score ? a.score > b.score : ids[a.index].utf8.lexicographicallyPrecedes(ids[b.index].utf8) }
        var taken = 0
        var takenByGroup: [String: Int] = [:]
        var lastTakenScore: Int?
        // Those taken at the last taken score: all of them share the tie when someone is left out.
        var takenAtLastScore: [Int] = []
        var edgeFlagged = false
        for (score, i) in candidates {
            let group = results[i].group
            let groupCap = groupCaps[group, default: 0]
            let groupTaken = takenByGroup[group, default: 0]
            if taken < agencyCap && groupTaken < groupCap {
                taken += 1
                takenByGroup[group] = groupTaken + 1
                if score != lastTakenScore { takenAtLastScore.removeAll(); edgeFlagged = false }
                lastTakenScore = score
                takenAtLastScore.append(i)
                results[i].explanation.append(.withinQuota(group: group, groupRank: groupTaken + 1, groupCap: groupCap, agencyRank: taken,
                                                           agencyCap: agencyCap))
            } else {
                results[i].level = .good
                results[i].explanation.append(.outsideQuota(group: group, groupCap: groupCap, agencyCap: agencyCap))
                if score == lastTakenScore {
                    results[i].tieAtQuotaEdge = true
                    results[i].explanation.append(.tieAtQuotaEdge)
                    if !edgeFlagged {
                        for j in takenAtLastScore { results[j].tieAtQuotaEdge = true }
                        edgeFlagged = true
                    }
                }
            }
        }
    }
}
