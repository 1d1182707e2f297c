import Foundation

/// Đăng nhập một lần (OpenID Connect): the claims of an ID token that decide whether it is accepted,
/// whom it names and whether the provider asserted a second factor. The signature is the server's to
/// check (it holds the cryptography and the provider's keys); every rule about the claims is here.
public struct IDTokenClaims: Sendable, Equatable {
    public var issuer: String
    public var subject: String
    public var audience: [String]
    /// `azp`, required to be this client when the token names several audiences.
    public var authorizedParty: String?
    public var expires: Date
    public var issuedAt: Date
    public var nonce: String?
    /// Authentication context class (`acr`) and methods (`amr`), as the provider asserts them.
    public var acr: String?
    public var amr: [String]
    /// Every claim whose value is a string (`preferred_username`, `email`, a national ID…): the
    /// account is linked by the one the province configures.
    public var strings: [String: String]

    public init(issuer: String, subject: String, audience: [String], authorizedParty: String? = nil, expires: Date,
                issuedAt: Date, nonce: String?, acr: String? = nil, amr: [String] = [], strings: [String: String] = [:]) {
        self.issuer = issuer; self.subject = subject; self.audience = audience; self.authorizedParty = authorizedParty
        self.expires = expires; self.issuedAt = issuedAt; self.nonce = nonce; self.acr = acr; self.amr = amr
        self.strings = strings
    }
}

/// Why an answer from the identity provider is refused. Each names what was wrong in words a user
/// can pass to the IT staff; nothing is written when one is returned.
public enum SingleSignOnProblem: Error, Equatable, Sendable {
    case wrongState
    case expiredAttempt
    case providerError(String)
    case providerUnreachable
    case badToken
    case algorithmNotAllowed(String)
    case badSignature
    case wrongIssuer
    case wrongAudience
    case wrongAuthorizedParty
    case expired
    case issuedInFuture
    case wrongNonce
    case noLinkClaim(String)
    case notLinked
    case localSignInClosed

    /// A stable machine code (kept in the audit trail).
    public var code: String {
        switch self {
        case .wrongState: "state"
        case .expiredAttempt: "het-han"
        case .providerError: "nha-cung-cap-tu-choi"
        case .providerUnreachable: "khong-ket-noi"
        case .badToken: "id-token-hong"
        case .algorithmNotAllowed: "thuat-toan"
        case .badSignature: "chu-ky"
        case .wrongIssuer: "iss"
        case .wrongAudience: "aud"
        case .wrongAuthorizedParty: "azp"
        case .expired: "exp"
        case .issuedInFuture: "iat"
        case .wrongNonce: "nonce"
        case .noLinkClaim: "thieu-claim"
        case .notLinked: "chua-lien-ket"
        case .localSignInClosed: "chi-dang-nhap-mot-lan"
        }
    }

