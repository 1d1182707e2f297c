import KPICore
import XCTest

final class FormulaTests: XCTestCase {
    func r(_ s: String) -> Rational { Rational(decimal: s)! }

    func value(_ f: String, _ vars: [String: String] = [:]) throws -> String {
        try Formula(f).evaluate(vars.mapValues(r)).fixed(4)
    }

    func testArithmeticIsExact() throws {
        XCTAssertEqual(try value("70 * (a + b + c) / 300", ["a": "83.3333", "b": "100", "c": "75"]), "60.2778")
        XCTAssertEqual(try value("1 / 3 * 3"), "1.0000", "no rounding in between")
        XCTAssertEqual(try value("0.1 + 0.2"), "0.3000")
        XCTAssertEqual(try value("2 × 3 ÷ 4 − 1"), "0.5000", "Vietnamese signs too")
        XCTAssertEqual(try value("-(-2) + +3"), "5.0000")
    }

    func testFunctionsAndComparisons() throws {
        XCTAssertEqual(try value("min(10, x, 4)", ["x": "2"]), "2.0000")
        XCTAssertEqual(try value("max(0, 15 - 5 * n)", ["n": "4"]), "0.0000")
        XCTAssertEqual(try value("round(89.995, 2)"), "90.0000")
        XCTAssertEqual(try value("round(2.5)"), "3.0000")
        XCTAssertEqual(try value("if(x >= 90, 10, if(x >= 70, 5, 0))", ["x": "75"]), "5.0000")
        XCTAssertEqual(try value("IF(1 == 1, 1, 2)"), "1.0000", "function names ignore case")
    }

    func expectError(_ f: String, at position: Int, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try Formula(f).evaluate(["a": .one])
            XCTFail("no error for \(f)", file: file, line: line)
        } catch let e as FormulaError {
            XCTAssertEqual(e.position, position, "\(f): \(e)", file: file, line: line)
            XCTAssertTrue(e.message.contains(fragment), "\(f): \(e)", file: file, line: line)
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    func testErrorsPointAtThePlaceInVietnamese() {
        expectError("", at: 1, "công thức trống")
        expectError("a +", at: 4, "kết thúc giữa chừng")
        expectError("(a + 1", at: 7, "thiếu dấu «)»")
        expectError("a + 1)", at: 6, "thừa «)»")
        expectError("a $ 1", at: 3, "ký tự «$»")
        expectError("sqrt(a)", at: 1, "hàm «sqrt» không có")
        expectError("min(a)", at: 1, "hàm min cần từ 2 đến 20 đối số")
        expectError("a + bb", at: 5, "biến «bb» không tồn tại")
        expectError("a / (a - 1)", at: 3, "chia cho 0")
        expectError("1 < a < 3", at: 7, "không được nối hai phép so sánh")
        expectError("1.2.3", at: 1, "số «1.2.3» không hợp lệ")
        expectError("round(a, 1.5)", at: 1, "round")
    }

    func testCheckOnSaveFindsUnknownVariablesRangesAndZeroDivision() throws {
        let vars = ["a": Rational.zero...Rational(100), "n": Rational.zero...Rational(10)]
        XCTAssertEqual(try Formula("70 * a / 100").check(variables: vars, max: Rational(70)), [])
        let unknown = try Formula("x + a").check(variables: vars, max: Rational(70))
        XCTAssertEqual(unknown.first?.position, 1)
        XCTAssertTrue(unknown.first!.message.contains("biến «x» không tồn tại"))
        let range = try Formula("a").check(variables: vars, max: Rational(70))
        XCTAssertTrue(range.first!.message.contains("nằm ngoài khoảng 0…70 khi"), range.first!.message)
        let zero = try Formula("10 / n").check(variables: vars, max: Rational(70))
        XCTAssertTrue(zero.first!.message.contains("chia cho 0 khi"), zero.first!.message)
        XCTAssertEqual(try Formula("max(0, 15 - 5 * n)").check(variables: vars, max: Rational(15)), [])
    }

    func testLimits() {
        XCTAssertThrowsError(try Formula(String(repeating: "1+", count: 1200) + "1"))
        XCTAssertThrowsError(try Formula(String(repeating: "(", count: 100) + "1" + String(repeating: ")", count: 100)))
        XCTAssertThrowsError(try Formula(String(repeating: "-", count: 100) + "1"))
        XCTAssertThrowsError(try Formula("99999999999999999999999999999999999"))
        // Overflow is an error, not a crash.
        let big = String(repeating: "99999999999999999999 * ", count: 10) + "1"
        XCTAssertThrowsError(try Formula(big).evaluate([:]))
    }

    /// Random inputs from the formula alphabet: every one parses or fails with a FormulaError,
    /// and each takes bounded time.
    func testFuzzNeverCrashesOrHangs() {
        var rng = SplitMix(seed: 20261123)
        let pieces = ["a", "b", "1", "0", "2.5", "+", "-", "*", "/", "(", ")", ",", "<", "<=", "==", "min(", "max(", "round(",
                      "if(", " ", "×", "÷", "99999999999999999999", "x", "$", "1.", ".5", "ạ", ";"]
        let clock = ContinuousClock()
        var slowest = Duration.zero
        for _ in 0..<20_000 {
            let n = Int(rng.next() % 40)
            let text = (0..<n).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            let start = clock.now
            do {
                let f = try Formula(text)
                _ = try? f.evaluate(["a": Rational(3), "b": .zero])
                _ = f.check(variables: ["a": .zero...Rational(100), "b": .zero...Rational(1)], max: Rational(100))
            } catch is FormulaError {
            } catch {
                XCTFail("unexpected error \(error) for \(text)")
            }
            slowest = max(slowest, clock.now - start)
        }
        XCTAssertLessThan(slowest, .milliseconds(200), "bounded time per formula")
    }
}
