#if canImport(Glibc)
import Glibc
#endif

/// What a caller may set when making a client. Every field is optional: nil means "the default",
/// and `SLBClient.init(settings:)` is the one place that applies defaults, reads the environment,
/// resolves the region and credentials, and checks ranges. The C options, the CLI flags and the
/// Python keywords all map onto this type and nothing else.
public struct ClientSettings: Sendable {
    /// e.g. "cn-hangzhou"; nil: ALIBABA_CLOUD_REGION_ID, then the credentials profile's region_id.
    public var region: String?
    /// A full URL ("https://127.0.0.1:8443"); nil: SLBCERT_ENDPOINT, then the region's endpoint.
    public var endpoint: String?
    /// nil: the profile named by `profile`, else Alibaba's default credentials chain.
    public var credentials: (any CredentialsProvider)?
    /// A profile of the aliyun CLI file or the credentials ini file (used when `credentials` is nil).
    public var profile: String?
    public var signatureVersion: SignatureVersion?
    public var placement: ParameterPlacement?
    /// A CA file; nil: SLBCERT_CA_BUNDLE, then ALIBABA_CLOUD_CA_BUNDLE, then the system's store.
    public var caBundle: String?
    /// A proxy URL; nil lets libcurl read HTTPS_PROXY/https_proxy and NO_PROXY.
    public var proxy: String?
    /// Turns off TLS peer and host verification. For tests against self-made servers only.
    public var insecureSkipTLSVerification: Bool?
    public var connectTimeoutMilliseconds: Int?
    /// One whole describe, rename or delete request.
    public var requestTimeoutMilliseconds: Int?
    /// One whole upload request.
    public var uploadTimeoutMilliseconds: Int?
    /// One call, all its attempts, waits and the describes between them.
    public var deadlineMilliseconds: Int?
    /// How long after sending an upload whose answer was lost the service may still store it; no
    /// second upload is sent before this has passed.
    public var uploadSettleMilliseconds: Int?
    /// Attempts per call, the first included; 1 disables retries.
    public var maxAttempts: Int?
    /// Appended to the User-Agent "slbcert/VERSION (OS; ARCH)".
    public var userAgentSuffix: String?
    public var logger: Logger?
    /// Where deploy journals are kept (in its `deploy/` folder); nil: SLBCERT_STATE_DIR, then
    /// systemd's STATE_DIRECTORY, then $XDG_STATE_HOME/slbcert, then ~/.local/state/slbcert.
    public var stateDirectory: String?
    /// The environment the defaults are read from; nil: the process environment.
    public var environment: [String: String]?

    /// Test hooks: the first backoff step, and what groups uploads for in-process serialisation
    /// (by default the endpoint), so a test can stand in for separate processes.
    var backoffBaseMilliseconds: Int?
    var serializationScope: String?

    public init(region: String? = nil, endpoint: String? = nil, credentials: (any CredentialsProvider)? = nil) {
        self.region = region
        self.endpoint = endpoint
        self.credentials = credentials
    }
}

/// The numeric settings with their defaults and ranges: the one table every interface quotes.
public enum ClientSetting: String, CaseIterable, Sendable {
    case connectTimeout
    case requestTimeout
    case uploadTimeout
    case deadline
    case uploadSettle
    case maxAttempts

    public var defaultValue: Int {
        switch self {
        case .connectTimeout: return 5_000
        case .requestTimeout: return 10_000
        case .uploadTimeout: return 30_000
        case .deadline: return 60_000
        case .uploadSettle: return 30_000
        case .maxAttempts: return 3
        }
    }

    /// The accepted values; anything outside is refused, so no later arithmetic can overflow.
    public var range: ClosedRange<Int> {
        switch self {
        case .connectTimeout: return 1...300_000
        case .requestTimeout, .uploadTimeout, .uploadSettle: return 1...3_600_000
        case .deadline: return 1...86_400_000
        case .maxAttempts: return 1...20
        }
    }

    /// "ms" for the times, "" for counts.
    public var unit: String { self == .maxAttempts ? "" : "ms" }

    func check(_ value: Int?) throws(SLBCertError) -> Int {
        guard let value else { return defaultValue }
        guard range.contains(value) else {
            let unitText = unit.isEmpty ? "" : " \(unit)"
            var error = SLBCertError(.invalidArgument, "The \(rawValue) setting is \(value)\(unitText); it must be \(range.lowerBound) to \(range.upperBound)\(unitText).")
            error.reason = .settingOutOfRange
            error.argument = rawValue
            error.value = String(value)
            throw error
        }
        return value
    }
}

