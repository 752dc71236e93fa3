/// What a deploy does besides switching every binding of the certificates the new one replaces.
public struct DeployOptions: Sendable {
    /// The ServerCertificateIds to replace. Empty (the default): every other certificate of the region
    /// whose names (CN and DNS SANs) the new certificate covers, unless it expires later than the new one.
    public var replace: [String]
    /// Only these load balancers (empty: every load balancer of the region).
    public var loadBalancers: [String]
    /// After a verified deploy, delete the replaced certificates that nothing references any more.
    /// The only step with no way back: off by default, and always last.
    public var deleteOld: Bool
    /// Also check by TLS handshake that each switched listener serves the new certificate.
    public var verifyTLS: Bool
    /// Switch instances another controller manages (Kubernetes' cloud controller tags them); they are
    /// skipped with a warning otherwise, because that controller would put its own certificate back.
    public var forceManaged: Bool
    /// Plan only: upload nothing, change nothing.
    public var dryRun: Bool
    /// The journal file; nil: a file in the client's state directory (`deploy/`), where a later run of
    /// the same deploy (region and certificate) finds it and continues it.
    public var journalPath: String?
    /// How the certificate is uploaded (its name, tags, resource group). The upload is always duplicate-safe.
    public var upload: UploadOptions
    /// How long a switch waits out the busy answers of an instance (ServiceIsConfiguring, ...); nil: the default.
    public var busyTimeoutMilliseconds: Int?
    /// The same for putting a binding back after a failure (it deserves more patience); nil: the default.
    public var rollbackTimeoutMilliseconds: Int?
    /// How long a delete waits out a reference that outlives the unbind; nil: the default.
    public var referenceTimeoutMilliseconds: Int?
    /// How long the TLS check polls a listener until it serves the new certificate; nil: the default.
    public var tlsTimeoutMilliseconds: Int?

    public init(replace: [String] = [], loadBalancers: [String] = [], deleteOld: Bool = false, verifyTLS: Bool = false,
                forceManaged: Bool = false, dryRun: Bool = false, journalPath: String? = nil,
                upload: UploadOptions = UploadOptions()) {
        self.replace = replace
        self.loadBalancers = loadBalancers
        self.deleteOld = deleteOld
        self.verifyTLS = verifyTLS
        self.forceManaged = forceManaged
        self.dryRun = dryRun
        self.journalPath = journalPath
        self.upload = upload
    }
}

/// The deploy's time budgets with their defaults and ranges: the one table every interface quotes.
public enum DeploySetting: String, CaseIterable, Sendable {
    case busyTimeout
    case rollbackTimeout
    case referenceTimeout
    case tlsTimeout

    /// Busy answers: Terraform waits 3 to 5 minutes (docs/clb-listeners.md section 4); a lingering
    /// reference about 3 minutes (section 6). The data plane follows within seconds (section 8).
    public var defaultValue: Int {
        switch self {
        case .busyTimeout: return 180_000
        case .rollbackTimeout: return 300_000
        case .referenceTimeout: return 180_000
        case .tlsTimeout: return 30_000
        }
    }

    public var range: ClosedRange<Int> { 1...3_600_000 }

    func check(_ value: Int?) throws(SLBCertError) -> Int {
        guard let value else { return defaultValue }
        guard range.contains(value) else {
            var error = SLBCertError(.invalidArgument, "The \(rawValue) setting is \(value) ms; it must be \(range.lowerBound) to \(range.upperBound) ms.")
            error.reason = .settingOutOfRange
            error.argument = rawValue
            error.value = String(value)
            throw error
        }
        return value
    }
}

/// The budgets once checked.
struct DeployBudgets {
    let busy: Int
    let rollback: Int
    let reference: Int
    let tls: Int

    init(_ options: DeployOptions) throws(SLBCertError) {
        busy = try DeploySetting.busyTimeout.check(options.busyTimeoutMilliseconds)
        rollback = try DeploySetting.rollbackTimeout.check(options.rollbackTimeoutMilliseconds)
        reference = try DeploySetting.referenceTimeout.check(options.referenceTimeoutMilliseconds)
        tls = try DeploySetting.tlsTimeout.check(options.tlsTimeoutMilliseconds)
    }
}
