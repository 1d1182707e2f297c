/// The content of one audit entry (nhật ký hệ thống) as it is hashed. The hash of each entry covers
/// the previous entry's hash, so changing or removing any entry breaks every hash after it.
public struct AuditRecord: Equatable, Sendable {
    public var sequence: Int
    /// Milliseconds since 1970 (UTC).
    public var timestampMillis: Int64
    public var actor: String
    public var ip: String
    public var action: String
    public var entityType: String
    public var entityID: String
    public var scopePath: String
    public var before: String
    public var after: String
    public var previousHash: String

    public init(sequence: Int, timestampMillis: Int64, actor: String, ip: String, action: String,
                entityType: String, entityID: String, scopePath: String, before: String, after: String,
                previousHash: String) {
        self.sequence = sequence
        self.timestampMillis = timestampMillis
        self.actor = actor
        self.ip = ip
        self.action = action
        self.entityType = entityType
        self.entityID = entityID
        self.scopePath = scopePath
        self.before = before
        self.after = after
        self.previousHash = previousHash
    }

    /// The hash of the entry before the first one.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// Unambiguous serialization: every field is length-prefixed.
    public var canonical: String {
        [String(sequence), String(timestampMillis), actor, ip, action, entityType, entityID, scopePath,
         before, after, previousHash]
            .map { "\($0.utf8.count):\($0)" }
            .joined(separator: "|")
    }
}

/// Checks a chain given each entry and its stored hash; `hash` computes SHA-256 hex of a string.
public enum AuditChain {
    public enum Outcome: Equatable, Sendable {
        case intact(count: Int)
        /// The first entry whose stored hash or link does not hold.
        case broken(sequence: Int, reason: String)
    }

    public static func verify(_ entries: [(record: AuditRecord, storedHash: String)],
                              startingAfter previousHash: String = AuditRecord.genesisHash,
                              previousSequence: Int = 0,
                              hash: (String) -> String) -> Outcome {
        var prev = previousHash
        var prevSeq = previousSequence
        for (record, stored) in entries {
            if record.sequence != prevSeq + 1 {
                return .broken(sequence: record.sequence, reason: "thiếu mục số \(prevSeq + 1)")
            }
            if record.previousHash != prev {
                return .broken(sequence: record.sequence, reason: "liên kết tới mục trước không khớp")
            }
            if hash(record.canonical) != stored {
                return .broken(sequence: record.sequence, reason: "nội dung đã bị sửa (mã băm không khớp)")
            }
            prev = stored
            prevSeq = record.sequence
        }
        return .intact(count: prevSeq - previousSequence)
    }
}

/// Neo nhật ký: the head of the audit chain (last sequence and its hash) written outside the database
/// each day (`kpi audit-anchor`). Whoever owns the database can recompute every hash after editing an
/// entry, so the chain alone then verifies; an anchor kept elsewhere cannot be recomputed, and the
/// rewritten entry no longer matches it.
public struct AuditAnchor: Codable, Equatable, Sendable {
    /// The last entry's sequence and hash when the anchor was taken.
    public var seq: Int
    public var hash: String
    /// When the anchor was taken (ISO 8601, UTC).
    public var at: String

    public init(seq: Int, hash: String, at: String) {
        self.seq = seq
        self.hash = hash
        self.at = at
    }
}

extension AuditChain {
    /// Checks the stored chain against anchors taken earlier: each anchored entry must still exist
    /// with the anchored hash (`storedHash` gives an entry's hash by sequence; nil when it is gone).
    public static func verify(anchors: [AuditAnchor], storedHash: (Int) -> String?) -> Outcome {
        for a in anchors.sorted(by: { $0.seq < $1.seq }) {
            guard let stored = storedHash(a.seq) else {
                return .broken(sequence: a.seq, reason: "mục đã được neo lúc \(a.at) không còn trong nhật ký")
            }
            guard stored == a.hash else {
                return .broken(sequence: a.seq,
                               reason: """
                                   khác với neo lúc \(a.at): nhật ký đã bị viết lại từ mục này trở về trước
                                   """)
            }
        }
        return .intact(count: anchors.count)
    }
}
