import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// The one clock (issue 17): what the server stamps on its records is the application's time, not
/// the system's, and the day it reckons with is Việt Nam's whatever the process's time zone.
final class ClockTests: XCTestCase {
    func testRecordsAreStampedFromTheApplicationsClock() async throws {
        try await withApp { app in
            // A clock years away from the real date: a system-time stamp could not equal it.
            let then = DateOnly(year: 2031, month: 3, day: 14)!.startInVietnam.addingTimeInterval(10 * 3600)
            app.clock.set(then)
            let person = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-04").first()!
            let grant = RoleGrant()
            grant.userID = try await User.query(on: app.db).filter(\.$username == "canbo").first()!.id!
            grant.role = Role.inspector.rawValue; grant.scopePath = person.scopePath; grant.grantedBy = "test"
            try await grant.create(on: app.db)
            let created = try await RoleGrant.find(grant.id, on: app.db)!
            XCTAssertEqual(created.createdAt, then)
            // A save moves `updatedAt` to the clock's new time and leaves `createdAt` alone.
            app.clock.advance(by: 3600)
            person.fullName += " "
            try await person.save(on: app.db)
            let saved = try await Person.find(person.id, on: app.db)!
            XCTAssertEqual(saved.updatedAt, then.addingTimeInterval(3600))
            // A stamp the caller set is kept.
            let set = Date(timeIntervalSince1970: 1_800_000_000)
            let other = RoleGrant()
            other.userID = grant.userID; other.role = Role.leader.rawValue; other.scopePath = person.scopePath
            other.grantedBy = "test"; other.createdAt = set
            try await other.create(on: app.db)
            let kept = try await RoleGrant.find(other.id, on: app.db)!.createdAt
            XCTAssertEqual(kept, set)
        }
    }

    func testTodayIsVietnamsDay() {
        // 17:30 UTC on 31/12/2026 is already 00:30 on 01/01/2027 in Việt Nam.
        let instant = Date(timeIntervalSince1970: 1_798_738_200)
        XCTAssertEqual(AppClock(pinnedAt: instant).today, DateOnly(year: 2027, month: 1, day: 1))
        XCTAssertEqual(DateOnly(year: 2027, month: 1, day: 1)!.startInVietnam, Date(timeIntervalSince1970: 1_798_736_400))
    }
}
