#if canImport(Glibc)
import Glibc
#endif

/// How a call retries transient failures: exponential backoff with full jitter, a cap on attempts and
/// an overall deadline, and the server's `x-acs-retry-after` when it sends one.
public struct RetryPolicy: Sendable {
    /// Attempts per call, the first included; 1 disables retries.
    public var maxAttempts: Int
    /// Time for one call, all attempts and waits included.
    public var deadlineMilliseconds: Int
    public var baseDelayMilliseconds = 200
    public var maxDelayMilliseconds = 5_000

    public init(maxAttempts: Int = ClientSetting.maxAttempts.defaultValue,
                deadlineMilliseconds: Int = ClientSetting.deadline.defaultValue) {
        self.maxAttempts = maxAttempts
        self.deadlineMilliseconds = deadlineMilliseconds
    }

    /// The wait before attempt `attempt + 1`: uniform in [0, min(max, base * 2^(attempt-1))], or the
    /// server's retry-after when it asked for one.
    func delay(afterAttempt attempt: Int, retryAfterMilliseconds: Int?) -> Int {
        if let retryAfterMilliseconds, retryAfterMilliseconds >= 0 { return Swift.min(retryAfterMilliseconds, maxDelayMilliseconds * 6) }
        let ceiling = Swift.min(maxDelayMilliseconds, baseDelayMilliseconds << Swift.min(attempt - 1, 20))
        guard ceiling > 0 else { return 0 }
        // Jitter needs no secret randomness: if the generator fails, wait the whole ceiling.
        guard let bytes = try? Digest.randomBytes(4) else { return ceiling }
        let random = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return Int(random % UInt32(ceiling + 1))
    }

    static func sleep(milliseconds: Int) {
        guard milliseconds > 0 else { return }
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
