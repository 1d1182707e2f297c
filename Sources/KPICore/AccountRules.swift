import Foundation

/// Who may act on a sign-in account (issue 16): nobody on their own account, nobody on an account
/// holding a grant beyond their own reach, and binding an account to another person is for system
/// administrators only.
public enum AccountRules {
    public static let selfRefusal = "Không ai tự cấp quyền, sửa, khóa hay đặt lại mật khẩu cho chính tài "
        + "khoản của mình. "
        + "Việc này do một quản trị khác có thẩm quyền thực hiện."

    /// Why the holder of `actorGrants` (signed in as `actor`) may not grant, change, disable or
    /// reset the account `target` that holds `targetGrants`; nil when they may. An account is
    /// within reach when every role it holds is one the actor could grant at that place
    /// (`AccessPolicy.mayGrant`): a unit administrator cannot touch an advisory account of the whole
    /// province, nor another unit administrator.
    public static func refusal(actor: UUID, actorGrants: [Grant], target: UUID, targetGrants: [Grant]) -> String? {
        if actor == target { return selfRefusal }
        for g in targetGrants where !AccessPolicy.mayGrant(actorGrants, role: g.role, at: g.scopePath) {
            return "Tài khoản này giữ vai trò «\(g.role.label)» vượt quá thẩm quyền của bạn. "
                + "Chỉ quản trị có phạm vi rộng hơn mới thao tác được trên tài khoản này."
        }
        return nil
    }

    /// Whether the holder of `grants` may bind an existing account to another person: a system
    /// administrator whose scope covers both people.
    public static func mayRelink(_ grants: [Grant], fromPersonAt old: String?, toPersonAt new: String) -> Bool {
        grants.contains { g in
            g.role == .systemAdmin && OrgPath.contains(g.scopePath, new) && (old.map { OrgPath.contains(g.scopePath, $0) } ?? true)
        }
    }

    public static let relinkRefusal = """
        Chỉ quản trị hệ thống mới được gắn một tài khoản đã có sang cán bộ khác.
        """

    public static func personTaken(_ personCode: String, by username: String) -> String {
        "cán bộ «\(personCode)» đã có tài khoản «\(username)»; mỗi người chỉ có một tài khoản"
    }
}
