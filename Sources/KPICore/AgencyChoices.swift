/// What each agency (cơ quan có thẩm quyền đánh giá) chooses for itself (issue 18, item 2), kept in its
/// settings (agency_settings) under a key, audited when changed. The receipt codes of public ratings
/// are one (`ReceiptMode`); how results are published to the agency's people is another.
///
/// Công khai kết quả (DOMAIN.md §2, §7): once a period is approved, a person's detailed scores stay with
/// them, their evaluators and the advisory bodies; everyone else in the agency sees what is published —
/// the list of names, scores and levels, or only how many reached each level.
public enum PublicationMode: String, CaseIterable, Sendable {
    case list = "danh-sach"
    case distribution = "phan-bo"

    /// The agency setting's key.
    public static let key = "cong-khai.hinh-thuc"
    /// Where an agency has not chosen: the list, as results are usually announced in the agency.
    public static let standard = PublicationMode.list

    public var label: String {
        switch self {
        case .list: "Danh sách: họ tên, đơn vị, điểm, xếp loại của từng người"
        case .distribution: "Tổng hợp: số người và tỷ lệ ở từng mức xếp loại, không nêu tên"
        }
    }

    /// The choice as a list of options names it.
    public var shortLabel: String {
        switch self {
        case .list: "Danh sách từng người"
        case .distribution: "Tổng hợp theo mức xếp loại"
        }
    }

    public var explanation: String {
        switch self {
        case .list:
            """
            Mọi người trong cơ quan thấy danh sách kết quả đã phê duyệt (không thấy điểm chi tiết từng \
            chỉ số của người khác).
            """
        case .distribution:
            """
            Mọi người trong cơ quan thấy số người ở từng mức xếp loại; mỗi người thấy kết quả của \
            chính mình, người đánh giá và cơ quan tham mưu thấy đầy đủ.
            """
        }
    }
}
