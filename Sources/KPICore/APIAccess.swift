import Foundation

/// Quyền của khóa truy cập (issue 20): what an API client's token may do. A call needs the scope of
/// its operation on the token *and* the permission of the client's `api-client` role at the record's
/// place (`AccessPolicy`), the same rule the pages apply.
public enum APIScope: String, CaseIterable, Codable, Sendable {
    case catalogRead = "catalog:read"
    case catalogWrite = "catalog:write"
    case tasksRead = "tasks:read"
    case tasksWrite = "tasks:write"
    case resultsRead = "results:read"
    case resultsReadUnpublished = "results:read-unpublished"
    case webhooksManage = "webhooks:manage"

    public var label: String {
        switch self {
        case .catalogRead: "Đọc danh mục (cơ quan, vị trí việc làm, cán bộ)"
        case .catalogWrite: "Cập nhật danh mục (nhập cán bộ hàng loạt)"
        case .tasksRead: "Đọc nhiệm vụ"
        case .tasksWrite: "Giao, cập nhật nhiệm vụ"
        case .resultsRead: "Đọc kết quả đã công bố hoặc đã chốt"
        case .resultsReadUnpublished: "Đọc cả kết quả chưa công bố"
        case .webhooksManage: "Quản lý đăng ký nhận sự kiện (webhook)"
        }
    }

    /// Scopes from a space- or comma-separated list; nil naming the first unknown one.
    public static func parse(_ text: String) -> Result<[APIScope], APIScopeError> {
        var out: [APIScope] = []
        for part in text.split(whereSeparator: { $0 == " " || $0 == "," }) where !part.isEmpty {
            guard let s = APIScope(rawValue: String(part)) else { return .failure(APIScopeError(unknown: String(part))) }
            if !out.contains(s) { out.append(s) }
        }
        return .success(out)
    }

    public static func text(_ scopes: [APIScope]) -> String {
        allCases.filter(scopes.contains).map(\.rawValue).joined(separator: " ")
    }
}

public struct APIScopeError: Error, Equatable, Sendable {
    public var unknown: String
    public var message: String {
        "quyền «\(unknown)» không có; các quyền: " + APIScope.allCases.map(\.rawValue).joined(separator: ", ")
    }
}

/// Khóa truy cập: how tokens are issued, rotated and judged.
public enum APITokenRules {
    /// The visible start of every token, so a leaked one is recognised by secret scanners.
    public static let prefix = "kpi_"
    /// A token lives at most this many days (default 365).
    public static let maxDays = 730
    public static let defaultDays = 365
    /// On rotation the old token keeps working this long (or until its own expiry, if sooner), so
    /// a client can switch without a gap: two valid at once.
    public static let rotationGraceDays = 7

    public enum Verdict: Equatable, Sendable {
        case valid
        case revoked
        case expired
        case clientDisabled
    }

    public static func verdict(expiresAt: Date, revokedAt: Date?, clientActive: Bool, now: Date) -> Verdict {
        if !clientActive { return .clientDisabled }
        if let r = revokedAt, r <= now { return .revoked }
        if expiresAt <= now { return .expired }
        return .valid
    }

    /// The old token's expiry once a new one replaces it.
    public static func expiryAfterRotation(current: Date, now: Date) -> Date {
        min(current, now.addingTimeInterval(TimeInterval(rotationGraceDays) * 86_400))
    }

    /// Days of validity asked for, bounded; nil when out of range.
    public static func days(_ asked: Int?) -> Int? {
        guard let d = asked else { return defaultDays }
        return (1...maxDays).contains(d) ? d : nil
    }

    /// Why `name` cannot be a client's account name (the rule of every code), nil when it can.
    public static func accountNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "bắt buộc" }
        if case .failure(let f) = FieldParser.parse(name, as: .code) { return f.message }
        return nil
    }

    /// Calls a minute a client may make (configured per client within these bounds).
    public static let ratePerMinuteRange = 10...10_000
    public static let defaultRatePerMinute = 600
}
