import Crypto
import Foundation

/// The encrypted stream of a backup archive (`.kpibak`): AES-256-GCM over chunks of at most 1 MiB, so an
/// archive of any size is written and read with little memory.
///
/// Layout: the magic `KPIBAK01`, 8 random bytes (the nonce prefix), 8 bytes identifying the key (the
/// start of HMAC-SHA256(key, "kpi-backup-key")), then chunks, each one byte "last chunk" (0 or 1), its
/// sealed length (4 bytes, big-endian), the ciphertext and the 16-byte tag. A chunk's nonce is the prefix
/// followed by its number, and the header and its "last" byte are authenticated with it, so a chunk
/// changed, moved, dropped or cut off, or an archive truncated after any chunk, is refused.
enum BackupCipher {
    static let magic = Array("KPIBAK01".utf8)
    static let chunkSize = 1 << 20
    static let headerSize = 24

    enum Refusal: Error, Equatable, CustomStringConvertible {
        case notAnArchive
        case wrongKey
        case tampered(chunk: Int)
        case truncated

        var description: String {
            switch self {
            case .notAnArchive: "Đây không phải tệp sao lưu KPI Công vụ (.kpibak)."
            case .wrongKey: "Khóa sao lưu không đúng với tệp này (KPI_BACKUP_KEY hoặc --key-file)."
            case .tampered(let chunk):
                "Tệp sao lưu đã bị sửa hoặc hỏng (khối số \(chunk + 1) không xác thực được)."
            case .truncated: "Tệp sao lưu bị cắt cụt: thiếu phần cuối."
            }
        }
    }

    /// The 32-byte key from its base64 text (`KPI_BACKUP_KEY`, or the content of `--key-file`).
    static func key(base64 text: String) -> SymmetricKey? {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            return nil
        }
        return SymmetricKey(data: data)
    }

    static func keyID(_ key: SymmetricKey) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array("kpi-backup-key".utf8), using: key).prefix(8))
    }

    /// Writes the encrypted stream to a file handle, chunk by chunk.
    final class Writer {
        private let out: FileHandle
        private let key: SymmetricKey
        private let header: [UInt8]
        private var buffer: [UInt8] = []
        private var counter: UInt32 = 0

        init(to out: FileHandle, key: SymmetricKey) throws {
            self.out = out
            self.key = key
            var prefix = [UInt8](repeating: 0, count: 8)
            for i in prefix.indices { prefix[i] = UInt8.random(in: 0...255) }
            header = BackupCipher.magic + prefix + BackupCipher.keyID(key)
            try out.write(contentsOf: header)
            buffer.reserveCapacity(BackupCipher.chunkSize)
        }

        func write(_ bytes: some Collection<UInt8>) throws {
            var rest = bytes[...]
            while !rest.isEmpty {
                let take = min(BackupCipher.chunkSize - buffer.count, rest.count)
                buffer.append(contentsOf: rest.prefix(take))
                rest = rest.dropFirst(take)
                if buffer.count == BackupCipher.chunkSize { try seal(last: false) }
            }
        }

        /// Seals what is left as the last chunk; the stream is complete only after this.
        func finish() throws { try seal(last: true) }

        private func seal(last: Bool) throws {
            let box = try AES.GCM.seal(buffer, using: key, nonce: BackupCipher.nonce(header, counter),
                                       authenticating: header + [last ? 1 : 0])
            var frame: [UInt8] = [last ? 1 : 0]
            let length = UInt32(box.ciphertext.count + box.tag.count)
            frame += withUnsafeBytes(of: length.bigEndian) { Array($0) }
            try out.write(contentsOf: frame + box.ciphertext + box.tag)
            buffer.removeAll(keepingCapacity: true)
            counter += 1
        }
    }

    /// Reads and authenticates the stream chunk by chunk; a refused chunk stops the reading.
    final class Reader {
        private let input: FileHandle
        private let key: SymmetricKey
        private let header: [UInt8]
        private var counter: UInt32 = 0
        private var done = false

        init(from input: FileHandle, key: SymmetricKey) throws {
            self.input = input
            self.key = key
            let head = [UInt8](try input.read(upToCount: BackupCipher.headerSize) ?? Data())
            guard head.count == BackupCipher.headerSize, Array(head.prefix(8)) == BackupCipher.magic else {
                throw Refusal.notAnArchive
            }
            guard Array(head.suffix(8)) == BackupCipher.keyID(key) else { throw Refusal.wrongKey }
            header = head
        }

        /// The next chunk's plaintext, or nil after the last one.
        func next() throws -> [UInt8]? {
            if done { return nil }
            let chunk = Int(counter)
            guard let frame = try input.read(upToCount: 5), frame.count == 5 else { throw Refusal.truncated }
            let flag = frame[frame.startIndex]
            let length = frame.dropFirst().reduce(0) { $0 << 8 | Int($1) }
            guard flag <= 1, length >= 16, length <= BackupCipher.chunkSize + 16 else { throw Refusal.tampered(chunk: chunk) }
            guard let body = try input.read(upToCount: length), body.count == length else { throw Refusal.truncated }
            let plain: [UInt8]
            do {
                let box = try AES.GCM.SealedBox(nonce: BackupCipher.nonce(header, counter),
                                                ciphertext: body.prefix(length - 16), tag: body.suffix(16))
                plain = Array(try AES.GCM.open(box, using: key, authenticating: header + [flag]))
            } catch {
                throw Refusal.tampered(chunk: chunk)
            }
            counter += 1
            if flag == 1 {
                done = true
                if let extra = try input.read(upToCount: 1), !extra.isEmpty { throw Refusal.tampered(chunk: chunk + 1) }
            }
            return plain
        }
    }

    static func nonce(_ header: [UInt8], _ counter: UInt32) throws -> AES.GCM.Nonce {
        try AES.GCM.Nonce(data: Array(header[8..<16]) + withUnsafeBytes(of: counter.bigEndian) { Array($0) })
    }
}
