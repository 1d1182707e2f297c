import Crypto
import Fluent
import Foundation
import KPICore
import Vapor

/// Demonstration data: the pilot agencies and communes of the Standing Committee's conclusion
/// (seed 004), their units, job positions, about 200 people and one login per role.
enum DemoData {
    static let password = "KpiCongVu@2026"

    /// The two-step secret of a demonstration account whose role requires it: the first 20 bytes of
    /// SHA-256("kpi-demo-totp:" + username), printed by `kpi demo` (base32) so that trainers and the
    /// browser tests can sign in. Demonstration only: a real account's secret is random.
    static func totpSecret(_ username: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(("kpi-demo-totp:" + username).utf8)).prefix(TOTPRules.secretBytes))
    }

    /// (code, name, block, children)
    typealias Node = (code: String, name: String, block: String, units: [String])

    static let provinceAgencies: [Node] = [
        ("BTCTU", "Ban Tổ chức Tỉnh ủy", "dang", ["Văn phòng Ban", "Phòng Tổ chức đảng, đảng viên",
                                                  "Phòng Cán bộ",
                                                  "Phòng Bảo vệ chính trị"]),
        ("VPTU", "Văn phòng Tỉnh ủy", "dang", ["Phòng Tổng hợp", "Phòng Hành chính - Lưu trữ",
                                               "Phòng Quản trị - Tài vụ",
                                               "Phòng Chuyển đổi số - Cơ yếu"]),
        ("SNV", "Sở Nội vụ", "chinh-quyen", ["Văn phòng Sở", "Phòng Tổ chức, biên chế",
                                             "Phòng Công chức, viên chức",
                                             "Phòng Xây dựng chính quyền"]),
        ("MTTQT", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", "mat-tran-doan-the", ["Văn phòng",
                                                                                 "Ban Dân chủ - Pháp luật", "Ban Phong trào"]),
        ("SKHCN", "Sở Khoa học và Công nghệ", "chinh-quyen", ["Văn phòng Sở", "Phòng Kế hoạch - Tài chính",
                                                              "Phòng Quản lý khoa học",
                                                              "Phòng Chuyển đổi số"]),
    ]

    static let communes: [(code: String, name: String)] = [
        ("THANHVINH", "Phường Thành Vinh"), ("HUNGNGUYEN", "Xã Hưng Nguyên"), ("HAICHAU", "Xã Hải Châu"), ("NAMCAN",
            "Xã Nậm Cắn"),
    ]

    /// Each commune's bodies that employ and evaluate their own staff — the agencies (cơ quan có
    /// thẩm quyền đánh giá) of the commune: Đảng ủy, UBND and Ủy ban MTTQ, the socio-political
    /// organizations under the Front (as since 2025). The commune node itself only groups them.
    static func communeBodies(_ name: String) -> [Node] {
        [("DU", "Đảng ủy \(name)", "dang", ["Văn phòng Đảng ủy", "Ban Xây dựng Đảng"]),
         ("UBND", "Ủy ban nhân dân \(name)", "chinh-quyen", ["Văn phòng HĐND và UBND", "Phòng Kinh tế",
                                                             "Phòng Văn hóa - Xã hội",
                                                             "Trung tâm Phục vụ hành chính công"]),
         ("MTTQ", "Ủy ban MTTQ Việt Nam \(name)", "mat-tran-doan-the", ["Văn phòng Ủy ban MTTQ", "Hội Liên hiệp Phụ nữ",
                                                                           "Đoàn Thanh niên Cộng sản Hồ Chí Minh",
                                                                           "Hội Nông dân",
                                                                           "Hội Cựu chiến binh"])]
    }

    /// Rows of the organization catalog, in the import file's shape; «co_quan» marks the agencies,
    /// each with an electronic identifier of the demonstration (mã định danh: H40.xx, H40.6x.yy).
    static func organizationTable() -> [[String]] {
        var rows = [["ma", "ten", "khoi", "cap", "ma_cap_tren", "thu_tu", "co_quan", "ma_dinh_danh"]]
        rows.append(["NGHEAN", "Hệ thống chính trị tỉnh Nghệ An", "dang", "tinh", "", "0", "Không", "H40"])
        func add(_ node: Node, code: String, parent: String, level: String, order: Int, identifier: String) {
            rows.append([code, node.name, node.block, level, parent, String(order), "Có", identifier])
            for (i, unit) in node.units.enumerated() {
                rows.append(["\(code)-P\(i + 1)", unit,
                             node.block == "dang" || unit.hasPrefix("Trung tâm") == false ? node.block : "su-nghiep", level, code,
                             String(i + 1), "Không", ""])
            }
        }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        for (i, a) in provinceAgencies.enumerated() {
            add(a, code: a.code, parent: "NGHEAN", level: "tinh", order: i + 1, identifier: "H40.\(two(i + 1))")
        }
        for (i, c) in communes.enumerated() {
            rows.append([c.code, c.name, "chinh-quyen", "xa", "NGHEAN", String(100 + i), "Không", ""])
            for (j, b) in communeBodies(c.name).enumerated() {
                add(b, code: "\(c.code)-\(b.code)", parent: c.code, level: "xa", order: j + 1, identifier: "H40.\(60 + i).\(two(j + 1))")
            }
        }
        return rows
    }

    static let groups: [(String, String, String)] = [
        ("LDQL", "Lãnh đạo, quản lý", "lanh-dao-quan-ly"), ("CMNV", "Chuyên môn, nghiệp vụ", "chuyen-mon-nghiep-vu"),
        ("CMDC", "Chuyên môn dùng chung", "chuyen-mon-dung-chung"), ("HTPV", "Hỗ trợ, phục vụ", "ho-tro-phuc-vu"),
    ]

    static let positions: [(String, String, String)] = [
        ("VT-TRUONG", "Cấp trưởng đơn vị", "LDQL"), ("VT-PHO", "Cấp phó đơn vị", "LDQL"),
        ("VT-CVTC", "Chuyên viên về tổ chức, cán bộ", "CMNV"), ("VT-CVTH", "Chuyên viên tổng hợp", "CMNV"),
        ("VT-CVQLKH", "Chuyên viên quản lý khoa học và công nghệ", "CMNV"), ("VT-CVCDS", "Chuyên viên chuyển đổi số",
                                                                             "CMNV"),
        ("VT-CVCTMT", "Chuyên viên công tác mặt trận", "CMNV"), ("VT-CCVPTK", "Công chức Văn phòng - Thống kê", "CMNV"),
        ("VT-CCTPHT", "Công chức Tư pháp - Hộ tịch", "CMNV"), ("VT-KETOAN", "Kế toán", "CMDC"),
        ("VT-VANTHU", "Văn thư", "CMDC"), ("VT-LUUTRU", "Lưu trữ", "CMDC"), ("VT-PHUCVU", "Nhân viên phục vụ", "HTPV"),
    ]

    /// Danh mục sản phẩm mẫu: (code, name, unit, group, position or "", standard, factor, complexity).
    static let products: [(String, String, String, String, String, Bool, String, String)] = [
        ("SP-LD-01", "Chỉ đạo, điều hành nhiệm vụ của đơn vị (văn bản chỉ đạo ký ban hành)", "Văn bản",
         "LDQL", "", true, "1",
         "Thường=1; Phức tạp=1,5"),
        ("SP-LD-02", "Chủ trì cuộc họp, hội nghị chuyên đề", "Cuộc", "LDQL", "", false, "1.5", ""),
        ("SP-LD-03", "Báo cáo kết quả thực hiện nhiệm vụ của đơn vị", "Báo cáo", "LDQL", "", false, "2", ""),
        ("SP-LD-04", "Kiểm tra, giám sát chuyên đề", "Cuộc", "LDQL", "", false, "3", "Thường=1; Phức tạp=1,5"),
        ("SP-CM-01", "Văn bản tham mưu (tờ trình, công văn, dự thảo văn bản hành chính)", "Văn bản", "CMNV", "", true,
         "1",
         "Đơn giản=0,8; Trung bình=1; Phức tạp=1,5"),
        ("SP-CM-02", "Báo cáo định kỳ (tháng, quý, 6 tháng, năm)", "Báo cáo", "CMNV", "", false, "1.5",
         "Đơn giản=0,8; Trung bình=1; Phức tạp=1,5"),
        ("SP-CM-03", "Báo cáo chuyên đề, đột xuất", "Báo cáo", "CMNV", "", false, "2", "Trung bình=1; Phức tạp=1,5"),
        ("SP-CM-04", "Hồ sơ thẩm định (đề án, quy hoạch, nhân sự)", "Hồ sơ", "CMNV", "VT-CVTC", false, "3",
         "Trung bình=1; Phức tạp=1,5; Rất phức tạp=2"),
        ("SP-CM-05", "Đề án, kế hoạch, chương trình công tác", "Đề án", "CMNV", "", false, "5",
         "Trung bình=1; Phức tạp=1,5; Rất phức tạp=2"),
        ("SP-CM-06", "Tiếp công dân, giải quyết đơn thư", "Lượt", "CMNV", "", false, "0.5", ""),
        ("SP-CM-07", "Hồ sơ thủ tục hành chính giải quyết đúng hạn", "Hồ sơ", "CMNV", "VT-CCTPHT", false, "0.25",
         "Đơn giản=0,8; Trung bình=1"),
        ("SP-CM-08", "Văn bản góp ý dự thảo", "Văn bản", "CMNV", "", false, "0.5", ""),
        ("SP-DC-01", "Chứng từ kế toán được lập, kiểm soát", "Bộ chứng từ", "CMDC", "VT-KETOAN", true, "1", ""),
        ("SP-DC-02", "Báo cáo tài chính, quyết toán", "Báo cáo", "CMDC", "VT-KETOAN", false, "5",
         "Trung bình=1; Phức tạp=1,5"),
        ("SP-DC-03", "Văn bản đến, đi được đăng ký, chuyển xử lý", "10 văn bản", "CMDC", "VT-VANTHU", false, "1", ""),
        ("SP-DC-04", "Hồ sơ lưu trữ được chỉnh lý, số hóa", "Hồ sơ", "CMDC", "VT-LUUTRU", false, "0.5", ""),
        ("SP-PV-01", "Phục vụ hội nghị, cuộc họp", "Cuộc", "HTPV", "", true, "1", ""),
        ("SP-PV-02", "Lượt xe phục vụ công tác", "Lượt", "HTPV", "", false, "0.5", ""),
    ]

    static let familyNames = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Võ", "Đặng", "Hồ", "Thái", "Đinh", "Cao"]
    static let middleNames = ["Văn", "Thị", "Đình", "Hữu", "Minh", "Thu", "Quang", "Ngọc", "Xuân", "Thanh"]
    static let givenNames = ["An", "Bình", "Chung", "Dũng", "Giang", "Hà", "Hải", "Hằng", "Hiếu", "Hoa", "Hùng", "Hương",
                             "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phương", "Quân", "Sơn",
                             "Tâm", "Thảo", "Thắng", "Trang", "Tuấn", "Vinh", "Yến"]

    /// A deterministic Vietnamese name for the n-th person.
    static func name(_ n: Int) -> String {
        "\(familyNames[n % familyNames.count]) \(middleNames[(n / 3) % middleNames.count]) \(givenNames[(n * 7) % givenNames.count])"
    }

    /// The demo logins: username, role, scope organization code (nil: whole system), person code.
    static let logins: [(String, Role, String?, String)] = [
        ("quantri", .systemAdmin, nil, "CB-VPTU-P4-02"),
        ("quantri.snv", .unitAdmin, "SNV", "CB-SNV-P1-02"),
        ("thammuu", .advisory, nil, "CB-BTCTU-P3-02"),
        ("truongban", .leader, "BTCTU", "CB-BTCTU-P1-01"),
        ("lanhdao", .leader, "BTCTU-P3", "CB-BTCTU-P3-01"),
        ("canbo", .staff, "BTCTU-P3", "CB-BTCTU-P3-03"),
        ("kiemtra", .inspector, nil, "CB-BTCTU-P4-02"),
    ]
}
