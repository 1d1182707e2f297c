import Fluent
import Foundation
import KPICore

/// Nghỉ theo chế độ: a person's long leave (ốm đau dài ngày, thai sản, không hưởng lương…) from one
/// day to another, with its basis (the decision or certificate). A period whose every working day
/// is on leave is not evaluated (`KPICore.LeaveSpan`). Voided, never deleted, with a reason.
final class LeaveRecord: Model, @unchecked Sendable {
    static let schema = "leave_records"

    @ID var id: UUID?
    @Field(key: "person_id") var personID: UUID
    @Field(key: "scope_path") var scopePath: String
    /// `Catalogs.leaveKinds` code.
    @Field(key: "kind") var kind: String
    /// yyyy-MM-dd, both included.
    @Field(key: "starts_on") var startsOn: String
    @Field(key: "ends_on") var endsOn: String
    /// Căn cứ: the decision or certificate (số quyết định, giấy chứng nhận nghỉ việc hưởng BHXH…).
    @Field(key: "basis") var basis: String
    @Field(key: "note") var note: String
    @Field(key: "entered_by") var enteredBy: String
    @Field(key: "voided") var voided: Bool
    @Field(key: "void_reason") var voidReason: String
    @OptionalField(key: "created_at") var createdAt: Date?

    init() {}

    /// As the evaluation reads it.
    var span: LeaveSpan? {
        guard let from = DateOnly(parsing: startsOn), let to = DateOnly(parsing: endsOn) else { return nil }
        // "Nghỉ thai sản 02/11/2026–01/05/2027, căn cứ QĐ số 12/QĐ-UBND"
        return LeaveSpan(from: from, to: to,
                         text: "\(Catalogs.label(Catalogs.leaveKinds, kind)) \(from.display)–\(to.display), căn cứ \(basis)")
    }
}
