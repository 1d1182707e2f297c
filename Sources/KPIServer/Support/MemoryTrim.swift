#if canImport(Glibc)
import Glibc
#endif
import Vapor

/// Gives the heap's free pages back to the system once a minute (glibc's `malloc_trim`). A background job's
/// burst of allocations (a recount, a scan of warnings) otherwise leaves the process at its high-water mark for
/// good: the soak (bench/soak) showed both processes a tenth larger after the deadline job's second run, and flat
/// after it. Returning the pages costs a walk of the free lists, well under a millisecond at this heap's size.
func startMemoryTrim(_ app: Application) {
    #if canImport(Glibc)
    // Not in the Glibc module's headers (malloc.h): found by name; a libc without it is simply not trimmed.
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
    typealias Trim = @convention(c) (Int) -> Int32
    let trim = unsafeBitCast(symbol, to: Trim.self)
    let job = Task {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(60))
            _ = trim(0)
        }
    }
    app.lifecycle.use(JobCanceller(task: job))
    #endif
}
