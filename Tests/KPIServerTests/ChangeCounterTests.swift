import Fluent
import Foundation
@testable import KPIServer
import XCTest

/// The caches of derived figures (`ChangeCounter`): a value is kept until a write here or its age; an old
/// value is served while one request reads it again; a slow count is shared and its last answer served.
final class ChangeCounterTests: XCTestCase {
    func testCachedKeepsUntilAWriteAndServesTheOldValueWhileOneReadsAgain() async throws {
        let c = ChangeCounter()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        var v = try await c.cached("k", now: t0, maxAge: 60) { 1 }
        XCTAssertEqual(v, 1)
        v = try await c.cached("k", now: t0.addingTimeInterval(30), maxAge: 60) { 2 }
        XCTAssertEqual(v, 1, "kept while young")
        c.bump()
        v = try await c.cached("k", now: t0.addingTimeInterval(31), maxAge: 60) { 3 }
        XCTAssertEqual(v, 3, "a write here outdates it at once")
        // Figures served stale (reports): too old, nothing written since, read again in the background; the
        // first to ask and anyone asking meanwhile get the value before at once.
        let late = t0.addingTimeInterval(200)
        final class Gate: @unchecked Sendable {
            let lock = NSLock()
            var open = false
        }
        let gate = Gate()
        v = try await c.cached("k", now: late, maxAge: 60, serveStale: true) {
            // The refresh waits until the test lets it finish (at most 2 s, so a wrong cache fails, not hangs).
            for _ in 0..<200 where !gate.lock.withLock({ gate.open }) { try await Task.sleep(for: .milliseconds(10)) }
            return 4
        }
        XCTAssertEqual(v, 3, "too old: the value before at once, no wait for the refresh")
        v = try await c.cached("k", now: late, maxAge: 60, serveStale: true) { 99 }
        XCTAssertEqual(v, 3, "served the value before while it is read again, read once")
        gate.lock.withLock { gate.open = true }
        for _ in 0..<500 where try await c.cached("k", now: late, maxAge: 60, serveStale: true, load: { 98 }) != 4 {
            try await Task.sleep(for: .milliseconds(10))
        }
        v = try await c.cached("k", now: late.addingTimeInterval(1), maxAge: 60) { 5 }
        XCTAssertEqual(v, 4, "the background read is kept")
        // What permissions are decided on (delegations, the tree) is not served stale: too old, the first to
        // ask reads it again and gets what it read.
        _ = try await c.cached("perm", now: late, maxAge: 60) { 1 }
        v = try await c.cached("perm", now: late.addingTimeInterval(61), maxAge: 60) { 2 }
        XCTAssertEqual(v, 2)
        // Outdated by a write: the same — one reads again, the others meanwhile get the value before.
        c.bump()
        v = try await c.cached("k", now: late.addingTimeInterval(2), maxAge: 60) {
            let meanwhile = try await c.cached("k", now: late.addingTimeInterval(2), maxAge: 60) { 98 }
            XCTAssertEqual(meanwhile, 4, "not every viewer counts again after a write")
            return 6
        }
        XCTAssertEqual(v, 6)
        // A write while it was read: what was read is outdated already, the next one reads again.
        c.bump()
        v = try await c.cached("k", now: late.addingTimeInterval(3), maxAge: 60) {
            c.bump()
            return 7
        }
        XCTAssertEqual(v, 7)
        v = try await c.cached("k", now: late.addingTimeInterval(4), maxAge: 60) { 8 }
        XCTAssertEqual(v, 8)
    }

