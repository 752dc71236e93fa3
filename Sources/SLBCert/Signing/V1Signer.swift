/// Signature version 1.0 (HMAC-SHA1), docs/protocol.md section 3. The common and auth parameters always travel in
/// the query; with body placement only the operation's own parameters go in the body, so the query
/// never holds a PrivateKey. The signature covers query and body merged, so it is the same either way.
enum V1Signer {
    static func sign(_ context: SigningContext) -> SignedRequest {
        let request = context.request
        var operation = request.parameters
        // A caller's Format replaces the default rather than being sent twice.
        var format = "JSON"
        if let index = operation.firstIndex(where: { $0.0 == "Format" }) {
            format = operation.remove(at: index).1
        }
        var common: [(String, String)] = [
            ("AccessKeyId", context.credentials.accessKeyId),
            ("Action", request.action),
            ("Format", format),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", context.nonce),
            ("SignatureVersion", "1.0"),
            ("Timestamp", context.timestamp),
            ("Version", request.apiVersion),
        ]
        if context.options.v1LegacySignatureType { common.append(("SignatureType", "")) }
        if let token = context.securityToken { common.append(("SecurityToken", token)) }

        // Encode every pair once, in canonical (sorted) order, remembering where each one landed: the
        // query and the form body use the same RFC 3986 encoding, so they are copies of these bytes.
        // The same pass writes the string to sign, "METHOD&%2F&" + enc(canonical).
        let all = common + operation
        let order = sortedIndicesByKeyBytes(all)
        var ranges = [Range<Int>](repeating: 0..<0, count: all.count)
        let prefix = Array("\(context.options.method.rawValue)&%2F&".utf8)
        var bytes = 0
        for (key, value) in all { bytes += key.utf8.count + value.utf8.count }
        var stringToSign: [UInt8] = []
        let canonical = [UInt8](unsafeUninitializedCapacity: 3 * bytes + 2 * all.count) { buffer, count in
            let base = buffer.baseAddress!
            stringToSign = [UInt8](unsafeUninitializedCapacity: prefix.count + 5 * bytes + 6 * all.count) { signed, signedCount in
                let signedBase = signed.baseAddress!
                var written = 0, writtenSigned = prefix.count
                _ = signed.initialize(from: prefix)
                func put(_ text: String) {
                    var text = text
                    let counts = text.withUTF8 {
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
        /// `pair&pair&...` for the given pairs, copied out of `canonical`.
        func joined(_ indices: [Int]) -> [UInt8] {
            var output: [UInt8] = []
            output.reserveCapacity(indices.reduce(indices.count) { $0 + ranges[$1].count })
            for index in indices {
                if !output.isEmpty { output.append(UInt8(ascii: "&")) }
                output.append(contentsOf: canonical[ranges[index]])
            }
            return output
        }

        let signature = Base64.encode(hmacSHA1(secretWithAmpersand: context.credentials.accessKeySecret,
                                               message: stringToSign))

        let signatureParameter = "Signature=" + PercentEncoding.encode(signature)
        var headers: [HTTPHeader] = []
        let pathAndQuery: String
        var body: [UInt8] = []
        switch context.placement(of: operation) {
        case .query:
            // The canonical string is already a valid, sorted query string.
            pathAndQuery = "/?" + String(decoding: canonical, as: UTF8.self) + "&" + signatureParameter
        case .body:
            // Query: the common pairs in sorted order; body: the operation's pairs in the caller's order.
            pathAndQuery = "/?" + String(decoding: joined(order.filter { $0 < common.count }), as: UTF8.self)
                + "&" + signatureParameter
            body = joined(Array(common.count..<all.count))
            headers.append(HTTPHeader("Content-Type", "application/x-www-form-urlencoded"))
        }
        return SignedRequest(method: context.options.method, pathAndQuery: pathAndQuery, headers: headers, body: body,
                             canonicalRequest: String(decoding: canonical, as: UTF8.self),
                             stringToSign: String(decoding: stringToSign, as: UTF8.self),
                             signature: signature, signatureVersion: .v1)
    }

    /// V1's key is the secret followed by "&"; the joined copy is wiped right after use.
    private static func hmacSHA1(secretWithAmpersand secret: SecretBytes, message: [UInt8]) -> [UInt8] {
        var key = secret.withUnsafeBytes { Array($0) }
        key.append(UInt8(ascii: "&"))
        defer { wipe(&key) }
        return key.withUnsafeBufferPointer { keyBuffer in
            message.withUnsafeBufferPointer { Digest.hmacSHA1(key: keyBuffer, message: $0) }
        }
    }
}
