import FluentKit
import Foundation
import NIOCore

/// A model whose creation time is kept, set from the application's clock (not the system's, as
/// Fluent's `@Timestamp` would) when it is created without one.
protocol CreationStamped: AnyObject {
    var createdAt: Date? { get set }
}

/// A model whose last change time is kept, set from the application's clock on each create and save.
protocol UpdateStamped: AnyObject {
    var updatedAt: Date? { get set }
}

/// Sets `createdAt` and `updatedAt` from `clock` as models are created and saved (registered on the
/// databases by `configure`). Bulk updates through a query leave them alone.
struct ClockStamps: AnyModelMiddleware {
    let clock: AppClock

    func handle(_ event: ModelEvent, _ model: any AnyModel, on db: any Database,
                chainingTo next: any AnyModelResponder) -> EventLoopFuture<Void> {
        Self.stamp(event, model, at: clock.now)
        return next.handle(event, model, on: db)
    }

    /// The times `event` sets on `model` (also applied by `Database.insert(new:at:)`, which runs no middleware).
    static func stamp(_ event: ModelEvent, _ model: any AnyModel, at now: Date) {
        switch event {
        case .create:
            if let m = model as? any CreationStamped, m.createdAt == nil { m.createdAt = now }
            if let m = model as? any UpdateStamped { m.updatedAt = now }
        case .update:
            if let m = model as? any UpdateStamped { m.updatedAt = now }
        default:
            break
        }
    }
}

extension DisciplineRecord: CreationStamped {}
extension EvaluationPeriod: CreationStamped, UpdateStamped {}
extension EvaluationRevision: CreationStamped {}
extension Evidence: CreationStamped {}
extension LeaveRecord: CreationStamped {}
extension Rating: CreationStamped {}
extension RatingLink: CreationStamped {}
extension RecurringTask: CreationStamped {}
extension RoleGrant: CreationStamped {}
extension WorkTask: CreationStamped, UpdateStamped {}
extension Evaluation: UpdateStamped {}
extension Framework: UpdateStamped {}
extension Organization: UpdateStamped {}
extension Person: UpdateStamped {}
extension Position: UpdateStamped {}
extension PositionGroup: UpdateStamped {}
extension Product: UpdateStamped {}
extension ScoreInput: UpdateStamped {}
extension User: UpdateStamped {}
extension ViolationType: UpdateStamped {}
