/// Cài đặt (issue 18, item 2): what a system administrator changes on a page instead of in SQL or the
/// environment, each with its Vietnamese explanation and allowed range. The order that decides a
/// value: the environment variable when it is set, else the value saved on the page, else the default.
/// Trusted proxies, the roles that must use two-step sign-in, keys and the database stay in the
/// environment only; a saved value never goes below the security minimums (the ranges below).
public struct SettingSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        case integer(ClosedRange<Int>)
        /// 0 (off) or a number in the range.
        case integerOrOff(ClosedRange<Int>)
        case text(maxLength: Int)
        /// An http(s) address without a trailing slash.
        case url
        /// File extensions among `SettingsCatalog.safeExtensions`, comma-separated.
        case extensions
        /// A host name or address, or empty (the feature is off).
        case host
        /// A mail address (`MailAddress`).
        case email
        /// Text that may be left empty.
        case optionalText(maxLength: Int)
        /// One of the listed values (value, label).
        case choice([SettingChoice])
        /// IP addresses and ranges (CIDR), comma-separated, or empty (`WebhookAddressPolicy`).
        case addressList
    }

    /// The key stored in the database.
    public var key: String
    /// The environment variable that overrides it.
    public var env: String
    public var group: String
    public var label: String
    public var help: String
    public var kind: Kind
    /// The default, as shown and stored.
    public var defaultValue: String

    public init(_ key: String, env: String, group: String, label: String, help: String, kind: Kind, defaultValue: String) {
        self.key = key; self.env = env; self.group = group; self.label = label; self.help = help; self.kind = kind
        self.defaultValue = defaultValue
    }

    /// The largest number the setting accepts (nil for text).
    public var upperBound: Int? {
        switch kind {
        case .integer(let r), .integerOrOff(let r): r.upperBound
        default: nil
        }
    }

    /// The allowed range, in words.
    public var range: String {
        switch kind {
        case .integer(let r): "từ \(r.lowerBound) đến \(r.upperBound)"
        case .integerOrOff(let r): "0 (tắt) hoặc từ \(r.lowerBound) đến \(r.upperBound)"
        case .text(let n): "tối đa \(n) ký tự"
        case .url: "địa chỉ bắt đầu bằng https:// hoặc http://"
        case .extensions: "trong số: \(SettingsCatalog.safeExtensions.joined(separator: ", "))"
        case .host: "tên máy chủ hoặc địa chỉ IP, để trống để tắt"
        case .email: "một địa chỉ thư điện tử"
        case .optionalText(let n): "tối đa \(n) ký tự, có thể để trống"
        case .choice(let options): options.map { "«\($0.label)»" }.joined(separator: " hoặc ")
        case .addressList:
            "địa chỉ IP hoặc dải địa chỉ (10.20.0.0/16), cách nhau bởi dấu phẩy; có thể để trống"
        }
    }

    /// The value as stored, or the reason it is refused.
    public func check(_ raw: String) -> Result<String, SettingProblem> {
        let text = TextNormalizer.clean(raw)
        switch kind {
        case .integer(let r), .integerOrOff(let r):
            guard text.count <= 9, let n = Int(text.replacingOccurrences(of: ".", with: "")) else {
                return .failure(SettingProblem(key: key, message: "«\(label)»: ghi một số nguyên, \(range)."))
            }
            if case .integerOrOff = kind, n == 0 { return .success("0") }
            guard r.contains(n) else { return .failure(SettingProblem(key: key,
                                                                      message: "«\(label)»: \(n) ngoài khoảng cho phép, \(range).")) }
            return .success(String(n))
        case .text(let max):
            guard !text.isEmpty else { return .failure(SettingProblem(key: key, message: "«\(label)» không được để trống.")) }
            guard text.count <= max else { return .failure(SettingProblem(key: key, message: "«\(label)» dài quá \(max) ký tự.")) }
            return .success(text)
        case .url:
            var url = text
            while url.hasSuffix("/") { url.removeLast() }
            let lower = url.lowercased()
            let host = lower.drop { $0 != "/" }.dropFirst(2)
            guard url.count <= 200, lower.hasPrefix("https://") || lower.hasPrefix("http://"), !host.isEmpty,
                  !url.contains(where: { $0 == " " || $0 == "\"" || $0 == "<" || $0 == ">" || $0 == "?" || $0 == "#" }) else {
                return .failure(SettingProblem(key: key, message: """
                    «\(label)»: «\(text)» không phải địa chỉ web; ghi dạng https://kpi.nghean.gov.vn (không có dấu \
                    cách, \
                    không có ? hay #).
                    """))
            }
            return .success(url)
        case .extensions:
            let list = text.lowercased().split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " })
                .map { $0.hasPrefix(".") ? String($0.dropFirst()) : String($0) }.filter { !$0.isEmpty }
            guard !list.isEmpty else { return .failure(SettingProblem(key: key,
                                                                      message: "«\(label)»: ghi ít nhất một loại tệp.")) }
            if let bad = list.first(where: { !SettingsCatalog.safeExtensions.contains($0) }) {
                return .failure(SettingProblem(key: key, message: """
                    «\(label)»: không nhận loại tệp «\(bad)» (tệp có thể chạy được hoặc không đọc được \
                    lâu dài); chỉ \
                    \(range).
                    """))
            }
            var seen = Set<String>()
            return .success(list.filter { seen.insert($0).inserted }.joined(separator: ","))
        case .host:
            let host = text.lowercased()
            guard host.count <= 253, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-"
                || $0 == ":") }) else {
                return .failure(SettingProblem(key: key, message: """
                    «\(label)»: «\(text)» không phải tên máy chủ; ghi dạng mail.nghean.gov.vn hoặc 10.0.0.25 (không \
                    có https://, không có cổng).
                    """))
            }
            return .success(host)
        case .email:
            guard let address = MailAddress.check(text) else {
                return .failure(SettingProblem(key: key, message: "«\(label)»: " + MailAddress.problem(text)))
            }
            return .success(address)
        case .optionalText(let max):
            guard text.count <= max else { return .failure(SettingProblem(key: key, message: "«\(label)» dài quá \(max) ký tự.")) }
            return .success(text)
        case .choice(let options):
            guard let option = options.first(where: { $0.value == text || $0.label == text }) else {
                return .failure(SettingProblem(key: key, message: "«\(label)»: chọn \(range)."))
            }
            return .success(option.value)
        case .addressList:
            guard text.count <= 2_000 else { return .failure(SettingProblem(key: key, message: "«\(label)» dài quá 2.000 ký tự.")) }
            switch WebhookAddressPolicy.parse(text) {
            case .failure(let e): return .failure(SettingProblem(key: key, message: "«\(label)»: \(e.message)."))
            case .success(let p): return .success(p.allowed.map(\.text).joined(separator: ", "))
            }
        }
    }
}

