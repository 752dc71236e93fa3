/// ACS3-HMAC-SHA256, docs/protocol.md section 3. Action, version, time and nonce travel as signed headers; the
/// operation's parameters go in the query or the form body. Only `host`, `content-type` and `x-acs-*`
/// are signed: nothing a proxy may rewrite.
enum V3Signer {
    static let algorithm = "ACS3-HMAC-SHA256"

    static func sign(_ context: SigningContext) -> SignedRequest {
        let request = context.request
        let placement = context.placement(of: request.parameters)
        let body = placement == .body ? PercentEncoding.encodePairBytes(request.parameters) : []
        let bodySHA256 = Hex.encode(Digest.sha256(body))
        let canonicalQuery = placement == .query
            ? String(decoding: PercentEncoding.encodePairBytes(sortedByKeyBytes(request.parameters)), as: UTF8.self)
            : ""

        var signedHeaders: [HTTPHeader] = [
            HTTPHeader("host", request.host),
            HTTPHeader("x-acs-action", request.action),
            HTTPHeader("x-acs-version", request.apiVersion),
            HTTPHeader("x-acs-date", context.timestamp),
            HTTPHeader("x-acs-signature-nonce", context.nonce),
            HTTPHeader("x-acs-content-sha256", bodySHA256),
        ]
        if let token = context.securityToken {
            signedHeaders.append(HTTPHeader("x-acs-security-token", token))
            signedHeaders.append(HTTPHeader("x-acs-accesskey-id", context.credentials.accessKeyId))
        }
        if placement == .body {
            signedHeaders.append(HTTPHeader("content-type", "application/x-www-form-urlencoded"))
        }
        // All names are fixed lower-case ASCII, so String order is byte order here.
        signedHeaders.sort { $0.name < $1.name }
        var signedHeaderNames = ""
        for header in signedHeaders {
            if !signedHeaderNames.isEmpty { signedHeaderNames += ";" }
            signedHeaderNames += header.name
        }

        // METHOD \n / \n query \n name:value\n... \n names \n body-hash, appended in place into one
        // reserved String: the map/joined chains it replaces cost about as much as the hashing.
        var canonicalRequest = ""
        canonicalRequest.reserveCapacity(canonicalQuery.utf8.count + 1024)
        canonicalRequest += context.options.method.rawValue
        canonicalRequest += "\n/\n"
        canonicalRequest += canonicalQuery
        canonicalRequest += "\n"
        for header in signedHeaders {
            canonicalRequest += header.name
            canonicalRequest += ":"
            canonicalRequest += trimmed(header.value)
            canonicalRequest += "\n"
        }
        canonicalRequest += "\n"
        canonicalRequest += signedHeaderNames
        canonicalRequest += "\n"
        canonicalRequest += bodySHA256
        let stringToSign = algorithm + "\n" + Hex.encode(Digest.sha256(Array(canonicalRequest.utf8)))
        let signature = Hex.encode(context.credentials.accessKeySecret.withUnsafeBytes { key in
            Array(stringToSign.utf8).withUnsafeBufferPointer { Digest.hmacSHA256(key: key, message: $0) }
        })
        let authorization = "\(algorithm) Credential=\(context.credentials.accessKeyId),"
            + "SignedHeaders=\(signedHeaderNames),Signature=\(signature)"

        return SignedRequest(method: context.options.method,
                             pathAndQuery: canonicalQuery.isEmpty ? "/" : "/?" + canonicalQuery,
                             headers: signedHeaders + [HTTPHeader("authorization", authorization)],
                             body: body, canonicalRequest: canonicalRequest, stringToSign: stringToSign,
                             signature: signature, signatureVersion: .v3)
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
