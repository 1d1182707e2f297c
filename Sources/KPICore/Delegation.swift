import Foundation

/// Ủy quyền (issue 18, item 8): a head who leads a unit (a lãnh đạo grant on it) hands approval and
/// acceptance there to a deputy for a range of days — a business trip, leave. For those days the
/// deputy holds the head's lãnh đạo powers on that unit, and everything they do there is recorded as
/// done on the head's behalf (thay mặt). The head keeps their own powers; a delegation is never
/// passed on (only a grant of one's own is delegated), and it ends early when the head or the unit's
/// administrator takes it back (thu hồi). Nobody decides on their own record, acting or not.
public struct Delegation: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var delegatorUserID: UUID
    /// Người ủy quyền: their name as shown, and their username as the audit trail names them.
    public var delegatorName: String
    public var delegatorUsername: String
    public var deputyUserID: UUID
    /// Người được ủy quyền.
    public var deputyName: String
    /// The unit whose lãnh đạo powers are delegated (the scope of the head's own grant).
    public var scopePath: String
    public var scopeName: String
    public var from: DateOnly
    public var to: DateOnly
    public var reason: String

    public init(id: UUID, delegatorUserID: UUID, delegatorName: String, delegatorUsername: String, deputyUserID: UUID,
                deputyName: String, scopePath: String, scopeName: String, from: DateOnly, to: DateOnly, reason: String) {
        self.id = id; self.delegatorUserID = delegatorUserID; self.delegatorName = delegatorName
        self.delegatorUsername = delegatorUsername; self.deputyUserID = deputyUserID; self.deputyName = deputyName
        self.scopePath = scopePath; self.scopeName = scopeName; self.from = from; self.to = to; self.reason = reason
    }

    /// In force on `day` (both ends included).
    public func isActive(on day: DateOnly) -> Bool { from <= day && day <= to }

    public func overlaps(from: DateOnly, to: DateOnly) -> Bool { self.from <= to && from <= self.to }

    /// "từ 01/12/2026 đến hết 15/12/2026"
    public var span: String { "từ \(from.display) đến hết \(to.display)" }
}

/// Where a delegation stands on a day, as lists show and filter it.
public enum DelegationState: String, CaseIterable, Sendable {
    case upcoming = "sap-toi"
    case active = "hieu-luc"
    case ended = "het-han"
    case revoked = "thu-hoi"

    public var label: String {
        switch self {
        case .upcoming: "Sắp có hiệu lực"
        case .active: "Đang hiệu lực"
        case .ended: "Đã hết hạn"
        case .revoked: "Đã thu hồi"
        }
    }

    public static func of(from: DateOnly, to: DateOnly, revoked: Bool, on day: DateOnly) -> DelegationState {
        if revoked { return .revoked }
        if day < from { return .upcoming }
        return day <= to ? .active : .ended
    }
}

/// A delegation as typed on the form: `check(today:)` parses and bounds it. Who and where are checked
/// by the service against the records.
public struct DelegationDraft: Sendable, Equatable {
    public var scope: String
    public var deputy: String
    public var from: String
    public var to: String
    public var reason: String

    public init(scope: String, deputy: String, from: String, to: String, reason: String) {
        self.scope = scope; self.deputy = deputy; self.from = from; self.to = to; self.reason = reason
    }

    public struct Checked: Sendable, Equatable {
        public var from: DateOnly
        public var to: DateOnly
        public var reason: String
    }

    /// Longest delegation in one record: a head away longer than this is replaced, not stood in for.
    public static let maxDays = 90
    public static let maxReason = 300

    public func check(today: DateOnly) -> Result<Checked, TaskProblems> {
        var problems: [TaskProblem] = []
        let start = DateOnly(parsing: from), end = DateOnly(parsing: to)
        if start == nil { problems.append(.init("tu_ngay", "Ngày bắt đầu không đọc được (dùng dạng dd/mm/yyyy).")) }
        if end == nil { problems.append(.init("den_ngay", "Ngày kết thúc không đọc được (dùng dạng dd/mm/yyyy).")) }
        if let start, let end {
            if start < today {
                problems.append(.init("tu_ngay",
                    "Ủy quyền không bắt đầu trong quá khứ: chọn từ hôm nay (\(today.display)) trở đi."))
            }
            if end < start {
                problems.append(.init("den_ngay", "Ngày kết thúc (\(end.display)) trước ngày bắt đầu (\(start.display))."))
            } else if start.days(to: end) >= Self.maxDays {
                problems.append(.init("den_ngay", """
                    Một lần ủy quyền dài nhiều nhất \(Self.maxDays) ngày; vắng lâu hơn thì giao phụ trách bằng \
                    quyết định và phân quyền lãnh đạo.
                    """))
            }
        }
        let reason = TextNormalizer.clean(self.reason)
        if reason.isEmpty {
            problems.append(.init("ly_do", "Vui lòng ghi lý do ủy quyền (đi công tác, nghỉ phép…)."))
        } else if reason.count > Self.maxReason {
            problems.append(.init("ly_do", "Lý do dài quá \(Self.maxReason) ký tự."))
        }
        guard problems.isEmpty, let start, let end else { return .failure(TaskProblems(list: problems)) }
        return .success(Checked(from: start, to: end, reason: reason))
    }
}

/// The delegations not yet over, by deputy and by head, as each request reads them.
public struct DelegationIndex: Sendable, Equatable {
    public let all: [Delegation]
    private let byDeputy: [UUID: [Delegation]]
    private let byDelegator: [UUID: [Delegation]]

    public init(_ list: [Delegation]) {
        all = list
        byDeputy = Dictionary(grouping: list, by: \.deputyUserID)
        byDelegator = Dictionary(grouping: list, by: \.delegatorUserID)
    }

    /// What `user` holds on another's behalf on `day`.
    public func acting(_ user: UUID, on day: DateOnly) -> [Delegation] {
        (byDeputy[user] ?? []).filter { $0.isActive(on: day) }.sorted { $0.scopePath < $1.scopePath }
    }

    /// What `user` has handed to deputies for `day`.
    public func given(_ user: UUID, on day: DateOnly) -> [Delegation] {
        (byDelegator[user] ?? []).filter { $0.isActive(on: day) }.sorted { $0.scopePath < $1.scopePath }
    }

    /// Thay mặt: the delegation under which an action at `scopePath` is done, when the actor's own
    /// lãnh đạo grants (`ownLeaderScopes`) do not already cover it. The nearest delegated scope wins.
    public static func onBehalf(at scopePath: String, acting: [Delegation], ownLeaderScopes: [String]) -> Delegation? {
        guard !acting.isEmpty, !ownLeaderScopes.contains(where: { OrgPath.contains($0, scopePath) }) else { return nil }
        return acting.filter { OrgPath.contains($0.scopePath, scopePath) }.max { $0.scopePath.count < $1.scopePath.count }
    }
}
