#if canImport(Glibc)
import Glibc
#endif

/// A point on the monotonic clock by which a call must be over. One deadline is made per call and
/// handed to every request, wait and describe the call makes, so none of them starts a fresh budget.
struct Deadline: Sendable {
    /// Milliseconds on CLOCK_MONOTONIC (immune to the wall clock being set).
    let at: Int64

    init(fromNow milliseconds: Int) {
        at = Self.now() + Int64(milliseconds)
    }

    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// Milliseconds left, never negative.
    var remaining: Int { Int(max(0, at - Self.now())) }
    var hasPassed: Bool { Self.now() >= at }
}
