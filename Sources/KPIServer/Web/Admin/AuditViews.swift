import Foundation
import KPICore

/// Vietnamese words for the audit trail's actions and entities, and readable snapshots.
enum AuditViews {
    static let entities = ["organization": "Cơ quan, đơn vị", "person": "Cán bộ", "user": "Tài khoản",
                           "position": "Vị trí việc làm", "position-group": "Nhóm vị trí việc làm"]

    static let verbs = ["create": "thêm", "update": "sửa", "deactivate": "ngừng hoạt động",
                        "reactivate": "kích hoạt lại", "import": "nhập tệp", "export": "xuất danh sách"]

    static let actions = ["login": "Đăng nhập", "login.failed": "Đăng nhập sai", "logout": "Đăng xuất",
                          "password.change": "Đổi mật khẩu", "password.reset": "Đặt lại mật khẩu",
                          "role.grant": "Cấp quyền", "role.revoke": "Thu hồi quyền", "demo.people": "Nạp dữ liệu mẫu",
                          "audit.export": "Xuất nhật ký", "tu-choi": "Từ chối truy cập",
                          "session.end": "Kết thúc một phiên đăng nhập",
                          "session.end-others": "Kết thúc các phiên khác",
                          "session.end-all": "Kết thúc mọi phiên của tài khoản",
                          "user.inactive": "Khóa tài khoản không hoạt động", "user.unlink": "Tách tài khoản khỏi cán bộ"]

    /// Labels of snapshot keys that are not catalog fields.
    static let keys = ["failedAttempts": "Số lần nhập sai", "role": "Vai trò", "scope": "Phạm vi",
                       "username": "Tên đăng nhập",
                       "rows": "Số dòng", "q": "Tìm kiếm", "filters": "Bộ lọc", "file": "Tệp", "created": "Thêm mới",
                       "updated": "Cập nhật", "unchanged": "Không đổi", "people": "Số cán bộ",
                       "hoat_dong": "Đang hoạt động",
                       "status": "Mã trả lời", "ly_do": "Lý do", "so_phien": "Số phiên", "lockedMinutes": "Khóa (phút)"]

    /// "organization.update.import" → "Cơ quan, đơn vị: sửa (nhập tệp)".
    static func action(_ code: String) -> String {
        if let a = actions[code] { return a }
        let parts = code.split(separator: ".").map(String.init)
        guard let entity = parts.first.flatMap({ entities[$0] }), parts.count >= 2 else { return code }
        let verb = verbs[parts[1]] ?? parts[1]
        return parts.count > 2 ? "\(entity): \(verb) (\(verbs[parts[2]] ?? parts[2]))" : "\(entity): \(verb)"
    }

    /// A snapshot's fields as "label: value" lines, labels from the catalogs where known.
    static func snapshot(_ json: String, entity: String) -> HTML {
        guard !json.isEmpty, let data = json.data(using: .utf8),
              let fields = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return .empty }
        let spec = Catalogs.all.first { entities[entity] != nil && $0.title == entities[entity] }
        let lines = fields.keys.sorted().map { key -> HTML in
            let label = spec?.field(key)?.label ?? keys[key] ?? key
            return "<li><span>\(label):</span> \(String(describing: fields[key]!))</li>"
        }
        return "<ul class=\"snapshot\">\(lines)</ul>"
    }
}
