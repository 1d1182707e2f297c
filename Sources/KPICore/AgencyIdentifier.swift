/// Mã định danh điện tử của cơ quan, tổ chức (Quyết định 20/2020/QĐ-TTg), the code by which the
/// document systems (edXML, QCVN 102:2016) name an agency: at most 35 characters, `A–Z`, `0–9` and
/// `.`, in groups from left to right. The first group of the current form is a letter and two digits
/// (`H40.12.03`); the older QCVN 102 form ends with it (`000.00.00.H42`) and is still common, so both
/// are accepted. Letters are kept upper-case; an identifier names one organization only.
public enum AgencyIdentifier {
    public static let maxLength = 35

    /// The identifier as stored: spaces trimmed, letters upper-cased.
    public static func normalize(_ text: String) -> String {
        TextNormalizer.clean(text).uppercased()
    }

    /// Why `text` (already normalized) is not an identifier, in Vietnamese; nil when it is one.
    public static func problem(_ text: String) -> String? {
        guard !text.isEmpty, text.count <= maxLength else { return "mã định danh dài 1–\(maxLength) ký tự" }
        guard text.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "." }) else {
            return "mã định danh «\(text)» chỉ gồm chữ in hoa không dấu A–Z, chữ số và dấu chấm"
        }
        let groups = text.split(separator: ".", omittingEmptySubsequences: false)
        guard !groups.contains(where: \.isEmpty) else {
            return "mã định danh «\(text)» có nhóm trống (hai dấu chấm liền nhau, hoặc dấu chấm ở đầu, cuối)"
        }
        if isLevelOne(groups[0]) { return nil }
        // The QCVN 102 form: 000.00.00.H42.
        if groups.count == 4, groups[0].count == 3, groups[1].count == 2, groups[2].count == 2,
           groups[0...2].allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }), isLevelOne(groups[3]) {
            return nil
        }
        return """
            mã định danh «\(text)» không đúng dạng: nhóm đầu là một chữ cái và hai chữ số (ví dụ H40.12.03), \
            hoặc dạng \
            cũ 000.00.00.H42
            """
    }

    /// A first-level group: one letter, two digits (H40).
    static func isLevelOne(_ group: Substring) -> Bool {
        let c = Array(group)
        return c.count == 3 && c[0].isASCII && c[0].isUppercase && c[1].isASCIIDigit && c[2].isASCIIDigit
    }
}

extension Character {
    /// One of 0–9 (not any Unicode digit).
    public var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
