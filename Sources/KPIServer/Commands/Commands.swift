import Foundation
import ConsoleKit
import Fluent
import KPICore
import Vapor

enum Commands {
    static func register(on app: Application) {
        app.asyncCommands.use(MigrateNowCommand(), as: "migrate")
        app.asyncCommands.use(DemoCommand(), as: "demo")
        app.asyncCommands.use(AuditArchiveCommand(), as: "audit-archive")
        app.asyncCommands.use(VerifyAuditCommand(), as: "verify-audit")
        app.asyncCommands.use(AuditAnchorCommand(), as: "audit-anchor")
        app.asyncCommands.use(CreateAdminCommand(), as: "create-admin")
        app.asyncCommands.use(APIClientCommand(), as: "api-client")
        app.asyncCommands.use(WarningsCommand(), as: "canh-bao")
        app.asyncCommands.use(MailCommand(), as: "gui-thu")
        app.asyncCommands.use(RecomputeCommand(), as: "recompute")
        app.asyncCommands.use(BackupCommand(), as: "backup")
        app.asyncCommands.use(RestoreCommand(), as: "restore")
    }
}

/// `kpi migrate`: applies pending migrations, without asking (scripts run it).
struct MigrateNowCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Áp dụng các migration còn thiếu vào cơ sở dữ liệu." }

    func run(using context: CommandContext, signature: Signature) async throws {
        try await context.application.migrateSchema()
        context.console.print("Cơ sở dữ liệu đã ở phiên bản mới nhất.")
    }
}

/// `kpi demo [--if-empty]`: loads the demonstration data and prints the demo logins.
/// `kpi demo --training DIR`: makes (or resets) a training copy in DIR — a SQLite data folder of its own,
/// marked as such, that trainers serve with `KPI_DATA_DIR=DIR kpi serve` and reset before each class.
struct DemoCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "if-empty", help: "Chỉ nạp khi cơ sở dữ liệu chưa có cơ quan nào.")
        var ifEmpty: Bool
        @Option(name: "training", help: "Tạo hoặc đặt lại bản đào tạo (dữ liệu mẫu, SQLite) trong thư mục này.")
        var training: String?
    }
    var help: String { "Nạp dữ liệu mẫu (các cơ quan, địa phương thí điểm, cán bộ, tài khoản theo vai trò)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        if let dir = signature.training { return try TrainingCopy.make(in: dir, app: context.application, console: context.console) }
        let app = context.application
        try await app.migrateSchema()
        let loader = DemoLoader(app: app)
        if try await loader.isEmpty() {
            try await loader.load(history: true)
            context.console.print("Đã nạp dữ liệu mẫu.")
        } else if signature.ifEmpty {
            context.console.print("Cơ sở dữ liệu đã có dữ liệu; bỏ qua dữ liệu mẫu.")
        } else {
            context.console.error("""
                Cơ sở dữ liệu đã có dữ liệu; dữ liệu mẫu chỉ nạp vào cơ sở dữ liệu trống.
                """)
            throw ExitCode(1)
        }
        context.console.print("Tài khoản mẫu (mật khẩu chung: \(DemoData.password)):")
        let required = app.settings.mfaRequiredRoles
        for (username, role, _, _) in DemoData.logins {
            let key = Base32.grouped(Base32.encode(DemoData.totpSecret(username)))
            let secret = required.contains(role) ? "  khóa xác thực hai bước: " + key : ""
            context.console.print("  \(username.padding(toLength: 12, withPad: " ", startingAt: 0)) \(role.label)\(secret)")
        }
        if DemoData.logins.contains(where: { required.contains($0.1) }) {
            context.console.print("""
                Tài khoản có khóa xác thực hai bước: thêm khóa vào ứng dụng xác thực (nhập thủ công, theo thời \
                gian) để lấy mã 6 số khi \
                đăng nhập.
                """)
        }
    }
}

struct ExitCode: Error { var code: Int32; init(_ c: Int32) { code = c } }

