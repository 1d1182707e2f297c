/// Rules for passwords (issue 16: level-3 controls of Nghị định 85/2016 and TCVN 11930:2017).
public struct PasswordPolicy: Sendable, Equatable {
    /// The shortest password accepted (`KPI_PASSWORD_MIN_LENGTH`, 12 by default, never below 10).
    public var minLength: Int

    public static let floor = 10
    public static let standard = PasswordPolicy(minLength: 12)

    public init(minLength: Int) { self.minLength = max(minLength, Self.floor) }

    /// Problems with a password, in Vietnamese; empty when it is acceptable.
    public func problems(_ password: String, username: String) -> [String] {
        var problems: [String] = []
        if password.count < minLength { problems.append("Mật khẩu phải có ít nhất \(minLength) ký tự.") }
        if password.utf8.count > 72 { problems.append("Mật khẩu dài quá 72 byte.") }
        if !password.contains(where: \.isLetter) || !password.contains(where: \.isNumber) {
            problems.append("Mật khẩu phải có cả chữ và số.")
        }
        if !username.isEmpty && password.lowercased().contains(username.lowercased()) {
            problems.append("Mật khẩu không được chứa tên đăng nhập.")
        }
        if CommonPasswords.isCommon(password) {
            problems.append("""
                Mật khẩu quá phổ biến hoặc dễ đoán (từ thông dụng, dãy phím, số lặp). Hãy chọn một cụm \
                từ \
                riêng của bạn.
                """)
        }
        return problems
    }
}

/// Passwords attackers try first: the list shipped with the project, and the shapes behind most
/// of it — a common word with digits and symbols around it, one character repeated, a run along the
/// keyboard or the alphabet.
public enum CommonPasswords {
    /// Words (letters only, lower case, without diacritics) that passwords are commonly built on.
    public static let words: Set<String> = [
        "password", "passw", "pass", "psswrd", "pssword", "passwrd", "matkhau", "mk", "admin", "administrator", "root", "user", "test",
        "guest", "login",
        "welcome", "qwerty", "qwertyuiop", "asdfgh", "asdfghjkl", "zxcvbn", "zxcvbnm", "abc", "abcd", "abcdef", "iloveyou",
        "letmein", "monkey", "dragon", "master", "sunshine", "princess", "football", "baseball", "superman", "batman",
        "trustno", "hello", "secret", "changeme", "default", "demo", "vietnam", "nghean", "hanoi", "saigon", "hochiminh",
        "anhyeuem", "emyeuanh", "yeuem", "iloveu", "congvu", "canbo", "congchuc", "vienchuc", "quantri", "lanhdao",
        "kpi", "ubnd", "tinhuy", "sonoivu", "noivu", "donvi", "coquan", "nhanvien", "ketoan", "vanthu", "baomat",
        "system", "server", "database", "oracle", "postgres", "sqlite", "vapor", "swift", "google", "facebook", "zalo",
        "samsung", "apple", "microsoft", "windows", "linux", "computer", "internet", "abcabc", "aaaaaa", "q", "a", "z",
    ]

    /// Whole passwords seen in every published leak, as typed (lower case).
    public static let list: Set<String> = [
        "123456789012", "1234567890123", "12345678901234", "123456123456", "111111111111", "000000000000",
        "123123123123", "987654321098", "121212121212", "147258369147", "qwerty123456", "qwertyuiop12",
        "1q2w3e4r5t6y", "1qaz2wsx3edc", "zaq12wsxcde3", "asdfghjkl123", "password1234", "password12345",
        "password@123", "p@ssw0rd1234", "p@ssword1234", "passw0rd1234", "admin1234567", "admin@123456",
        "matkhau12345", "matkhau123456", "matkhau@2025", "matkhau@2026", "abc123456789", "abcd12345678",
        "iloveyou1234", "anhyeuem1234", "123456abcdef", "a1b2c3d4e5f6", "aa1234567890", "nghean123456",
        "vietnam12345", "vietnam@2026", "demo@2026", "demo2026demo", "changeme1234", "welcome12345",
    ]

    public static func isCommon(_ password: String) -> Bool {
        let lower = password.lowercased()
        if list.contains(lower) { return true }
        // One character, or two alternating, over and over.
        let chars = Array(lower)
        if Set(chars).count <= 2 { return true }
        // A run along the digits, the alphabet or a keyboard row (either direction), a few symbols aside.
        let core = chars.filter { $0.isLetter || $0.isNumber }
        let runs = ["0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc4rfv5tgb"]
        if core.count >= 8, runs.contains(where: { r in
            let s = String(core)
            return isRunOf(s, r + r) || isRunOf(s, String((r + r).reversed()))
        }) { return true }
        // A common word with only digits and symbols around it ("Password@2026!", "Matkhau123456").
        let letters = chars.filter { $0.isLetter }.map { TextNormalizer.fold(String($0)) }.joined()
        if Set(letters).count <= 2 || words.contains(letters) { return true }
        return false
    }

    /// True when every character of `s` is inside one contiguous stretch of `run` repeated.
    static func isRunOf(_ s: String, _ run: String) -> Bool {
        guard s.count >= 8 else { return false }
        let r = Array(run), c = Array(s)
        for start in r.indices where r[start] == c[0] {
            var i = start, ok = true
            for ch in c {
                if i >= r.count || r[i] != ch { ok = false; break }
                i += 1
            }
            if ok { return true }
        }
        return false
    }
}
