import Foundation

/// Báo cáo sơ kết thí điểm (issue 19, item 7): the figures a pilot review adds up that no other report
/// has — how timely each workflow step was, and how the pilot's levels compare with the year before.
public enum PilotReview {
    /// One workflow step over sheets or periods: how many were due, done, and done by their deadline
    /// (a step done on its deadline day is on time).
    public struct Step: Sendable, Equatable {
        public var total = 0
        public var done = 0
        public var onTime = 0

        public init() {}

        public mutating func add(doneOn: DateOnly?, due: DateOnly?) {
            total += 1
            guard let doneOn else { return }
            done += 1
            if let due, doneOn <= due { onTime += 1 }
        }

        public mutating func merge(_ o: Step) {
            total += o.total; done += o.done; onTime += o.onTime
        }

        /// Done by the deadline, in tenths of a percent of those due; nil when none was due.
        public var onTimeTenths: Int? { total > 0 ? ScoreSummary.tenths(onTime, of: total) : nil }
        public var doneTenths: Int? { total > 0 ? ScoreSummary.tenths(done, of: total) : nil }
    }

    /// Each level's share of `counts`, in tenths of a percent (nil when there is none).
    public static func shares(_ counts: [Level: Int]) -> [Level: Int]? {
        let total = counts.values.reduce(0, +)
        guard total > 0 else { return nil }
        return Dictionary(uniqueKeysWithValues: Level.allCases.map { ($0, ScoreSummary.tenths(counts[$0] ?? 0, of: total)) })
    }
}
