#if canImport(Glibc)
import Glibc
#endif

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
        try drawNonce()
    }

    /// A fresh nonce, or an error when the random generator fails.
    static func drawNonce() throws(SLBCertError) -> String {
        let nonce: String? = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { random in
            guard NonceSource.fill(random.baseAddress!, count: 16) else { return nil }
            defer { explicit_bzero(random.baseAddress!, 16) }
            return Hex.encode(UnsafeBufferPointer(random))
        }
        guard let nonce else { throw SLBCertError(.internal, "The random generator failed (RAND_bytes); no nonce could be drawn.") }
        return nonce
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
        func checkHeaderValue(_ what: String, _ value: String) throws(SLBCertError) {
            if value.isEmpty { throw SLBCertError(.invalidArgument, "the \(what) is empty") }
            if !Self.isHeaderSafe(value) || PercentEncoding.withUTF8(value, { $0.contains(UInt8(ascii: " ")) }) {
                throw SLBCertError(.invalidArgument, "the \(what) contains spaces or control characters")
            }
        }
        try checkHeaderValue("action", request.action)
        try checkHeaderValue("API version", request.apiVersion)
        try checkHeaderValue("host", request.host)
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
           let name = request.parameters.first(where: { Self.isV1Reserved($0.0) })?.0 {
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
        if let nonce = options.nonce { self.nonce = nonce } else { nonce = try RequestSigner.drawNonce() }
        timestamp = options.timestamp ?? UTCTime.format(milliseconds: UTCTime.nowMilliseconds())
    }

    /// Names V1 adds itself; Format is not among them because a caller may override it.
    static let v1ReservedNames: Set<String> = [
        "AccessKeyId", "Action", "SecurityToken", "Signature", "SignatureMethod", "SignatureNonce",
        "SignatureType", "SignatureVersion", "Timestamp", "Version",
    ]

    /// The byte lengths of the reserved names.
    private static let v1ReservedLengths: UInt64 = v1ReservedNames.reduce(0) { $0 | 1 << UInt64($1.utf8.count) }

    /// True for a name in `v1ReservedNames`. An ASCII name of a length no reserved name has is not
    /// hashed; others are looked up (String equality is canonical, so a non-ASCII name can equal one).
    static func isV1Reserved(_ name: String) -> Bool {
        let length = name.utf8.count
        if (length >= 64 || v1ReservedLengths & 1 << UInt64(length) == 0) && name.utf8.allSatisfy({ $0 < 0x80 }) {
            return false
        }
        return v1ReservedNames.contains(name)
    }

    /// Where the parameters actually go: body placement without parameters sends no body at all.
    func placement(of operationParameters: [(String, String)]) -> ParameterPlacement {
        operationParameters.isEmpty ? .query : options.placement
    }

    var securityToken: String? {
        credentials.securityToken.map { $0.unsafeString() }
    }

    private static func isHeaderSafe(_ text: String) -> Bool {
        PercentEncoding.withUTF8(text) { !$0.contains { $0 < 0x20 || $0 == 0x7f } }
    }
}

/// Sorting by the UTF-8 bytes of the raw names, as the server does; Swift's String `<` compares
/// Unicode-canonically, which differs for non-ASCII names.
func sortedByKeyBytes(_ pairs: [(String, String)]) -> [(String, String)] {
    sortedIndicesByKeyBytes(pairs).map { pairs[$0] }
}

/// The indices of `pairs` in the order `sortedByKeyBytes` gives (names are unique, so it is total).
func sortedIndicesByKeyBytes<C: RandomAccessCollection>(_ pairs: C) -> [Int] where C.Element == (String, String), C.Index == Int {
    // An insertion sort over contiguous UTF-8: a request has a handful of names, and the generic sort
    // over UTF8View iterators cost more than encoding them.
    var order = Array(pairs.indices)
    for position in order.indices.dropFirst() {
        let index = order[position]
        var hole = position
        while hole > 0, keyBytesPrecede(pairs[index].0, pairs[order[hole - 1]].0) {
            order[hole] = order[hole - 1]
            hole -= 1
        }
        order[hole] = index
    }
    return order
}

/// `a < b` comparing UTF-8 bytes.
func keyBytesPrecede(_ a: String, _ b: String) -> Bool {
    let compared: Bool?? = a.utf8.withContiguousStorageIfAvailable { x in
        b.utf8.withContiguousStorageIfAvailable { y in
            for index in 0..<min(x.count, y.count) where x[index] != y[index] { return x[index] < y[index] }
            return x.count < y.count
        }
    }
    if let compared = compared ?? nil { return compared }
    return a.utf8.lexicographicallyPrecedes(b.utf8)
}
