/// Rules for passwords and for slowing down password guessing.
public enum SignInRules {
    /// Failed attempts allowed before the account is held.
    public static let freeAttempts = 5

    /// How long the account is held after `failures` consecutive failed attempts: nothing for the
    /// first five, then 1 minute, doubling each further failure, at most one hour.
    public static func holdSeconds(afterFailures failures: Int) -> Int {
        guard failures >= freeAttempts else { return 0 }
        let exponent = min(failures - freeAttempts, 6)
        return min(60 << exponent, 3600)
    }

    /// Problems with a new password, in Vietnamese; empty when it is acceptable.
    public static func passwordProblems(_ password: String, username: String) -> [String] {
        var problems: [String] = []
        if password.count < 8 { problems.append("Mật khẩu phải có ít nhất 8 ký tự.") }
        if password.utf8.count > 72 { problems.append("Mật khẩu dài quá 72 byte.") }
        if !password.contains(where: \.isLetter) || !password.contains(where: \.isNumber) {
            problems.append("Mật khẩu phải có cả chữ và số.")
        }
        if !username.isEmpty && password.lowercased().contains(username.lowercased()) {
            problems.append("Mật khẩu không được chứa tên đăng nhập.")
        }
        return problems
    }
}