/// `kpi verify-audit [--anchors FILE] [--archives DIR]`: checks the hash chain (from the last archived
/// entry on), each archive file against its record, then the chain against the anchors written
/// outside the database (by default `KPI_AUDIT_ANCHOR_FILE`, when it exists); exit 1 naming the first
/// broken entry.
struct VerifyAuditCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "anchors") var anchors: String?
        @Option(name: "archives") var archives: String?
    }
    var help: String { """
        Kiểm tra tính toàn vẹn của nhật ký hệ thống (chuỗi băm SHA-256, các tệp lưu trữ và các neo đã ghi ra \
        ngoài).
        """ }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        switch try await AuditLog.verify(on: app.db) {
        case .intact(let count):
            context.console.print("Chuỗi băm toàn vẹn: \(count) mục trong cơ sở dữ liệu.")
        case .broken(let seq, let reason):
            context.console.error("Nhật ký bị thay đổi: mục số \(seq): \(reason).")
            throw ExitCode(1)
        }
        let path = signature.anchors ?? app.settings.anchorFile
        let anchors = try AuditAnchors.read(path)
        let directory = signature.archives ?? app.settings.archiveDirectory
        let archived = try await AuditArchive.verifyAll(in: directory, wanted: Set(anchors.map(\.seq)), on: app.db)
        switch archived.outcome {
        case .intact(let n) where archived.files > 0:
            context.console.print("Khớp \(archived.files) tệp lưu trữ (\(n) mục) ở \(directory).")
        case .intact:
            break
        case .broken(let seq, let reason):
            context.console.error("Phần nhật ký đã lưu trữ không toàn vẹn: mục số \(seq): \(reason).")
            throw ExitCode(1)
        }
        guard !anchors.isEmpty else {
            context.console.print("Chưa có neo nào ở \(path) để đối chiếu.")
            return
        }
        switch try await AuditAnchors.verify(anchors, on: app.db, archived: archived.hashes) {
        case .intact(let n):
            context.console.print("Khớp \(n) neo ở \(path).")
        case .broken(let seq, let reason):
            context.console.error("Nhật ký bị viết lại: mục số \(seq) \(reason).")
            throw ExitCode(1)
        }
    }
}

/// `kpi audit-archive [--months N] [--dir DIR]`: moves the audit entries older than the retention
/// (`KPI_AUDIT_RETENTION_MONTHS`, at least 12) to a verified file in the archive folder.
struct AuditArchiveCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "months") var months: Int?
        @Option(name: "dir") var dir: String?
    }
    var help: String { """
        Chuyển các mục nhật ký cũ hơn thời hạn lưu (ít nhất 12 tháng) ra tệp lưu trữ đã kiểm tra, không làm \
        đứt chuỗi băm.
        """ }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let months = max(signature.months ?? app.settings.auditRetentionMonths, 12)
        let now = app.clock.now
        guard let cutoff = VietnamTime.calendar.date(byAdding: .month, value: -months, to: now) else { return }
        let directory = signature.dir ?? app.settings.archiveDirectory
        do {
            guard let r = try await AuditArchive.archive(before: cutoff, into: directory, store: app.store,
                                                         actor: Actor.system("audit-archive", at: now)) else {
                context.console.print("Không có mục nhật ký nào cũ hơn \(months) tháng.")
                return
            }
            context.console.print("""
                Đã lưu trữ \(r.entries) mục (số \(r.firstSeq)–\(r.lastSeq)) vào \(directory)/\(r.fileName), \
                SHA-256 \(r.fileSHA256).
                """)
            context.console.print("""
                Hãy sao tệp này ra nơi lưu trữ an toàn ngoài máy chủ; kpi verify-audit cần nó để kiểm tra phần đã \
                lưu trữ.
                """)
        } catch let p as AuditArchive.Problem {
            context.console.error(p.description)
            throw ExitCode(1)
        }
    }
}

