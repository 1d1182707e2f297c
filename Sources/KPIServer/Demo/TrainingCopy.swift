import Foundation
import Vapor

/// Bản đào tạo (issue 18, item 4): a copy of the demonstration data in a folder of its own, for
/// classes. Made by `kpi demo` itself in a child process pointed at that folder (SQLite, whatever the
/// live installation uses), so the live database is never touched; the folder carries a marker, and
/// only a marked folder (or an empty one) is ever wiped. Served with `KPI_DATA_DIR=DIR kpi serve`;
/// every page then says it is a training copy.
enum TrainingCopy {
    static let marker = ".kpi-ban-dao-tao"

    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    static func make(in raw: String, app: Application, console: any Console) throws {
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: raw).standardized.resolvingSymlinksInPath().path
        let live = URL(fileURLWithPath: app.settings.dataDirectory).standardized.resolvingSymlinksInPath().path
        guard dir != live, !live.hasPrefix(dir + "/") else {
            throw Refused(description: """
                «\(raw)» là thư mục dữ liệu đang dùng (KPI_DATA_DIR): chọn một thư mục riêng cho bản đào tạo.
                """)
        }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dir, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw Refused(description: "«\(raw)» là một tệp, không phải thư mục.")
            }
            let contents = try fm.contentsOfDirectory(atPath: dir)
            guard contents.isEmpty || contents.contains(marker) else {
                throw Refused(description: """
                    Thư mục «\(raw)» đã có dữ liệu không phải bản đào tạo: không xóa. Chọn một thư mục \
                    trống hoặc \
                    một thư mục đã tạo bằng lệnh này.
                    """)
            }
            for item in contents { try fm.removeItem(atPath: dir + "/" + item) }
        } else {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        let note = Data("Bản đào tạo KPI Công vụ: thư mục này được xóa khi đặt lại.\n".utf8)
        guard fm.createFile(atPath: dir + "/" + marker, contents: note) else {
            throw Refused(description: "Không ghi được vào thư mục «\(raw)».")
        }
        var env = ProcessInfo.processInfo.environment
        env["KPI_DATA_DIR"] = dir
        env["DATABASE_URL"] = nil
        let child = Process()
        // This very program, wherever it was started from (a bare `kpi` found on the PATH included).
        child.executableURL = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath()
        child.arguments = ["demo"]
        child.environment = env
        try child.run()
        child.waitUntilExit()
        guard child.terminationStatus == 0 else {
            throw Refused(description: "Không nạp được dữ liệu mẫu vào «\(raw)» (mã lỗi \(child.terminationStatus)).")
        }
        console.print("""
            Bản đào tạo sẵn sàng ở \(dir).
            Chạy: KPI_DATA_DIR=\(dir) kpi serve --port 8081
            Đặt lại trước mỗi lớp: dừng máy chủ đào tạo, chạy lại lệnh này.
            """)
    }

    /// Whether a data folder is a training copy.
    static func isTraining(_ dataDirectory: String) -> Bool {
        FileManager.default.fileExists(atPath: dataDirectory + "/" + marker)
    }
}
