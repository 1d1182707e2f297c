import Foundation
import KPICore

/// `kpi score --input FILE` (or `-` for standard input): scores a case with the engine and prints
/// the result as JSON. Exit 2 with a message naming the field when the case is malformed.
enum ScoreCommand {
    static func run(_ args: [String]) -> Int32 {
        guard args.count == 2, args[0] == "--input" else {
            FileHandle.standardError.write(Data("""
                Cách dùng: kpi score --input TỆP.json (hoặc - để đọc từ đầu vào chuẩn)\n
                """.utf8))
            return 2
        }
        let data: Data
        if args[1] == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else if let d = FileManager.default.contents(atPath: args[1]) {
            data = d
        } else {
            FileHandle.standardError.write(Data("Không đọc được tệp «\(args[1])».\n".utf8))
            return 2
        }
        do {
            var out = try ScoreCase.run(data)
            out.append(UInt8(ascii: "\n"))
            // One write: a reader that stops early (grep -q) must not meet a second one.
            FileHandle.standardOutput.write(out)
            return 0
        } catch let e as ScoreCase.InputError {
            FileHandle.standardError.write(Data("Dữ liệu không hợp lệ: \(e)\n".utf8))
            return 2
        } catch {
            FileHandle.standardError.write(Data("Không tính được: \(error)\n".utf8))
            return 2
        }
    }
}
