import Crypto
import Fluent
import Foundation
import KPICore
import SQLKit

/// Who acts, and from where: carried into every audit entry.
struct Actor: Sendable {
    var name: String
    var ip: String
    /// When the action happens, from the application clock.
    var at: Date
    /// Ủy quyền: the delegations this request's authorizations relied on; an entry in one's unit
    /// says on whose behalf (thay mặt) it was done.
    var delegationUse: DelegationUse? = nil

    /// The name a record keeps for an action at `scopePath`: with «thay mặt» the head's username
    /// when this request's authorization relied on their delegation (ủy quyền).
    func name(actingAt scopePath: String) -> String {
        guard let d = delegationUse?.covering(scopePath) else { return name }
        return "\(name) (thay mặt \(d.delegatorUsername))"
    }

    static func system(_ what: String, at: Date) -> Actor { Actor(name: "system:\(what)", ip: "-", at: at) }
}

/// The hash-chained audit trail (nhật ký hệ thống). Entries are written inside the use case's
/// transaction, so a change and its entry commit or roll back together.
enum AuditLog {
    /// Lock id for the chain on PostgreSQL.
    static let advisoryLockKey: Int64 = 0x4B50_4941_5544_4954

    static func sha256(_ s: String) -> String {
        hex(SHA256.hash(data: Data(s.utf8)))
    }

    /// Lower-case hex of bytes (without `String(format:)`, which showed in the load test's profile).
    static func hex<B: Sequence>(_ bytes: B) -> String where B.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Canonical JSON of a snapshot (sorted keys), or "" for none.
    static func snapshot(_ fields: [String: String]?) -> String {
        guard let fields else { return "" }
        // Keys of lowercase letters and underscores (every key the code writes) are ordered alike by a plain
        // comparison and by JSONSerialization's collation: written here, the same text at a tenth of the cost
        // (on the path of every change). Any other key goes the long way, so the text never differs.
        guard fields.keys.allSatisfy({ $0.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F } }) else {
            let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
        var out: [UInt8] = [0x7B]
        for (i, key) in fields.keys.sorted().enumerated() {
            if i > 0 { out.append(0x2C) }
            jsonString(key, into: &out)
            out.append(0x3A)
            jsonString(fields[key] ?? "", into: &out)
        }
        out.append(0x7D)
        return String(decoding: out, as: UTF8.self)
    }

