/// Kết luận (issue 18, item 5; DOMAIN.md §5): a conclusion of ideological or ethical degradation
/// (suy thoái về tư tưởng chính trị, đạo đức, lối sống) or, for a leader, their unit handled for
/// corruption, embezzlement or waste, recorded by the advisory body or the inspection role with
/// the decision's number and date. It ranks the person's year "không hoàn thành nhiệm vụ"
/// (`OverrideFlag`); a year already approved changes only by a new revision.
public struct ConclusionDraft: Sendable, Equatable {
    /// `OverrideFlag.degradation` or `.unitCorruption` raw value.
    public var kind: String
    /// The evaluation year it applies to.
    public var year: String
    public var decisionNumber: String
    public var decisionDate: String
    /// Cơ quan kết luận (Ủy ban kiểm tra, cơ quan có thẩm quyền…).
    public var issuer: String
    public var note: String

    public init(kind: String, year: String, decisionNumber: String, decisionDate: String, issuer: String, note: String = "") {
        self.kind = kind; self.year = year; self.decisionNumber = decisionNumber; self.decisionDate = decisionDate
        self.issuer = issuer; self.note = note
    }

    /// The conclusions a page records (discipline is recorded as a disciplinary decision).
    public static let kinds: [OverrideFlag] = [.degradation, .unitCorruption]

    /// How a page names each kind.
    public static func label(_ flag: OverrideFlag) -> String {
        switch flag {
        case .degradation: "Suy thoái về tư tưởng chính trị, đạo đức, lối sống"
        case .unitCorruption: "Đơn vị do mình lãnh đạo bị xử lý về tham nhũng, tham ô, lãng phí"
        case .discipline: "Kỷ luật từ khiển trách trở lên"
        }
    }

    public struct Checked: Sendable, Equatable {
        public var flag: OverrideFlag
        public var year: Int
        public var decisionNumber: String
        public var decisionDate: DateOnly
        public var issuer: String
        public var note: String
    }

    /// Parses and bounds the draft: the decision is dated by today, and applies to its own year or the
    /// year before (a conclusion early in a year about the year just ended); corruption in the unit
    /// concerns its leaders only.
    public func check(today: DateOnly, isLeader: Bool) -> Result<Checked, TaskProblems> {
        var problems: [TaskProblem] = []
        let flag = OverrideFlag(rawValue: kind).flatMap { Self.kinds.contains($0) ? $0 : nil }
        if flag == nil { problems.append(.init("loai", "Vui lòng chọn loại kết luận.")) }
        if flag == .unitCorruption && !isLeader {
            problems.append(.init("loai", """
                Kết luận đơn vị bị xử lý về tham nhũng, tham ô, lãng phí chỉ áp dụng với người giữ chức \
                vụ lãnh đạo, \
                quản lý của đơn vị đó.
                """))
        }
        let number = TextNormalizer.clean(decisionNumber)
        if number.isEmpty {
            problems.append(.init("so_quyet_dinh", "Vui lòng ghi số văn bản kết luận."))
        } else if number.count > 100 {
            problems.append(.init("so_quyet_dinh", "Số văn bản dài quá 100 ký tự."))
        }
        let date = DateOnly(parsing: decisionDate)
        if date == nil {
            problems.append(.init("ngay_quyet_dinh", "Ngày văn bản không đọc được (dùng dạng dd/mm/yyyy)."))
        } else if let date, today < date {
            problems.append(.init("ngay_quyet_dinh", "Ngày văn bản (\(date.display)) sau hôm nay."))
        }
        let yearText = year.trimmingCharacters(in: .whitespaces)
        let y = yearText.count <= 4 ? Int(yearText) : nil
        if y == nil {
            problems.append(.init("nam", "Vui lòng ghi năm đánh giá áp dụng (bốn chữ số)."))
        } else if let y, let date, y != date.year && y != date.year - 1 {
            problems.append(.init("nam", """
                Năm áp dụng là năm của văn bản (\(date.year)) hoặc năm trước đó (\(date.year - 1)).
                """))
        }
        let issuer = TextNormalizer.clean(self.issuer)
        if issuer.isEmpty {
            problems.append(.init("co_quan", "Vui lòng ghi cơ quan kết luận."))
        } else if issuer.count > 200 {
            problems.append(.init("co_quan", "Tên cơ quan dài quá 200 ký tự."))
        }
        let note = self.note.trimmingCharacters(in: .whitespacesAndNewlines)
        if note.count > 1000 { problems.append(.init("ghi_chu", "Ghi chú dài quá 1.000 ký tự.")) }
        guard problems.isEmpty, let flag, let y, let date else { return .failure(TaskProblems(list: problems)) }
        return .success(Checked(flag: flag, year: y, decisionNumber: number, decisionDate: date, issuer: issuer, note: note))
    }
}
