/// The one error type of the core. Every failure a caller can see is one of these: a kind that
/// says whose problem it is, a message a person can act on, and what the service or libcurl said.
/// Messages never contain secrets: external text (the service's messages, answer excerpts) passes
/// through `Redactor` once, where the error is made, so no interface needs to redact it again.
/// Hints are neutral; each interface adds its own pointers to flags, functions or keywords, keyed
/// by `reason` and `serviceCode`.
public struct SLBCertError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case invalidArgument   // the caller passed something unusable
        case parse             // input is not a certificate/key/document we can read
        case validation        // the bundle has an error finding; nothing was sent
        case credentials       // no usable credentials
        case service           // the service answered with an error Code
        case network           // the connection failed or broke
        case tls               // certificate verification or handshake failed
        case timeout           // the request or the overall deadline timed out
        case `protocol`        // the answer was not what the API defines
        case outOfRange
        case `internal`
        case outOfMemory       // an allocation (ours, OpenSSL's or libcurl's) failed
        case unconfirmed       // an upload may have been stored, and the call ran out of time to find out
        case refused           // a deploy's plan is unsafe (or names what is not there); nothing was changed
    }

    /// Why, in a form interfaces match on to phrase their own advice (the CLI names its flags, C its
    /// functions and fields, Python its keywords). Stable: values are never renamed.
    public enum Reason: String, Sendable, Equatable {
        case unspecified = ""
        case settingOutOfRange = "SETTING_OUT_OF_RANGE"
        case invalidSetting = "INVALID_SETTING"
        case noRegion = "NO_REGION"
        case invalidRegion = "INVALID_REGION"
        case invalidEndpoint = "INVALID_ENDPOINT"
        case plainHTTPRefused = "PLAIN_HTTP_REFUSED"
        case caBundleUnreadable = "CA_BUNDLE_UNREADABLE"
        case noSuchProfile = "NO_SUCH_PROFILE"
        case noCredentials = "NO_CREDENTIALS"
        case bundleHasErrors = "BUNDLE_HAS_ERRORS"
        case missingPrivateKey = "MISSING_PRIVATE_KEY"
        case uploadUnconfirmed = "UPLOAD_UNCONFIRMED"
        case timedOut = "TIMED_OUT"
        case tlsFailed = "TLS_FAILED"
        case connectionFailed = "CONNECTION_FAILED"
        case urlTooLong = "URL_TOO_LONG"
        // Deploy and rollback.
        case domainNotCovered = "DOMAIN_NOT_COVERED"
        case loadBalancerNotInRegion = "LOAD_BALANCER_NOT_IN_REGION"
        case certificateNotInRegion = "CERTIFICATE_NOT_IN_REGION"
        case loadBalancerLocked = "LOAD_BALANCER_LOCKED"
        case stillBusy = "STILL_BUSY"
        case verificationFailed = "VERIFICATION_FAILED"
        case journalUnusable = "JOURNAL_UNUSABLE"
        case journalLocked = "JOURNAL_LOCKED"
        case journalMismatch = "JOURNAL_MISMATCH"
        case noStateDirectory = "NO_STATE_DIRECTORY"
    }

    public var kind: Kind
    public var message: String
    public var reason: Reason = .unspecified
    /// The setting or argument the error is about, in the core's names (e.g. "deadline"), or "".
    public var argument: String = ""
    /// The value it had, when that is worth quoting (never a secret).
    public var value: String = ""
    public var hint: String = ""
    /// The service's error fields, when the service answered.
    public var serviceCode: String = ""
    public var requestId: String = ""
    public var hostId: String = ""
    public var recommend: String = ""
    public var httpStatus: Int = 0
    /// libcurl's code and message, for transport failures.
    public var transportCode: Int = 0
    public var transportMessage: String = ""
    /// The server's `x-acs-retry-after`, when it sent one (read as milliseconds; the unit is inferred).
    public var retryAfterMilliseconds: Int?
    /// For validation errors: the findings that stopped the upload.
    public var findings: [Finding] = []

    public init(_ kind: Kind, _ message: String, hint: String = "") {
        self.kind = kind
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = message
        if !serviceCode.isEmpty, !message.contains(serviceCode) { text = "\(serviceCode): \(text)" }
        if !requestId.isEmpty { text += " (RequestId \(requestId))" }
        return text
    }
}
