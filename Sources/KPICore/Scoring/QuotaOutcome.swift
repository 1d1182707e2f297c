/// What the quota of "xuất sắc" did to one person when their agency was ranked: the reasons it
/// added and whether they tie at its edge. Stored with the score (`text`), so that a result is
/// explained later from the person's own inputs without ranking their whole agency again
/// (`applied(to:level:)` gives back the ranked result).
public struct QuotaOutcome: Sendable, Equatable {
    /// Only the quota's reasons (within, outside, tie), in the order the allocator gave them.
    public var reasons: [Reason]
    public var tie: Bool

    public init(reasons: [Reason] = [], tie: Bool = false) {
        self.reasons = reasons
        self.tie = tie
    }

    /// The quota's part of a ranked result.
    public init(_ ranked: PersonResult) {
        reasons = ranked.explanation.filter(\.isQuota)
        tie = ranked.tieAtQuotaEdge
    }

    /// `unranked` (the person scored alone) as their agency's ranking left it: the stored level, the
    /// quota's reasons after the engine's, the tie flag.
    public func applied(to unranked: PersonResult, level: Level?) -> PersonResult {
        var r = unranked
        r.level = level
        r.explanation += reasons
        r.tieAtQuotaEdge = tie
        return r
    }

    /// One line per reason, fields separated by tabs, the group's name last (it is free text).
    public var text: String {
        reasons.compactMap { reason -> String? in
            switch reason {
            case let .withinQuota(group, groupRank, groupCap, agencyRank, agencyCap):
                "in\t\(groupRank)\t\(groupCap)\t\(agencyRank)\t\(agencyCap)\t\(group)"
            case let .outsideQuota(group, groupCap, agencyCap): "out\t\(groupCap)\t\(agencyCap)\t\(group)"
            case .tieAtQuotaEdge: "tie"
            default: nil
            }
        }.joined(separator: "\n")
    }

    /// Reads `text` back; nil when a line is not one `text` writes.
    public init?(text: String, tie: Bool) {
        var reasons: [Reason] = []
        for line in text.split(separator: "\n") {
            // The group's name is the last field, whatever it holds.
            let f = line.split(separator: "\t", maxSplits: line.hasPrefix("in\t") ? 5 : 3, omittingEmptySubsequences: false)
            let n = f.dropFirst().dropLast().compactMap { Int($0) }
            switch f.first {
            case "in" where f.count == 6 && n.count == 4:
                reasons.append(.withinQuota(group: String(f[5]), groupRank: n[0], groupCap: n[1], agencyRank: n[2], agencyCap: n[3]))
            case "out" where f.count == 4 && n.count == 2:
                reasons.append(.outsideQuota(group: String(f[3]), groupCap: n[0], agencyCap: n[1]))
            case "tie" where f.count == 1: reasons.append(.tieAtQuotaEdge)
            default: return nil
            }
        }
        self.init(reasons: reasons, tie: tie)
    }
}

extension Reason {
    /// Whether the quota of "xuất sắc" gave this reason.
    public var isQuota: Bool {
        switch self {
        case .withinQuota, .outsideQuota, .tieAtQuotaEdge: true
        default: false
        }
    }
}
