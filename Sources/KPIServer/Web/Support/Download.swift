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
        return file(try XLSX.write(rows, at: now), name: "\(name)-\(stamp).xlsx",
                    type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    }

    /// A table sent while it is read, for exports of any length: `rows` hands each batch of rows it reads
    /// to its argument, and each batch is written out at once (CSV, or XLSX through `XLSX.Writer`) and
    /// sent before the next is read, so memory holds one batch whatever the file's size. The response is
    /// chunked; a failure half-way ends it early (the client sees a broken download, the log the cause).
    static func stream(name: String, format: String, at now: Date, header: [String], logger: Logger,
                       rows: @escaping @Sendable (_ emit: @Sendable ([[String]]) async throws -> Void) async throws -> Void)
        -> Response {
        let stamp = DateFormatting.fileStamp(now)
        let csv = format == "csv"
        let response = Response(status: .ok, body: .init(asyncStream: { writer in
            do {
                if csv {
                    try await writer.writeBuffer(ByteBuffer(string: CSV.start + CSV.line(header)))
                    try await rows { batch in
                        var b = ByteBuffer()
                        for row in batch { b.writeString(CSV.line(row)) }
                        try await writer.writeBuffer(b)
                    }
                } else {
                    let sheet = try XLSX.Writer(now: now)
                    try sheet.append(header)
                    try await rows { batch in
                        for row in batch { try sheet.append(row) }
                        try await writer.writeBuffer(sheet.take())
                    }
                    try sheet.finish()
                    try await writer.writeBuffer(sheet.take())
                }
                try await writer.write(.end)
            } catch {
                logger.error("Xuất \(name) bị ngắt: \(error)")
                try? await writer.write(.error(error))
            }
        }))
        response.headers.replaceOrAdd(name: .contentType, value: csv ? "text/csv; charset=utf-8"
                                      : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(name)-\(stamp).\(csv ? "csv" : "xlsx")\"")
        return response
    }

    static func file(_ data: Data, name: String, type: String) -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: type)
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(name)\"")
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }
}
