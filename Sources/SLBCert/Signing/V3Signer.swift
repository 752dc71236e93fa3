/// ACS3-HMAC-SHA256, docs/protocol.md section 3. Action, version, time and nonce travel as signed headers; the
/// operation's parameters go in the query or the form body. Only `host`, `content-type` and `x-acs-*`
/// are signed: nothing a proxy may rewrite.
enum V3Signer {
    static let algorithm = "ACS3-HMAC-SHA256"
    private static let stringToSignPrefix = Array("\(algorithm)\n".utf8)

    static func sign(_ context: SigningContext) -> SignedRequest {
        let request = context.request
        let placement = context.placement(of: request.parameters)
        let body = placement == .body ? PercentEncoding.encodePairBytes(request.parameters) : []
        let bodySHA256 = body.withUnsafeBufferPointer { hexSHA256($0) }
        let canonicalQuery = placement == .query
            ? String(decoding: PercentEncoding.encodePairBytes(sortedByKeyBytes(request.parameters)), as: UTF8.self)
            : ""

        // Built in the order the canonical request lists them (by name; all names are fixed lower-case
        // ASCII), which is also the order they are sent in.
        let token = context.securityToken
        var signedHeaders: [HTTPHeader] = []
        signedHeaders.reserveCapacity(10)
        if placement == .body { signedHeaders.append(HTTPHeader("content-type", "application/x-www-form-urlencoded")) }
        signedHeaders.append(HTTPHeader("host", request.host))
        if token != nil { signedHeaders.append(HTTPHeader("x-acs-accesskey-id", context.credentials.accessKeyId)) }
        signedHeaders.append(HTTPHeader("x-acs-action", request.action))
        signedHeaders.append(HTTPHeader("x-acs-content-sha256", bodySHA256))
        signedHeaders.append(HTTPHeader("x-acs-date", context.timestamp))
        if let token { signedHeaders.append(HTTPHeader("x-acs-security-token", token)) }
        signedHeaders.append(HTTPHeader("x-acs-signature-nonce", context.nonce))
        signedHeaders.append(HTTPHeader("x-acs-version", request.apiVersion))
        let signedHeaderNames = headerNames(body: placement == .body, token: token != nil)

        // METHOD \n / \n query \n name:value\n... \n names \n body-hash, as bytes into one buffer:
        // String appends and interpolation cost as much as the hashing.
        var canonical: [UInt8] = []
        canonical.reserveCapacity(canonicalQuery.utf8.count + (token?.utf8.count ?? 0) + 1024)
        canonical.append(contentsOf: context.options.method.rawValue.utf8)
        canonical.append(contentsOf: "\n/\n".utf8)
        canonical.append(contentsOf: canonicalQuery.utf8)
        canonical.append(UInt8(ascii: "\n"))
        for header in signedHeaders {
            canonical.append(contentsOf: header.name.utf8)
            canonical.append(UInt8(ascii: ":"))
            canonical.append(contentsOf: trimmed(header.value).utf8)
            canonical.append(UInt8(ascii: "\n"))
        }
        canonical.append(UInt8(ascii: "\n"))
        canonical.append(contentsOf: signedHeaderNames.utf8)
        canonical.append(UInt8(ascii: "\n"))
        canonical.append(contentsOf: bodySHA256.utf8)

        // "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical request)), then its HMAC with the secret.
        let prefix = stringToSignPrefix
        var stringToSign = [UInt8](repeating: 0, count: prefix.count + 64)
        stringToSign.withUnsafeMutableBufferPointer { out in
            _ = out.initialize(from: prefix)
            var digest = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            withUnsafeMutableBytes(of: &digest) { raw in
                let bytes = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                canonical.withUnsafeBufferPointer { SigningCrypto.sha256($0, into: bytes) }
                Hex.write(UnsafeBufferPointer(start: bytes, count: 32), into: out.baseAddress! + prefix.count)
            }
        }
        let signature = context.credentials.accessKeySecret.withUnsafeBytes { key in
            stringToSign.withUnsafeBufferPointer { message in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { mac in
                    let length = SigningCrypto.hmac(sha256: true, key: key, message: message, into: mac.baseAddress!)
                    return Hex.encode(UnsafeBufferPointer(start: mac.baseAddress!, count: length))
                }
            }
        }
        var authorization = algorithm
        authorization.reserveCapacity(algorithm.utf8.count + context.credentials.accessKeyId.utf8.count + signedHeaderNames.utf8.count + 120)
        authorization += " Credential="
        authorization += context.credentials.accessKeyId
        authorization += ",SignedHeaders="
        authorization += signedHeaderNames
        authorization += ",Signature="
        authorization += signature
        signedHeaders.append(HTTPHeader("authorization", authorization))

        return SignedRequest(method: context.options.method,
                             pathAndQuery: canonicalQuery.isEmpty ? "/" : "/?" + canonicalQuery,
                             headers: signedHeaders,
                             body: body, canonicalRequest: canonical,
                             stringToSign: stringToSign,
                             signature: signature, signatureVersion: .v3)
    }

    /// The signed header names joined by ";", for the four sets `sign` uses.
    private static let headerNameLists: [String] = [false, true].flatMap { token in
        [false, true].map { body in
            ((body ? ["content-type"] : []) + ["host"] + (token ? ["x-acs-accesskey-id"] : [])
                + ["x-acs-action", "x-acs-content-sha256", "x-acs-date"] + (token ? ["x-acs-security-token"] : [])
                + ["x-acs-signature-nonce", "x-acs-version"]).joined(separator: ";")
        }
    }

    private static func headerNames(body: Bool, token: Bool) -> String {
        headerNameLists[(token ? 2 : 0) + (body ? 1 : 0)]
    }

    /// Lower-case hex of SHA-256 of `bytes`.
    private static func hexSHA256(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: 64) { out in
            var digest = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            withUnsafeMutableBytes(of: &digest) { raw in
                let digestBytes = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                SigningCrypto.sha256(bytes, into: digestBytes)
                Hex.write(UnsafeBufferPointer(start: digestBytes, count: 32), into: out.baseAddress!)
            }
            return 64
        }
    }

    /// Canonical header values are trimmed of surrounding spaces and tabs, as the server does.
    private static func trimmed(_ value: String) -> Substring {
        // Most values neither start nor end with a space or tab: skip the Character walk for them.
        // (Only a blank first or last byte can start or end a blank Character.)
        let isBlankByte = { (byte: UInt8?) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        if !isBlankByte(value.utf8.first), !isBlankByte(value.utf8.last) { return Substring(value) }
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = value.firstIndex(where: { !isBlank($0) }),
              let last = value.lastIndex(where: { !isBlank($0) }) else { return "" }
        return value[first...last]
    }
}
