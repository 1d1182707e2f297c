import Foundation
import KPICore
import NIOConcurrencyHelpers
import Vapor

/// The application's one clock. Every "now" and "today" of the server — sessions, lockouts, audit
/// timestamps, deadlines, jobs, pages — is read here; nothing else reads the system time. Tests pin
/// it (`set`) and move it (`advance`) instead of sleeping.
public final class AppClock: Sendable {
    private let pinned: NIOLockedValueBox<Date?>

    /// The system clock (production).
    public init() { pinned = .init(nil) }

    /// A clock standing at `date` until moved.
    public init(pinnedAt date: Date) { pinned = .init(date) }

    public var now: Date { pinned.withLockedValue { $0 } ?? Date() }

    /// Today in Việt Nam.
    public var today: DateOnly { DateOnly.inVietnam(now) }

    /// Pins the clock at `date`.
    public func set(_ date: Date) { pinned.withLockedValue { $0 = date } }

    /// Moves a pinned clock forward (or back, with a negative interval); pins a running one first.
    public func advance(by seconds: TimeInterval) {
        pinned.withLockedValue { $0 = ($0 ?? Date()).addingTimeInterval(seconds) }
    }
}

struct AppClockKey: StorageKey { typealias Value = AppClock }

extension Application {
    /// The clock of this application (set by `configure`; tests replace it before use).
    public var clock: AppClock {
        get {
            if let c = storage[AppClockKey.self] { return c }
            let c = AppClock()
            storage[AppClockKey.self] = c
            return c
        }
        set { storage[AppClockKey.self] = newValue }
    }
}

extension Request {
    var clock: AppClock { application.clock }
    var now: Date { application.clock.now }
    var today: DateOnly { application.clock.today }
}
