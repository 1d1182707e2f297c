import Fluent
import Foundation
import KPICore
import Vapor

/// Rules kept as JSON in the system settings (lists for personnel work, fairness analytics): read with a
/// fallback, written audited in one transaction, and only when they change.
enum RuleSettings {
    static func read<T: Decodable>(_ type: T.Type, key: String, on db: any Database) async throws -> T? {
        guard let s = try await SystemSetting.query(on: db).filter(\.$key == key).first() else { return nil }
        return try? JSONDecoder().decode(T.self, from: Data(s.value.utf8))
    }

    static func write<T: Encodable>(_ rules: T, key: String, store: Store, actor: Actor) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let value = String(decoding: try encoder.encode(rules), as: UTF8.self)
        try await store.write { db in
            let existing = try await SystemSetting.query(on: db).filter(\.$key == key).first()
            let before = existing?.value ?? ""
            guard before != value else { return }
            let s = existing ?? SystemSetting()
            s.key = key; s.value = value; s.updatedBy = actor.name; s.updatedAt = actor.at
            try await s.save(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "setting.change", entityType: "setting", entityID: key,
                                      scopePath: "/", before: [key: before], after: [key: value])
        }
    }

    /// The province's advisory body (an advisory grant on the whole system or a root of the tree) edits them.
    static func mayEdit(_ principal: Principal) -> Bool { principal.scopes(.configureFramework).contains { OrgPath.depth($0) <= 1 } }
}
