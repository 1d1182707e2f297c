import ConsoleKit
import Crypto
import Foundation
import KPICore
import Vapor

/// `kpi backup`: one encrypted archive of the database and the data folder (docs/van-hanh.md, *Sao lưu*).
struct BackupCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "out", help: "Thư mục chứa bản sao lưu (mặc định KPI_BACKUP_DIR, hoặc <KPI_DATA_DIR>/sao-luu).")
        var out: String?
        @Option(name: "key-file", help: "Tệp chứa khóa sao lưu (base64, 32 byte); mặc định biến KPI_BACKUP_KEY.")
        var keyFile: String?
        @Option(name: "keep", help: "Giữ bao nhiêu bản mới nhất (mặc định 14).")
        var keep: String?
        @Option(name: "max-age-days", help: "Xóa bản cũ hơn số ngày này (bản mới nhất luôn được giữ).")
        var maxAgeDays: String?
        @Flag(name: "generate-key", help: "In ra một khóa sao lưu mới rồi thoát.")
        var generateKey: Bool
    }
    var help: String { "Sao lưu cơ sở dữ liệu và thư mục dữ liệu (minh chứng) vào một tệp mã hóa AES-256-GCM." }

    func run(using context: CommandContext, signature: Signature) async throws {
        if signature.generateKey {
            context.console.print(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString())
            return
        }
        let app = context.application
        let key = try BackupKeyInput.read(file: signature.keyFile, console: context.console)
        let keep = try BackupKeyInput.bounded(signature.keep, name: "--keep", range: 1...10_000, console: context.console) ?? 14
        let maxAge = try BackupKeyInput.bounded(signature.maxAgeDays, name: "--max-age-days", range: 1...36_500, console: context.console)
        let directory = signature.out ?? Environment.get("KPI_BACKUP_DIR") ?? app.settings.dataDirectory + "/sao-luu"
        do {
            let made = try await BackupService.make(app, into: directory, key: key, keep: keep, maxAgeDays: maxAge)
            let rows = made.manifest.tables.reduce(0) { $0 + $1.rows }
            let bytes = (try? FileManager.default.attributesOfItem(atPath: made.path)[.size] as? Int) ?? 0
            context.console.print("""
                Đã sao lưu vào \(made.path): \(made.manifest.tables.count) bảng, \(rows) dòng, \
                \(made.manifest.files.count) tệp, \(bytes / 1_048_576) MB.
                """)
            for old in made.deleted { context.console.print("Đã xóa bản cũ theo hạn giữ: \(old)") }
        } catch let failure as BackupFailure {
            context.console.error("Sao lưu không thành công: \(failure.description)")
            throw ExitCode(1)
        } catch let error as CocoaError {
            context.console.error("""
                Sao lưu không thành công: không đọc hoặc ghi được \(BackupKeyInput.path(of: error)). Kiểm tra thư mục \
                \(directory) (có tạo được không, quyền ghi, chỗ trống trên ổ) và thư mục dữ liệu.
                """)
            throw ExitCode(1)
        }
    }
}

/// `kpi restore --file F`: into an empty database and data folder, refusing a tampered or wrongly-keyed archive.
struct RestoreCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "file", help: "Tệp sao lưu (.kpibak).")
        var file: String?
        @Option(name: "key-file", help: "Tệp chứa khóa sao lưu; mặc định biến KPI_BACKUP_KEY.")
        var keyFile: String?
    }
    var help: String { "Khôi phục bản sao lưu vào CSDL và thư mục dữ liệu trống, rồi đối chiếu từng bảng." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let file = signature.file else {
            context.console.error("Cần --file: đường dẫn tệp sao lưu (.kpibak).")
            throw ExitCode(2)
        }
        let key = try BackupKeyInput.read(file: signature.keyFile, console: context.console)
        let restored: BackupService.Restored
        do {
            restored = try await BackupService.restore(context.application, from: file, key: key)
        } catch let refusal as BackupCipher.Refusal {
            context.console.error("Không khôi phục: \(refusal.description)")
            throw ExitCode(1)
        } catch let failure as BackupFailure {
            context.console.error("Không khôi phục: \(failure.description)")
            throw ExitCode(1)
        } catch let error as CocoaError {
            context.console.error("""
                Không khôi phục: không đọc hoặc ghi được \(BackupKeyInput.path(of: error)). Kiểm tra tệp \(file), \
                thư mục dữ liệu (quyền ghi, chỗ trống trên ổ).
                """)
            throw ExitCode(1)
        }
        guard restored.differences.isEmpty else {
            for d in restored.differences.prefix(20) { context.console.error("Không khớp bản sao lưu: \(d)") }
            throw ExitCode(1)
        }
        if case .broken(let seq, let reason) = restored.audit {
            context.console.error("Nhật ký hệ thống sau khôi phục không toàn vẹn: mục số \(seq): \(reason).")
            throw ExitCode(1)
        }
        let m = restored.manifest
        let rows = m.tables.reduce(0) { $0 + $1.rows }
        context.console.print("""
            Đã khôi phục bản sao lưu lúc \(DateFormatting.dateTime(m.createdAt)). Khớp \(m.tables.count) bảng \
            (\(rows) dòng) và \(m.files.count) tệp với bản kê; nhật ký hệ thống toàn vẹn.
            """)
    }
}

enum BackupKeyInput {
    static func read(file: String?, console: any Console) throws -> SymmetricKey {
        let text: String?
        if let file {
            text = try? String(contentsOfFile: file, encoding: .utf8)
            if text == nil { console.error("Không đọc được tệp khóa \(file).") }
        } else {
            text = Environment.get("KPI_BACKUP_KEY")
        }
        guard let text, let key = BackupCipher.key(base64: text) else {
            console.error("""
                Cần khóa sao lưu: 32 byte mã hóa base64, trong biến KPI_BACKUP_KEY hoặc tệp --key-file \
                (tạo bằng: kpi backup --generate-key). Giữ khóa ở nơi khác bản sao lưu.
                """)
            throw ExitCode(2)
        }
        return key
    }

    /// The file a file-system error names, for a message that says where to look.
    static func path(of error: CocoaError) -> String {
        (error.userInfo[NSFilePathErrorKey] as? String).map { "«\($0)»" } ?? "một tệp (mã lỗi \(error.code.rawValue))"
    }

    static func bounded(_ text: String?, name: String, range: ClosedRange<Int>, console: any Console) throws -> Int? {
        guard let text else { return nil }
        guard let n = Int(text), range.contains(n) else {
            console.error("\(name) phải là số nguyên từ \(range.lowerBound) đến \(range.upperBound).")
            throw ExitCode(2)
        }
        return n
    }
}
