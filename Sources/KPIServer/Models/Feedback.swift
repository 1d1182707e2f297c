import Fluent
import Foundation

/// Góp ý: what a user said about a criterion, a product or a page during the pilot, and the advisory
/// body's answer (`KPICore.FeedbackDraft`). Kept, never deleted; the answer is given once.
final class Feedback: Model, @unchecked Sendable {
    static let schema = "feedback"

    @ID var id: UUID?
    @Field(key: "user_id") var userID: UUID
    /// The sender's name and unit as they were when sent.
    @Field(key: "sender_name") var senderName: String
    @Field(key: "unit_name") var unitName: String
    /// The sender's unit (their person record's), or "/" for an account without one: who may read it.
    @Field(key: "scope_path") var scopePath: String
    /// `FeedbackTopic` raw value.
    @Field(key: "topic") var topic: String
    @Field(key: "subject") var subject: String
    @Field(key: "page") var page: String
    @Field(key: "text") var text: String
    /// Sender, unit, subject and text folded (lower case, no diacritics) for the list's search.
    @Field(key: "search_text") var searchText: String
    /// `FeedbackStatus` raw value.
    @Field(key: "status") var status: String
    @Field(key: "answer") var answer: String
    @Field(key: "answered_by") var answeredBy: String
    @OptionalField(key: "answered_at") var answeredAt: Date?
    @OptionalField(key: "created_at") var createdAt: Date?

    init() {}
}
