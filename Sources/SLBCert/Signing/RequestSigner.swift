/// Signs RPC requests for any Alibaba Cloud API. Every call signs afresh: a retry must call again
/// so it gets a new nonce and timestamp (the server refuses a nonce it has seen in 15 minutes).
public enum RequestSigner {
    public static func sign(_ request: RPCRequest, credentials: Credentials,
                            options: SigningOptions = SigningOptions()) throws(SLBCertError) -> SignedRequest {
        let context = try SigningContext(request: request, credentials: credentials, options: options)
        switch options.signatureVersion {
        case .v1: return V1Signer.sign(context)
        case .v3: return V3Signer.sign(context)
        }
    }

    /// 32 random lower-hex characters, as the official SDKs send.
    public static func freshNonce() throws(SLBCertError) -> String {
        Hex.encode(try Digest.randomBytes(16))
    }
}

/// The checked inputs both signers share.
struct SigningContext {
    let request: RPCRequest
    let credentials: Credentials
    let options: SigningOptions
    let nonce: String
    let timestamp: String

    init(request: RPCRequest, credentials: Credentials, options: SigningOptions) throws(SLBCertError) {
        if options.method == .get && options.placement == .body {
            throw SLBCertError(.invalidArgument, "a GET request has no body: use query placement with GET")
        }
        // Values that travel in headers (V3) must not be able to break a header line.
        for (what, value) in [("action", request.action), ("API version", request.apiVersion), ("host", request.host)] {
            if value.isEmpty { throw SLBCertError(.invalidArgument, "the \(what) is empty") }
            if !Self.isHeaderSafe(value) || value.utf8.contains(UInt8(ascii: " ")) {
                throw SLBCertError(.invalidArgument, "the \(what) contains spaces or control characters")
            }
        }
        if credentials.accessKeyId.isEmpty {
            throw SLBCertError(.credentials, "the AccessKeyId is empty")
        }
        if credentials.accessKeySecret.isEmpty {
            throw SLBCertError(.credentials, "the AccessKeySecret is empty")
        }
        if !Self.isHeaderSafe(credentials.accessKeyId) {
            throw SLBCertError(.credentials, "the AccessKeyId contains control characters")
        }
        if let token = credentials.securityToken,
           token.withUnsafeBytes({ $0.contains { $0 < 0x20 || $0 == 0x7f } }) {
            throw SLBCertError(.credentials, "the security token contains control characters")
        }
        // Compare bytes, not Swift's canonically-equivalent String equality: the server sees bytes.
        // A request has a handful of parameters: comparing each with the earlier ones avoids an Array
        // and a Set insert per name; a large request still uses the Set.
        let parameters = request.parameters
        var seen = Set<[UInt8]>()
        for (index, (name, _)) in parameters.enumerated() {
            if name.isEmpty { throw SLBCertError(.invalidArgument, "a parameter name is empty") }
            let repeated = parameters.count <= 16
                ? parameters[..<index].contains { $0.0.utf8.count == name.utf8.count && $0.0.utf8.elementsEqual(name.utf8) }
                : !seen.insert(Array(name.utf8)).inserted
            if repeated { throw SLBCertError(.invalidArgument, "the parameter \(name) is given twice") }
        }
        if options.signatureVersion == .v1,
           let name = request.parameters.first(where: { Self.v1ReservedNames.contains($0.0) })?.0 {
            throw SLBCertError(.invalidArgument, "the parameter \(name) is set by the V1 signer itself")
        }
        if let nonce = options.nonce {
            guard (1...128).contains(nonce.utf8.count),
                  nonce.utf8.allSatisfy(PercentEncoding.isUnreserved)
            else { throw SLBCertError(.invalidArgument, "the nonce must be 1-128 characters of A-Z a-z 0-9 - _ . ~") }
        }
        if let timestamp = options.timestamp {
            guard timestamp.utf8.count == 20, UTCTime.parse(timestamp) != nil else {
                throw SLBCertError(.invalidArgument, "the timestamp must look like 2024-01-01T12:00:00Z")
            }
        }
        self.request = request
        self.credentials = credentials
        self.options = options
        if let given = options.nonce { nonce = given } else { nonce = try RequestSigner.freshNonce() }
        timestamp = options.timestamp ?? UTCTime.format(milliseconds: UTCTime.nowMilliseconds())
    }

    /// Names V1 adds itself; Format is not among them because a caller may override it.
    static let v1ReservedNames: Set<String> = [
        "AccessKeyId", "Action", "SecurityToken", "Signature", "SignatureMethod", "SignatureNonce",
        "SignatureType", "SignatureVersion", "Timestamp", "Version",
    ]

    /// Where the parameters actually go: body placement without parameters sends no body at all.
    func placement(of operationParameters: [(String, String)]) -> ParameterPlacement {
        operationParameters.isEmpty ? .query : options.placement
    }

    var securityToken: String? {
        credentials.securityToken.map { $0.unsafeString() }
    }

    private static func isHeaderSafe(_ text: String) -> Bool {
        !text.utf8.contains { $0 < 0x20 || $0 == 0x7f }
    }
}

/// Sorting by the UTF-8 bytes of the raw names, as the server does; Swift's String `<` compares
/// Unicode-canonically, which differs for non-ASCII names.
func sortedByKeyBytes(_ pairs: [(String, String)]) -> [(String, String)] {
    sortedIndicesByKeyBytes(pairs).map { pairs[$0] }
}

/// The indices of `pairs` in the order `sortedByKeyBytes` gives (names are unique, so it is total).
func sortedIndicesByKeyBytes(_ pairs: [(String, String)]) -> [Int] {
    // The UTF-8 views are compared in place: no per-name Array.
    pairs.indices.sorted { pairs[$0].0.utf8.lexicographicallyPrecedes(pairs[$1].0.utf8) }
}
