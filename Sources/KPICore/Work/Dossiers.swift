/// Hồ sơ thủ tục hành chính từ hệ thống một cửa điện tử (issue 20, item 8): the largest measurable
/// work of commune and department staff. Each dossier the one-stop system has finished becomes a
/// completed task of its handling officer, on time or late by its own dates, counted in the period it
/// is due (DOMAIN.md §4); a citizen's rating of it counts in the satisfaction group. The rules of what
/// a dossier line must hold live here; the server finds the officer, the unit and the product.
public enum DossierCode {
    /// Mã số hồ sơ (Thông tư 01/2018/TT-VPCP): `<mã định danh của cơ quan>-<YYMMDD ngày tiếp nhận>-<số thứ
    /// tự>`, e.g. `H40.45.01-260705-0012` or the older `000.00.12.H40-260705-0012`. The serial is four
    /// digits in the circular; up to six are accepted for one-stop centres that number more per day.
    public struct Parts: Sendable, Equatable {
        public var agency: String
        public var received: DateOnly
        public var serial: String
    }

    public static let maxLength = AgencyIdentifier.maxLength + 14

    /// The code as stored: spaces trimmed, letters upper-cased.
    public static func normalize(_ text: String) -> String { TextNormalizer.clean(text).uppercased() }

    /// The parts of a normalized code, or why it is not one (Vietnamese).
    public static func parse(_ code: String) -> Result<Parts, TaskProblems> {
        func refuse(_ m: String) -> Result<Parts, TaskProblems> { .failure(TaskProblems(list: [TaskProblem("code", m)])) }
        let parts = code.split(separator: "-", omittingEmptySubsequences: false)
        let shape = """
            Mã hồ sơ «\(code)» không đúng dạng <mã định danh cơ quan>-<ngày tiếp nhận YYMMDD>-<số thứ \
            tự> \
            (Thông tư 01/2018/TT-VPCP), ví dụ H40.45.01-260705-0012.
            """
        guard code.count <= maxLength, parts.count == 3 else { return refuse(shape) }
        let agency = String(parts[0]), day = Array(parts[1]), serial = String(parts[2])
        if let why = AgencyIdentifier.problem(agency) { return refuse("Mã hồ sơ «\(code)»: \(why).") }
        guard day.count == 6, day.allSatisfy(\.isASCIIDigit), (4...6).contains(serial.count), serial.allSatisfy(\.isASCIIDigit),
              let yy = Int(String(day[0...1])), let mm = Int(String(day[2...3])), let dd = Int(String(day[4...5])),
              let received = DateOnly(year: 2000 + yy, month: mm, day: dd) else {
            return refuse(shape)
        }
        return .success(Parts(agency: agency, received: received, serial: serial))
    }
}

/// One dossier as the one-stop system sends it, before any check.
public struct DossierDraft: Sendable, Equatable {
    public var code: String
    /// Mã và tên thủ tục hành chính.
    public var procedureCode: String
    public var procedureName: String
    /// yyyy-MM-dd: ngày tiếp nhận, ngày hẹn trả, ngày có kết quả.
    public var received: String
    public var due: String
    public var finished: String
    /// Mã cán bộ giải quyết.
    public var officer: String
    /// The citizen's rating 1–5 when the portal sends it, its comment and its date (yyyy-MM-dd).
    public var rating: Int?
    public var ratingComment: String = ""
    public var ratedOn: String = ""

    public init(code: String, procedureCode: String, procedureName: String, received: String, due: String, finished: String,
                officer: String) {
        self.code = code; self.procedureCode = procedureCode; self.procedureName = procedureName
        self.received = received; self.due = due; self.finished = finished; self.officer = officer
    }

    public struct Checked: Sendable, Equatable {
        public var code: String
        public var agency: String
        public var procedureCode: String
        public var procedureName: String
        public var received: DateOnly
        public var due: DateOnly
        public var finished: DateOnly
        public var officer: String
        public var rating: Int?
        public var ratingComment: String
        public var ratedOn: DateOnly?

        /// Trễ hạn: finished after the promised date (the day itself is on time).
        public var late: Bool { due < finished }
        /// The task as the one-stop system finished it: received (start), promised (due), submitted with
        /// the dossier as its evidence and accepted on the day of the result, through the same workflow as
        /// any task, so its delays are counted as any completion's (DOMAIN.md §4 c).
        public func completion(delayRule: DelayRule = .once) -> Result<TaskSnapshot, TaskFlowError> {
            let given = TaskSnapshot(state: .assigned, start: received, due: due)
            return TaskFlow.apply(.submit(evidence: 1, note: ""), to: given, by: TaskActor(isAssignee: true), on: finished).flatMap {
                TaskFlow.apply(.accept(.pass), to: $0, by: TaskActor(isAssigner: true, leadsScope: true), on: finished,
                               delayRule: delayRule)
            }
        }

