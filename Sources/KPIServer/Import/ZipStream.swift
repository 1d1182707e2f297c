import Foundation
import NIOCore
#if canImport(CZlib)
import CZlib
#endif

/// A ZIP archive written front to back, for files sent while they are made (the province's export of
/// 80 000 people, issue 19): each entry is deflated as its bytes arrive, its CRC-32 and sizes follow it in
/// a data descriptor (general purpose flag bit 3), and the central directory closes the archive. What
/// has been written waits in `take()`'s buffer, so memory holds one deflate window and what the caller
/// has not yet sent, whatever the archive's size. No ZIP64: an archive past 4 GiB is refused.
final class ZipStream: @unchecked Sendable {  // used by one task at a time
    private var pending = ByteBufferAllocator().buffer(capacity: 64 * 1024)
    private var central = ByteBufferAllocator().buffer(capacity: 1024)
    private var written: UInt64 = 0
    private var entries = 0
    private let time: UInt16, date: UInt16
    private var current: (name: [UInt8], offset: UInt64, crc: UInt32, size: UInt64, compressed: UInt64)?
    /// zlib keeps a pointer back to its stream, so the stream lives at one address for its whole life.
    private let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var out = [UInt8](repeating: 0, count: 64 * 1024)
    private let level: Int32
    static let tooLarge = "Tệp xuất lớn quá 4 GB: hãy chọn phạm vi hoặc khoảng thời gian nhỏ hơn."

    /// `now` stamps the entries (local time of the province, as the other file names); `level` is zlib's
    /// (1 fastest … 9 smallest).
    init(now: Date, level: Int32 = 1) {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh") ?? .gmt
        let d = c.dateComponents([.year, .month, .day, .hour, .minute, .second], from: now)
        let year = min(max((d.year ?? 1980) - 1980, 0), 127)
        date = UInt16(year << 9 | (d.month ?? 1) << 5 | (d.day ?? 1))
        time = UInt16((d.hour ?? 0) << 11 | (d.minute ?? 0) << 5 | (d.second ?? 0) / 2)
        self.level = level
        z.initialize(to: z_stream())
    }

    deinit {
        if current != nil { deflateEnd(z) }
        z.deinitialize(count: 1)
        z.deallocate()
    }

    /// The bytes written since the last call.
    func take() -> ByteBuffer {
        let b = pending
        pending = ByteBufferAllocator().buffer(capacity: 64 * 1024)
        return b
    }

    /// Starts an entry (ends the one before).
    func begin(_ name: String) throws {
        if current != nil { try end() }
        let bytes = Array(name.utf8)
        current = (bytes, written, 0, 0, 0)
        z.pointee = z_stream()
        guard deflateInit2_(z, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw SheetProblem("Không nén được tệp (zlib).") }
        var h = ByteBufferAllocator().buffer(capacity: 30 + bytes.count)
        h.writeInteger(UInt32(0x0403_4b50), endianness: .little)
        header(&h, crc: 0, compressed: 0, size: 0, nameLength: bytes.count)
        h.writeBytes(bytes)
        try emit(h)
    }

