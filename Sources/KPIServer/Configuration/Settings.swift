import Foundation
import KPICore
import Vapor

/// Settings read from the environment (see README, "Cấu hình").
public struct Settings: Sendable {
    /// `DATABASE_URL` (postgres://…); when absent, SQLite at `<dataDirectory>/kpi.sqlite`.
    public var databaseURL: String?
    /// `KPI_DATA_DIR`, default `./data`.
    public var dataDirectory: String
    /// `KPI_SECURE_COOKIES=1` when served behind TLS: cookies get the Secure attribute.
    public var secureCookies: Bool
    /// `KPI_SESSION_IDLE_MINUTES`, default 60: a session unused this long is closed.
    public var sessionIdleMinutes: Int
    /// `KPI_BCRYPT_COST`, default 12.
    public var bcryptCost: Int
    /// `KPI_IMPORT_MAX_MB`, default 20.
    public var importMaxMegabytes: Int
    /// Use a throwaway SQLite database (tests): a file in the temporary directory, removed at shutdown.
    public var inMemory: Bool
    /// `KPI_EVIDENCE_MAX_MB`, default 20: the largest evidence file accepted.
    public var evidenceMaxMegabytes: Int = 20
    /// `KPI_EVIDENCE_TYPES`, default "pdf,doc,docx,xls,xlsx,jpg,jpeg,png".
    public var evidenceTypes: [String] = EvidencePolicy().extensions
    /// `KPI_WARN_SOON_DAYS`, default 2: "due soon" this many working days before the due date.
    public var warnSoonDays: Int = 2
    /// `KPI_WARN_EVERY_MINUTES`, default 15: how often the server runs the deadline warnings (0: never;
    /// then run `kpi warnings` from cron).
    public var warnEveryMinutes: Int = 15
    /// `KPI_SCORE_EVERY_SECONDS`, default 60: how often the evaluation job opens scheduled periods
    /// and computes again the periods whose inputs changed (0: only `kpi recompute` and the page).
    public var scoreEverySeconds: Int = 60
    /// Working days the authority has to answer a complaint (kiến nghị).
    public var complaintAnswerDays: Int = 10
    /// The place in the date line of printed forms ("Nghệ An, ngày … tháng … năm …").
    public var placeName: String = "Nghệ An"

    /// `KPI_RATINGS_PER_10MIN`, default 10: public ratings accepted from one address in 10 minutes.
    public var ratingsPerWindow: Int = 10
    /// `KPI_PUBLIC_URL` (e.g. https://kpi.nghean.gov.vn): the address printed in rating links and QR
    /// codes; by default taken from the request.
    public var publicURL: String?
    /// `KPI_BOARD_CACHE_SECONDS`, default 30: how long a counted unit board is shown again to
    /// leaders (a write in the same process refreshes it at once; 0: always count).
    public var boardCacheSeconds: Int = 30

    /// `KPI_LOGIN_MAX_FAILURES`, default 5: wrong passwords in a row (within the lock time) that lock
    /// an account.
    public var loginMaxFailures: Int = 5
    /// `KPI_LOGIN_LOCK_MINUTES`, default 15: how long a locked account stays locked; failures older
    /// than this are forgotten (the count decays).
    public var loginLockMinutes: Int = 15
    /// `KPI_LOGIN_FAILURES_PER_IP`, default 30: failed sign-ins accepted from one address in 10
    /// minutes before it is slowed down (429); nobody is locked out by address.
    public var loginFailuresPerIP: Int = 30
    /// `KPI_TRUSTED_PROXIES`: addresses or CIDR ranges of the reverse proxies in front of the
    /// server; only from these is `X-Forwarded-For` believed (empty: never).
    public var trustedProxies: [String] = []
    /// `KPI_DATABASE_CA_FILE`: the certificate (PEM) of the authority that signed the PostgreSQL
    /// server's certificate (a province's own). When set, the connection is TLS, always, and the server's
    /// certificate must chain to it and name the host of `DATABASE_URL` (libpq's `verify-full`).
    public var databaseCAFile: String?
    /// `KPI_METRICS_TOKEN`: the bearer token Prometheus sends to `/metrics` (at least 32 characters);
    /// unset, `/metrics` is not found.
    public var metricsToken: String?
    /// `KPI_READ_DATABASE_URL`: a streaming replica of `DATABASE_URL`'s database (PostgreSQL only). Reports,
    /// their exports and the other heavy read-only pages read there and say how fresh what they show is;
    /// every write goes to `DATABASE_URL`. Unset: everything reads the primary.
    public var readDatabaseURL: String?
    /// `KPI_READ_MAX_LAG_SECONDS`, default 300 (10…86 400): a replica further behind than this, or not
    /// answering, is passed over and the primary read instead, until it catches up.
    public var readMaxLagSeconds: Int = 300

