/// The one error type of the core. Every failure a caller can see is one of these: a kind that
/// says whose problem it is, a message a person can act on, and what the service or libcurl said.
/// Messages never contain secrets (they pass through `Redactor` where they quote anything external).
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
        case outOfMemory       // an allocation failed (OpenSSL or libcurl said so)
        case `internal`
    }

    public var kind: Kind
    public var message: String
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
