import Foundation

/// Nguồn nhiệm vụ (DOMAIN.md §6).
public enum TaskSource: String, Sendable, Codable, CaseIterable {
    case plan = "ke-hoach"
    case directive = "van-ban-chi-dao"
    case recurring = "thuong-xuyen"
    case adHoc = "phat-sinh"
    case selfProposed = "tu-de-xuat"

    public var label: String {
        switch self {
        case .plan: "Chương trình, kế hoạch công tác"
        case .directive: "Văn bản chỉ đạo"
        case .recurring: "Nhiệm vụ thường xuyên"
        case .adHoc: "Phát sinh"
        case .selfProposed: "Tự đề xuất"
        }
    }
}

/// Mức ưu tiên.
public enum TaskPriority: String, Sendable, Codable, CaseIterable {
    case low = "thap"
    case normal = "binh-thuong"
    case high = "cao"
    case urgent = "khan"

    public var label: String {
        switch self {
        case .low: "Thấp"
        case .normal: "Bình thường"
        case .high: "Cao"
        case .urgent: "Khẩn"
        }
    }
}

/// A problem with one field of a task form, in Vietnamese.
public struct TaskProblem: Sendable, Equatable, Codable {
    public var field: String
    public var message: String
    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}

/// The problems of a refused draft.
public struct TaskProblems: Error, Sendable, Equatable {
    public var list: [TaskProblem]
}

/// What a task form or a batch line gives, as typed; `check()` parses and validates it.
public struct TaskDraft: Sendable, Equatable {
    public var title: String
    public var description: String = ""
    public var source: String = TaskSource.adHoc.rawValue
    public var documentNumber: String = ""
    public var documentDate: String = ""
    public var documentIssuer: String = ""
    public var productCode: String = ""
    public var quantity: String = "1"
    public var complexity: String = ""
    public var start: String
    public var due: String
    public var priority: String = TaskPriority.normal.rawValue

    public init(title: String, start: String, due: String) {
        self.title = title
        self.start = start
        self.due = due
    }

    /// The years a task's start and due date may fall in.
    public static let years = 2000...2100

    /// The parsed values of a valid draft.
    public struct Checked: Sendable, Equatable {
        public var title: String
        public var description: String
        public var source: TaskSource
        public var documentNumber: String
        public var documentDate: DateOnly?
        public var documentIssuer: String
        public var quantity: Rational
        public var start: DateOnly
        public var due: DateOnly
        public var priority: TaskPriority
    }

    /// Field problems (empty title, unreadable or reversed dates, quantity ≤ 0, a directive without its
    /// number…), or the parsed values. The product and the assignee are checked by the caller, who
    /// knows the catalogs.
    public func check() -> Result<Checked, TaskProblems> {
        var problems: [TaskProblem] = []
        let title = TextNormalizer.clean(self.title)
        if title.isEmpty { problems.append(.init("tieu_de", "Tên nhiệm vụ không được để trống.")) }
        if title.count > 500 { problems.append(.init("tieu_de", "Tên nhiệm vụ dài quá 500 ký tự.")) }
        let source = TaskSource(rawValue: self.source)
        if source == nil { problems.append(.init("nguon", "Nguồn nhiệm vụ không hợp lệ.")) }
        let start = DateOnly(parsing: self.start)
        let due = DateOnly(parsing: self.due)
        if start == nil { problems.append(.init("bat_dau", "Ngày bắt đầu không đọc được (dùng dạng dd/mm/yyyy).")) }
        if due == nil { problems.append(.init("han", "Hạn hoàn thành không đọc được (dùng dạng dd/mm/yyyy).")) }
        // A date a plan could hold: a typo of the year (0226, 20266) is refused, not filed for centuries.
        for (key, label, date) in [("bat_dau", "Ngày bắt đầu", start), ("han", "Hạn hoàn thành", due)] {
            if let d = date, !Self.years.contains(d.year) {
                problems.append(.init(key, "\(label) phải trong các năm \(Self.years.lowerBound)–\(Self.years.upperBound)."))
            }
        }
        if let s = start, let d = due, d < s {
            problems.append(.init("han", "Hạn hoàn thành (\(d.display)) không được trước ngày bắt đầu (\(s.display))."))
        }
        let quantity = DecimalText.parse(TextNormalizer.clean(self.quantity))
        if let q = quantity {
            if q <= .zero { problems.append(.init("so_luong", "Số lượng phải lớn hơn 0.")) }
            if q > Rational(1_000_000) { problems.append(.init("so_luong", "Số lượng quá lớn (tối đa 1.000.000).")) }
        } else {
            problems.append(.init("so_luong", "Số lượng không đọc được (ví dụ: 3 hoặc 2,5)."))
        }
        var documentDate: DateOnly?
        if source == .directive {
            if TextNormalizer.clean(documentNumber).isEmpty {
                problems.append(.init("so_van_ban", "Nhiệm vụ từ văn bản chỉ đạo cần số, ký hiệu văn bản."))
            }
        }
        if !TextNormalizer.clean(self.documentDate).isEmpty {
            documentDate = DateOnly(parsing: self.documentDate)
            if documentDate == nil { problems.append(.init("ngay_van_ban",
                                                           "Ngày văn bản không đọc được (dùng dạng dd/mm/yyyy).")) }
        }
        let priority = TaskPriority(rawValue: self.priority)
        if priority == nil { problems.append(.init("uu_tien", "Mức ưu tiên không hợp lệ.")) }
        guard problems.isEmpty, let source, let start, let due, let quantity,
        let priority else { return .failure(TaskProblems(list: problems)) }
        return .success(Checked(title: title, description: description.trimmingCharacters(in: .whitespacesAndNewlines),
                                source: source, documentNumber: TextNormalizer.clean(documentNumber), documentDate: documentDate,
                                documentIssuer: TextNormalizer.clean(documentIssuer), quantity: quantity, start: start, due: due,
                                priority: priority))
    }
}

