import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Cài đặt của cơ quan (issue 18, item 2): what an agency chooses for itself (`PublicationMode`,
/// `ReceiptMode`), chosen by its leaders (a lãnh đạo grant on the agency's own node) or the
/// administrators of its records; each change audited.
struct AgencySettingsService {
    let store: Store
    let principal: Principal
    let actor: Actor

    /// The leaders of the agency itself (not of a unit inside it) or its administrators.
    static func mayConfigure(_ principal: Principal, _ agency: Organization) -> Bool {
        principal.can(.leadWork, at: agency.path) || principal.can(.manageCatalog, at: agency.path)
    }

    func mayConfigure(_ agency: Organization) -> Bool { Self.mayConfigure(principal, agency) }

    /// The agencies this user may configure, in the tree's order.
    func configurable() async throws -> [Organization] {
        try await Organization.query(on: store.db).filter(\.$active == true).filter(\.$isAgency == true).sort(\.$sortOrder)
            .sort(\.$name).all().filter { mayConfigure($0) }
    }

    static func value(_ key: String, agencyID: UUID, on db: any Database) async throws -> String? {
        try await AgencySetting.query(on: db).filter(\.$organizationID == agencyID).filter(\.$key == key).first()?.value
    }

    /// Every agency's value of `key`, by agency id.
    static func values(_ key: String, on db: any Database) async throws -> [UUID: String] {
        Dictionary(try await AgencySetting.query(on: db).filter(\.$key == key).all().map { ($0.organizationID, $0.value) }) { a, _ in a }
    }

    static func publication(agencyID: UUID, on db: any Database) async throws -> PublicationMode {
        try await value(PublicationMode.key, agencyID: agencyID, on: db).flatMap(PublicationMode.init(rawValue:)) ?? .standard
    }

    /// Writes `value` for `key` (inside the caller's transaction), audited with the value before.
    static func write(_ db: any Database, agency: Organization, key: String, value: String, actor: Actor) async throws {
        let id = try agency.requireID()
        let existing = try await AgencySetting.query(on: db).filter(\.$organizationID == id).filter(\.$key == key).first()
        let before = existing?.value ?? ""
        guard before != value else { return }
        let s = existing ?? AgencySetting()
        s.organizationID = id; s.key = key; s.value = value; s.updatedBy = actor.name; s.updatedAt = actor.at
        try await s.save(on: db)
        try await AuditLog.append(on: db, actor: actor, action: "agency.setting", entityType: "organization", entityID: id.uuidString,
                                  scopePath: agency.path, before: [key: before], after: [key: value])
    }

    /// Sets how the agency `agencyCode` publishes its results.
    func setPublication(agencyCode: String, value: String) async throws {
        guard let agency = try await Organization.query(on: store.db).filter(\.$code == agencyCode).first(),
              agency.isAgency, agency.active, mayConfigure(agency) else {
            throw Abort(.notFound, reason: "Không có cơ quan này trong phạm vi bạn được thiết lập.")
        }
        guard let mode = PublicationMode(rawValue: value) else {
            throw WorkService.Invalid("cong_khai", "Vui lòng chọn một hình thức công khai.")
        }
        let actor = actor
        try await store.write { db in
            try await Self.write(db, agency: agency, key: PublicationMode.key, value: mode.rawValue, actor: actor)
        }
    }
}
