import Crypto
import Foundation

/// The files inside a backup's encrypted stream (`BackupCipher`): each entry is its path (2-byte length,
/// UTF-8), then its bytes in segments (4-byte length, bytes) ended by an empty segment; a path of length 0
/// ends the archive. Segments let a pipe (`pg_dump`'s output) go in without its size known first.
enum BackupArchive {
    static let segmentSize = 1 << 20
    static let maxPathBytes = 1_024

    struct Written: Codable, Equatable {
        var path: String
        var size: Int
        var sha256: String
    }

    final class Writer {
        private let cipher: BackupCipher.Writer

        init(_ cipher: BackupCipher.Writer) { self.cipher = cipher }

        /// Copies what `source` gives until its end into the entry `path`.
        func add(_ path: String, from source: FileHandle) throws -> Written {
            try add(path) { try source.read(upToCount: BackupArchive.segmentSize) }
        }

        func add(_ path: String, file: URL) throws -> Written {
            let handle = try FileHandle(forReadingFrom: file)
            defer { try? handle.close() }
            return try add(path, from: handle)
        }

        func add(_ path: String, data: Data) throws -> Written {
            var rest: Data? = data
            return try add(path) { defer { rest = nil }; return rest }
        }

        private func add(_ path: String, segments next: () throws -> Data?) throws -> Written {
            let name = Array(path.utf8)
            precondition(!name.isEmpty && name.count <= BackupArchive.maxPathBytes, "entry path length")
            try cipher.write(withUnsafeBytes(of: UInt16(name.count).bigEndian) { Array($0) } + name)
            var hash = SHA256()
            var size = 0
            while let data = try next(), !data.isEmpty {
                for start in stride(from: data.startIndex, to: data.endIndex, by: BackupArchive.segmentSize) {
                    let part = data[start..<min(start + BackupArchive.segmentSize, data.endIndex)]
                    hash.update(data: part)
                    size += part.count
                    try cipher.write(withUnsafeBytes(of: UInt32(part.count).bigEndian) { Array($0) })
                    try cipher.write(part)
                }
            }
            try cipher.write([0, 0, 0, 0])
            return Written(path: path, size: size, sha256: AuditLog.hex(hash.finalize()))
        }

        func finish() throws {
            try cipher.write([0, 0])
            try cipher.finish()
        }
    }

    /// Reads entries back, each into a file, checking the framing as it goes.
    final class Reader {
        private let cipher: BackupCipher.Reader
        private var buffer: [UInt8] = []
        private var position = 0

        init(_ cipher: BackupCipher.Reader) { self.cipher = cipher }

        /// The next entry's path, or nil at the end of the archive.
        func nextPath() throws -> String? {
            let length = try take(2).reduce(0) { $0 << 8 | Int($1) }
            if length == 0 {
                // Nothing may follow the end mark but the (possibly empty) rest of the last chunk.
                guard position == buffer.count else { throw BackupCipher.Refusal.notAnArchive }
                while let rest = try cipher.next() {
                    guard rest.isEmpty else { throw BackupCipher.Refusal.notAnArchive }
                }
                return nil
            }
            guard length <= BackupArchive.maxPathBytes, let path = String(bytes: try take(length), encoding: .utf8) else {
                throw BackupCipher.Refusal.notAnArchive
            }
            return path
        }

        /// Writes the current entry's bytes to `out`; its size and SHA-256.
        func copy(to out: FileHandle) throws -> (size: Int, sha256: String) {
            var hash = SHA256()
            var size = 0
            while true {
                let length = try take(4).reduce(0) { $0 << 8 | Int($1) }
                if length == 0 { break }
                guard length <= BackupArchive.segmentSize else { throw BackupCipher.Refusal.notAnArchive }
                let bytes = try take(length)
                hash.update(data: bytes)
                size += length
                try out.write(contentsOf: bytes)
            }
            return (size, AuditLog.hex(hash.finalize()))
        }

        private func take(_ count: Int) throws -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(count)
            while out.count < count {
                if position == buffer.count {
                    guard let chunk = try cipher.next() else { throw BackupCipher.Refusal.truncated }
                    buffer = chunk
                    position = 0
                    continue
                }
                let n = min(count - out.count, buffer.count - position)
                out += buffer[position..<position + n]
                position += n
            }
            return out
        }
    }
}
