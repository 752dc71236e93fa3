#if canImport(Glibc)
import Glibc
#endif

/// Signature version 1.0 (HMAC-SHA1), docs/protocol.md section 3. The common and auth parameters always travel in
/// the query; with body placement only the operation's own parameters go in the body, so the query
/// never holds a PrivateKey. The signature covers query and body merged, so it is the same either way.
enum V1Signer {
    static func sign(_ context: SigningContext) -> SignedRequest {
        let request = context.request
        // A caller's Format replaces the default rather than being sent twice.
        let formatIndex = request.parameters.firstIndex(where: { $0.0 == "Format" })
        let format = formatIndex.map { request.parameters[$0].1 } ?? "JSON"
        // The common and auth pairs, listed in canonical (byte) order so that only the operation's own
        // names need sorting; `all` holds them, then the operation's pairs in the caller's order.
        var all: [(String, String)] = []
        all.reserveCapacity(10 + request.parameters.count)
        all.append(("AccessKeyId", context.credentials.accessKeyId))
        all.append(("Action", request.action))
        all.append(("Format", format))
        if let token = context.securityToken { all.append(("SecurityToken", token)) }
        all.append(("SignatureMethod", "HMAC-SHA1"))
        all.append(("SignatureNonce", context.nonce))
        if context.options.v1LegacySignatureType { all.append(("SignatureType", "")) }
        all.append(("SignatureVersion", "1.0"))
        all.append(("Timestamp", context.timestamp))
        all.append(("Version", request.apiVersion))
        let commonCount = all.count
        for (index, pair) in request.parameters.enumerated() where index != formatIndex { all.append(pair) }
        let operationCount = all.count - commonCount

        // Encode every pair once, in canonical (sorted) order, remembering where each one landed: the
        // query and the form body use the same RFC 3986 encoding, so they are copies of these bytes.
        // The same pass writes the string to sign, "METHOD&%2F&" + enc(canonical).
        let order = mergedOrder(all, commonCount: commonCount)
        var ranges = [Range<Int>](repeating: 0..<0, count: all.count)
        let prefix: StaticString = context.options.method == .get ? "GET&%2F&" : "POST&%2F&"
        var bytes = 0
        for (key, value) in all { bytes += key.utf8.count + value.utf8.count }
        var stringToSign: [UInt8] = []
        let canonical = [UInt8](unsafeUninitializedCapacity: 3 * bytes + 2 * all.count) { buffer, count in
            let base = buffer.baseAddress!
            stringToSign = [UInt8](unsafeUninitializedCapacity: prefix.utf8CodeUnitCount + 5 * bytes + 6 * all.count) { signed, signedCount in
                let signedBase = signed.baseAddress!
                var written = 0, writtenSigned = prefix.utf8CodeUnitCount
                signedBase.initialize(from: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
                func put(_ text: String) {
                    let counts = PercentEncoding.withUTF8(text) {
                        PercentEncoding.encodeTwice($0, into: base + written, andInto: signedBase + writtenSigned)
                    }
                    written += counts.once
                    writtenSigned += counts.twice
                }
                /// A separator: as itself in the canonical string, as `%XY` in the string to sign.
                func put(separator: UInt8, encoded: StaticString) {
                    base[written] = separator
                    written += 1
                    signedBase.advanced(by: writtenSigned).update(from: encoded.utf8Start, count: 3)
                    writtenSigned += 3
                }
                for (position, index) in order.enumerated() {
                    if position > 0 { put(separator: UInt8(ascii: "&"), encoded: "%26") }
                    let start = written
                    put(all[index].0)
                    put(separator: UInt8(ascii: "="), encoded: "%3D")
                    put(all[index].1)
                    ranges[index] = start..<written
                }
                count = written
                signedCount = writtenSigned
            }
        }
        /// Appends `pair&pair&...` for the pairs `indices` selects, copied out of `canonical`.
        func appendPairs<S: Sequence>(_ indices: S, to output: inout [UInt8]) where S.Element == Int {
            canonical.withUnsafeBufferPointer { canonical in
                var first = true
                for index in indices {
                    if !first { output.append(UInt8(ascii: "&")) }
                    first = false
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: canonical[ranges[index]]))
                }
            }
        }

        let signature = hmacSHA1Base64(secretWithAmpersand: context.credentials.accessKeySecret, message: stringToSign)

        // The query: the common pairs (body placement) or all of them (query placement), then the signature.
        let placement: ParameterPlacement = operationCount == 0 ? .query : context.options.placement
        var query: [UInt8] = []
        query.reserveCapacity((placement == .query ? canonical.count : 512) + 64)
        query.append(contentsOf: "/?".utf8)
        var headers: [HTTPHeader] = []
        var body: [UInt8] = []
        switch placement {
        case .query:
            // The canonical string is already a valid, sorted query string.
            query.append(contentsOf: canonical)
        case .body:
            // Query: the common pairs in sorted order; body: the operation's pairs in the caller's order.
            appendPairs(order.lazy.filter { $0 < commonCount }, to: &query)
            body.reserveCapacity(canonical.count)
            appendPairs(commonCount..<all.count, to: &body)
            headers.append(HTTPHeader("Content-Type", "application/x-www-form-urlencoded"))
        }
        query.append(contentsOf: "&Signature=".utf8)
        PercentEncoding.append(signature, to: &query)
        return SignedRequest(method: context.options.method, pathAndQuery: String(decoding: query, as: UTF8.self),
                             headers: headers, body: body,
                             canonicalRequest: canonical,
                             stringToSign: stringToSign,
                             signature: signature, signatureVersion: .v1)
    }

    /// The indices of `all` in byte order of their names: `all[..<commonCount]` is already in that order,
    /// the rest is sorted and merged in (names are unique, so the order is total).
    private static func mergedOrder(_ all: [(String, String)], commonCount: Int) -> [Int] {
        let operation = sortedIndicesByKeyBytes(all[commonCount...])
        var order: [Int] = []
        order.reserveCapacity(all.count)
        var common = 0, next = 0
        while common < commonCount || next < operation.count {
            if next == operation.count || (common < commonCount && keyBytesPrecede(all[common].0, all[operation[next]].0)) {
                order.append(common)
                common += 1
            } else {
                order.append(operation[next])
                next += 1
            }
        }
        return order
    }

    /// Base64 of HMAC-SHA1 keyed with the secret followed by "&"; the joined key lives on the stack
    /// and is wiped right after use.
    private static func hmacSHA1Base64(secretWithAmpersand secret: SecretBytes, message: [UInt8]) -> String {
        secret.withUnsafeBytes { secret in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: secret.count + 1) { key in
                let keyBase = key.baseAddress!
                if let secretBase = secret.baseAddress { keyBase.initialize(from: secretBase, count: secret.count) }
                keyBase[secret.count] = UInt8(ascii: "&")
                defer { explicit_bzero(keyBase, secret.count + 1) }
                return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { mac in
                    let length = message.withUnsafeBufferPointer {
                        SigningCrypto.hmac(sha256: false, key: UnsafeBufferPointer(key), message: $0, into: mac.baseAddress!)
                    }
                    return Base64.encode(UnsafeBufferPointer(start: mac.baseAddress!, count: length))
                }
            }
        }
    }
}
