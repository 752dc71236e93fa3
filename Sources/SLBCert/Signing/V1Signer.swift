/// Signature version 1.0 (HMAC-SHA1), spec section 3. The common and auth parameters always travel in
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

        let canonical = PercentEncoding.encodePairBytes(sortedByKeyBytes(common + operation))
        var stringToSign = Array("\(context.options.method.rawValue)&%2F&".utf8)
        PercentEncoding.append(bytes: canonical, to: &stringToSign)
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
            pathAndQuery = "/?" + PercentEncoding.encodePairs(sortedByKeyBytes(common)) + "&" + signatureParameter
            body = PercentEncoding.encodePairBytes(operation)
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