public struct SettingChoice: Sendable, Equatable {
    public var value: String
    public var label: String
    public init(_ value: String, _ label: String) { self.value = value; self.label = label }
}

public struct SettingProblem: Error, Equatable, Sendable {
    public var key: String
    public var message: String
}

public enum SettingsCatalog {
    /// Evidence files the system accepts at most: documents, spreadsheets, images, archives of them.
    public static let safeExtensions = ["pdf", "doc", "docx", "xls", "xlsx", "odt", "ods", "jpg", "jpeg", "png", "txt", "csv",
                                        "zip"]

    public static let all: [SettingSpec] = [
        SettingSpec("dia-chi-cong-khai", env: "KPI_PUBLIC_URL", group: "Chung", label: "Địa chỉ công khai của hệ thống",
                    help: "In trong liên kết và mã QR đánh giá hài lòng. Để mặc định: lấy theo địa chỉ người "
                        + "dùng đang mở.", kind: .url, defaultValue: ""),
        SettingSpec("noi-ban-hanh", env: "KPI_PLACE_NAME", group: "Chung", label: "Địa danh trên văn bản in",
                    help: "Dòng «…, ngày … tháng … năm …» của phiếu và danh sách in.", kind: .text(maxLength: 50),
                    defaultValue: "Nghệ An"),
        SettingSpec("canh-bao-sap-den-han", env: "KPI_WARN_SOON_DAYS", group: "Thời hạn",
                    label: "Cảnh báo sắp đến hạn (ngày làm việc)",
                    help: "Nhiệm vụ được báo «sắp đến hạn» từ bấy nhiêu ngày làm việc trước hạn; "
                        + "các bước của kỳ đánh giá cũng được nhắc từ đó.",
                    kind: .integer(0...30), defaultValue: "2"),
        SettingSpec("han-tra-loi-kien-nghi", env: "KPI_COMPLAINT_ANSWER_DAYS", group: "Thời hạn",
                    label: "Hạn trả lời kiến nghị (ngày làm việc)",
                    help: "Kể từ ngày cán bộ gửi kiến nghị về kết quả đã công khai.", kind: .integer(1...60),
                    defaultValue: "10"),
        SettingSpec("minh-chung-dung-luong", env: "KPI_EVIDENCE_MAX_MB", group: "Minh chứng",
                    label: "Dung lượng tối đa một tệp minh chứng (MB)",
                    help: "Tệp lớn hơn bị từ chối kèm lời giải thích.", kind: .integer(1...200), defaultValue: "20"),
        SettingSpec("minh-chung-loai-tep", env: "KPI_EVIDENCE_TYPES", group: "Minh chứng",
                    label: "Loại tệp minh chứng được nhận",
                    help: """
                        Phần mở rộng, cách nhau bởi dấu phẩy. Nội dung tệp được kiểm tra đúng loại khi tải \
                        lên.
                        """,
                    kind: .extensions, defaultValue: "pdf,doc,docx,xls,xlsx,jpg,jpeg,png"),
        SettingSpec("phien-khong-thao-tac", env: "KPI_SESSION_IDLE_MINUTES", group: "Phiên và tài khoản",
                    label: "Tự đăng xuất khi không thao tác (phút)",
                    help: """
                        Với quản trị hệ thống, quản trị đơn vị và cơ quan tham mưu, thời gian ngắn hơn (15 \
                        phút) vẫn áp dụng.
                        """,
                    kind: .integer(5...480), defaultValue: "60"),
        SettingSpec("phien-toi-da", env: "KPI_SESSION_MAX_HOURS", group: "Phiên và tài khoản",
                    label: "Thời gian tối đa của một phiên (giờ)",
                    help: "Sau bấy nhiêu giờ kể từ khi đăng nhập, phải đăng nhập lại dù vẫn đang thao tác.",
                    kind: .integer(1...24),
                    defaultValue: "12"),
        SettingSpec("khoa-tai-khoan-khong-dung", env: "KPI_INACTIVE_DAYS", group: "Phiên và tài khoản",
                    label: "Khóa tài khoản không đăng nhập (ngày)",
                    help: "Tài khoản không đăng nhập bấy nhiêu ngày bị khóa, quản trị mở lại khi cần.",
                    kind: .integerOrOff(7...3_650), defaultValue: "45"),
        SettingSpec("mat-khau-toi-thieu", env: "KPI_PASSWORD_MIN_LENGTH", group: "Phiên và tài khoản",
                    label: "Độ dài mật khẩu tối thiểu (ký tự)",
                    help: "Áp dụng cho lần đặt hoặc đổi mật khẩu tiếp theo.",
                    kind: .integer(PasswordPolicy.floor...64), defaultValue: "12"),
        SettingSpec("sai-mat-khau-toi-da", env: "KPI_LOGIN_MAX_FAILURES", group: "Phiên và tài khoản",
                    label: "Số lần nhập sai mật khẩu liên tiếp thì khóa tạm",
                    help: "Tài khoản bị khóa tạm trong thời gian dưới đây.",
                    kind: .integer(3...20), defaultValue: "5"),
        SettingSpec("thoi-gian-khoa-tam", env: "KPI_LOGIN_LOCK_MINUTES", group: "Phiên và tài khoản",
                    label: "Thời gian khóa tạm (phút)", help: "Sau thời gian này, người dùng đăng nhập lại được.",
                    kind: .integer(1...1_440), defaultValue: "15"),
        SettingSpec("webhook-cho-phep", env: "KPI_WEBHOOK_ALLOW", group: "Ứng dụng kết nối (API)",
                    label: "Địa chỉ nội bộ được nhận sự kiện (webhook)",
                    help: """
                        Sự kiện không gửi tới địa chỉ trong mạng nội bộ (10.x, 172.16–31.x, 192.168.x, máy \
                        này…) để không ai dùng webhook dò vào mạng của tỉnh; chỉ những địa chỉ, dải ghi ở \
                        đây được nhận \
                        (ví dụ máy chủ QLVB&ĐH 10.20.0.5). Để trống: chỉ địa chỉ công khai.
                        """,
                    kind: .addressList, defaultValue: ""),
        SettingSpec("san-pham-ho-so-tthc", env: "KPI_DOSSIER_PRODUCTS", group: "Ứng dụng kết nối (API)",
                    label: "Mã sản phẩm «hồ sơ thủ tục hành chính»",
                    help: """
                        Hồ sơ TTHC do hệ thống một cửa gửi sang được ghi thành nhiệm vụ đã hoàn thành \
                        với sản phẩm đầu tiên trong danh sách này có trong danh mục của vị trí việc làm \
                        của cán bộ giải quyết. \
                        Nhiều mã cách nhau bởi dấu phẩy.
                        """,
                    kind: .text(maxLength: 300), defaultValue: "SP-CM-07"),
        SettingSpec("san-pham-van-ban-den", env: "KPI_EDXML_PRODUCT", group: "Ứng dụng kết nối (API)",
                    label: "Mã sản phẩm của nhiệm vụ từ văn bản đến (edXML)",
                    help: """
                        Văn bản chỉ đạo nhận qua edXML thành nhiệm vụ giao cho đơn vị nhận với sản phẩm này; \
                        lãnh đạo đơn vị phân công người chủ trì. Sản phẩm phải dùng được cho mọi đơn vị \
                        nhận \
                        (danh mục toàn tỉnh).
                        """,
                    kind: .text(maxLength: 50), defaultValue: "SP-CM-01"),
        SettingSpec("van-ban-den-bat-buoc-ky-so", env: "KPI_EDXML_REQUIRE_SIGNED", group: "Ứng dụng kết nối (API)",
                    label: "Cơ quan chỉ nhận văn bản edXML có chữ ký số hợp lệ",
                    help: """
                        Mã định danh của các cơ quan (cách nhau bởi dấu phẩy): gói gửi tới cơ quan này hoặc đơn \
                        vị thuộc cơ quan này mà không có chữ ký số hợp lệ của chứng thư tin cậy thì bị từ \
                        chối. Để trống: gói không ký vẫn được nhận (kết quả kiểm tra chữ ký ghi trên nhiệm \
                        vụ).
                        """,
                    kind: .optionalText(maxLength: 1_000), defaultValue: ""),
    ] + mail + retention