/// Giao việc hàng loạt: lines pasted from a spreadsheet (tab or ";" separated), one task per line:
/// tên nhiệm vụ; mã người được giao; mã sản phẩm; số lượng; hạn hoàn thành; [mức độ phức tạp].
public enum TaskBatch {
    public struct Line: Sendable, Equatable {
        public var number: Int
        public var assigneeCode: String
        public var draft: TaskDraft
    }

    public static let columns = ["Tên nhiệm vụ", "Mã người được giao", "Mã sản phẩm", "Số lượng",
                                 "Hạn hoàn thành (dd/mm/yyyy)",
                                 "Mức độ phức tạp (nếu có)"]

    /// The lines, each with its number in the pasted text; blank lines and a header line are skipped.
    /// Lines with too few columns come back as problems "Dòng n: …".
    public static func parse(_ text: String, start: DateOnly, source: TaskSource) -> (lines: [Line], problems: [String]) {
        var lines: [Line] = []
        var problems: [String] = []
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let row = String(raw).trimmingCharacters(in: .whitespacesAndNewlines)
            if row.isEmpty { continue }
            let cells = row.split(separator: row.contains("\t") ? "\t" : ";", omittingEmptySubsequences: false)
                .map { TextNormalizer.clean(String($0)) }
            if i == 0 && TextNormalizer.fold(cells[0]).hasPrefix("ten nhiem vu") { continue }
            guard cells.count >= 5 else {
                problems.append("""
                    Dòng \(i + 1): cần ít nhất 5 cột (\(columns.prefix(5).joined(separator: "; "))), đang có \(cells.count).
                    """)
                continue
            }
            var d = TaskDraft(title: cells[0], start: start.iso, due: cells[4])
            d.productCode = cells[2]
            d.quantity = cells[3]
            d.complexity = cells.count > 5 ? cells[5] : ""
            d.source = source.rawValue
            lines.append(Line(number: i + 1, assigneeCode: cells[1], draft: d))
        }
        return (lines, problems)
    }
}

/// Which product catalogs a person may use: their position group's, narrowed to their position
/// when the product names one, and to their agency's subtree when the product belongs to an agency.
public enum ProductScope {
    public static func applies(productGroup: UUID, productPosition: UUID?, productScope: String,
                               personGroup: UUID?, personPosition: UUID?, personScope: String) -> Bool {
        guard let personGroup, productGroup == personGroup else { return false }
        if let p = productPosition, p != personPosition { return false }
        return OrgPath.contains(productScope, personScope)
    }
}

/// Minh chứng files: allowed kinds by extension, checked against the file's first bytes so that a
/// renamed executable is refused, and a size limit (DOMAIN.md §6: PDF, DOC/DOCX, XLS/XLSX, JPG/PNG, ≤ 20 MB).
public struct EvidencePolicy: Sendable, Equatable {
    public var extensions: [String]
    public var maxBytes: Int

    public init(extensions: [String] = ["pdf", "doc", "docx", "xls", "xlsx", "jpg", "jpeg", "png"], maxBytes: Int = 20 * 1024 * 1024) {
        self.extensions = extensions.map { $0.lowercased() }
        self.maxBytes = maxBytes
    }

    /// The content type to serve, by extension.
    public static func contentType(_ ext: String) -> String {
        switch ext.lowercased() {
        case "pdf": "application/pdf"
        case "doc": "application/msword"
        case "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        case "xls": "application/vnd.ms-excel"
        case "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        case "jpg", "jpeg": "image/jpeg"
        case "png": "image/png"
        default: "application/octet-stream"
        }
    }

