import Foundation
import KPICore
import Vapor

/// File downloads of tables.
enum Download {
    static func table(_ rows: [[String]], name: String, format: String, at now: Date) throws -> Response {
        let stamp = DateFormatting.fileStamp(now)
        if format == "csv" {
            return file(Data(CSV.write(rows).utf8), name: "\(name)-\(stamp).csv", type: "text/csv; charset=utf-8")
        }
        return file(try XLSX.write(rows), name: "\(name)-\(stamp).xlsx",
                    type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    }

    static func file(_ data: Data, name: String, type: String) -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: type)
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(name)\"")
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }
}