        /// The task's title: what the dossier is, in the words of the procedure.
        public var title: String {
            let name = procedureName.isEmpty ? procedureCode : procedureName
            return String("Hồ sơ TTHC \(code): \(name)".prefix(500))
        }
    }

    public static let maxProcedureName = 400
    public static let maxComment = 1_000

    /// Every problem of the line at once; `today` bounds the dates (a result cannot come from the future).
    public func check(today: DateOnly) -> Result<Checked, TaskProblems> {
        var problems: [TaskProblem] = []
        let code = DossierCode.normalize(self.code)
        var parts: DossierCode.Parts?
        switch DossierCode.parse(code) {
        case .success(let p): parts = p
        case .failure(let p): problems += p.list
        }
        let procedureName = TextNormalizer.clean(self.procedureName)
        let procedureCode = TextNormalizer.clean(self.procedureCode)
        if procedureName.isEmpty && procedureCode.isEmpty {
            problems.append(.init("procedure", "Thiếu mã hoặc tên thủ tục hành chính của hồ sơ."))
        }
        if procedureName.count > Self.maxProcedureName || procedureCode.count > 50 {
            problems.append(.init("procedure",
                                  "Tên thủ tục dài quá \(Self.maxProcedureName) ký tự hoặc mã thủ tục quá 50 ký tự."))
        }
        func day(_ text: String, _ field: String, _ label: String) -> DateOnly? {
            guard let d = DateOnly(parsing: text), text.count == 10 else {
                problems.append(.init(field, "\(label) «\(text)» không đọc được (dạng YYYY-MM-DD)."))
                return nil
            }
            if today < d { problems.append(.init(field, "\(label) \(d.display) ở sau hôm nay.")) }
            return d
        }
        let received = day(self.received, "receivedOn", "Ngày tiếp nhận")
        let finished = day(self.finished, "finishedOn", "Ngày có kết quả")
        let due = DateOnly(parsing: self.due).flatMap { self.due.count == 10 ? $0 : nil }
        if due == nil { problems.append(.init("dueOn", "Ngày hẹn trả «\(self.due)» không đọc được (dạng YYYY-MM-DD).")) }
        if let received, let parts, parts.received != received {
            problems.append(.init("receivedOn", """
                Ngày tiếp nhận \(received.display) khác ngày trong mã hồ sơ (\(parts.received.display)).
                """))
        }
        if let received, let due, due < received {
            problems.append(.init("dueOn", "Ngày hẹn trả \(due.display) ở trước ngày tiếp nhận \(received.display)."))
        }
        if let received, let finished, finished < received {
            problems.append(.init("finishedOn",
                                  "Ngày có kết quả \(finished.display) ở trước ngày tiếp nhận \(received.display)."))
        }
        let officer = TextNormalizer.clean(self.officer)
        if officer.isEmpty { problems.append(.init("officer", "Thiếu mã cán bộ giải quyết hồ sơ.")) }
        if let r = rating, !(1...5).contains(r) {
            problems.append(.init("rating.score", "Điểm đánh giá của người dân là 1–5, không phải \(r)."))
        }
        let comment = TextNormalizer.clean(ratingComment)
        if comment.count > Self.maxComment {
            problems.append(.init("rating.comment", "Ý kiến của người dân dài quá \(Self.maxComment) ký tự."))
        }
        var ratedOn: DateOnly?
        if !self.ratedOn.isEmpty { ratedOn = day(self.ratedOn, "rating.ratedOn", "Ngày đánh giá") }
        if let ratedOn, let finished, ratedOn < finished {
            problems.append(.init("rating.ratedOn", "Ngày đánh giá \(ratedOn.display) ở trước ngày có kết quả."))
        }
        guard problems.isEmpty, let parts, let received, let due, let finished else { return .failure(TaskProblems(list: problems)) }
        return .success(Checked(code: code, agency: parts.agency, procedureCode: procedureCode, procedureName: procedureName,
                                received: received, due: due, finished: finished, officer: officer, rating: rating,
                                ratingComment: comment, ratedOn: ratedOn))
    }
}
