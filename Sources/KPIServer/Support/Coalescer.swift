import Foundation

/// Statements of one kind arriving together, written as one: the first runs at once, those arriving while it runs
/// wait for it and then go together (at most `most`), so concurrent calls share a round trip and a commit instead of
/// queueing for one each. Nothing waits for company: alone, a call is written as before. When a statement of several
/// fails for anything but the database being away, each is written again alone, so one bad row answers for itself
/// only. Per application (process). Task creations arriving together go through one as well (`CreationBatcher`).
final class Coalescer<Input: Sendable, Output: Sendable>: @unchecked Sendable {
    typealias Waiting = (Input, CheckedContinuation<Output, any Error>)
    private let lock = NSLock()
    private var waiting: [Waiting] = []
    private var running = false
    private var statements = 0, inputs = 0
    let most: Int

    init(most: Int) { self.most = most }

    /// Statements run so far and the inputs they carried; inputs waiting for the statement under way.
    var counts: (statements: Int, inputs: Int, waiting: Int) { lock.withLock { (statements, inputs, waiting.count) } }

    /// `input` written by `run` (with those arriving meanwhile); `run` answers each input, in order.
    func submit(_ input: Input, _ run: @escaping @Sendable ([Input]) async throws -> [Output]) async throws -> Output {
        try await withCheckedThrowingContinuation { c in
            let start = lock.withLock { () -> Bool in
                waiting.append((input, c))
                if running { return false }
                running = true
                return true
            }
            if start { Task { await self.drain(run) } }
        }
    }

    private func drain(_ run: @escaping @Sendable ([Input]) async throws -> [Output]) async {
        while true {
            let batch = lock.withLock { () -> [Waiting] in
                let b = Array(waiting.prefix(most))
                waiting.removeFirst(b.count)
                if b.isEmpty { running = false } else { statements += 1; inputs += b.count }
                return b
            }
            if batch.isEmpty { return }
            do {
                let out = try await run(batch.map(\.0))
                for (i, entry) in batch.enumerated() { entry.1.resume(returning: out[i]) }
            } catch {
                guard batch.count > 1, !DatabaseOutage.matches(error) else {
                    batch.forEach { $0.1.resume(throwing: error) }
                    continue
                }
                for entry in batch {
                    do { entry.1.resume(returning: try await run([entry.0])[0]) } catch { entry.1.resume(throwing: error) }
                }
            }
        }
    }
}
