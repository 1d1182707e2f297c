/// Roles of DOMAIN.md §2. Each is granted on an organization subtree (phạm vi).
public enum Role: String, CaseIterable, Codable, Sendable {
    /// Quản trị hệ thống
    case systemAdmin = "quan-tri-he-thong"
    /// Quản trị đơn vị
    case unitAdmin = "quan-tri-don-vi"
    /// Cơ quan tham mưu (Ban Tổ chức, Sở Nội vụ)
    case advisory = "co-quan-tham-muu"
    /// Lãnh đạo
    case leader = "lanh-dao"
    /// Cán bộ, công chức, viên chức
    case staff = "can-bo"
    /// Kiểm tra, giám sát
    case inspector = "kiem-tra-giam-sat"
    /// API client (service account)
    case apiClient = "api-client"

    public var label: String {
        switch self {
        case .systemAdmin: "Quản trị hệ thống"
        case .unitAdmin: "Quản trị đơn vị"
        case .advisory: "Cơ quan tham mưu"
        case .leader: "Lãnh đạo"
        case .staff: "Cán bộ, công chức, viên chức"
        case .inspector: "Kiểm tra, giám sát"
        case .apiClient: "Ứng dụng kết nối (API)"
        }
    }
}

/// What a user may try to do. The policy decides each one against a target scope.
public enum Action: String, CaseIterable, Sendable {
    /// See catalog records (organizations, positions, people) of a scope.
    case viewCatalog
    /// Create, edit, deactivate and import catalog records.
    case manageCatalog
    /// Export catalog lists.
    case exportCatalog
    /// Create, edit and deactivate user accounts of people in the scope.
    case manageUsers
    /// Grant and revoke roles within the scope.
    case manageRoles
    /// Read the audit trail (nhật ký hệ thống) of the scope.
    case viewAudit
    /// Configure KPI frameworks of the scope.
    case configureFramework
    /// Assign and accept tasks, evaluate and approve.
    case leadWork
    /// Read evaluations (read-only oversight).
    case viewEvaluations
    /// Open an agency's evaluation periods and compute their scores (Ban Tổ chức, cơ quan tham mưu, lãnh đạo).
    case runEvaluation
    /// Change the system's settings and working-day calendar (Cài đặt; granted at the root).
    case manageSettings
    /// Record conclusions of degradation or of corruption in a leader's unit (kết luận suy thoái,
    /// tham nhũng), which rank the year "không hoàn thành nhiệm vụ".
    case recordConclusion
}

/// A role granted on the subtree whose root has the given materialized path.
public struct Grant: Hashable, Sendable {
    public var role: Role
    /// Materialized path of the scope root, e.g. "/a1/b2/" (see ``OrgPath``).
    public var scopePath: String
    public init(role: Role, scopePath: String) {
        self.role = role
        self.scopePath = scopePath
    }
}

/// The one place that decides who may do what where (DOMAIN.md §2).
public enum AccessPolicy {
    /// Which roles allow which actions, before the scope check.
    public static func roles(allowing action: Action) -> Set<Role> {
        switch action {
        case .viewCatalog: [.systemAdmin, .unitAdmin, .advisory, .leader, .staff, .inspector, .apiClient]
        // An API client keeps its subtree's people up to date (the personnel system; `catalog:write`).
        case .manageCatalog: [.systemAdmin, .unitAdmin, .apiClient]
        case .exportCatalog: [.systemAdmin, .unitAdmin, .advisory, .leader, .inspector, .apiClient]
        case .manageUsers: [.systemAdmin, .unitAdmin]
        case .manageRoles: [.systemAdmin, .unitAdmin]
        case .viewAudit: [.systemAdmin, .inspector]
        case .configureFramework: [.advisory]
        // An API client gives tasks and accepts results within its subtree, as a leader would (its
        // token's scopes narrow it further; it has no pages).
        case .leadWork: [.leader, .apiClient]
        // An API client reads results within its subtree (its token's `results:read` scopes, and only
        // published or locked ones without `results:read-unpublished`).
        case .viewEvaluations: [.advisory, .leader, .inspector, .apiClient]
        case .runEvaluation: [.advisory, .leader]
        case .manageSettings: [.systemAdmin]
        case .recordConclusion: [.advisory, .inspector]
        }
    }

    /// True when one of the grants allows `action` on the node at `targetPath`.
    public static func allows(_ grants: [Grant], _ action: Action, at targetPath: String) -> Bool {
        let allowed = roles(allowing: action)
        return grants.contains { allowed.contains($0.role) && OrgPath.contains($0.scopePath, targetPath) }
    }

    /// True when the user may do `action` somewhere (used to show a menu entry).
    public static func allowsAnywhere(_ grants: [Grant], _ action: Action) -> Bool {
        let allowed = roles(allowing: action)
        return grants.contains { allowed.contains($0.role) }
    }

    /// Scope roots under which `action` is allowed; a list query filters by these prefixes.
    public static func scopes(_ grants: [Grant], _ action: Action) -> [String] {
        let allowed = roles(allowing: action)
        let paths = grants.filter { allowed.contains($0.role) }.map(\.scopePath)
        // Drop scopes already covered by a wider one.
        return Array(Set(paths)).filter { p in !paths.contains { $0 != p && OrgPath.contains($0, p) } }.sorted()
    }

    /// Whether a holder of `grants` may grant `role` on the node at `targetPath`.
    /// A system administrator may grant any role; a unit administrator only the working roles
    /// (lãnh đạo, cán bộ) inside its subtree, so that nobody widens their own powers.
    /// Whether the holder may grant `role` somewhere (to offer the page at all).
    public static func mayGrantAnywhere(_ grants: [Grant], role: Role) -> Bool {
        grants.contains { g in mayGrant([g], role: role, at: g.scopePath) }
    }

    public static func mayGrant(_ grants: [Grant], role: Role, at targetPath: String) -> Bool {
        grants.contains { g in
            guard OrgPath.contains(g.scopePath, targetPath) else { return false }
            switch g.role {
            case .systemAdmin: return true
            case .unitAdmin: return role == .leader || role == .staff
            default: return false
            }
        }
    }
}
