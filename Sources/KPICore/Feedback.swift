import Foundation

/// Góp ý trong thí điểm (issue 18): any user may say what they think of a criterion, a product of the
/// catalog or a page of the software; the advisory body (cơ quan tham mưu) of their scope reads it,
/// answers and exports it. The rules for what is accepted live here; the server stores and routes.
public enum FeedbackTopic: String, CaseIterable, Sendable {
    /// Tiêu chí, chỉ số đánh giá.
    case criterion = "chi-so"
    /// Danh mục sản phẩm, hệ số quy đổi.
    case product = "san-pham"
    /// Trang, chức năng của phần mềm.
    case page = "trang"
    case other = "khac"

    public var label: String {
        switch self {
        case .criterion: "Tiêu chí, chỉ số đánh giá"
        case .product: "Sản phẩm, hệ số quy đổi"
        case .page: "Trang, chức năng của phần mềm"
        case .other: "Khác"
        }
    }
}

/// Whether a piece of feedback waits for its answer.
public enum FeedbackStatus: String, CaseIterable, Sendable {
    case open = "cho-tra-loi"
    case answered = "da-tra-loi"

    public var label: String {
        switch self {
        case .open: "Chờ trả lời"
        case .answered: "Đã trả lời"
        }
    }
}

/// A piece of feedback as typed: checked before anything is stored.
public struct FeedbackDraft: Sendable, Equatable {
    public var topic: String
    /// What it is about, in the sender's words: a criterion's or product's code or name, a page.
    public var subject: String
    /// The address of the page it was sent from ("/viec/…"), when sent from a page.
    public var page: String
    public var text: String

    public init(topic: String, subject: String, page: String = "", text: String) {
        self.topic = topic
        self.subject = subject
        self.page = page
        self.text = text
    }

    public struct Checked: Sendable, Equatable {
        public var topic: FeedbackTopic
        public var subject: String
        public var page: String
        public var text: String
    }

    public static let minText = 10
    public static let maxText = 4_000
    public static let maxSubject = 200
    public static let maxPage = 300

    /// An address inside the application (never a link to somewhere else), within the form's bound.
    public static func isApplicationPath(_ page: String) -> Bool {
        page.hasPrefix("/") && !page.hasPrefix("//") && page.count <= maxPage
            && !page.contains(where: { $0 == "\\" || $0.isWhitespace })
    }

    public func check() -> Result<Checked, TaskProblems> {
        var problems: [TaskProblem] = []
        let topic = FeedbackTopic(rawValue: topic)
        if topic == nil { problems.append(.init("chu_de", "Vui lòng chọn góp ý về nội dung nào.")) }
        let subject = TextNormalizer.clean(self.subject)
        if subject.count > Self.maxSubject {
            problems.append(.init("ve", "Phần «Cụ thể về» dài quá \(Self.maxSubject) ký tự."))
        }
        // Only an address inside the application: never a link to somewhere else.
        let page = TextNormalizer.clean(self.page)
        if !page.isEmpty && !Self.isApplicationPath(page) {
            problems.append(.init("trang", "Địa chỉ trang không hợp lệ; hãy gửi góp ý từ chính trang đó."))
        }
        let text = self.text.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.count < Self.minText {
            problems.append(.init("noi_dung", "Vui lòng ghi nội dung góp ý (ít nhất \(Self.minText) ký tự)."))
        } else if text.count > Self.maxText {
            problems.append(.init("noi_dung", "Nội dung góp ý dài quá 4.000 ký tự; hãy tách thành nhiều góp ý."))
        }
        guard problems.isEmpty, let topic else { return .failure(TaskProblems(list: problems)) }
        return .success(Checked(topic: topic, subject: subject, page: page, text: text))
    }

    /// The answer of the advisory body, said in full (who may answer: `SeparationOfDuties.ownFeedback`).
    public static func checkAnswer(_ answer: String) -> Result<String, TaskProblems> {
        let text = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.count < Self.minText {
            let message = "Vui lòng ghi nội dung trả lời (ít nhất \(Self.minText) ký tự)."
            return .failure(TaskProblems(list: [.init("tra_loi", message)]))
        }
        if text.count > Self.maxText {
            return .failure(TaskProblems(list: [.init("tra_loi", "Nội dung trả lời dài quá 4.000 ký tự.")]))
        }
        return .success(text)
    }
}
