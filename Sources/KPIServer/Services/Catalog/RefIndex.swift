import Fluent
import KPICore
import Foundation

/// Codes, ids and paths of the small catalogs (organizations, position groups, positions), loaded
/// once per use case so that rows of a list or an import resolve references without a query each.
/// Updated in place as an import saves records, so later rows see earlier ones.
final class RefIndex {
    struct Org {
        var id: UUID
        var code: String
        var name: String
        var path: String
        var parentID: UUID?
        var active: Bool
    }

    struct Item {
        var id: UUID
        var code: String
        var name: String
        var scopePath: String
    }

    private(set) var orgsByID: [UUID: Org] = [:]
    private(set) var orgIDsByCode: [String: UUID] = [:]
    private(set) var groupsByID: [UUID: Item] = [:]
    private(set) var groupIDsByCode: [String: UUID] = [:]
    private(set) var positionsByID: [UUID: Item] = [:]
    private(set) var positionIDsByCode: [String: UUID] = [:]
    /// When set, references by code resolve only to organizations at paths it accepts, so that a
    /// code outside the user's scope reads as unknown and reveals nothing.
    var visible: ((String) -> Bool)?

    static func load(on db: any Database) async throws -> RefIndex {
        let index = RefIndex()
        for o in try await Organization.query(on: db).all() {
            index.put(Org(id: try o.requireID(), code: o.code, name: o.name, path: o.path, parentID: o.parentID, active: o.active))
        }
        for g in try await PositionGroup.query(on: db).all() {
            index.putGroup(Item(id: try g.requireID(), code: g.code, name: g.name, scopePath: "/"))
        }
        for p in try await Position.query(on: db).all() {
            index.putPosition(Item(id: try p.requireID(), code: p.code, name: p.name, scopePath: p.scopePath))
        }
        return index
    }

    func put(_ org: Org) {
        if let old = orgsByID[org.id], old.code != org.code { orgIDsByCode[old.code] = nil }
        orgsByID[org.id] = org
        orgIDsByCode[org.code] = org.id
    }

    func putGroup(_ item: Item) {
        groupsByID[item.id] = item
        groupIDsByCode[item.code] = item.id
    }

    func putPosition(_ item: Item) {
        positionsByID[item.id] = item
        positionIDsByCode[item.code] = item.id
    }

    func org(code: String) -> Org? {
        guard let o = orgIDsByCode[code].flatMap({ orgsByID[$0] }) else { return nil }
        return visible.map { $0(o.path) } == false ? nil : o
    }
    /// The organization at `path` (the last id of a path is its own).
    func org(path: String) -> Org? { OrgPath.ids(path).last.flatMap(UUID.init(uuidString:)).flatMap { orgsByID[$0] } }
    func orgCode(_ id: UUID?) -> String { id.flatMap { orgsByID[$0]?.code } ?? "" }
    func orgName(_ id: UUID?) -> String { id.flatMap { orgsByID[$0]?.name } ?? "" }

    /// Moves every org below `old` path to below `new` path in the index.
    func reroot(from old: String, to new: String) {
        for (id, o) in orgsByID where o.path.hasPrefix(old) {
            var moved = o
            moved.path = new + o.path.dropFirst(old.count)
            orgsByID[id] = moved
        }
    }

    /// Names from the root to the org, for breadcrumbs.
    func ancestry(_ id: UUID) -> [Org] {
        guard let o = orgsByID[id] else { return [] }
        return o.path.split(separator: "/").compactMap { UUID(uuidString: String($0)).flatMap { orgsByID[$0] } }
    }
}