    /// Adds to the current entry.
    func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var entry = current, !bytes.isEmpty, let base = bytes.baseAddress else { return }
        entry.crc = UInt32(crc32(uLong(entry.crc), base.assumingMemoryBound(to: Bytef.self), uInt(bytes.count)))
        entry.size += UInt64(bytes.count)
        current = entry
        z.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        z.pointee.avail_in = uInt(bytes.count)
        try deflateAll(Z_NO_FLUSH)
    }

    /// Ends the current entry: the rest of its deflated bytes, its data descriptor.
    func end() throws {
        guard current != nil else { return }
        z.pointee.next_in = nil
        z.pointee.avail_in = 0
        try deflateAll(Z_FINISH)
        deflateEnd(z)
        guard let e = current, e.size <= UInt64(UInt32.max), e.compressed <= UInt64(UInt32.max),
              e.offset <= UInt64(UInt32.max) else { throw SheetProblem(Self.tooLarge) }
        current = nil
        var d = ByteBufferAllocator().buffer(capacity: 16)
        d.writeInteger(UInt32(0x0807_4b50), endianness: .little)
        d.writeInteger(e.crc, endianness: .little)
        d.writeInteger(UInt32(e.compressed), endianness: .little)
        d.writeInteger(UInt32(e.size), endianness: .little)
        try emit(d)
        central.writeInteger(UInt32(0x0201_4b50), endianness: .little)
        central.writeInteger(UInt16(20), endianness: .little)  // made by: MS-DOS, ZIP 2.0
        header(&central, crc: e.crc, compressed: UInt32(e.compressed), size: UInt32(e.size), nameLength: e.name.count)
        central.writeInteger(UInt16(0), endianness: .little)  // comment
        central.writeInteger(UInt16(0), endianness: .little)  // disk
        central.writeInteger(UInt16(0), endianness: .little)  // internal attributes
        central.writeInteger(UInt32(0), endianness: .little)  // external attributes
        central.writeInteger(UInt32(e.offset), endianness: .little)
        central.writeBytes(e.name)
        entries += 1
    }

    /// Ends the archive: the central directory and its end record.
    func finish() throws {
        try end()
        let start = written, size = central.readableBytes
        guard start + UInt64(size) <= UInt64(UInt32.max), entries < Int(UInt16.max) else { throw SheetProblem(Self.tooLarge) }
        try emit(central)
        var e = ByteBufferAllocator().buffer(capacity: 22)
        e.writeInteger(UInt32(0x0605_4b50), endianness: .little)
        e.writeInteger(UInt32(0), endianness: .little)  // this disk, the directory's disk
        e.writeInteger(UInt16(entries), endianness: .little)
        e.writeInteger(UInt16(entries), endianness: .little)
        e.writeInteger(UInt32(size), endianness: .little)
        e.writeInteger(UInt32(start), endianness: .little)
        e.writeInteger(UInt16(0), endianness: .little)  // comment
        try emit(e)
    }

    /// The fields a local header and a central directory record share, from "version needed" to "extra length".
    private func header(_ b: inout ByteBuffer, crc: UInt32, compressed: UInt32, size: UInt32, nameLength: Int) {
        b.writeInteger(UInt16(20), endianness: .little)  // version needed: 2.0 (deflate)
        b.writeInteger(UInt16(0x0808), endianness: .little)  // sizes after the data; names in UTF-8
        b.writeInteger(UInt16(8), endianness: .little)  // deflate
        b.writeInteger(time, endianness: .little)
        b.writeInteger(date, endianness: .little)
        b.writeInteger(crc, endianness: .little)
        b.writeInteger(compressed, endianness: .little)
        b.writeInteger(size, endianness: .little)
        b.writeInteger(UInt16(nameLength), endianness: .little)
        b.writeInteger(UInt16(0), endianness: .little)  // extra field
    }

    private func emit(_ b: ByteBuffer) throws {
        written += UInt64(b.readableBytes)
        guard written <= UInt64(UInt32.max) else { throw SheetProblem(Self.tooLarge) }
        var b = b
        pending.writeBuffer(&b)
    }

    private func deflateAll(_ flush: Int32) throws {
        let capacity = out.count
        var status: Int32 = Z_OK
        repeat {
            let produced: Int = out.withUnsafeMutableBufferPointer { buf in
                z.pointee.next_out = buf.baseAddress
                z.pointee.avail_out = uInt(capacity)
                status = deflate(z, flush)
                return capacity - Int(z.pointee.avail_out)
            }
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw SheetProblem("Không nén được tệp (zlib).")
            }
            if produced > 0 {
                current?.compressed += UInt64(produced)
                written += UInt64(produced)
                pending.writeBytes(out[0..<produced])
            }
            // Without Z_FINISH deflate is done when it left output room; with it, when the stream has ended.
        } while flush == Z_FINISH ? status != Z_STREAM_END : z.pointee.avail_out == 0
        guard written <= UInt64(UInt32.max) else { throw SheetProblem(Self.tooLarge) }
    }
}
