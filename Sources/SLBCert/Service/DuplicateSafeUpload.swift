#if canImport(Glibc)
import Glibc
#endif

/// The duplicate-safe upload ("ensure"). UploadServerCertificate has no idempotency token and the
/// service offers no lock, so the guarantee rests on three rules (argued in the README):
/// 1. Look first: a stored copy with the bundle's fingerprint is returned and nothing is sent.
/// 2. Never send again while an earlier request may still be stored: after an answer was lost, poll
///    describe until the copy shows up or the settle window since that request was sent has passed.
///    When the deadline ends first, the call fails as unconfirmed; it never sends a second copy.
/// 3. Converge after storing: every caller returns the oldest copy (CreateTimeStamp, then id), and
///    deletes only the copy it stored itself, never another caller's.
/// Threads of one process are also serialised per (endpoint, region, fingerprint).
struct DuplicateSafeUpload {
    static let action = "UploadServerCertificate"

    let client: SLBClient
    let parameters: [(String, String)]
    let fingerprint: String
    let tags: [ServerCertificate.Tag]
    let deadline: Deadline

    func run() throws(SLBCertError) -> UploadResult {
        let configuration = client.configuration
        let key = "\(configuration.serializationScope) \(configuration.regionId) \(fingerprint)"
        return try UploadSerializer.shared.exclusive(key, deadline: deadline) { () throws(SLBCertError) -> UploadResult in
            try runAlone()
        }
    }

    private func runAlone() throws(SLBCertError) -> UploadResult {
        let region = try describeRegion()
        if let stored = oldestCopy(in: region) { return found(stored, region: region, attempts: 0) }
        var attempt = 0
        while true {
            attempt += 1
            let sentAt = Deadline.now()
            let error: SLBCertError
            switch client.send(Self.action, parameters, timeout: client.configuration.uploadTimeoutMilliseconds,
                               deadline: deadline, attempt: attempt) {
            case .success(let answer):
                return converge(client.uploadedCertificate(answer, tags: tags), attempts: attempt)
            case .failure(let failure):
                error = failure
            }
            if ServiceAnswer.isUnanswered(error) {
                if let (stored, region) = try settle(sentAt: sentAt, cause: error) {
                    return found(stored, region: region, attempts: attempt)
                }
            } else if ServiceAnswer.isAmbiguous(error) {
                // The server answered, so it is done with the request; it may have stored it before failing.
                let region = try lookAgain(cause: error)
                if let stored = oldestCopy(in: region) { return found(stored, region: region, attempts: attempt) }
            }
            // Here the attempt certainly stored nothing: retrying cannot make a second copy.
            try client.waitBeforeRetry(Self.action, after: error, attempt: attempt, deadline: deadline)
        }
    }

    // MARK: Waiting out an attempt whose answer was lost

    /// Polls until the copy shows up (returned) or the settle window has passed (nil: nothing was stored).
    private func settle(sentAt: Int64, cause: SLBCertError) throws(SLBCertError) -> (ServerCertificate, [ServerCertificate])? {
        let windowEnd = sentAt + Int64(client.configuration.uploadSettleMilliseconds)
        client.configuration.logger?.log(.info, "\(Self.action): the answer was lost (\(Self.name(cause))); looking for the certificate until the attempt can no longer be stored")
        var interval: Int64 = 250
        while true {
            let region = try lookAgain(cause: cause)
            if let stored = oldestCopy(in: region) { return (stored, region) }
            let now = Deadline.now()
            if now >= windowEnd { return nil }
            let pause = min(interval, windowEnd - now, deadline.at - now)
            if pause <= 0 { throw unconfirmed(cause) }
            RetryPolicy.sleep(milliseconds: Int(pause))
            interval = min(interval * 2, 2_000)
        }
    }

    /// A describe made while an attempt may have been stored: failing it leaves the outcome unknown.
    private func lookAgain(cause: SLBCertError) throws(SLBCertError) -> [ServerCertificate] {
        guard !deadline.hasPassed else { throw unconfirmed(cause) }
        do {
            return try describeRegion()
        } catch {
            throw unconfirmed(cause, lookFailed: error)
        }
    }

    private func unconfirmed(_ cause: SLBCertError, lookFailed: SLBCertError? = nil) -> SLBCertError {
        let look = lookFailed.map { " Looking for it failed too: \($0.message)" } ?? ""
        var error = SLBCertError(.unconfirmed, "The upload may have been stored: the answer to it was lost (\(cause.message)), and the call's deadline ended before the certificate showed up or the attempt could no longer be stored. Nothing else was sent.\(look)",
                                 hint: "Run the same upload again: it finds the stored copy, or uploads it if there is none.")
        error.reason = .uploadUnconfirmed
        error.transportCode = cause.transportCode
        error.transportMessage = cause.transportMessage
        error.httpStatus = cause.httpStatus
        error.requestId = cause.requestId
        return error
    }