    func testCachedReadsOnceForEveryoneWhenNothingIsKeptYet() async throws {
        // A process just started under load: twenty requests at once share the first one's read.
        final class Reads: @unchecked Sendable {
            let lock = NSLock()
            var n = 0
            func add() -> Int { lock.withLock { n += 1; return n } }
        }
        let c = ChangeCounter(), reads = Reads()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await c.cached("cold", now: t0, maxAge: 60) {
                        try await Task.sleep(for: .milliseconds(200))
                        return 100 + reads.add()
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(values, Array(repeating: 101, count: 20))
        XCTAssertEqual(reads.n, 1)
        // A read that fails is not kept: the next request reads again.
        struct Failed: Error {}
        do {
            _ = try await c.cached("broken", now: t0, maxAge: 60) { () async throws -> Int in throw Failed() }
            XCTFail("the failure reaches the caller")
        } catch is Failed {}
        let again = try await c.cached("broken", now: t0, maxAge: 60) { 7 }
        XCTAssertEqual(again, 7)
    }

    func testRecentCountsOnceAndServesTheLastCountWhileCountingAgain() async throws {
        let c = ChangeCounter()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try await c.recent("h", now: t0, maxAge: 60) { 10 }
        XCTAssertEqual(first, 10)
        c.bump()
        let kept = try await c.recent("h", now: t0.addingTimeInterval(10), maxAge: 60) { 11 }
        XCTAssertEqual(kept, 10, "writes do not outdate it; its age does")
        let stale = try await c.recent("h", now: t0.addingTimeInterval(61), maxAge: 60) { 12 }
        XCTAssertEqual(stale, 10, "the last count at once, the new one counted in the background")
        var next = 0
        for _ in 0..<100 {
            next = try await c.recent("h", now: t0.addingTimeInterval(62), maxAge: 60) { 13 }
            if next == 12 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertEqual(next, 12)
    }
}

/// Catalog records kept on hot paths (`RecordCache`): until a catalog write (here or heard from another
/// process) or their age; a read begun before a write does not put back what the write outdated.
final class RecordCacheTests: XCTestCase {
    func testRecordsAreKeptUntilACatalogWriteOrTheirAge() async throws {
        let c = ChangeCounter()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        func read(_ key: String, _ value: String?, at seconds: TimeInterval = 0, keepMissing: Bool = true) async throws -> String? {
            try await c.records.value(key, generation: c.catalogValue, maxAge: 60, now: t0.addingTimeInterval(seconds),
                                      keepMissing: keepMissing) { value }
        }
        let first = try await read("person:A", "An")
        XCTAssertEqual(first, "An")
        let kept = try await read("person:A", "An, renamed", at: 30)
        XCTAssertEqual(kept, "An", "kept within its age while the catalogs are unchanged")
        c.bump(.work)
        let afterWork = try await read("person:A", "An, renamed", at: 30)
        XCTAssertEqual(afterWork, "An", "a write of tasks leaves catalog records alone")
        c.heard(.everything)
        let afterCatalog = try await read("person:A", "An, renamed", at: 30)
        XCTAssertEqual(afterCatalog, "An, renamed", "a catalog write, even another process's, outdates them")
        let old = try await read("person:A", "An again", at: 91)
        XCTAssertEqual(old, "An again", "too old: read again")

        let missing = try await read("person:B", nil)
        XCTAssertNil(missing)
        let stillMissing = try await read("person:B", "Bình")
        XCTAssertNil(stillMissing, "a code not found is kept as not found until the catalogs change")
        _ = try await read("token:x", nil, keepMissing: false)
        let token = try await read("token:x", "found")
        XCTAssertEqual(token, "found", "what callers make up is not kept when not found")

        // A read that began before a catalog write must not put back the record that write outdated.
        let before = c.catalogValue
        c.bump()
        _ = try await c.records.value("unit:U", generation: before, maxAge: 60, now: t0) { "old name" }
        let unit = try await read("unit:U", "new name")
        XCTAssertEqual(unit, "new name")
    }
}

/// What a write reaches (`WriteReach`): a write of tasks outdates the figures counted from tasks and
/// leaves the catalogs' copies; what this process wrote is told once, the widest reach winning; what
/// another process wrote outdates the same way and is not told again.
final class WriteReachTests: XCTestCase {
    func testAWriteOfTasksLeavesTheCatalogsCopiesAndIsToldOnce() async throws {
        let c = ChangeCounter()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        func tree(_ v: Int, _ s: TimeInterval) async throws -> Int {
            try await c.cached("tree", now: t0.addingTimeInterval(s), maxAge: 60, catalog: true) { v }
        }
        func board(_ v: Int, _ s: TimeInterval) async throws -> Int {
            try await c.cached("board", now: t0.addingTimeInterval(s), maxAge: 60) { v }
        }
        var (t, b) = (try await tree(1, 0), try await board(1, 0))
        XCTAssertNil(c.takeUnsent(), "nothing written yet")

        c.bump(.work)
        (t, b) = (try await tree(2, 1), try await board(2, 1))
        XCTAssertEqual(t, 1, "a task written: the tree kept")
        XCTAssertEqual(b, 2, "a task written: the board counted again")
        XCTAssertEqual(c.takeUnsent(), .work)
        XCTAssertNil(c.takeUnsent(), "told once")

        c.bump(.work)
        c.bump(.everything)
        c.bump(.work)
        XCTAssertEqual(c.takeUnsent(), .everything, "the widest reach since the last message")
        (t, b) = (try await tree(3, 2), try await board(3, 2))
        XCTAssertEqual(t, 3)
        XCTAssertEqual(b, 3)

        c.heard(.work)
        (t, b) = (try await tree(4, 3), try await board(4, 3))
        XCTAssertEqual(t, 3, "another process's tasks: the tree kept")
        XCTAssertEqual(b, 4)
        c.heard(.everything)
        t = try await tree(5, 4)
        XCTAssertEqual(t, 5, "another process's catalog change: the tree read again")
        XCTAssertNil(c.takeUnsent(), "what was heard is not told again")
    }
}

/// Signing in and out writes sessions, the account's sign-in fields and the audit trail, and the mail job its
/// lease, the notices' mail marks and the outbox, which no kept figure reads: a morning of sign-ins, or the
/// mail job's run every 30 s, must not throw away every process's boards and reports.
final class SignInKeepsCachesTests: XCTestCase {
    func testSigningInOrOutOrFailingLeavesTheKeptFiguresAlone() async throws {
        try await withApp { app in
            let before = app.changes.value
            var b = Browser(app)
            try await b.get("/dang-nhap")
            let failed = try await b.post("/dang-nhap", ["username": "canbo", "password": "sai-mat-khau"], csrf: nil)
            XCTAssertNotEqual(failed.status, .seeOther)
            try await b.login("canbo")
            let home = try await b.get("/")
            XCTAssertEqual(home.status, .ok)
            try await b.post("/dang-xuat", [:])
            XCTAssertEqual(app.changes.value, before, "no write of a sign-in outdated the kept figures")
            // The mail job every 30 s (its lease, the notices it marks, the outbox) neither.
            let mail = try await MailJob.run(app)
            XCTAssertTrue(mail.ran)
            XCTAssertGreaterThan(mail.routed.skipped, 0, "the demonstration's notices were gone through")
            XCTAssertEqual(app.changes.value, before, "the mail job left the kept figures alone")
            let audited = try await AuditEntry.query(on: app.db).filter(\.$action ~~ ["login", "login.failed", "logout"]).count()
            XCTAssertEqual(audited, 3, "each still audited")
        }
    }
}
