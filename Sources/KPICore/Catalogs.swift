/// The catalogs of DOMAIN.md §1 and their columns, shared by forms, imports and exports.
public enum Catalogs {
    /// Khối
    public static let blocks: [Choice] = [
        Choice("dang", "Đảng"), Choice("chinh-quyen", "Chính quyền"),
        Choice("mat-tran-doan-the", "Mặt trận và đoàn thể"), Choice("su-nghiep", "Sự nghiệp"),
    ]
    /// Cấp
    public static let levels: [Choice] = [Choice("tinh", "Tỉnh"), Choice("xa", "Xã")]
    /// Loại nhóm vị trí việc làm
    public static let positionGroupKinds: [Choice] = [
        Choice("lanh-dao-quan-ly", "Lãnh đạo quản lý"), Choice("chuyen-mon-nghiep-vu", "Chuyên môn nghiệp vụ"),
        Choice("chuyen-mon-dung-chung", "Chuyên môn dùng chung"), Choice("ho-tro-phuc-vu", "Hỗ trợ phục vụ"),
    ]
    /// Loại cán bộ
    public static let staffKinds: [Choice] = [
        Choice("can-bo", "Cán bộ"), Choice("cong-chuc", "Công chức"),
        Choice("vien-chuc", "Viên chức"), Choice("nguoi-lao-dong", "Người lao động"),
    ]
    /// Chức vụ lãnh đạo
    public static let leadershipRanks: [Choice] = [
        Choice("khong", "Không giữ chức vụ"), Choice("cap-truong", "Cấp trưởng"), Choice("cap-pho", "Cấp phó"),
    ]

    public static let organizations = CatalogSpec(key: "co-quan", title: "Cơ quan, đơn vị", fields: [
        FieldSpec("ma", "Mã", .code, required: true),
        FieldSpec("ten", "Tên", .text(maxLength: 255), required: true),
        FieldSpec("khoi", "Khối", .choice(blocks), required: true),
        FieldSpec("cap", "Cấp", .choice(levels), required: true),
        FieldSpec("ma_cap_tren", "Mã cơ quan cấp trên", .reference("co-quan"),
                  help: "Để trống nếu là gốc của cây"),
        FieldSpec("thu_tu", "Thứ tự", .integer(0...99_999)),
        FieldSpec("ma_dinh_danh", "Mã định danh điện tử", .agencyIdentifier,
                  help: """
                      Theo Quyết định 20/2020/QĐ-TTg (ví dụ H40.12.03) hoặc dạng cũ 000.00.00.H42; phần mềm quản \
                      lý văn bản dùng mã này để gửi, nhận văn bản điện tử
                      """),
        FieldSpec("co_quan", "Cơ quan có thẩm quyền đánh giá", .flag,
                  help: """
                      Có: mở kỳ đánh giá, áp dụng hạn mức xuất sắc và phê duyệt riêng cho cán bộ của mình \
                      (trừ cơ quan \
                      lồng bên trong); để trống khi nhập tệp: giữ như cũ (đơn vị mới ngay dưới gốc là cơ quan)
                      """),
        FieldSpec("ma_danh_gia_nguoi_dung_dau", "Đơn vị đánh giá người đứng đầu", .reference("co-quan"),
                  help: """
                      Lãnh đạo đơn vị này đánh giá và quyết định trên hồ sơ của người đứng đầu cơ quan; \
                      để trống: lãnh \
                      đạo cơ quan cấp trên
                      """),
    ])

    public static let positionGroups = CatalogSpec(key: "nhom-vi-tri", title: "Nhóm vị trí việc làm", fields: [
        FieldSpec("ma", "Mã", .code, required: true),
        FieldSpec("ten", "Tên", .text(maxLength: 255), required: true),
        FieldSpec("loai", "Loại", .choice(positionGroupKinds), required: true),
        FieldSpec("mo_ta", "Mô tả", .text(maxLength: 2000)),
    ])

    public static let positions = CatalogSpec(key: "vi-tri-viec-lam", title: "Vị trí việc làm", fields: [
        FieldSpec("ma", "Mã", .code, required: true),
        FieldSpec("ten", "Tên", .text(maxLength: 255), required: true),
        FieldSpec("ma_nhom", "Mã nhóm vị trí", .reference("nhom-vi-tri"), required: true),
        FieldSpec("ma_co_quan", "Mã cơ quan", .reference("co-quan"),
                  help: "Cơ quan có vị trí được phê duyệt; để trống nếu dùng chung toàn tỉnh"),
        FieldSpec("mo_ta", "Mô tả", .text(maxLength: 2000)),
    ])

    public static let people = CatalogSpec(key: "can-bo", title: "Cán bộ, công chức, viên chức", fields: [
        FieldSpec("ma", "Mã", .code, required: true),
        FieldSpec("ho_ten", "Họ và tên", .text(maxLength: 150), required: true),
        FieldSpec("loai", "Loại", .choice(staffKinds), required: true),
        FieldSpec("ma_don_vi", "Mã đơn vị", .reference("co-quan"), required: true),
        FieldSpec("ma_vi_tri", "Mã vị trí việc làm", .reference("vi-tri-viec-lam")),
        FieldSpec("chuc_vu", "Chức vụ lãnh đạo", .choice(leadershipRanks)),
        FieldSpec("dang_vien", "Đảng viên", .flag),
        FieldSpec("email", "Thư điện tử", .email),
        FieldSpec("dien_thoai", "Điện thoại", .text(maxLength: 20)),
        FieldSpec("tu_ngay", "Từ ngày", .date),
        FieldSpec("den_ngay", "Đến ngày", .date),
        FieldSpec("kiem_nhiem", "Kiêm nhiệm (mã đơn vị)", .references("co-quan"),
                  help: "Các mã đơn vị kiêm nhiệm, cách nhau bởi dấu ;"),
    ])

