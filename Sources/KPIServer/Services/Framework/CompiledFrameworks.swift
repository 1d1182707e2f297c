import Foundation
import KPICore

/// Frameworks as the engine uses them (the definition decoded from its JSON, validated and turned into
/// rules), kept per process by the exact text they were made from: a result's explanation, a sheet or a
/// report used to decode and validate the same framework on every request (a fifth of the explanation's
/// time at province scale, bench/province). A framework's text never changes under the same key, so
/// nothing kept can be out of date; an edited framework is a new text and is compiled afresh.
enum CompiledFrameworks {
    /// Values made from a text, kept by that text. Frameworks are few (the province's and each agency's
    /// versions); past `limit` texts all are simply forgotten. A refusal (a throw) is not kept.
    final class Kept<Value: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [String: Value] = [:]
        let limit = 512

        func value(_ key: String, make: () throws -> Value) rethrows -> Value {
            if let v = lock.withLock({ values[key] }) { return v }
            let v = try make()
            lock.withLock {
                if values.count >= limit { values.removeAll(keepingCapacity: true) }
                values[key] = v
            }
            return v
        }
    }

    private static let definitions = Kept<FrameworkDefinition>()
    private static let rules = Kept<ScoringRules>()
    private static let scorers = Kept<GeneralScorer>()

    /// The decoded definition (an unreadable text gives the empty definition, as before).
    static func definition(_ text: String) -> FrameworkDefinition {
        definitions.value(text) {
            (try? JSONDecoder().decode(FrameworkDefinition.self, from: Data(text.utf8))) ?? FrameworkDefinition()
        }
    }

    /// The engine's rules of the framework `code` with definition text `text`; throws the definition's
    /// first problem, as `FrameworkDefinition.rules(code:)` does.
    static func rules(code: String, text: String) throws -> ScoringRules {
        try rules.value(code + "\u{0}" + text) { try definition(text).rules(code: code) }
    }

    /// The scorer of groups (ii)–(iv) of the framework with definition text `text`; throws as
    /// `GeneralScorer.init` does.
    static func scorer(text: String) throws -> GeneralScorer {
        try scorers.value(text) { try GeneralScorer(definition(text)) }
    }
}