/// `kpi audit-anchor [--file FILE]`: appends the audit chain's head to the anchor file now (the
/// deadline job does it once a day).
struct AuditAnchorCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "file") var file: String?
    }
    var help: String { "Ghi neo nhật ký (mục cuối và mã băm) ra tệp nằm ngoài cơ sở dữ liệu." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let path = signature.file ?? app.settings.anchorFile
        guard let a = try await AuditAnchors.append(to: path, on: app.db, at: app.clock.now) else {
            context.console.print("Nhật ký chưa có mục nào.")
            return
        }
        context.console.print("""
            Đã ghi neo mục số \(a.seq) vào \(path). Hãy sao tệp này ra ngoài máy chủ cơ sở dữ liệu.
            """)
    }
}

/// `kpi create-admin --username U`: a system administrator for a new installation. The password is
/// read from standard input (typed twice, hidden, at a terminal; one line from a pipe), never from
/// the command line, where `ps` and the shell history would show it; it must meet the policy.
struct CreateAdminCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "username") var username: String?
    }
    var help: String { """
        Tạo tài khoản quản trị hệ thống; mật khẩu đọc từ đầu vào chuẩn (phải đổi ở lần đăng nhập \
        đầu).
        """ }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let name = signature.username?.lowercased(), !name.isEmpty else {
            context.console.error("""
                Cần --username. Mật khẩu nhập từ bàn phím hoặc qua đầu vào chuẩn, ví dụ: kpi create-admin \
                --username quantri < \
                tep-mat-khau
                """)
            throw ExitCode(2)
        }
        let password: String
        if isatty(0) == 1 {
            context.console.output("Mật khẩu: ", newLine: false)
            let first = context.console.input(isSecure: true)
            context.console.output("Nhập lại: ", newLine: false)
            guard context.console.input(isSecure: true) == first else {
                context.console.error("Hai lần nhập không khớp.")
                throw ExitCode(2)
            }
            password = first
        } else {
            password = readLine(strippingNewline: true) ?? ""
        }
        let problems = app.settings.passwordPolicy.problems(password, username: name)
        guard problems.isEmpty else {
            for p in problems { context.console.error(p) }
            throw ExitCode(2)
        }
        try await app.migrateSchema()
        let hash = try await app.password.async.hash(password)
        try await app.store.write { db in
            let u = User()
            u.id = UUID(); u.username = name; u.passwordHash = hash; u.personID = nil; u.scopePath = "/"
            u.mustChangePassword = true; u.failedAttempts = 0; u.active = true; u.createdAt = app.clock.now
            try await u.create(on: db)
            let g = RoleGrant()
            g.userID = u.id!; g.role = "quan-tri-he-thong"; g.organizationID = nil; g.scopePath = "/"; g.grantedBy = "kpi create-admin"
            try await g.create(on: db)
            try await AuditLog.append(on: db, actor: .system("create-admin", at: app.clock.now), action: "user.create", entityType: "user",
                                      entityID: u.id!.uuidString, scopePath: "/", after: ["username": name, "role": g.role])
        }
        context.console.print("Đã tạo tài khoản quản trị «\(name)».")
    }
}

/// `kpi canh-bao`: runs the deadline warnings once (for cron when `KPI_WARN_EVERY_MINUTES=0`); safe to
/// run beside a server that runs them too: one runner at a time, each warning written once.
struct WarningsCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { """
        Sinh nhiệm vụ thường xuyên của kỳ và chạy cảnh báo hạn (sắp đến hạn, đến hạn, quá hạn) một \
        lần.
        """ }

    func run(using context: CommandContext, signature: Signature) async throws {
        try await loadSavedSettings(context.application)
        let outcome = try await DeadlineJob.run(context.application)
        if outcome.ran {
            context.console.print("""
                Cảnh báo hạn: \(outcome.notices) thông báo mới; \(outcome.generated) nhiệm vụ thường xuyên mới.
                """)
        } else {
            context.console.print("Một tiến trình khác đang chạy cảnh báo hạn; bỏ qua lần này.")
        }
    }
}

/// The values saved on the Cài đặt page, for a command run beside the server (which reads them every minute).
func loadSavedSettings(_ app: Application) async throws {
    if let box = app.settingsBox { try await SettingsService.reload(store: app.store, box: box) }
}

