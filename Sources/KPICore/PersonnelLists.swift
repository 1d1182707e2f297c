import Foundation

/// Danh sách phục vụ công tác cán bộ (issue 19, item 5): who the year results put forward for a reward
/// or for review, by rules kept as data — the province's advisory body changes them on a page, no code.
/// A rule names a level and a number of consecutive years ending at the year asked about: "hoàn thành
/// xuất sắc nhiệm vụ 2 năm liên tiếp" (reward candidates), "không hoàn thành nhiệm vụ" in a year, and
/// in two consecutive years (for review: Nghị định 335 links two such years to dismissal).
public struct PersonnelRule: Codable, Sendable, Equatable {
    public enum Purpose: String, Codable, Sendable, CaseIterable {
        case reward = "khen-thuong"
        case review = "xem-xet"

        public var label: String {
            switch self {
            case .reward: "Đề xuất khen thưởng"
            case .review: "Xem xét, xử lý"
            }
        }
    }

    public var name: String
    public var purpose: Purpose
    public var level: Level
    /// Consecutive years with that level, ending at the year asked about (1…5).
    public var years: Int

    public init(name: String, purpose: Purpose, level: Level, years: Int) {
        self.name = name; self.purpose = purpose; self.level = level; self.years = years
    }

    public static let maxYears = 5
    public static let maxRules = 20

    /// Where the advisory body has not set its own.
    public static let defaults: [PersonnelRule] = [
        .init(name: "Hoàn thành xuất sắc nhiệm vụ 2 năm liên tiếp", purpose: .reward, level: .excellent, years: 2),
        .init(name: "Không hoàn thành nhiệm vụ trong năm", purpose: .review, level: .fail, years: 1),
        .init(name: "Không hoàn thành nhiệm vụ 2 năm liên tiếp", purpose: .review, level: .fail, years: 2),
    ]

    /// Whether a person with these year levels meets the rule for the years ending at `year`.
    public func matches(_ levels: [Int: Level], endingIn year: Int) -> Bool {
        years >= 1 && (0..<years).allSatisfy { levels[year - $0] == level }
    }

    /// The years a rule for `year` reads, oldest first.
    public func span(endingIn year: Int) -> [Int] { ((year - years + 1)...year).map { $0 } }

    /// Rules as typed on the form: one per row (name, purpose, level, years); empty rows are left out.
    public static func check(_ rows: [(name: String, purpose: String, level: String, years: String)])
        -> Result<[PersonnelRule], TaskProblems> {
        var rules: [PersonnelRule] = []
        var problems: [TaskProblem] = []
        for (i, row) in rows.enumerated() {
            let name = TextNormalizer.clean(row.name)
            if name.isEmpty && row.years.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let n = i + 1
            if name.isEmpty { problems.append(.init("ten_\(i)", "Dòng \(n): vui lòng ghi tên danh sách.")); continue }
            if name.count > 150 { problems.append(.init("ten_\(i)", "Dòng \(n): tên dài quá 150 ký tự.")); continue }
            guard let purpose = Purpose(rawValue: row.purpose) else {
                problems.append(.init("muc_dich_\(i)", "Dòng \(n): vui lòng chọn mục đích.")); continue
            }
            guard let level = Level(rawValue: row.level) else {
                problems.append(.init("xep_loai_\(i)", "Dòng \(n): vui lòng chọn mức xếp loại.")); continue
            }
            let text = row.years.trimmingCharacters(in: .whitespaces)
            guard text.count <= 2, let years = Int(text), (1...maxYears).contains(years) else {
                problems.append(.init("so_nam_\(i)", "Dòng \(n): số năm liên tiếp từ 1 đến \(maxYears).")); continue
            }
            rules.append(PersonnelRule(name: name, purpose: purpose, level: level, years: years))
        }
        if rules.isEmpty && problems.isEmpty { problems.append(.init("ten_0", "Cần ít nhất một danh sách.")) }
        if rules.count > maxRules { problems.append(.init("ten_0", "Nhiều nhất \(maxRules) danh sách.")) }
        if Set(rules.map(\.name)).count < rules.count { problems.append(.init("ten_0", "Hai danh sách trùng tên.")) }
        return problems.isEmpty ? .success(rules) : .failure(TaskProblems(list: problems))
    }
}
