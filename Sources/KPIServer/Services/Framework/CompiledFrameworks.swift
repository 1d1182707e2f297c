import Foundation
import KPICore

/// Frameworks as the engine uses them (the definition decoded from its JSON, validated and turned into
/// rules), kept per process by the exact text they were made from: a result's explanation, a sheet or a
/// report used to decode and validate the same framework on every request (a fifth of the explanation's
/// time at province scale, bench/province). A framework's text never changes under the same key, so
/// nothing kept can be out of date; an edited framework is a new text and is compiled afresh.
enum CompiledFrameworks {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var definitions: [String: FrameworkDefinition] = [:]
    nonisolated(unsafe) private static var rules: [String: ScoringRules] = [:]
    nonisolated(unsafe) private static var scorers: [String: GeneralScorer] = [:]
    /// Frameworks are few (the province's and each agency's versions); past this many texts the oldest
    /// are simply all forgotten.
    static let limit = 512

    /// The decoded definition (an unreadable text gives the empty definition, as before).
    static func definition(_ text: String) -> FrameworkDefinition {
        if let d = lock.withLock({ definitions[text] }) { return d }
        let d = (try? JSONDecoder().decode(FrameworkDefinition.self, from: Data(text.utf8))) ?? FrameworkDefinition()
        lock.withLock {
            if definitions.count >= limit { definitions.removeAll(keepingCapacity: true) }
            definitions[text] = d
        }
        return d
    }

    /// The engine's rules of the framework `code` with definition text `text`; throws the definition's
    /// first problem, as `FrameworkDefinition.rules(code:)` does (a refusal is not kept).
    static func rules(code: String, text: String) throws -> ScoringRules {
        let key = code + "\u{0}" + text
        if let r = lock.withLock({ rules[key] }) { return r }
        let r = try definition(text).rules(code: code)
        lock.withLock {
            if rules.count >= limit { rules.removeAll(keepingCapacity: true) }
            rules[key] = r
        }
        return r
    }

    /// The scorer of groups (ii)–(iv) of the framework with definition text `text`; throws as
    /// `GeneralScorer.init` does (a refusal is not kept).
    static func scorer(text: String) throws -> GeneralScorer {
        if let s = lock.withLock({ scorers[text] }) { return s }
        let s = try GeneralScorer(definition(text))
        lock.withLock {
            if scorers.count >= limit { scorers.removeAll(keepingCapacity: true) }
            scorers[text] = s
        }
        return s
    }
}