    /// A JSON string as JSONSerialization writes it: `"`, `\` and `/` escaped, control characters as
    /// `\b \t \n \f \r` or `\u00xx`, everything else as it is.
    static func jsonString(_ s: String, into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(0x22)
        for b in s.utf8 {
            switch b {
            case 0x22, 0x5C, 0x2F: out += [0x5C, b]
            case 0x08: out += [0x5C, 0x62]
            case 0x09: out += [0x5C, 0x74]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0C: out += [0x5C, 0x66]
            case 0x0D: out += [0x5C, 0x72]
            case 0..<0x20: out += [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0x0F)]]
            default: out.append(b)
            }
        }
        out.append(0x22)
    }

    static func append(on db: any Database, actor: Actor, action: String, entityType: String,
                       entityID: String, scopePath: String,
                       before: [String: String]? = nil, after: [String: String]? = nil) async throws {
        try await append(on: db, [Pending(actor: actor, action: action, entityType: entityType, entityID: entityID,
                                          scopePath: scopePath, before: before, after: after)])
    }

    /// An entry to be written (`append(on:_:)`).
    struct Pending: Sendable {
        var actor: Actor
        var action: String
        var entityType: String
        var entityID: String
        var scopePath: String
        var before: [String: String]?
        var after: [String: String]?
    }

    /// Entries of one transaction, chained in order: the chain's lock is taken, its last entry read and the
    /// entries inserted by one statement, whatever their number (a batch of creations, `CreationBatcher`).
    static func append(on db: any Database, _ entries: [Pending]) async throws {
        guard !entries.isEmpty else { return }
        let sql = db.sql
        if db.isPostgres {
            try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: advisoryLockKey))").run()
        }
        // The last entry, read with SQLKit rather than as a Fluent model (on the path of every audited
        // write, Fluent's per-query reflection showed in the API benchmark's profile).
        let last = try await sql.raw("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1").first()
        var (previousSeq, previousHash) = (try last?.decode(column: "seq", as: Int.self) ?? 0,
                                           try last?.decode(column: "hash", as: String.self) ?? AuditRecord.genesisHash)
        if last == nil, let archived = try await AuditArchiveRecord.query(on: db).sort(\.$lastSeq, .descending).first() {
            // Everything so far was archived: the chain goes on from the archive's last entry.
            (previousSeq, previousHash) = (archived.lastSeq, archived.endHash)
        }
        let insert = sql.insert(into: AuditEntry.schema)
            .columns("seq", "at_ms", "actor", "ip", "action", "entity_type", "entity_id", "scope_path", "before", "after",
                     "prev_hash", "hash")
        for e in entries {
            var after = e.after
            if let d = e.actor.delegationUse?.covering(e.scopePath) {
                after = (after ?? [:]).merging(["thay_mat": "\(d.delegatorUsername) (\(d.delegatorName))"]) { $1 }
            }
            let record = AuditRecord(
                sequence: previousSeq + 1,
                timestampMillis: Int64(e.actor.at.timeIntervalSince1970 * 1000),
                actor: e.actor.name, ip: e.actor.ip, action: e.action, entityType: e.entityType, entityID: e.entityID,
                scopePath: e.scopePath, before: snapshot(e.before), after: snapshot(after),
                previousHash: previousHash)
            let hash = sha256(record.canonical)
            insert.values(SQLBind(record.sequence), SQLBind(record.timestampMillis), SQLBind(record.actor), SQLBind(record.ip),
                          SQLBind(record.action), SQLBind(record.entityType), SQLBind(record.entityID), SQLBind(record.scopePath),
                          SQLBind(record.before), SQLBind(record.after), SQLBind(record.previousHash), SQLBind(hash))
            (previousSeq, previousHash) = (record.sequence, hash)
        }
        try await insert.run()
    }

    static func record(of e: AuditEntry) -> AuditRecord {
        AuditRecord(sequence: e.id ?? 0, timestampMillis: e.atMillis, actor: e.actor, ip: e.ip,
                    action: e.action, entityType: e.entityType, entityID: e.entityID,
                    scopePath: e.scopePath, before: e.before, after: e.after, previousHash: e.previousHash)
    }

    /// Walks the whole chain in batches and names the first broken entry. Archived ranges are
    /// checked to follow each other from the first entry; the database's entries start from the
    /// last archived hash (the files themselves: `AuditArchive.verifyAll`).
    static func verify(on db: any Database) async throws -> AuditChain.Outcome {
        var previousHash = AuditRecord.genesisHash
        var previousSeq = 0
        var total = 0
        for a in try await AuditArchiveRecord.query(on: db).sort(\.$firstSeq).all() {
            guard a.firstSeq == previousSeq + 1, a.startHash == previousHash, a.lastSeq >= a.firstSeq else {
                return .broken(sequence: a.firstSeq, reason: "phần đã lưu trữ \(a.fileName) không nối tiếp phần trước")
            }
            (previousSeq, previousHash) = (a.lastSeq, a.endHash)
        }
        while true {
            let batch = try await AuditEntry.query(on: db).filter(\.$id > previousSeq)
                .sort(\.$id).limit(5000).all()
            if batch.isEmpty { return .intact(count: total) }
            let outcome = AuditChain.verify(batch.map { (record(of: $0), $0.hash) },
                                            startingAfter: previousHash, previousSequence: previousSeq,
                                            hash: sha256)
            switch outcome {
            case .broken: return outcome
            case .intact(let n):
                total += n
                previousHash = batch.last!.hash
                previousSeq = batch.last!.id!
            }
        }
    }
}
