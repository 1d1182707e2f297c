/// Nghỉ theo chế độ (ốm đau dài ngày, thai sản, không hưởng lương): Nghị định 335 Điều 21 and
/// DOMAIN.md §5 rank a person on the periods they actually worked. A period whose every working day
/// falls in the person's recorded leave is not evaluated: it has no score and is not counted in the
/// year's mean. A period partly on leave is scored as usual on the tasks due in it (the tasks are
/// what the person was given), with the leave shown.
public struct LeaveSpan: Sendable, Equatable {
    public var from: DateOnly
    public var to: DateOnly
    /// How the span is shown: "Nghỉ thai sản 15/07/2026–14/01/2027, căn cứ QĐ số 12/QĐ-UBND".
    public var text: String
    public init(from: DateOnly, to: DateOnly, text: String) {
        self.from = from
        self.to = to
        self.text = text
    }

    public func overlaps(_ other: LeaveSpan) -> Bool { from <= other.to && other.from <= to }

    /// The facts of `spans` over a period's days `first`…`last`: nil when no working day of it is on leave.
    public static func facts(_ spans: [LeaveSpan], first: DateOnly, last: DateOnly, calendar: WorkCalendar) -> LeaveFacts? {
        let inPeriod = spans.filter { $0.from <= last && first <= $0.to }.sorted { $0.from < $1.from }
        guard !inPeriod.isEmpty, first <= last else { return nil }
        var working = 0, away = 0
        var day = first
        while day <= last {
            if calendar.isWorkingDay(day) {
                working += 1
                if inPeriod.contains(where: { $0.from <= day && day <= $0.to }) { away += 1 }
            }
            day = day.adding(days: 1)
        }
        guard away > 0 else { return nil }
        return LeaveFacts(workingDays: working, daysOnLeave: away, spans: inPeriod.map(\.text))
    }
}

/// A person's leave in one period, as kept with the period's inputs.
public struct LeaveFacts: Codable, Sendable, Equatable {
    /// Working days in the period, and those among them on leave.
    public var workingDays: Int
    public var daysOnLeave: Int
    /// The leave records that touch the period, as shown.
    public var spans: [String]
    public init(workingDays: Int, daysOnLeave: Int, spans: [String]) {
        self.workingDays = workingDays
        self.daysOnLeave = daysOnLeave
        self.spans = spans
    }

    /// Every working day of the period on leave: the period is not evaluated.
    public var wholePeriod: Bool { daysOnLeave >= workingDays }

    public var text: String {
        wholePeriod
            ? """
                Nghỉ theo chế độ cả kỳ: \(spans.joined(separator: "; ")). Không đánh giá kỳ này, không tính vào \
                điểm năm.
                """
            : """
                Nghỉ theo chế độ \(daysOnLeave)/\(workingDays) ngày làm việc của kỳ: \(spans.joined(separator: "; ")). \
                Điểm tính trên các \
                nhiệm vụ đến hạn trong kỳ.
                """
    }
}

/// A leave record as typed on the form or the import: `check()` parses and validates it.
public struct LeaveDraft: Sendable, Equatable {
    public var kind: String
    public var from: String
    public var to: String
    public var basis: String
    public var note: String
    public init(kind: String, from: String, to: String, basis: String, note: String = "") {
        self.kind = kind
        self.from = from
        self.to = to
        self.basis = basis
        self.note = note
    }

    public struct Checked: Sendable, Equatable {
        public var kind: String
        public var from: DateOnly
        public var to: DateOnly
        public var basis: String
        public var note: String
    }

    /// Longest leave accepted in one record (a typo in a year is more likely than longer leave).
    public static let maxDays = 5 * 366

    public func check() -> Result<Checked, TaskProblems> {
        var problems: [TaskProblem] = []
        if !Catalogs.leaveKinds.contains(where: { $0.code == kind }) { problems.append(.init("loai", "Vui lòng chọn loại nghỉ.")) }
        let start = DateOnly(parsing: from), end = DateOnly(parsing: to)
        if start == nil { problems.append(.init("tu_ngay", "Ngày bắt đầu không đọc được (dùng dạng dd/mm/yyyy).")) }
        if end == nil { problems.append(.init("den_ngay", "Ngày kết thúc không đọc được (dùng dạng dd/mm/yyyy).")) }
        if let start, let end {
            if end < start {
                problems.append(.init("den_ngay", "Ngày kết thúc (\(end.display)) trước ngày bắt đầu (\(start.display))."))
            } else if start.days(to: end) >= Self.maxDays {
                problems.append(.init("den_ngay", "Thời gian nghỉ dài quá 5 năm: vui lòng kiểm tra lại ngày."))
            }
        }
        let basis = TextNormalizer.clean(self.basis)
        if basis.isEmpty {
            problems.append(.init("can_cu",
                                  """
                                      Vui lòng ghi căn cứ (số quyết định, giấy chứng nhận nghỉ việc hưởng bảo \
                                      hiểm xã hội…).
                                      """))
        } else if basis.count > 200 {
            problems.append(.init("can_cu", "Căn cứ dài quá 200 ký tự."))
        }
        let note = self.note.trimmingCharacters(in: .whitespacesAndNewlines)
        if note.count > 1000 { problems.append(.init("ghi_chu", "Ghi chú dài quá 1.000 ký tự.")) }
        guard problems.isEmpty, let start, let end else { return .failure(TaskProblems(list: problems)) }
        return .success(Checked(kind: kind, from: start, to: end, basis: basis, note: note))
    }
}