    static func signatureMatches(_ ext: String, _ head: [UInt8]) -> Bool {
        func starts(_ sig: [UInt8]) -> Bool { head.count >= sig.count && Array(head.prefix(sig.count)) == sig }
        switch ext {
        case "pdf": return starts(Array("%PDF".utf8))
        case "png": return starts([0x89, 0x50, 0x4E, 0x47])
        case "jpg", "jpeg": return starts([0xFF, 0xD8, 0xFF])
        case "docx", "xlsx": return starts([0x50, 0x4B, 0x03, 0x04])
        case "doc", "xls": return starts([0xD0, 0xCF, 0x11, 0xE0])
        default: return true   // a kind added by configuration without a known signature
        }
    }

    /// nil when the file may be kept, else the reason in Vietnamese.
    public func refusal(filename: String, size: Int, head: [UInt8]) -> String? {
        let name = filename.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, size > 0 else { return "Tệp «\(name)» rỗng; vui lòng chọn lại tệp." }
        let ext = (name as NSString).pathExtension.lowercased()
        guard extensions.contains(ext) else {
            return "Tệp «\(name)» không thuộc loại được phép (\(extensions.map { $0.uppercased() }.joined(separator: ", ")))."
        }
        guard size <= maxBytes else {
            return """
                Tệp «\(name)» dung lượng \(VNNumber.format(Double(size) / 1_048_576, decimals: 1)) MB, vượt giới hạn \
                \(VNNumber.format(Double(maxBytes) / 1_048_576, decimals: 0)) MB.
                """
        }
        guard Self.signatureMatches(ext, head) else {
            return "Nội dung tệp «\(name)» không đúng định dạng \(ext.uppercased()); vui lòng kiểm tra lại tệp."
        }
        return nil
    }
}

/// Nhiệm vụ thường xuyên: a report due every week, month or quarter, generated on schedule.
public struct Recurrence: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case weekly = "hang-tuan"
        case monthly = "hang-thang"
        case quarterly = "hang-quy"

        public var label: String {
            switch self {
            case .weekly: "Hằng tuần"
            case .monthly: "Hằng tháng"
            case .quarterly: "Hằng quý"
            }
        }
    }

    public var kind: Kind
    /// Weekly: the weekday of the due date (1 = Monday … 5 = Friday). Monthly and quarterly: the day of
    /// the (last) month, 0 for its last working day.
    public var dueDay: Int

    public init(kind: Kind, dueDay: Int) {
        self.kind = kind
        self.dueDay = dueDay
    }

    public var problem: String? {
        switch kind {
        case .weekly: (1...5).contains(dueDay) ? nil : "Ngày đến hạn trong tuần phải từ thứ Hai (1) đến thứ Sáu (5)."
        case .monthly, .quarterly: (0...28)
            .contains(dueDay) ? nil : """
                Ngày đến hạn trong tháng phải từ 1 đến 28, hoặc 0 cho ngày làm việc cuối tháng.
                """
        }
    }

    /// One occurrence: its key ("2026-W48", "2026-11", "2026-Q4"), its first day and its due date.
    public struct Occurrence: Sendable, Equatable {
        public var key: String
        public var start: DateOnly
        public var due: DateOnly
    }

    /// The occurrence whose period contains `day`. A due date on a day off moves back to the working
    /// day before it.
    public func occurrence(containing day: DateOnly, calendar: WorkCalendar) -> Occurrence {
        func workingOnOrBefore(_ d: DateOnly) -> DateOnly {
            var x = d
            while !calendar.isWorkingDay(x) { x = x.adding(days: -1) }
            return x
        }
        switch kind {
        case .weekly:
            let monday = day.adding(days: 1 - day.weekday)
            // ISO week: the week belongs to the year of its Thursday.
            let thursday = monday.adding(days: 3)
            let jan1 = DateOnly(year: thursday.year, month: 1, day: 1)!
            let week = jan1.days(to: thursday) / 7 + 1
            return Occurrence(key: String(format: "%04d-W%02d", thursday.year, week), start: monday,
                              due: workingOnOrBefore(monday.adding(days: dueDay - 1)))
        case .monthly, .quarterly:
            let firstMonth = kind == .monthly ? day.month : (day.month - 1) / 3 * 3 + 1
            let lastMonth = kind == .monthly ? day.month : firstMonth + 2
            let start = DateOnly(year: day.year, month: firstMonth, day: 1)!
            let lastDay = DateOnly.daysIn(month: lastMonth, year: day.year)
            let dueDate = DateOnly(year: day.year, month: lastMonth, day: dueDay == 0 ? lastDay : min(dueDay, lastDay))!
            let key = kind == .monthly ? String(format: "%04d-%02d", day.year, day.month) : "\(day.year)-Q\((day.month - 1) / 3 + 1)"
            return Occurrence(key: key, start: start, due: workingOnOrBefore(dueDate))
        }
    }
}
