import KPICore

/// The product's areas (mục trên thanh chức năng) and who may open each: the one rule that the menu
/// and the areas' own pages and services ask, so a link is shown exactly to those the page serves.
/// An area opens to whoever holds one of its actions somewhere, and, for the areas about a person's
/// own work and records, to anyone with a personnel record (they see their own).
enum Area: CaseIterable, Sendable {
    case work, organizations, positions, people, products, periods, mySheets, results, reports, frameworks, discipline, leave,
         delegations, users, imports, audit, settings

    /// The menu's words and the area's address.
    var label: String {
        switch self {
        case .work: "Công việc"
        case .organizations: "Cơ quan"
        case .positions: "Vị trí việc làm"
        case .people: "Cán bộ"
        case .products: "Sản phẩm"
        case .periods: "Kỳ đánh giá"
        case .mySheets: "Đánh giá của tôi"
        case .results: "Kết quả"
        case .frameworks: "Bộ chỉ số"
        case .discipline: "Kỷ luật"
        case .leave: "Nghỉ chế độ"
        case .delegations: "Ủy quyền"
        case .users: "Người dùng"
        case .imports: "Nhập dữ liệu"
        case .audit: "Nhật ký"
        case .settings: "Cài đặt"
        case .reports: "Báo cáo"
        }
    }

    var path: String {
        switch self {
        case .work: "/viec"
        case .organizations: "/danh-muc/co-quan"
        case .positions: "/danh-muc/vi-tri-viec-lam"
        case .people: "/danh-muc/can-bo"
        case .products: "/danh-muc/san-pham"
        case .periods: "/ky-danh-gia"
        case .mySheets: "/danh-gia-cua-toi"
        case .results: "/ket-qua"
        case .frameworks: "/khung-danh-gia"
        case .discipline: "/ky-luat"
        case .leave: "/nghi-che-do"
        case .delegations: "/uy-quyen"
        case .users: "/danh-muc/nguoi-dung"
        case .imports: "/nhap-du-lieu"
        case .audit: "/nhat-ky"
        case .settings: "/cai-dat"
        case .reports: "/bao-cao"
        }
    }

    /// The actions that open the area; their scopes are what its lists show.
    var actions: [Action] {
        switch self {
        case .work: [.leadWork, .viewEvaluations]
        case .organizations, .positions, .people, .products: [.viewCatalog]
        case .periods: [.runEvaluation, .viewEvaluations]
        case .mySheets, .results: []
        case .frameworks: [.configureFramework, .viewEvaluations]
        case .discipline: [.leadWork, .configureFramework, .viewEvaluations]
        case .leave: [.leadWork, .manageCatalog, .configureFramework, .viewEvaluations]
        case .delegations: [.leadWork, .manageRoles, .viewAudit]
        case .users: [.manageUsers]
        case .imports: [.manageCatalog, .configureFramework]
        case .audit: [.viewAudit]
        case .settings: [.manageSettings]
        case .reports: [.viewEvaluations, .configureFramework]
        }
    }

    /// Open to anyone with a personnel record, for their own work, sheets and records.
    var servesEveryPerson: Bool {
        switch self {
        case .work, .mySheets, .results, .discipline, .leave: true
        default: false
        }
    }

    /// Whether `p` may open the area (everyone signed in sees the results page: its rows are what
    /// they may see).
    func isOpen(to p: Principal) -> Bool {
        (servesEveryPerson && p.personID != nil) || self == .results || actions.contains { p.canAnywhere($0) }
    }

    /// The subtrees whose records the area's lists show `p` (besides their own).
    func scopes(of p: Principal) -> Set<String> {
        Set(actions.flatMap { p.scopes($0) })
    }
}
