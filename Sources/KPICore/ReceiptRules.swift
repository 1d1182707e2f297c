import Foundation

/// Mã biên nhận: how an agency lets citizens rate its service (issue 16, hole 4). By default any
/// receipt number is taken (once per link); an agency can require numbers from a list it imports
/// (or that its document system pushes later), or one-time codes printed in the QR code handed to
/// each citizen, so that ratings cannot be stuffed with made-up numbers.
public enum ReceiptMode: String, CaseIterable, Sendable {
    case free = "tu-do"
    case list = "danh-sach"
    case token = "ma-rieng"

    public var label: String {
        switch self {
        case .free: "Mã biên nhận tự ghi (mỗi mã một lần)"
        case .list: "Mã biên nhận phải có trong danh sách cơ quan đã nhập"
        case .token: "Mã riêng in trong mã QR của từng phiếu"
        }
    }

    public var explanation: String {
        switch self {
        case .free:
            "Người dân ghi số phiếu hẹn hoặc số hồ sơ; hệ thống chỉ kiểm tra mỗi mã dùng một lần. "
                + "Dễ dùng nhưng không chống được mã bịa."
        case .list:
            "Cơ quan nhập danh sách số biên nhận đã cấp (từ phần mềm một cửa hoặc quản lý văn bản); "
                + "chỉ số có trong danh sách, chưa dùng, mới được đánh giá."
        case .token:
            """
                Cán bộ in phiếu đánh giá có mã QR riêng cho từng người dân; mỗi mã QR chỉ đánh giá được một \
                lần, không cần gõ mã.
                """
        }
    }
}

public enum ReceiptRules {
    public static let maxLength = 50
    /// Codes accepted in one import.
    public static let maxPerImport = 10_000
    /// One-time QR codes printed at once.
    public static let maxTokensPerPrint = 100

    /// A receipt code as stored: spaces trimmed and collapsed, upper case; nil when empty, too long
    /// or holding control characters.
    public static func normalized(_ typed: String) -> String? {
        let parts = typed.split(whereSeparator: { $0.isWhitespace })
        let code = parts.joined(separator: " ").uppercased()
        let hidden: Set<Unicode.GeneralCategory> = [.control, .format]
        guard !code.isEmpty, code.count <= maxLength,
              !code.unicodeScalars.contains(where: { hidden.contains($0.properties.generalCategory) }) else { return nil }
        return code
    }

    /// The codes of a pasted or uploaded list: one per line (or separated by commas or semicolons),
    /// duplicates dropped; the problems name the line.
    public static func parseList(_ text: String) -> (codes: [String], problems: [String]) {
        var codes: [String] = []
        var seen: Set<String> = []
        var problems: [String] = []
        for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            for piece in line.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "\t" }) {
                let raw = piece.trimmingCharacters(in: .whitespaces)
                if raw.isEmpty { continue }
                guard let code = normalized(raw) else {
                    if problems.count < 20 {
                        problems.append("""
                            Dòng \(i + 1): mã «\(raw.prefix(60))» dài quá \(maxLength) ký tự hoặc có ký tự điều khiển.
                            """)
                    }
                    continue
                }
                if seen.insert(code).inserted { codes.append(code) }
            }
        }
        if codes.count > maxPerImport {
            problems.append("Mỗi lần nhập tối đa \(maxPerImport) mã; danh sách có \(codes.count) mã. Vui lòng chia nhỏ.")
        }
        return (codes, problems)
    }

    /// A new one-time code for a printed QR (12 characters from 31: about 59 bits), from random bytes.
    public static func token(random bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
        return String(bytes.prefix(12).map { alphabet[Int($0) % alphabet.count] })
    }
}