    // MARK: Converging with concurrent callers

    /// After this call stored `ours`: return the oldest copy, and delete ours if it is not that one.
    private func converge(_ ours: ServerCertificate, attempts: Int) -> UploadResult {
        let region: [ServerCertificate]
        do {
            region = try describeRegion()
        } catch {
            // The upload itself succeeded; without a look there is nothing to converge on.
            client.configuration.logger?.log(.warning, "\(Self.action): stored \(ours.serverCertificateId), but could not look for other copies: \(error.message)")
            return UploadResult(certificate: ours, outcome: .uploaded, attempts: attempts)
        }
        var copies = region.filter { $0.fingerprint == fingerprint }
        if !copies.contains(where: { $0.serverCertificateId == ours.serverCertificateId }) { copies.append(ours) }
        let survivor = Self.oldest(copies) ?? ours
        let others = copies.map(\.serverCertificateId).filter { $0 != survivor.serverCertificateId && $0 != ours.serverCertificateId }
        if survivor.serverCertificateId == ours.serverCertificateId {
            return UploadResult(certificate: region.first { $0.serverCertificateId == ours.serverCertificateId } ?? ours,
                                outcome: .uploaded, duplicates: others, regionCertificates: region, attempts: attempts)
        }
        client.configuration.logger?.log(.info, "\(Self.action): \(survivor.serverCertificateId) holds the same certificate and is older; removing this call's copy \(ours.serverCertificateId)")
        do {
            _ = try client.delete(serverCertificateId: ours.serverCertificateId, deadline: deadline)
        } catch {
            client.configuration.logger?.log(.warning, "\(Self.action): could not remove this call's copy \(ours.serverCertificateId): \(error.message)")
            return UploadResult(certificate: survivor, outcome: .converged, duplicates: others + [ours.serverCertificateId],
                                regionCertificates: region, attempts: attempts)
        }
        return UploadResult(certificate: survivor, outcome: .converged, removed: [ours.serverCertificateId], duplicates: others,
                            regionCertificates: region.filter { $0.serverCertificateId != ours.serverCertificateId }, attempts: attempts)
    }

    private func found(_ stored: ServerCertificate, region: [ServerCertificate], attempts: Int) -> UploadResult {
        client.configuration.logger?.log(.info, "\(Self.action): \(stored.serverCertificateId) already holds fingerprint \(fingerprint)")
        let others = region.filter { $0.fingerprint == fingerprint && $0.serverCertificateId != stored.serverCertificateId }
        return UploadResult(certificate: stored, outcome: .found, duplicates: others.map(\.serverCertificateId),
                            regionCertificates: region, attempts: attempts)
    }

    private func describeRegion() throws(SLBCertError) -> [ServerCertificate] {
        try client.describe(DescribeFilter(), deadline: deadline).certificates
    }

    private func oldestCopy(in region: [ServerCertificate]) -> ServerCertificate? {
        Self.oldest(region.filter { $0.fingerprint == fingerprint })
    }

    /// The rule every caller applies to the same list, so all agree: oldest CreateTimeStamp, then id.
    static func oldest(_ copies: [ServerCertificate]) -> ServerCertificate? {
        copies.min { first, second in
            if first.createTimeStamp != second.createTimeStamp { return first.createTimeStamp < second.createTimeStamp }
            return first.serverCertificateId.utf8.lexicographicallyPrecedes(second.serverCertificateId.utf8)
        }
    }

    static func name(_ error: SLBCertError) -> String { error.serviceCode.isEmpty ? error.kind.rawValue : error.serviceCode }
}

/// One upload per key at a time within this process; a waiter gives up when its deadline passes.
final class UploadSerializer: @unchecked Sendable {
    static let shared = UploadSerializer()

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var busy: Set<String> = []  // guarded by `mutex`

    private init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Timed waits on the same clock as `Deadline`.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    func exclusive<R>(_ key: String, deadline: Deadline, _ body: () throws(SLBCertError) -> R) throws(SLBCertError) -> R {
        pthread_mutex_lock(mutex)
        var until = timespec(tv_sec: Int(deadline.at / 1000), tv_nsec: Int(deadline.at % 1000) * 1_000_000)
        while busy.contains(key) {
            if pthread_cond_timedwait(condition, mutex, &until) == ETIMEDOUT, busy.contains(key) {
                pthread_mutex_unlock(mutex)
                var error = SLBCertError(.timeout, "Another upload of the same certificate in this process did not finish within the call's deadline; nothing was sent.")
                error.reason = .timedOut
                throw error
            }
        }
        busy.insert(key)
        pthread_mutex_unlock(mutex)
        defer {
            pthread_mutex_lock(mutex)
            busy.remove(key)
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return try body()
    }
}