    public var message: String {
        let retry = " Vui lòng đăng nhập lại từ đầu; nếu lỗi lặp lại, báo bộ phận công nghệ thông tin."
        switch self {
        case .wrongState:
            return "Phản hồi đăng nhập một lần không khớp với lần đăng nhập của trình duyệt này "
                + "(tham số state)." + retry
        case .expiredAttempt:
            return "Lần đăng nhập một lần đã quá 10 phút hoặc đã được dùng." + retry
        case .providerError(let e):
            return "Hệ thống định danh không cho đăng nhập (\(e))." + retry
        case .providerUnreachable:
            return "Không kết nối được hệ thống định danh của tỉnh." + retry
        case .badToken:
            return "Thẻ định danh (ID token) nhận được không đọc được." + retry
        case .algorithmNotAllowed(let alg):
            return "Thẻ định danh ký bằng thuật toán không được chấp nhận (\(alg))." + retry
        case .badSignature:
            return "Chữ ký của thẻ định danh không hợp lệ: thẻ đã bị sửa hoặc không do hệ thống "
                + "định danh cấp." + retry
        case .wrongIssuer:
            return "Thẻ định danh không do hệ thống định danh đã cấu hình cấp (iss)." + retry
        case .wrongAudience:
            return "Thẻ định danh không cấp cho hệ thống này (aud)." + retry
        case .wrongAuthorizedParty:
            return "Thẻ định danh cấp cho ứng dụng khác (azp)." + retry
        case .expired:
            return "Thẻ định danh đã hết hạn (exp)." + retry
        case .issuedInFuture:
            return "Thẻ định danh có thời điểm cấp không hợp lệ (iat)." + retry
        case .wrongNonce:
            return "Thẻ định danh không thuộc lần đăng nhập này (nonce)." + retry
        case .noLinkClaim(let claim):
            return "Hệ thống định danh không gửi thông tin «\(claim)» dùng để liên kết tài khoản. "
                + "Báo bộ phận công nghệ thông tin."
        case .notLinked:
            return """
                Tài khoản định danh này chưa được liên kết với tài khoản nào của KPI Công vụ \
                (hệ thống không tự tạo tài khoản). Liên hệ quản trị đơn vị để được cấp hoặc kiểm tra \
                tên đăng nhập.
                """
        case .localSignInClosed:
            return """
                Tài khoản này đăng nhập bằng tài khoản định danh của tỉnh: bấm «Đăng nhập một lần» \
                phía trên. Mật khẩu riêng chỉ dành cho quản trị.
                """
        }
    }
}

/// The rules an ID token's claims must meet (OpenID Connect Core §3.1.3.7).
public enum IDTokenRules {
    /// Clock difference tolerated between the provider and this server.
    public static let leeway: TimeInterval = 120
    /// A token issued longer ago than this is not accepted, however late it expires.
    public static let maxAge: TimeInterval = 600

    /// Checks issuer, audience, authorized party, expiry, issue time and nonce; the first problem found.
    public static func check(_ c: IDTokenClaims, issuer: String, clientID: String, nonce: String, now: Date) -> SingleSignOnProblem? {
        if c.issuer != issuer { return .wrongIssuer }
        if !c.audience.contains(clientID) { return .wrongAudience }
        if let azp = c.authorizedParty, azp != clientID { return .wrongAuthorizedParty }
        if c.audience.count > 1 && c.authorizedParty == nil { return .wrongAuthorizedParty }
        if c.expires.addingTimeInterval(leeway) <= now { return .expired }
        if c.issuedAt > now.addingTimeInterval(leeway) || c.issuedAt < now.addingTimeInterval(-maxAge - leeway) {
            return .issuedInFuture
        }
        guard let n = c.nonce, ConstantTime.equal(n, nonce) else { return .wrongNonce }
        if c.subject.isEmpty { return .badToken }
        return nil
    }

    /// The value that links the token to an account: the configured claim, trimmed; `sub` by that name.
    public static func linkValue(_ c: IDTokenClaims, claim: String) -> String? {
        let raw = claim == "sub" ? c.subject : c.strings[claim]
        guard let value = raw?.trimmingCharacters(in: .whitespaces), !value.isEmpty, value.count <= 256 else { return nil }
        return value
    }

    /// What the provider asserted as a second factor, when it is one this province accepts: an
    /// `acr` among `acceptedACR`, or an `amr` method among `acceptedAMR` (e.g. "otp", "hwk", "mfa").
    /// Written into the audit trail and the session ("acr:…" or "amr:…"); nil when nothing counts.
    public static func secondFactor(_ c: IDTokenClaims, acceptedACR: Set<String>, acceptedAMR: Set<String>) -> String? {
        if let acr = c.acr, acceptedACR.contains(acr) { return "acr:" + acr }
        if let m = c.amr.first(where: acceptedAMR.contains) { return "amr:" + m }
        return nil
    }

    /// Signature algorithms accepted for ID tokens (asymmetric only: never "none", never a shared secret).
    public static let algorithms: Set<String> = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]
}

