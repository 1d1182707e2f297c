import Crypto
import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Lưu trữ nhật ký: `kpi audit-archive` moves the entries older than the retention (12 months at
/// least) from the database to a file, one JSON object per line after a header, and records the
/// range, its two boundary hashes and the file's SHA-256 in `audit_archives`. The chain stays whole:
/// the first entry left in the database links to the archive's last hash, and `kpi verify-audit`
/// checks the database from that boundary, each archive file against its record, and the anchors
/// against either.
enum AuditArchive {
    struct Header: Codable, Equatable {
        var kind = "kpi-cong-vu/nhat-ky-luu-tru"
        var version = 1
        var firstSeq: Int
        var lastSeq: Int
        var startHash: String
        var endHash: String
        var entries: Int
        var createdAt: String
    }

    struct Line: Codable {
        var seq: Int
        var atMs: Int64
        var actor: String
        var ip: String
        var action: String
        var entityType: String
        var entityID: String
        var scopePath: String
        var before: String
        var after: String
        var prevHash: String
        var hash: String

        init(_ e: AuditEntry) {
            seq = e.id ?? 0; atMs = e.atMillis; actor = e.actor; ip = e.ip; action = e.action; entityType = e.entityType
            entityID = e.entityID; scopePath = e.scopePath; before = e.before; after = e.after; prevHash = e.previousHash; hash = e.hash
        }

        var record: AuditRecord {
            AuditRecord(sequence: seq, timestampMillis: atMs, actor: actor, ip: ip, action: action, entityType: entityType,
                        entityID: entityID, scopePath: scopePath, before: before, after: after, previousHash: prevHash)
        }
    }

    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    static let batch = 5_000

    /// Moves every entry older than `cutoff` (the leading run of the chain: it stops at the first
    /// entry at or after the cutoff) into a new file in `directory`; nil when there is nothing to
    /// move. Refuses when the chain is already broken. The file is written and read back whole
    /// before any entry leaves the database; the removal, the archive record and the audit entry
    /// about it are one transaction.
    static func archive(before cutoff: Date, into directory: String, store: Store, actor: Actor) async throws -> AuditArchiveRecord? {
        let db = store.db
        if case .broken(let seq, let reason) = try await AuditLog.verify(on: db) {
            throw Problem(description: "Nhật ký đã bị thay đổi (mục số \(seq): \(reason)); không lưu trữ. "
                          + "Hãy điều tra trước.")
        }
        let cutoffMs = Int64(cutoff.timeIntervalSince1970 * 1000)
        guard let first = try await AuditEntry.query(on: db).sort(\.$id).first(), first.atMillis < cutoffMs else { return nil }
        let firstAfter = try await AuditEntry.query(on: db).filter(\.$atMillis >= cutoffMs).sort(\.$id).first()
        let lastSeq: Int
        if let firstAfter { lastSeq = firstAfter.id! - 1 } else {
            lastSeq = try await AuditEntry.query(on: db).sort(\.$id, .descending).first()!.id!
        }
        guard let last = try await AuditEntry.find(lastSeq, on: db) else { return nil }
        let header = Header(firstSeq: first.id!, lastSeq: lastSeq, startHash: first.previousHash, endHash: last.hash,
                            entries: lastSeq - first.id! + 1, createdAt: ISO8601DateFormatter().string(from: actor.at))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let name = "nhat-ky-\(header.firstSeq)-\(header.lastSeq).jsonl"
        let path = directory + "/" + name
        guard !FileManager.default.fileExists(atPath: path) else { throw Problem(description: "Tệp \(path) đã có; không ghi đè.") }
        let temporary = path + ".dang-ghi"
        FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600])
        guard let out = FileHandle(forWritingAtPath: temporary) else {
            throw Problem(description: "Không ghi được tệp \(temporary).")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var hasher = SHA256()
        func write(_ data: Data) throws {
            var line = data
            line.append(0x0A)
            hasher.update(data: line)
            try out.write(contentsOf: line)
        }
        do {
            try write(try encoder.encode(header))
            var after = header.firstSeq - 1
            while after < header.lastSeq {
                let rows = try await AuditEntry.query(on: db).filter(\.$id > after).filter(\.$id <= header.lastSeq)
                    .sort(\.$id).limit(batch).all()
                guard !rows.isEmpty else { break }
                for e in rows { try write(try encoder.encode(Line(e))) }
                after = rows.last!.id!
            }
            try out.synchronize()
            try out.close()
        } catch {
            try? out.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        let digest = AuditLog.hex(hasher.finalize())
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
        let record = AuditArchiveRecord()
        record.firstSeq = header.firstSeq; record.lastSeq = header.lastSeq; record.startHash = header.startHash
        record.endHash = header.endHash; record.entries = header.entries; record.fileName = name
        record.fileSHA256 = digest; record.createdAt = actor.at
        // Read back before anything is removed.
        if case .broken(let seq, let reason) = try verify(file: path, against: record).outcome {
            try? FileManager.default.removeItem(atPath: path)
            throw Problem(description: "Tệp lưu trữ đọc lại không khớp (mục số \(seq): \(reason)); không xóa gì.")
        }
        try await store.write { db in
            try await record.create(on: db)
            try await db.sql.raw("DELETE FROM audit_entries WHERE seq <= \(bind: header.lastSeq)").run()
            try await AuditLog.append(on: db, actor: actor, action: "audit.archive", entityType: "audit", entityID: name,
                                      scopePath: "/", after: ["tu_muc": String(header.firstSeq), "den_muc": String(header.lastSeq),
                                                              "so_muc": String(header.entries), "sha256": digest])
        }
        return record
    }

    /// An archive file checked against its record: the file's SHA-256, its header, every entry's
    /// hash and link from the record's start hash to its end hash. `hashes` returns the stored hash
    /// of the wanted sequence numbers (for the anchors).
    static func verify(file path: String, against record: AuditArchiveRecord,
                       wanted: Set<Int> = []) throws -> (outcome: AuditChain.Outcome, hashes: [Int: String]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            return (.broken(sequence: record.firstSeq, reason: "không có tệp lưu trữ \(path)"), [:])
        }
        guard AuditLog.hex(SHA256.hash(data: data)) == record.fileSHA256 else {
            let reason = "tệp lưu trữ \(record.fileName) đã bị sửa (SHA-256 không khớp)"
            return (.broken(sequence: record.firstSeq, reason: reason), [:])
        }
        let lines = data.split(separator: 0x0A)
        let decoder = JSONDecoder()
        guard let first = lines.first, let header = try? decoder.decode(Header.self, from: first),
              header.firstSeq == record.firstSeq, header.lastSeq == record.lastSeq, header.startHash == record.startHash,
              header.endHash == record.endHash, header.entries == lines.count - 1 else {
            let reason = "đầu tệp lưu trữ \(record.fileName) không khớp với bản ghi lưu trữ"
            return (.broken(sequence: record.firstSeq, reason: reason), [:])
        }
        var entries: [(record: AuditRecord, storedHash: String)] = []
        var hashes: [Int: String] = [:]
        for raw in lines.dropFirst() {
            guard let line = try? decoder.decode(Line.self, from: raw) else {
                let at = entries.last.map { $0.record.sequence + 1 } ?? record.firstSeq
                return (.broken(sequence: at, reason: "dòng không đọc được"), [:])
            }
            if wanted.contains(line.seq) { hashes[line.seq] = line.hash }
            entries.append((line.record, line.hash))
        }
        let outcome = AuditChain.verify(entries, startingAfter: record.startHash, previousSequence: record.firstSeq - 1,
                                        hash: AuditLog.sha256)
        if case .intact = outcome, entries.last?.storedHash != record.endHash {
            return (.broken(sequence: record.lastSeq, reason: "mục cuối của tệp lưu trữ không khớp"), [:])
        }
        return (outcome, hashes)
    }

    /// Every archive record against its file in `directory`, and the anchors' hashes found there.
    static func verifyAll(in directory: String, wanted: Set<Int>, on db: any Database) async throws
        -> (outcome: AuditChain.Outcome, files: Int, hashes: [Int: String]) {
        var hashes: [Int: String] = [:]
        var total = 0
        let records = try await AuditArchiveRecord.query(on: db).sort(\.$firstSeq).all()
        for r in records {
            let (outcome, found) = try verify(file: directory + "/" + r.fileName, against: r, wanted: wanted)
            if case .broken = outcome { return (outcome, total, hashes) }
            hashes.merge(found) { a, _ in a }
            total += 1
        }
        return (.intact(count: records.reduce(0) { $0 + $1.entries }), total, hashes)
    }
}