/// `kpi gui-thu`: routes new notices to mail, queues the day's digests and sends what is due, once
/// (for cron when `KPI_MAIL_EVERY_SECONDS=0`, or to see at once what the relay answers).
struct MailCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { """
        Gửi thư thông báo: xếp thông báo mới vào hộp thư đi, thư tổng hợp trong ngày, rồi gửi một lần.
        """ }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await loadSavedSettings(app)
        let o = try await MailJob.run(app)
        guard o.ran else { return context.console.print("Một tiến trình khác đang gửi thư; bỏ qua lần này.") }
        if app.settings.smtpHost.isEmpty {
            context.console.print("Chưa cấu hình máy chủ thư (Cài đặt → Thư điện tử): không gửi thư.")
        }
        context.console.print("""
            Gửi thư: \(o.routed.queued) thư thông báo, \(o.digests) thư tổng hợp mới, \(o.routed.digest) thông báo chờ \
            thư \
            tổng hợp; đã gửi \(o.sent.sent), chờ gửi lại \(o.sent.retried), bị từ chối \(o.sent.failed).
            """)
    }
}

/// `kpi recompute --period 2026-11 [--agency MÃ]`: computes the opened periods with that code again
/// (every agency, or one), one line of progress per agency.
struct RecomputeCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "period", help: "Kỳ: tháng 2026-11, quý 2026-Q4 hoặc năm 2026.") var period: String?
        @Option(name: "agency", help: "Mã cơ quan (bỏ trống: mọi cơ quan đã mở kỳ này).") var agency: String?
    }
    var help: String { "Tính lại điểm của kỳ đánh giá từ nhiệm vụ, đánh giá và ghi nhận kỷ luật." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await app.migrateSchema()
        guard let text = signature.period, let period = PeriodCode(text) else {
            context.console.error("Cần --period: tháng «2026-11», quý «2026-Q4» hoặc năm «2026».")
            throw ExitCode(2)
        }
        var query = EvaluationPeriod.query(on: app.db).filter(\.$code == period.text)
        if let code = signature.agency {
            guard let org = try await Organization.query(on: app.db).filter(\.$code == code).first() else {
                context.console.error("Không có cơ quan mã «\(code)».")
                throw ExitCode(2)
            }
            let agencyID = try org.requireID()
            query = query.filter(\.$organizationID == agencyID)
        }
        let periods = try await query.sort(\.$scopePath).all()
        guard !periods.isEmpty else {
            context.console.error("""
                Chưa mở \(period.label.lowercased()) cho cơ quan nào; mở kỳ ở trang Kỳ đánh giá trước.
                """)
            throw ExitCode(1)
        }
        let names = Dictionary(try await Organization.query(on: app.db).all().map { ($0.id!, $0.name) }) { a, _ in a }
        let started = ContinuousClock.now
        func seconds() -> Double {
            let d = ContinuousClock.now - started
            return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        var people = 0, written = 0
        for p in periods where EvaluationState(rawValue: p.state)?.recomputes != true {
            context.console.print("""
                \(names[p.organizationID] ?? p.scopePath): bỏ qua — kỳ đã qua bước đánh giá \
                (\(EvaluationState(rawValue: p.state)?.label.lowercased() ?? p.state)).
                """)
        }
        let count = periods.filter { EvaluationState(rawValue: $0.state)?.recomputes == true }.count
        context.console.print("Đọc dữ liệu của \(count) cơ quan…")
        _ = try await EvaluationService.recompute(batch: periods, store: app.store, actor: .system("kpi recompute",
            at: app.clock.now)) { p, n in
            written += 1
            people += n
            context.console.print("""
                [\(written)/\(count)] \(names[p.organizationID] ?? p.scopePath): \(n) người (đã chạy \
                \(VNNumber.format(seconds(), decimals: 1)) giây)
                """)
        }
        context.console.print("""
            Xong \(period.label.lowercased()): \(people) người trong \(VNNumber.format(seconds(), decimals: 1)) giây.
            """)
    }
}