/// How a province's identity provider is used, read from the environment (`KPI_OIDC_*`).
public struct SingleSignOnConfig: Sendable, Equatable {
    public var issuer: String
    public var clientID: String
    public var clientSecret: String
    public var scopes: String
    /// The claim that links an account (`preferred_username` by default) and the account field it
    /// matches (`username` or `email`).
    public var claim: String
    public var matchesEmail: Bool
    public var acceptedACR: Set<String>
    public var acceptedAMR: Set<String>
    /// Password sign-in for everyone (true) or for administrators only (false, the default).
    public var localForAll: Bool
    public var label: String

    public init(issuer: String, clientID: String, clientSecret: String = "", scopes: String = "openid profile email",
                claim: String = "preferred_username", matchesEmail: Bool = false, acceptedACR: Set<String> = [],
                acceptedAMR: Set<String> = [], localForAll: Bool = false, label: String = SingleSignOnConfig.defaultLabel) {
        self.issuer = issuer; self.clientID = clientID; self.clientSecret = clientSecret; self.scopes = scopes
        self.claim = claim; self.matchesEmail = matchesEmail; self.acceptedACR = acceptedACR; self.acceptedAMR = acceptedAMR
        self.localForAll = localForAll; self.label = label
    }

    /// Why the `KPI_OIDC_*` settings cannot be used, in Vietnamese.
    public struct ConfigProblem: Error, Equatable, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    public static let defaultLabel = "Đăng nhập một lần bằng tài khoản định danh của tỉnh"

    /// Roles that keep password sign-in when it is closed to the others.
    public static let localRoles: Set<Role> = [.systemAdmin, .unitAdmin]

    /// The configuration in the environment, nil when single sign-on is off (no issuer), or the
    /// problem (in Vietnamese) that keeps it off.
    public static func from(environment env: [String: String]) -> Result<SingleSignOnConfig, ConfigProblem>? {
        guard let issuer = env["KPI_OIDC_ISSUER"].map({ $0.trimmingCharacters(in: .whitespaces) }), !issuer.isEmpty else { return nil }
        let clean = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        guard let url = URL(string: clean), let host = url.host, let scheme = url.scheme,
              scheme == "https" || (scheme == "http" && ["127.0.0.1", "localhost", "::1"].contains(host)) else {
            return .failure(ConfigProblem("KPI_OIDC_ISSUER phải là địa chỉ https:// của hệ thống định danh "
                + "(http chỉ dùng được trên máy này)."))
        }
        guard let client = env["KPI_OIDC_CLIENT_ID"], !client.isEmpty, client.count <= 256 else {
            return .failure(ConfigProblem("Thiếu KPI_OIDC_CLIENT_ID (mã ứng dụng do hệ thống định danh cấp)."))
        }
        let list = { (key: String) in
            Set((env[key] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        var c = SingleSignOnConfig(issuer: issuer, clientID: client)
        c.clientSecret = env["KPI_OIDC_CLIENT_SECRET"] ?? ""
        if let s = env["KPI_OIDC_SCOPES"], !s.isEmpty {
            c.scopes = s.split(separator: " ").contains("openid") ? s : "openid " + s
        }
        if let claim = env["KPI_OIDC_CLAIM"], !claim.isEmpty { c.claim = claim }
        switch env["KPI_OIDC_MATCH"] ?? "username" {
        case "username", "": c.matchesEmail = false
        case "email": c.matchesEmail = true
        default: return .failure(ConfigProblem("KPI_OIDC_MATCH chỉ nhận «username» hoặc «email»."))
        }
        c.acceptedACR = list("KPI_OIDC_ACR")
        c.acceptedAMR = list("KPI_OIDC_AMR")
        switch env["KPI_OIDC_LOCAL_SIGN_IN"] ?? "admins" {
        case "admins", "": c.localForAll = false
        case "all": c.localForAll = true
        default: return .failure(ConfigProblem("KPI_OIDC_LOCAL_SIGN_IN chỉ nhận «admins» hoặc «all»."))
        }
        if let label = env["KPI_OIDC_LABEL"], !label.isEmpty { c.label = label }
        return .success(c)
    }
}