    /// `KPI_SESSION_IDLE_BY_ROLE`, default "quan-tri-he-thong=15,quan-tri-don-vi=15,co-quan-tham-muu=15":
    /// a shorter idle time for the roles that can do the most; a user holding several roles gets the
    /// shortest.
    public var sessionIdleByRole: [Role: Int] = [.systemAdmin: 15, .unitAdmin: 15, .advisory: 15]
    /// `KPI_SESSION_MAX_HOURS`, default 12: a session ends this long after sign-in, however active.
    public var sessionMaxHours: Int = 12

    /// Minutes a session of someone holding `roles` may stay unused.
    func idleMinutes(for roles: [Role]) -> Int {
        roles.compactMap { sessionIdleByRole[$0] }.reduce(sessionIdleMinutes, min)
    }

    /// `KPI_INACTIVE_DAYS`, default 45: accounts not signed in to for this many days are disabled by
    /// the deadline job (0: never; otherwise at least 7).
    public var inactiveDays: Int = 45

    /// `KPI_AUDIT_ANCHOR_FILE`, default `<KPI_DATA_DIR>/neo-nhat-ky.jsonl`: where the deadline job writes
    /// the audit chain's head once a day (`kpi audit-anchor` writes one at once). Keep a copy off the
    /// database server.
    public var auditAnchorFile: String?

    var anchorFile: String { auditAnchorFile ?? dataDirectory + "/neo-nhat-ky.jsonl" }

    /// `KPI_AUDIT_RETENTION_MONTHS`, default 12 (never less): `kpi audit-archive` moves entries older
    /// than this out of the database.
    public var auditRetentionMonths: Int = 12
    /// `KPI_AUDIT_ARCHIVE_DIR`, default `<KPI_DATA_DIR>/luu-tru-nhat-ky`: where archive files go (keep
    /// a copy elsewhere, like the anchors).
    public var auditArchiveDir: String?
    var archiveDirectory: String { auditArchiveDir ?? dataDirectory + "/luu-tru-nhat-ky" }

    /// `KPI_PASSWORD_MIN_LENGTH`, default 12 (never below 10): the shortest password accepted.
    public var passwordMinLength: Int = 12

    /// `KPI_MFA_REQUIRED_ROLES` (comma-separated role codes, `none` for nobody), default system admins,
    /// unit admins and advisory bodies: these must sign in with a second step (TOTP). Environment only.
    public var mfaRequiredRoles: Set<Role> = TwoFactorPolicy.defaultRequired
    /// `KPI_MFA_KEY`: 32 bytes in base64, the key that encrypts two-step secrets at rest. When absent,
    /// a key file `<KPI_DATA_DIR>/khoa-xac-thuc.key` is made on first start (readable by the owner only).
    public var mfaKey: String?
    /// `KPI_DOCS_DIR`: where the user guide (docs/huong-dan-su-dung.md and docs/anh/) is read from for
    /// /huong-dan; by default ./docs or beside the executable.
    public var docsDirectory: String?
    /// The data folder is a training copy (`kpi demo --training`): every page says so.
    public var isTraining = false

    var passwordPolicy: PasswordPolicy { PasswordPolicy(minLength: passwordMinLength) }

    /// `KPI_WEBHOOK_ALLOW`: internal addresses and ranges webhooks may be sent to (`WebhookAddressPolicy`).
    public var webhookAllow: String = ""

