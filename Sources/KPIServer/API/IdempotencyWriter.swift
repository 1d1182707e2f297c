import Fluent
import Foundation
import SQLKit

/// The Idempotency-Key records' writes (`APIIdempotency`), claims and answers of calls arriving together each written by
/// one statement (`Coalescer`): two round trips and two commits of every creating call, shared.
final class IdempotencyWriter: Sendable {
    struct Claim: Sendable {
        var id: UUID, userID: UUID, key: String, hash: String, at: Date
    }

    struct Answer: Sendable {
        var claim: Claim
        var status: Int, contentType: String, body: String, location: String?
    }

    /// Within PostgreSQL's and SQLite's bound values at nine columns a row.
    static let most = 64
    let claims = Coalescer<Claim, Bool>(most: most)
    let answers = Coalescer<Answer, Void>(most: most)

    /// A record's columns, in the order `row` gives their values.
    static let columns = ["id", "user_id", "key", "request_hash", "status", "content_type", "body", "location", "created_at"]

    /// The row of `claim`: unanswered (status 0) until `answer` is given.
    static func row(_ c: Claim, _ answer: Answer? = nil) -> [any SQLExpression] {
        [SQLBind(c.id), SQLBind(c.userID), SQLBind(c.key), SQLBind(c.hash), SQLBind(answer?.status ?? 0),
         SQLBind(answer?.contentType ?? ""), SQLBind(answer?.body ?? ""), SQLBind(answer?.location), SQLBind(c.at)]
    }

    /// Claims the key: true when this call's row went in, false when a row of the same client and key was there. On
    /// PostgreSQL committed without waiting for its flush (`AsyncCommit`): what the call then writes is committed with
    /// one, which covers the claim; a claim lost with a crash was of a call whose work was lost with it, which its retry
    /// claims and does again.
    func claim(_ c: Claim, store: Store) async throws -> Bool {
        try await claims.submit(c) { batch in
            let inserted = try await store.autocommit { db in
                let returning: [any SQLExpression] = [SQLColumn("id")] + (db.isPostgres ? [AsyncCommit.column] : [])
                return Set(try await db.sql.insert(into: APIIdempotencyRecord.schema).columns(Self.columns)
                    .rows(batch.map { Self.row($0) }).ignoringConflicts(with: ["user_id", "key"]).returning(returning)
                    .all(decodingColumn: "id", as: UUID.self))
            }
            return batch.map { inserted.contains($0.id) }
        }
    }

    /// Keeps the answer on the claimed row. A row another call took over meanwhile (`APIIdempotency.abandonedAfter`) is
    /// left to it; a row gone (kept past 48 hours and removed) is written again with the answer.
    func answer(_ a: Answer, store: Store) async throws {
        try await answers.submit(a) { batch in
            try await store.autocommit { db in
                try await db.sql.insert(into: APIIdempotencyRecord.schema).columns(Self.columns).rows(batch.map { Self.row($0.claim, $0) })
                    .onConflict(with: ["user_id", "key"]) { update in
                        update.set(excludedValueOf: "status").set(excludedValueOf: "content_type").set(excludedValueOf: "body")
                            .set(excludedValueOf: "location")
                            .where(SQLColumn("id", table: APIIdempotencyRecord.schema), .equal, SQLColumn("id", table: "excluded"))
                    }.run()
            }
            return batch.map { _ in () }
        }
    }
}