    /// Thời hạn lưu (Nghị định 13/2023): how long records that serve no evaluation are kept. The audit
    /// trail's own retention stays in the environment (`KPI_AUDIT_RETENTION_MONTHS`, never under 12).
    public static let retention: [SettingSpec] = [
        SettingSpec("luu-thong-bao", env: "KPI_RETAIN_NOTICE_MONTHS", group: "Thời hạn lưu dữ liệu",
                    label: "Giữ thông báo đã đọc (tháng)",
                    help: "Thông báo đã đọc cũ hơn bấy nhiêu tháng được xóa hằng ngày; thông báo chưa đọc "
                        + "được giữ.",
                    kind: .integer(3...120), defaultValue: "24"),
        SettingSpec("luu-thu-di", env: "KPI_RETAIN_OUTBOX_MONTHS", group: "Thời hạn lưu dữ liệu",
                    label: "Giữ thư đã gửi trong hộp thư đi (tháng)",
                    help: "Thư đã gửi hoặc bị từ chối cũ hơn bấy nhiêu tháng được xóa hằng ngày; thư đang "
                        + "chờ gửi được giữ.",
                    kind: .integer(1...120), defaultValue: "6"),
    ]

    /// Thư điện tử: the relay notifications go through. The password stays in the environment
    /// (`KPI_SMTP_PASSWORD`), like every key.
    public static let mail: [SettingSpec] = [
        SettingSpec("thu-may-chu", env: "KPI_SMTP_HOST", group: "Thư điện tử", label: "Máy chủ gửi thư (SMTP)",
                    help: "Máy chủ thư của tỉnh nhận thư để chuyển đi, ví dụ mail.nghean.gov.vn. Để trống: "
                        + "không gửi "
                        + "thư, thông báo chỉ xem trong hệ thống.", kind: .host, defaultValue: ""),
        SettingSpec("thu-cong", env: "KPI_SMTP_PORT", group: "Thư điện tử", label: "Cổng máy chủ thư",
                    help: "Thường là 587 (gửi thư, có STARTTLS) hoặc 25.", kind: .integer(1...65_535), defaultValue: "587"),
        SettingSpec("thu-bao-mat", env: "KPI_SMTP_SECURITY", group: "Thư điện tử", label: "Mã hóa đường truyền",
                    help: "STARTTLS: luôn mã hóa; máy chủ không hỗ trợ thì thư chờ, không gửi trần. "
                        + "Không mã hóa chỉ "
                        + "được chọn khi máy chủ thư ở ngay trên máy này (localhost).",
                    kind: .choice([SettingChoice(starttls, "STARTTLS (bắt buộc mã hóa)"),
                                   SettingChoice(plain, "Không mã hóa (chỉ máy chủ thư trên chính máy này)")]),
                    defaultValue: starttls),
        SettingSpec("thu-nguoi-gui", env: "KPI_SMTP_FROM", group: "Thư điện tử", label: "Địa chỉ người gửi",
                    help: "Thư gửi đi mang địa chỉ này; nên là hộp thư không trả lời của cơ quan quản lý "
                        + "hệ thống.",
                    kind: .email, defaultValue: "khong-tra-loi@kpi.local"),
        SettingSpec("thu-ten-nguoi-gui", env: "KPI_SMTP_FROM_NAME", group: "Thư điện tử", label: "Tên người gửi",
                    help: "Tên hiện ở ô người gửi của thư.", kind: .text(maxLength: 100), defaultValue: "KPI Công vụ"),
        SettingSpec("thu-tai-khoan", env: "KPI_SMTP_USERNAME", group: "Thư điện tử",
                    label: "Tài khoản đăng nhập máy chủ thư",
                    help: "Để trống nếu máy chủ thư không đòi đăng nhập. Mật khẩu đặt bằng biến môi "
                        + "trường "
                        + "KPI_SMTP_PASSWORD trên máy chủ, không lưu ở đây.", kind: .optionalText(maxLength: 100),
                    defaultValue: ""),
        SettingSpec("thu-gio-tong-hop", env: "KPI_MAIL_DIGEST_HOUR", group: "Thư điện tử",
                    label: "Giờ gửi thư tổng hợp hằng ngày",
                    help: "Giờ Việt Nam. Thông báo mà người dùng chọn «gộp vào thư tổng hợp» được gửi "
                        + "một lần mỗi ngày "
                        + "từ giờ này.", kind: .integer(0...23), defaultValue: "7"),
    ]
    public static let starttls = "starttls"
    public static let plain = "khong"