    public static let users = CatalogSpec(key: "nguoi-dung", title: "Người dùng", fields: [
        FieldSpec("ma", "Tên đăng nhập", .code, required: true),
        FieldSpec("ma_can_bo", "Mã cán bộ", .reference("can-bo"), required: true),
        FieldSpec("mat_khau_tam", "Mật khẩu tạm", .text(maxLength: 72),
                  help: "Bắt buộc với tài khoản mới; người dùng phải đổi ở lần đăng nhập đầu"),
    ])

    /// Danh mục sản phẩm/công việc, per position group (and optionally one position or agency).
    public static let products = CatalogSpec(key: "san-pham", title: "Danh mục sản phẩm, công việc", fields: [
        FieldSpec("ma", "Mã", .code, required: true),
        FieldSpec("ten", "Tên sản phẩm, công việc", .text(maxLength: 255), required: true),
        FieldSpec("don_vi_tinh", "Đơn vị tính", .text(maxLength: 50), required: true),
        FieldSpec("ma_nhom", "Mã nhóm vị trí", .reference("nhom-vi-tri"), required: true),
        FieldSpec("ma_vi_tri", "Mã vị trí việc làm", .reference("vi-tri-viec-lam"),
                  help: "Để trống nếu dùng cho cả nhóm vị trí"),
        FieldSpec("ma_co_quan", "Mã cơ quan", .reference("co-quan"),
                  help: "Cơ quan áp dụng riêng; để trống nếu dùng chung toàn tỉnh"),
        FieldSpec("chuan", "Sản phẩm chuẩn", .flag,
                  help: "Mỗi nhóm vị trí có một sản phẩm chuẩn, hệ số 1"),
        FieldSpec("he_so", "Hệ số quy đổi", .decimal(ProductRules.factorRange), required: true,
                  help: "So với sản phẩm chuẩn (hệ số 1), ví dụ 0,5 hoặc 2"),
        FieldSpec("muc_do", "Mức độ phức tạp", .text(maxLength: 1000),
                  help: "Các mức và hệ số, cách nhau bởi dấu ; ví dụ: Đơn giản=0,8; Trung bình=1; Phức tạp=1,5"),
        FieldSpec("mo_ta", "Mô tả", .text(maxLength: 2000)),
    ])

    /// Loại vi phạm kỷ luật, kỷ cương with the points each deducts from indicator group (iv).
    public static let violationTypes = CatalogSpec(key: "vi-pham", title: "Danh mục loại vi phạm", fields: [
        FieldSpec("ma", "Mã", .code, required: true),
        FieldSpec("ten", "Tên loại vi phạm", .text(maxLength: 255), required: true),
        FieldSpec("diem_tru", "Điểm trừ mỗi lần", .decimal(Rational(0)...Rational(100)), required: true,
                  help: "Trừ vào nhóm tiêu chí kỷ luật, kỷ cương; ví dụ 1 hoặc 0,5"),
        FieldSpec("mo_ta", "Mô tả", .text(maxLength: 2000)),
    ])

    /// Hình thức kỷ luật (Luật Cán bộ, công chức; Luật Viên chức; Nghị định 112/2020/NĐ-CP).
    public static let disciplineLevels: [Choice] = [
        Choice("khien-trach", "Khiển trách"), Choice("canh-cao", "Cảnh cáo"), Choice("ha-bac-luong", "Hạ bậc lương"),
        Choice("giang-chuc", "Giáng chức"), Choice("cach-chuc", "Cách chức"), Choice("bai-nhiem", "Bãi nhiệm"),
        Choice("buoc-thoi-viec", "Buộc thôi việc"),
    ]

    /// Nghỉ theo chế độ (DOMAIN.md §5: "ranked on the periods they actually worked"): the kinds of
    /// long leave recorded for a person.
    public static let leaveKinds: [Choice] = [
        Choice("om-dau", "Nghỉ ốm đau dài ngày"), Choice("thai-san", "Nghỉ thai sản"),
        Choice("khong-luong", "Nghỉ không hưởng lương"), Choice("khac", "Nghỉ khác theo quy định"),
    ]

    /// Xếp loại các năm trước: a person's year-end level from before the system (issue 19, item 7),
    /// imported from the personnel records (the pilot's baseline, last year's results): one row per
    /// person and year. The personnel lists read it for the years the system has no result of its own.
    public static let priorLevels = CatalogSpec(key: "xep-loai-nam-truoc", title: "Xếp loại các năm trước", fields: [
        FieldSpec("ma", "Mã cán bộ", .code, required: true),
        FieldSpec("nam", "Năm", .integer(2000...2100), required: true),
        FieldSpec("xep_loai", "Xếp loại", .choice(Level.allCases.map { Choice($0.rawValue, $0.label) }), required: true),
        FieldSpec("can_cu", "Căn cứ", .text(maxLength: 255), help: "Số, ngày văn bản công nhận kết quả xếp loại"),
    ])

    public static let all = [organizations, positionGroups, positions, people, users, products, violationTypes, priorLevels]

    public static func spec(_ key: String) -> CatalogSpec? { all.first { $0.key == key } }

    public static func label(_ choices: [Choice], _ code: String?) -> String {
        guard let code else { return "" }
        return choices.first { $0.code == code }?.label ?? code
    }
}