/// A client's settings once resolved: every default applied, every value checked.
public struct ClientConfiguration: Sendable {
    public let regionId: String
    /// "https://host[:port]".
    public let baseURL: String
    /// The host as signed.
    public let host: String
    public let credentials: any CredentialsProvider
    /// Warnings about the credentials source (a profile file others can read), for the caller to show.
    public let credentialWarnings: [String]
    public let signatureVersion: SignatureVersion
    public let placement: ParameterPlacement
    public let transport: TransportOptions
    public let requestTimeoutMilliseconds: Int
    public let uploadTimeoutMilliseconds: Int
    public let uploadSettleMilliseconds: Int
    public let retry: RetryPolicy
    public let logger: Logger?
    /// Where deploy journals are kept by default, or nil when neither the settings nor the
    /// environment name a place (a deploy then needs an explicit journal path).
    public let stateDirectory: String?
    let serializationScope: String

    init(_ settings: ClientSettings) throws(SLBCertError) {
        let environment = settings.environment ?? Environment.process
        func setting(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }

        let timeouts = (connect: try ClientSetting.connectTimeout.check(settings.connectTimeoutMilliseconds),
                        request: try ClientSetting.requestTimeout.check(settings.requestTimeoutMilliseconds),
                        upload: try ClientSetting.uploadTimeout.check(settings.uploadTimeoutMilliseconds),
                        settle: try ClientSetting.uploadSettle.check(settings.uploadSettleMilliseconds))
        var retry = RetryPolicy(maxAttempts: try ClientSetting.maxAttempts.check(settings.maxAttempts),
                                deadlineMilliseconds: try ClientSetting.deadline.check(settings.deadlineMilliseconds))
        if let base = settings.backoffBaseMilliseconds { retry.baseDelayMilliseconds = max(0, min(base, retry.maxDelayMilliseconds)) }

        let resolved: ResolvedCredentials
        if let provider = settings.credentials {
            resolved = ResolvedCredentials(provider: provider, region: provider.region)
        } else if let profile = settings.profile {
            resolved = try ProcessCredentials.profile(profile, environment: environment)
        } else {
            resolved = try ProcessCredentials.chain(environment: environment).resolve()
        }
        guard let region = settings.region ?? setting("ALIBABA_CLOUD_REGION_ID") ?? resolved.region else {
            var error = SLBCertError(.invalidArgument, "No region was given, ALIBABA_CLOUD_REGION_ID is not set, and the credentials profile names none.")
            error.reason = .noRegion
            error.argument = "region"
            throw error
        }
        try Endpoints.checkRegion(region)

        if let endpoint = settings.endpoint ?? setting("SLBCERT_ENDPOINT") {
            (baseURL, host) = try Endpoints.parse(endpoint)
        } else {
            host = Endpoints.host(forRegion: region)
            baseURL = "https://" + host
        }

        var transport = TransportOptions()
        transport.caBundle = settings.caBundle ?? setting("SLBCERT_CA_BUNDLE") ?? setting("ALIBABA_CLOUD_CA_BUNDLE")
        // A CA file that cannot be read is the caller's mistake, not a TLS failure on the first call.
        if let caBundle = transport.caBundle, access(caBundle, R_OK) != 0 {
            var error = SLBCertError(.invalidArgument, "Cannot read the CA bundle \(caBundle): \(String(cString: strerror(errno))).")
            error.reason = .caBundleUnreadable
            error.argument = "caBundle"
            throw error
        }
        transport.proxy = settings.proxy
        transport.insecureSkipTLSVerification = settings.insecureSkipTLSVerification ?? false
        transport.connectTimeoutMilliseconds = timeouts.connect
        transport.defaultTimeoutMilliseconds = timeouts.request
        transport.userAgent = try UserAgent.string(suffix: settings.userAgentSuffix)

        regionId = region
        credentials = resolved.provider
        credentialWarnings = resolved.warnings
        signatureVersion = settings.signatureVersion ?? .v1
        placement = settings.placement ?? .body
        self.transport = transport
        requestTimeoutMilliseconds = timeouts.request
        uploadTimeoutMilliseconds = timeouts.upload
        uploadSettleMilliseconds = timeouts.settle
        self.retry = retry
        logger = settings.logger
        serializationScope = settings.serializationScope ?? baseURL
        stateDirectory = settings.stateDirectory.flatMap { $0.isEmpty ? nil : $0 } ?? Self.stateDirectory(setting)
    }

    /// The first of: SLBCERT_STATE_DIR, systemd's STATE_DIRECTORY (its first entry), $XDG_STATE_HOME/slbcert,
    /// $HOME/.local/state/slbcert. Only absolute paths count (a relative one would depend on the working directory).
    private static func stateDirectory(_ setting: (String) -> String?) -> String? {
        let candidates = [setting("SLBCERT_STATE_DIR"),
                          setting("STATE_DIRECTORY").map { String($0.split(separator: ":").first ?? "") },
                          setting("XDG_STATE_HOME").map { $0 + "/slbcert" },
                          setting("HOME").map { $0 + "/.local/state/slbcert" }]
        return candidates.compactMap { $0 }.first { $0.hasPrefix("/") }
    }
}