    /// Rules across settings, checked on the values that would be in force after a save (key →
    /// value): mail needs the public address (the link in every mail), and goes unencrypted only to
    /// a relay on the same machine.
    public static func crossProblems(_ values: [String: String]) -> [SettingProblem] {
        var problems: [SettingProblem] = []
        let host = values["thu-may-chu"] ?? ""
        guard !host.isEmpty else { return [] }
        if (values["dia-chi-cong-khai"] ?? "").isEmpty {
            problems.append(SettingProblem(key: "dia-chi-cong-khai", message: """
                Để gửi thư, ghi «Địa chỉ công khai của hệ thống»: mỗi thư có liên kết tới trang cần xử lý.
                """))
        }
        if values["thu-bao-mat"] == plain && !["localhost", "127.0.0.1", "::1"].contains(host) {
            problems.append(SettingProblem(key: "thu-bao-mat", message: """
                Máy chủ thư «\(host)» không ở trên máy này: phải dùng STARTTLS để mật khẩu và nội dung thư \
                không \
                đi trần trên mạng.
                """))
        }
        return problems
    }

    public static func spec(_ key: String) -> SettingSpec? { all.first { $0.key == key } }
}

/// Lịch làm việc (issue 18): the days of a year that differ from the week — public holidays and Tết
/// (nghỉ, on what would be a working day), and weekend days worked in exchange (làm bù). Deadlines
/// counted in working days follow it.
public enum CalendarRules {
    public static let holiday = "nghi"
    public static let swapped = "lam-bu"

