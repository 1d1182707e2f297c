import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import Vapor

/// The data folder's disk (or its quota) is full: a file was not kept, and nothing points to it. Everything that
/// lives in the database still works; the operator frees space (`kpi_data_disk_free_bytes`, alert KPIODiaDuLieuSapDay)
/// and the same upload, sent again, goes through.
struct StorageFull: AbortError {
    var status: HTTPResponseStatus { .serviceUnavailable }
    var reason: String {
        """
        Ổ đĩa lưu tệp của máy chủ đã đầy nên tệp chưa được lưu (các thông tin khác vẫn lưu bình \
        thường). Hãy báo quản trị hệ thống giải phóng chỗ trống rồi gửi lại tệp.
        """
    }
    /// Seconds before an API client should send the file again.
    static let retryAfter = "60"
}

/// A file of the data folder written whole or not at all: into a temporary file beside its name, flushed to the
/// disk, then renamed over the name; on any failure the temporary file is removed, so a reader never finds a
/// part of a file under its name, and a full disk leaves no scraps behind.
enum DurableFile {
    static func write(_ data: Data, to path: String) throws {
        let temporary = (path as NSString).deletingLastPathComponent + "/.tam-\(UUID().uuidString)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw failure(errno, temporary) }
        var done = false
        defer {
            if !done { unlink(temporary) }
        }
        do {
            try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw failure(errno, temporary)
                    }
                    offset += n
                }
            }
            // Written is not yet on the disk: a full disk or a quota may only show at the flush.
            guard fsync(fd) == 0 else { throw failure(errno, temporary) }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw failure(errno, temporary) }
        guard rename(temporary, path) == 0 else { throw failure(errno, path) }
        done = true
    }

    /// `mkdir -p`, a full disk being `StorageFull` here too.
    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch let e as CocoaError where e.code == .fileWriteOutOfSpace {
            throw StorageFull()
        } catch let e as NSError where e.domain == NSPOSIXErrorDomain && [ENOSPC, EDQUOT].contains(Int32(e.code)) {
            throw StorageFull()
        }
    }

    static func failure(_ code: Int32, _ path: String) -> any Error {
        if code == ENOSPC || code == EDQUOT { return StorageFull() }
        return IOError(errnoCode: code, reason: "ghi tệp \(path)")
    }
}
