/// How soon stored certificates expire, for monitoring. One rule, used by every interface: a
/// certificate expires "within D days" when less than D whole days are left (an expired one has a
/// negative number left, so it always counts).
public enum Expiry {
    static let day: Int64 = 86_400_000
    /// Thresholds are days; a century is more than any certificate lives.
    public static let daysRange = 0...36_500

    /// Whole days left at `now` (ms since the epoch), rounded down: 9.5 days is 9, half a day after
    /// expiry is -1.
    public static func daysLeft(_ certificate: ServerCertificate, now: Int64) -> Int64 {
        daysLeft(expireTimeStamp: certificate.expireTimeStamp, now: now)
    }

    package static func daysLeft(expireTimeStamp: Int64, now: Int64) -> Int64 {
        let left = expireTimeStamp.subtractingReportingOverflow(now)
        guard !left.overflow else { return left.partialValue < 0 ? Int64.max / day : Int64.min / day }
        return left.partialValue >= 0 ? left.partialValue / day : -((-left.partialValue + day - 1) / day)
    }

    /// The certificates expiring within `days` (or already expired), soonest first.
    public static func expiring(_ certificates: [ServerCertificate], within days: Int, now: Int64) throws(SLBCertError) -> [ServerCertificate] {
        try checkDays(days, argument: "within")
        return certificates.filter { daysLeft($0, now: now) < Int64(days) }
            .sorted { ($0.expireTimeStamp, $0.serverCertificateId) < ($1.expireTimeStamp, $1.serverCertificateId) }
    }

    /// The monitoring-plugin convention (Nagios, Icinga, Zabbix, Sensu): the state's raw value is the
    /// exit status.
    public enum State: Int32, Sendable {
        case ok = 0, warning = 1, critical = 2, unknown = 3
        public var name: String {
            switch self {
            case .ok: return "OK"
            case .warning: return "WARNING"
            case .critical: return "CRITICAL"
            case .unknown: return "UNKNOWN"
            }
        }
    }

    public struct Report: Sendable {
        public let state: State
        /// The certificates within the warning threshold, soonest first.
        public let expiring: [ServerCertificate]
        /// Days left of the soonest-expiring certificate of the region; nil when it holds none.
        public let soonestDays: Int64?
        public let warningDays: Int
        public let criticalDays: Int
        public let now: Int64
    }

    /// CRITICAL when a certificate has fewer than `criticalDays` left, WARNING when fewer than
    /// `warningDays`, else OK.
    public static func check(_ certificates: [ServerCertificate], warningDays: Int, criticalDays: Int, now: Int64) throws(SLBCertError) -> Report {
        try checkDays(warningDays, argument: "warning")
        try checkDays(criticalDays, argument: "critical")
        guard criticalDays <= warningDays else {
            var error = SLBCertError(.invalidArgument, "The critical threshold (\(criticalDays) days) must not be above the warning threshold (\(warningDays) days).")
            error.reason = .invalidSetting
            error.argument = "critical"
            throw error
        }
        let expiring = try expiring(certificates, within: warningDays, now: now)
        let soonest = certificates.map { daysLeft($0, now: now) }.min()
        let state: State = expiring.contains { daysLeft($0, now: now) < Int64(criticalDays) } ? .critical
            : expiring.isEmpty ? .ok : .warning
        return Report(state: state, expiring: expiring, soonestDays: soonest, warningDays: warningDays,
                      criticalDays: criticalDays, now: now)
    }

    static func checkDays(_ days: Int, argument: String) throws(SLBCertError) {
        guard daysRange.contains(days) else {
            var error = SLBCertError(.invalidArgument, "\(argument) is \(days) days; it must be \(daysRange.lowerBound) to \(daysRange.upperBound).")
            error.reason = .settingOutOfRange
            error.argument = argument
            error.value = String(days)
            throw error
        }
    }
}

extension SLBClient {
    /// The region's certificates expiring within `days` (or already expired), soonest first.
    public func expiring(within days: Int, now: Int64? = nil) throws(SLBCertError) -> [ServerCertificate] {
        try Expiry.checkDays(days, argument: "within")
        return try Expiry.expiring(describe().certificates, within: days, now: now ?? UTCTime.nowMilliseconds())
    }
}