    /// The checked entry for `year`, or the reason it is refused. `existing`: the year's days as
    /// stored (day → kind).
    public static func check(day text: String, kind: String, name rawName: String, year: Int,
                             existing: [DateOnly: String]) -> Result<(DateOnly, String, String), SettingProblem> {
        func no(_ m: String) -> Result<(DateOnly, String, String), SettingProblem> { .failure(SettingProblem(key: "ngay", message: m)) }
        guard let day = DateOnly(parsing: TextNormalizer.clean(text)) else { return no("""
            Ngày «\(text)» không đúng dạng dd/MM/yyyy.
            """) }
        guard day.year == year else { return no("Ngày \(day.display) không thuộc năm \(year): chọn năm \(day.year) ở trên.") }
        guard kind == holiday || kind == swapped else { return no("Chọn loại ngày: nghỉ lễ, Tết hoặc làm bù.") }
        let name = TextNormalizer.clean(rawName)
        guard !name.isEmpty else { return no("Ghi tên ngày (ví dụ «Tết Nguyên đán», «Làm bù ngày 02/01»).") }
        guard name.count <= 100 else { return no("Tên ngày dài quá 100 ký tự.") }
        if let other = existing[day] {
            return no(other == kind ? "Ngày \(day.display) đã có trong lịch."
                : "Ngày \(day.display) đã là \(phrase(other)): một ngày không thể vừa nghỉ vừa làm bù.")
        }
        let weekend = day.weekday >= 6
        if kind == swapped && !weekend { return no("Ngày làm bù \(day.display) phải là thứ Bảy hoặc Chủ nhật.") }
        if kind == holiday && weekend {
            return no("""
                Ngày \(day.display) là thứ Bảy hoặc Chủ nhật, vốn đã nghỉ; nếu được nghỉ bù, hãy ghi ngày \
                nghỉ bù (ngày làm \
                việc kế tiếp).
                """)
        }
        return .success((day, kind, name))
    }

    public static func label(_ kind: String) -> String { kind == swapped ? "Ngày làm bù" : "Ngày nghỉ lễ, Tết" }
    /// The same inside a sentence.
    public static func phrase(_ kind: String) -> String { kind == swapped ? "ngày làm bù" : "ngày nghỉ lễ, Tết" }
}
