import Fluent
import Foundation

/// Xếp loại năm trước: a person's year-end level recorded before the system (imported).
final class PriorLevel: Model, @unchecked Sendable {
    static let schema = "prior_levels"

    @ID var id: UUID?
    @Field(key: "person_id") var personID: UUID
    @Field(key: "person_code") var personCode: String
    @Field(key: "year") var year: Int
    /// A `Level` raw value.
    @Field(key: "level") var level: String
    /// The decision recognizing it (số, ngày).
    @Field(key: "basis") var basis: String
    @Field(key: "scope_path") var scopePath: String
    @Field(key: "search_text") var searchText: String
    @Field(key: "active") var active: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}
}
