import Fluent
import Foundation
import KPICore

/// Writes and checks the audit chain's anchors (`KPICore.AuditAnchor`) in a JSON-lines file: one
/// anchor a line, appended, never rewritten. The file is meant to leave the database server (copied
/// by the off-site backup, mailed, or kept on a disk the database's owner cannot write).
enum AuditAnchors {
    /// The chain's head now, or nil when the trail is empty.
    static func head(on db: any Database, at now: Date) async throws -> AuditAnchor? {
        guard let last = try await AuditEntry.query(on: db).sort(\.$id, .descending).first(), let seq = last.id else { return nil }
        return AuditAnchor(seq: seq, hash: last.hash, at: ISO8601DateFormatter().string(from: now))
    }

    static func read(_ path: String) throws -> [AuditAnchor] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map {
            try JSONDecoder().decode(AuditAnchor.self, from: Data($0.utf8))
        }
    }

    /// Appends the chain's head to the file; returns it (nil when there is nothing to anchor).
    @discardableResult
    static func append(to path: String, on db: any Database, at now: Date) async throws -> AuditAnchor? {
        guard let anchor = try await head(on: db, at: now) else { return nil }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let line = String(decoding: try encoder.encode(anchor), as: UTF8.self) + "\n"
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(line.utf8))
        return anchor
    }

    /// The daily anchor of the deadline job: appended when the file's last anchor is from an earlier
    /// day (in Việt Nam) or there is none.
    static func daily(path: String, on db: any Database, at now: Date) async throws {
        let last = try read(path).last.flatMap { ISO8601DateFormatter().date(from: $0.at) }
        if let last, DateOnly.inVietnam(last) == DateOnly.inVietnam(now) { return }
        try await append(to: path, on: db, at: now)
    }

    /// The stored chain checked against the anchors.
    /// Anchors of entries since archived are checked against the archive files' hashes (`archived`).
    static func verify(_ anchors: [AuditAnchor], on db: any Database, archived: [Int: String] = [:]) async throws -> AuditChain.Outcome {
        let seqs = anchors.map(\.seq)
        guard !seqs.isEmpty else { return .intact(count: 0) }
        let stored = Dictionary(try await AuditEntry.query(on: db).filter(\.$id ~~ seqs).all().map { ($0.id!, $0.hash) }) { a, _ in a }
        return AuditChain.verify(anchors: anchors, storedHash: { stored[$0] ?? archived[$0] })
    }
}
