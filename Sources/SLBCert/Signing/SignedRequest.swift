/// What a signer needs to know about the call itself: which RPC action, of which API, on which host.
public struct RPCRequest: Sendable {
    public var action: String
    public var apiVersion: String
    /// The endpoint's host name (with a port when it is not the default); V3 signs it.
    public var host: String
    /// The operation's own parameters, in the caller's order. Names must be unique.
    public var parameters: [(String, String)]

    public init(action: String, apiVersion: String, host: String, parameters: [(String, String)] = []) {
        self.action = action
        self.apiVersion = apiVersion
        self.host = host
        self.parameters = parameters
    }
}

public enum SignatureVersion: Int, Sendable {
    /// HMAC-SHA1, SignatureVersion=1.0: what every SLB SDK speaks.
    case v1 = 1
    /// ACS3-HMAC-SHA256.
    case v3 = 3
}

/// Where the operation's parameters travel (docs/protocol.md section 2).
public enum ParameterPlacement: Sendable {
    /// An application/x-www-form-urlencoded POST body: private keys never end up in a URL.
    case body
    /// The URL query, as the official SDKs do (and as GET requires).
    case query
}

public enum RequestMethod: String, Sendable {
    case post = "POST"
    case get = "GET"
}

public struct SigningOptions: Sendable {
    public var signatureVersion: SignatureVersion
    public var placement: ParameterPlacement
    public var method: RequestMethod
    /// V1 only: also send and sign an empty `SignatureType=`, as the legacy Python core does.
    public var v1LegacySignatureType: Bool
    /// A fixed nonce (for reproducible output); nil draws 32 random lower-hex characters.
    public var nonce: String?
    /// A fixed "yyyy-MM-ddTHH:mm:ssZ"; nil uses the current time.
    public var timestamp: String?

    public init(signatureVersion: SignatureVersion = .v1, placement: ParameterPlacement = .body,
                method: RequestMethod = .post, v1LegacySignatureType: Bool = false,
                nonce: String? = nil, timestamp: String? = nil) {
        self.signatureVersion = signatureVersion
        self.placement = placement
        self.method = method
        self.v1LegacySignatureType = v1LegacySignatureType
        self.nonce = nonce
        self.timestamp = timestamp
    }
}

/// A request ready to send, plus what was signed, for debugging a SignatureDoesNotMatch.
/// It carries the signature and (V3, STS) the security token: pass it through `Redactor` before logging.
public struct SignedRequest: Sendable {
    public var method: RequestMethod
    /// "/" or "/?..." — append to "https://host".
    public var pathAndQuery: String
    /// Headers to send, in order (lower-case names for V3).
    public var headers: [HTTPHeader]
    /// The form-encoded parameters for body placement; empty otherwise.
    public var body: [UInt8]
    /// V1: the canonicalized query string; V3: the canonical request.
    public var canonicalRequest: String {
        get { String(decoding: canonicalRequestBytes, as: UTF8.self) }
        set { canonicalRequestBytes = Array(newValue.utf8) }
    }
    /// V1: `METHOD&%2F&enc(canonical)`; V3: `ACS3-HMAC-SHA256\n<hex sha256 of the canonical request>`.
    public var stringToSign: String {
        get { String(decoding: stringToSignBytes, as: UTF8.self) }
        set { stringToSignBytes = Array(newValue.utf8) }
    }
    /// Base64 for V1, lower-case hex for V3. Treat it as a secret.
    public var signature: String
    public var signatureVersion: SignatureVersion

    /// What was signed, kept as the signer wrote it: most requests are sent without anyone reading it,
    /// and making Strings of the V1 texts (each longer than the certificate) cost a tenth of a signature.
    package var canonicalRequestBytes: [UInt8]
    package var stringToSignBytes: [UInt8]

    /// The text the service quotes in SignatureDoesNotMatch: V1's string-to-sign, V3's canonical request.
    public var serverComparableText: String {
        signatureVersion == .v1 ? stringToSign : canonicalRequest
    }

    /// `serverComparableText` as bytes.
    package var serverComparableBytes: [UInt8] {
        signatureVersion == .v1 ? stringToSignBytes : canonicalRequestBytes
    }

    init(method: RequestMethod, pathAndQuery: String, headers: [HTTPHeader], body: [UInt8], canonicalRequest: [UInt8],
         stringToSign: [UInt8], signature: String, signatureVersion: SignatureVersion) {
        self.method = method
        self.pathAndQuery = pathAndQuery
        self.headers = headers
        self.body = body
        canonicalRequestBytes = canonicalRequest
        stringToSignBytes = stringToSign
        self.signature = signature
        self.signatureVersion = signatureVersion
    }

    /// An HTTPRequest for `scheme://host` (the host as signed, or an override such as a test endpoint).
    public func httpRequest(baseURL: String, timeoutMilliseconds: Int = 0) -> HTTPRequest {
        HTTPRequest(method: method.rawValue, url: baseURL + pathAndQuery, headers: headers, body: body,
                    timeoutMilliseconds: timeoutMilliseconds)
    }
}
