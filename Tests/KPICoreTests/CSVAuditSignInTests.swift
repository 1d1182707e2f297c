import KPICore
import XCTest

final class CSVTests: XCTestCase {
    func testQuotedFieldsNewlinesAndBOM() {
        let rows = CSV.parse("\u{FEFF}ma,ten\r\nA,\"Sở \"\"Nội\"\" vụ, tỉnh\"\r\nB,\"hai\ndòng\"\n\n")
        XCTAssertEqual(rows, [["ma", "ten"], ["A", "Sở \"Nội\" vụ, tỉnh"], ["B", "hai\ndòng"]])
    }

    func testSemicolonsAsExcelInVietnameseWrites() {
        XCTAssertEqual(CSV.parse("ma;ten\nA;Một, hai\n"), [["ma", "ten"], ["A", "Một, hai"]])
    }

    func testRoundTrip() {
        let table = [["ma", "ten"], ["A", "Có \"ngoặc\", phẩy; và\ndòng mới"], ["B", ""]]
        XCTAssertEqual(CSV.parse(CSV.write(table)), table)
    }

    func testFormulaInjectionIsNeutralized() {
        XCTAssertTrue(CSV.write([["=HYPERLINK(\"x\")"]]).contains("'=HYPERLINK"))
        XCTAssertTrue(CSV.write([["-12"]]).contains("-12"))
        XCTAssertFalse(CSV.write([["-12"]]).contains("'-12"))
    }
}

final class AuditChainTests: XCTestCase {
    /// A stand-in hash for the pure chain logic (the server uses SHA-256).
    func hash(_ s: String) -> String { String(s.hashValue) }

    func chain(_ n: Int) -> [(record: AuditRecord, storedHash: String)] {
        var out: [(AuditRecord, String)] = []
        var prev = AuditRecord.genesisHash
        for i in 1...n {
            let r = AuditRecord(sequence: i, timestampMillis: Int64(i), actor: "u", ip: "-", action: "a",
                                entityType: "t", entityID: "\(i)", scopePath: "/", before: "", after: "{}", previousHash: prev)
            prev = hash(r.canonical)
            out.append((r, prev))
        }
        return out
    }

    func testIntact() {
        XCTAssertEqual(AuditChain.verify(chain(5), hash: hash), .intact(count: 5))
        XCTAssertEqual(AuditChain.verify([], hash: hash), .intact(count: 0))
    }

    func testEditedEntryIsNamed() {
        var c = chain(5)
        c[2].record.after = "{\"x\":1}"
        guard case .broken(let seq, _) = AuditChain.verify(c, hash: hash) else { return XCTFail() }
        XCTAssertEqual(seq, 3)
    }

    func testRemovedEntryIsNamed() {
        var c = chain(5)
        c.remove(at: 1)
        guard case .broken(let seq, let reason) = AuditChain.verify(c, hash: hash) else { return XCTFail() }
        XCTAssertEqual(seq, 3)
        XCTAssertTrue(reason.contains("thiếu mục số 2"))
    }

    func testCanonicalFormIsUnambiguous() {
        let a = AuditRecord(sequence: 1, timestampMillis: 1, actor: "a|b", ip: "", action: "x", entityType: "", entityID: "",
                            scopePath: "", before: "", after: "", previousHash: "")
        var b = a
        b.actor = "a"
        b.ip = "b"
        XCTAssertNotEqual(a.canonical, b.canonical)
    }
}

final class SignInRulesTests: XCTestCase {
    func testPasswordRules() {
        let policy = PasswordPolicy.standard
        XCTAssertEqual(policy.problems("KpiCongVu@2026", username: "canbo"), [])
        XCTAssertEqual(policy.problems("Demo@2026", username: "canbo").first, "Mật khẩu phải có ít nhất 12 ký tự.")
        XCTAssertEqual(PasswordPolicy(minLength: 4).minLength, 10, "never below the floor")
        XCTAssertTrue(policy.problems("abcdefghijkl", username: "x").contains("Mật khẩu phải có cả chữ và số."))
        XCTAssertTrue(policy.problems("canbo-12345678",
                                      username: "canbo").contains("Mật khẩu không được chứa tên đăng nhập."))
        let common = """
            Mật khẩu quá phổ biến hoặc dễ đoán (từ thông dụng, dãy phím, số lặp). Hãy chọn một cụm từ \
            riêng của bạn.
            """
        for weak in ["Password@2026!", "MatKhau123456", "mật khẩu 2026!", "qwertyuiop12", "1q2w3e4r5t6y", "aaaaaaaaaaa1",
                     "ababababab12", "P@ssw0rd1234", "Admin@1234567", "Nghean@2026!!", "09876543210987"] {
            XCTAssertTrue(policy.problems(weak, username: "x").contains(common), weak)
        }
        for fine in ["Sông Lam 2026 xanh", "ChimCu-baygiua-7", "KpiCongVu@2026", "tre-xanh-7-la"] {
            XCTAssertFalse(policy.problems(fine, username: "x").contains(common), fine)
        }
    }
}