    /// `KPI_DOSSIER_PRODUCTS`: the product codes a dossier of the one-stop system becomes, the first one
    /// in the handling officer's catalog (`DossierService`).
    public var dossierProducts: String = "SP-CM-07"

    /// `KPI_EDXML_PRODUCT`: the product of a task made from a directive received as edXML (`EdXMLReceiver`).
    public var edxmlProduct: String = "SP-CM-01"
    /// `KPI_EDXML_REQUIRE_SIGNED`: identifiers of agencies that take only validly signed edXML packages.
    public var edxmlRequireSigned: String = ""

    /// `KPI_OIDC_*`: single sign-on through the province's identity provider (OpenID Connect), off
    /// when `KPI_OIDC_ISSUER` is empty. Environment only (it holds the client's secret).
    public var singleSignOn: SingleSignOnConfig?
    /// Why the `KPI_OIDC_*` settings were refused (single sign-on then stays off; `kpi serve` says it).
    public var singleSignOnProblem: String?

    var edxmlSignedAgencies: Set<String> {
        Set(edxmlRequireSigned.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " })
            .map { AgencyIdentifier.normalize(String($0)) })
    }

    var dossierProductCodes: [String] {
        dossierProducts.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }).map(String.init)
    }

    var webhookAddressPolicy: WebhookAddressPolicy { (try? WebhookAddressPolicy.parse(webhookAllow).get()) ?? WebhookAddressPolicy() }

    var evidencePolicy: EvidencePolicy {
        EvidencePolicy(extensions: evidenceTypes, maxBytes: evidenceMaxMegabytes * 1024 * 1024)
    }

    // MARK: Thư điện tử (issue 18, item 3; `SettingsCatalog.mail`)

    /// `KPI_SMTP_HOST`: the relay; empty: no mail is sent (notices stay in the centre).
    public var smtpHost: String = ""
    /// `KPI_SMTP_PORT`, default 587.
    public var smtpPort: Int = 587
    /// `KPI_SMTP_SECURITY`: "starttls" (default; never sent unencrypted) or "khong" (a relay on this machine only).
    public var smtpSecurity: String = SettingsCatalog.starttls
    /// `KPI_SMTP_FROM` and `KPI_SMTP_FROM_NAME`: the sender.
    public var smtpFrom: String = "khong-tra-loi@kpi.local"
    public var smtpFromName: String = "KPI Công vụ"
    /// `KPI_SMTP_USERNAME` (empty: no AUTH) and `KPI_SMTP_PASSWORD` (environment only).
    public var smtpUsername: String = ""
    public var smtpPassword: String = ""
    /// `KPI_SMTP_CA_FILE`: a PEM file of the certificate authorities the relay's certificate is checked
    /// against (the province's own CA); by default the system's. Environment only.
    public var smtpCAFile: String?
    /// `KPI_MAIL_DIGEST_HOUR`, default 7: the hour (Việt Nam) from which the daily digest goes.
    public var mailDigestHour: Int = 7
    /// `KPI_RETAIN_NOTICE_MONTHS` (default 24) and `KPI_RETAIN_OUTBOX_MONTHS` (default 6): read notices and
    /// sent or refused mail older than this are deleted once a day (`Retention`).
    public var retainNoticeMonths: Int = 24
    public var retainOutboxMonths: Int = 6
    /// `KPI_MAIL_EVERY_SECONDS`, default 30: how often the server routes new notices to the outbox and
    /// sends what is due (0: only `kpi mail`).
    public var mailEverySeconds: Int = 30

    /// The environment variables of `SettingsCatalog` that were set: the page cannot change those.
    public var setByEnvironment: Set<String> = []

    /// The fields the Cài đặt page sets, by environment variable: read as the page shows them, and
    /// written from a value `SettingSpec.check` accepted.
    private static let pageFields: [String: (get: @Sendable (Settings) -> String, set: @Sendable (inout Settings, String) -> Void)] = [
        "KPI_PUBLIC_URL": ({ $0.publicURL ?? "" }, { $0.publicURL = $1 }),
        "KPI_PLACE_NAME": ({ $0.placeName }, { $0.placeName = $1 }),
        "KPI_WARN_SOON_DAYS": ({ String($0.warnSoonDays) }, { $0.warnSoonDays = Int($1) ?? $0.warnSoonDays }),
        "KPI_COMPLAINT_ANSWER_DAYS": ({ String($0.complaintAnswerDays) }, { $0.complaintAnswerDays = Int($1) ?? $0.complaintAnswerDays }),
        "KPI_EVIDENCE_MAX_MB": ({ String($0.evidenceMaxMegabytes) }, { $0.evidenceMaxMegabytes = Int($1) ?? $0.evidenceMaxMegabytes }),
        "KPI_EVIDENCE_TYPES": ({ $0.evidenceTypes.joined(separator: ",") },
                               { $0.evidenceTypes = $1.split(separator: ",").map(String.init) }),
        "KPI_SESSION_IDLE_MINUTES": ({ String($0.sessionIdleMinutes) }, { $0.sessionIdleMinutes = Int($1) ?? $0.sessionIdleMinutes }),
        "KPI_SESSION_MAX_HOURS": ({ String($0.sessionMaxHours) }, { $0.sessionMaxHours = Int($1) ?? $0.sessionMaxHours }),
        "KPI_INACTIVE_DAYS": ({ String($0.inactiveDays) }, { $0.inactiveDays = Int($1) ?? $0.inactiveDays }),
        "KPI_PASSWORD_MIN_LENGTH": ({ String($0.passwordMinLength) }, { $0.passwordMinLength = Int($1) ?? $0.passwordMinLength }),
        "KPI_LOGIN_MAX_FAILURES": ({ String($0.loginMaxFailures) }, { $0.loginMaxFailures = Int($1) ?? $0.loginMaxFailures }),
        "KPI_LOGIN_LOCK_MINUTES": ({ String($0.loginLockMinutes) }, { $0.loginLockMinutes = Int($1) ?? $0.loginLockMinutes }),
        "KPI_SMTP_HOST": ({ $0.smtpHost }, { $0.smtpHost = $1 }),
        "KPI_SMTP_PORT": ({ String($0.smtpPort) }, { $0.smtpPort = Int($1) ?? $0.smtpPort }),
        "KPI_SMTP_SECURITY": ({ $0.smtpSecurity }, { $0.smtpSecurity = $1 }),
        "KPI_SMTP_FROM": ({ $0.smtpFrom }, { $0.smtpFrom = $1 }),
        "KPI_SMTP_FROM_NAME": ({ $0.smtpFromName }, { $0.smtpFromName = $1 }),
        "KPI_SMTP_USERNAME": ({ $0.smtpUsername }, { $0.smtpUsername = $1 }),
        "KPI_MAIL_DIGEST_HOUR": ({ String($0.mailDigestHour) }, { $0.mailDigestHour = Int($1) ?? $0.mailDigestHour }),
        "KPI_RETAIN_NOTICE_MONTHS": ({ String($0.retainNoticeMonths) }, { $0.retainNoticeMonths = Int($1) ?? $0.retainNoticeMonths }),
        "KPI_RETAIN_OUTBOX_MONTHS": ({ String($0.retainOutboxMonths) }, { $0.retainOutboxMonths = Int($1) ?? $0.retainOutboxMonths }),
        "KPI_WEBHOOK_ALLOW": ({ $0.webhookAllow }, { $0.webhookAllow = $1 }),
        "KPI_DOSSIER_PRODUCTS": ({ $0.dossierProducts }, { $0.dossierProducts = $1 }),
        "KPI_EDXML_PRODUCT": ({ $0.edxmlProduct }, { $0.edxmlProduct = $1 }),
        "KPI_EDXML_REQUIRE_SIGNED": ({ $0.edxmlRequireSigned }, { $0.edxmlRequireSigned = $1 }),
    ]

    /// These settings with the values saved on the Cài đặt page (`system_settings`, key → value), where
    /// the environment did not set them (an unreadable saved value is skipped: the default stays).
    func applying(_ stored: [String: String]) -> Settings {
        var s = self
        for spec in SettingsCatalog.all where !setByEnvironment.contains(spec.env) {
            guard let raw = stored[spec.key], case .success(let v) = spec.check(raw) else { continue }
            Self.pageFields[spec.env]?.set(&s, v)
        }
        return s
    }

    /// A setting's value in force, as the page shows and stores it.
    func value(of spec: SettingSpec) -> String {
        Self.pageFields[spec.env]?.get(self) ?? spec.defaultValue
    }

    public static func fromEnvironment() -> Settings {
        from(environment: ProcessInfo.processInfo.environment)
    }

    /// The settings a given environment describes (tests pass an empty one: the defaults).
    public static func from(environment env: [String: String]) -> Settings {
        var s = Settings(
            databaseURL: env["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 },
            dataDirectory: env["KPI_DATA_DIR"] ?? "./data",
            secureCookies: env["KPI_SECURE_COOKIES"] == "1",
            sessionIdleMinutes: Int(env["KPI_SESSION_IDLE_MINUTES"] ?? "") ?? 60,
            bcryptCost: Int(env["KPI_BCRYPT_COST"] ?? "") ?? 12,
            importMaxMegabytes: Int(env["KPI_IMPORT_MAX_MB"] ?? "") ?? 20,
            inMemory: false
        )
        s.evidenceMaxMegabytes = Int(env["KPI_EVIDENCE_MAX_MB"] ?? "") ?? 20
        if let allow = env["KPI_WEBHOOK_ALLOW"], case .success(let p) = WebhookAddressPolicy.parse(allow) {
            s.webhookAllow = p.allowed.map(\.text).joined(separator: ", ")
        }
        if let codes = env["KPI_DOSSIER_PRODUCTS"], !codes.isEmpty { s.dossierProducts = codes }
        if let code = env["KPI_EDXML_PRODUCT"], !code.isEmpty { s.edxmlProduct = code }
        if let codes = env["KPI_EDXML_REQUIRE_SIGNED"] { s.edxmlRequireSigned = codes }
        if let types = env["KPI_EVIDENCE_TYPES"], !types.isEmpty {
            s.evidenceTypes = types.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        }
        s.warnSoonDays = Int(env["KPI_WARN_SOON_DAYS"] ?? "") ?? 2
        s.warnEveryMinutes = Int(env["KPI_WARN_EVERY_MINUTES"] ?? "") ?? 15
        s.scoreEverySeconds = Int(env["KPI_SCORE_EVERY_SECONDS"] ?? "") ?? 60
        s.complaintAnswerDays = max(1, Int(env["KPI_COMPLAINT_ANSWER_DAYS"] ?? "") ?? 10)
        s.placeName = env["KPI_PLACE_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "Nghệ An"
        s.ratingsPerWindow = Int(env["KPI_RATINGS_PER_10MIN"] ?? "") ?? 10
        s.boardCacheSeconds = Int(env["KPI_BOARD_CACHE_SECONDS"] ?? "") ?? 30
        if let byRole = env["KPI_SESSION_IDLE_BY_ROLE"] {
            s.sessionIdleByRole = [:]
            for pair in byRole.split(separator: ",") {
                let kv = pair.split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces) }
                if kv.count == 2, let role = Role(rawValue: kv[0]), let m = Int(kv[1]) { s.sessionIdleByRole[role] = min(max(m, 1),
                    12 * 60) }
            }
        }
        s.sessionIdleMinutes = min(max(s.sessionIdleMinutes, 1), 12 * 60)
        s.sessionMaxHours = min(max(Int(env["KPI_SESSION_MAX_HOURS"] ?? "") ?? 12, 1), 24)
        s.auditAnchorFile = env["KPI_AUDIT_ANCHOR_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        s.auditRetentionMonths = min(max(Int(env["KPI_AUDIT_RETENTION_MONTHS"] ?? "") ?? 12, 12), 1_200)
        s.auditArchiveDir = env["KPI_AUDIT_ARCHIVE_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        let inactive = Int(env["KPI_INACTIVE_DAYS"] ?? "") ?? 45
        s.inactiveDays = inactive <= 0 ? 0 : min(max(inactive, 7), 3_650)
        s.passwordMinLength = max(Int(env["KPI_PASSWORD_MIN_LENGTH"] ?? "") ?? 12, PasswordPolicy.floor)
        s.loginMaxFailures = min(max(Int(env["KPI_LOGIN_MAX_FAILURES"] ?? "") ?? 5, 3), 20)
        s.loginLockMinutes = min(max(Int(env["KPI_LOGIN_LOCK_MINUTES"] ?? "") ?? 15, 1), 24 * 60)
        s.loginFailuresPerIP = min(max(Int(env["KPI_LOGIN_FAILURES_PER_IP"] ?? "") ?? 30, 5), 10_000)
        s.databaseCAFile = env["KPI_DATABASE_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        s.metricsToken = env["KPI_METRICS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        s.readDatabaseURL = env["KPI_READ_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        s.readMaxLagSeconds = min(max(Int(env["KPI_READ_MAX_LAG_SECONDS"] ?? "") ?? 300, 10), 86_400)
        s.trustedProxies = (env["KPI_TRUSTED_PROXIES"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let roles = env["KPI_MFA_REQUIRED_ROLES"] {
            s.mfaRequiredRoles = Set(roles.split(separator: ",").compactMap { Role(rawValue: $0.trimmingCharacters(in: .whitespaces)) })
        }
        s.mfaKey = env["KPI_MFA_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        if var url = env["KPI_PUBLIC_URL"], !url.isEmpty {
            while url.hasSuffix("/") { url.removeLast() }
            s.publicURL = url
        }
        // The mail settings from the environment through their specs (a value the page would refuse is ignored).
        for spec in SettingsCatalog.mail + SettingsCatalog.retention {
            if let raw = env[spec.env], !raw.isEmpty, case .success(let v) = spec.check(raw) { pageFields[spec.env]?.set(&s, v) }
        }
        s.smtpPassword = env["KPI_SMTP_PASSWORD"] ?? ""
        s.docsDirectory = env["KPI_DOCS_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        s.isTraining = TrainingCopy.isTraining(s.dataDirectory)
        s.smtpCAFile = env["KPI_SMTP_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        switch SingleSignOnConfig.from(environment: env) {
        case .success(let c)? where s.publicURL == nil:
            s.singleSignOnProblem = "Thiếu KPI_PUBLIC_URL: hệ thống định danh cần địa chỉ công khai để trả "
                + "người dùng về (\(c.issuer))."
        case .success(let c)?: s.singleSignOn = c
        case .failure(let problem)?: s.singleSignOnProblem = problem.message
        case nil: break
        }
        s.mailEverySeconds = min(max(Int(env["KPI_MAIL_EVERY_SECONDS"] ?? "") ?? 30, 0), 86_400)
        s.setByEnvironment = Set(SettingsCatalog.all.map(\.env).filter { env[$0].map { !$0.isEmpty } ?? false })
        return s
    }
}

/// The settings in force: those the server started with (environment, or a test's), with the values
/// saved on the Cài đặt page applied — read again after each save and every minute (another process's save).
final class SettingsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var base: Settings
    private var stored: [String: String] = [:]
    private var effective: Settings

    init(_ base: Settings) {
        self.base = base
        effective = base
    }

    var current: Settings { lock.withLock { effective } }
    var saved: [String: String] { lock.withLock { stored } }

    func setBase(_ s: Settings) { lock.withLock { base = s; effective = s.applying(stored) } }
    func setStored(_ values: [String: String]) { lock.withLock { stored = values; effective = base.applying(values) } }
}

struct SettingsKey: StorageKey {
    typealias Value = SettingsBox
}

extension Application {
    /// The settings in force (`SettingsBox`).
    public var settings: Settings {
        get { storage[SettingsKey.self]?.current ?? .fromEnvironment() }
        set {
            if let box = storage[SettingsKey.self] { box.setBase(newValue) } else { storage[SettingsKey.self] = SettingsBox(newValue) }
        }
    }

    var settingsBox: SettingsBox? { storage[SettingsKey.self] }
}
