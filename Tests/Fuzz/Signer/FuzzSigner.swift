// The signers (RequestSigner.sign, V1 and V3, query and body, POST and GET) and slbcert_sign.
//
// Input: one flags byte, then NUL-separated fields: action, API version, host, AccessKeyId,
// AccessKeySecret, security token, nonce, timestamp, then parameter names and values, alternating.
// A missing field takes an ordinary value (UploadServerCertificate, 2014-05-15, ...).
// Flags: bit 0 V3; 1 query placement; 2 GET; 3 V1's legacy SignatureType; 4 STS token; 5 a random nonce;
// 6 the nonce field is used (else a fixed nonce); 7 the timestamp field is used (else a fixed one).
//
// Properties, besides "no crash, no sanitizer report" (every refusal is a thrown error):
// - with a fixed nonce, signing twice gives the same request, and slbcert_sign gives it byte for byte;
//   the C ABI refuses exactly what Swift refuses;
// - a server's view: the query and body hold only unreserved characters and %XY; decoded, they are
//   exactly the caller's parameters plus the common ones, each once, where the placement says; the
//   signature, recomputed here from the decoded request (HMAC-SHA1 or ACS3-HMAC-SHA256 over OpenSSL, with
//   an encoder of its own), is the one sent;
// - redacted, the URL (V1) or the header lines (V3) no longer hold the signature, nor an STS token made
//   of the characters real tokens use.
import COpenSSL
import CSLBCert
import FuzzSupport
import SLBCert

private let defaults = ["UploadServerCertificate", "2014-05-15", "slb.aliyuncs.com", "fuzz-id", "fuzz-secret",
                        "CAIS-fuzz-token+/=", "fuzz-nonce-0001", "2024-01-01T12:00:00Z"]

private struct Case {
    var version: SignatureVersion
    var placement: ParameterPlacement
    var method: RequestMethod
    var legacySignatureType: Bool
    var randomNonce: Bool
    var action, apiVersion, host, accessKeyId, secret: [UInt8]
    var token: [UInt8]?
    var nonce, timestamp: [UInt8]
    var parameters: [([UInt8], [UInt8])]

    func string(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
    var request: RPCRequest {
        RPCRequest(action: string(action), apiVersion: string(apiVersion), host: string(host),
                   parameters: parameters.map { (string($0.0), string($0.1)) })
    }
    var credentials: Credentials {
        Credentials(accessKeyId: string(accessKeyId), accessKeySecret: SecretBytes(secret), securityToken: token.map { SecretBytes($0) })
    }
    var options: SigningOptions {
        SigningOptions(signatureVersion: version, placement: placement, method: method, v1LegacySignatureType: legacySignatureType,
                       nonce: randomNonce ? nil : string(nonce), timestamp: string(timestamp))
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSigner(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.input(data, size)
    guard let flags = input.first else { return 0 }
    // Fields as valid UTF-8 (what a Swift String holds), so that both interfaces get the same bytes.
    var fields = Fuzz.split(input.dropFirst(), separator: [0], limit: 2_100).map { Array(String(decoding: $0, as: UTF8.self).utf8) }
    let given = fields.count
    while fields.count < defaults.count { fields.append(Array(defaults[fields.count].utf8)) }
    let pairFields = Array(fields.dropFirst(defaults.count))
    var parameters: [([UInt8], [UInt8])] = []
    for index in stride(from: 0, to: pairFields.count, by: 2) {
        parameters.append((pairFields[index], index + 1 < pairFields.count ? pairFields[index + 1] : []))
    }
    // The C API reads the token as a C string: an empty one is no token there.
    let token = flags & 16 != 0 && !fields[5].isEmpty ? fields[5] : nil
    let fuzzCase = Case(version: flags & 1 != 0 ? .v3 : .v1, placement: flags & 2 != 0 ? .query : .body,
                        method: flags & 4 != 0 ? .get : .post, legacySignatureType: flags & 8 != 0,
                        randomNonce: flags & 32 != 0, action: fields[0], apiVersion: fields[1], host: fields[2],
                        accessKeyId: fields[3], secret: fields[4], token: token,
                        nonce: flags & 64 != 0 && given > 6 ? fields[6] : Array(defaults[6].utf8),
                        timestamp: flags & 128 != 0 && given > 7 ? fields[7] : Array(defaults[7].utf8),
                        parameters: parameters)

    let swift: SignedRequest?
    do { swift = try RequestSigner.sign(fuzzCase.request, credentials: fuzzCase.credentials, options: fuzzCase.options) } catch {
        Fuzz.check(!error.message.isEmpty, "an error without a message")
        swift = nil
    }
    if !fuzzCase.randomNonce, parameters.count <= 1024 {
        let fromC = signThroughC(fuzzCase)
        Fuzz.check((swift == nil) == (fromC == nil), "Swift \(swift == nil ? "refuses" : "signs"), slbcert_sign \(fromC == nil ? "refuses" : "signs")")
        if let swift, let fromC {
            Fuzz.check(View(swift) == fromC, "slbcert_sign gives another request than RequestSigner.sign")
            let again = try? RequestSigner.sign(fuzzCase.request, credentials: fuzzCase.credentials, options: fuzzCase.options)
            Fuzz.check(again.map(View.init) == View(swift), "signing twice gives two requests")
        }
    }
    guard let swift else { return 0 }
    Fuzz.check(swift.method == fuzzCase.method, "method")
    switch fuzzCase.version {
    case .v1: verifyV1(swift, fuzzCase)
    case .v3: verifyV3(swift, fuzzCase)
    }
    return 0
}

// MARK: The C ABI

/// What both interfaces give, as bytes.
private struct View: Equatable {
    var method, pathAndQuery, stringToSign, signature, body: [UInt8]
    var headers: [[UInt8]]

    init(_ request: SignedRequest) {
        method = Array(request.method.rawValue.utf8)
        pathAndQuery = Array(request.pathAndQuery.utf8)
        stringToSign = Array(request.serverComparableText.utf8)
        signature = Array(request.signature.utf8)
        body = request.body
        headers = request.headers.flatMap { [Array($0.name.utf8), Array($0.value.utf8)] }
    }

    init(method: [UInt8], pathAndQuery: [UInt8], stringToSign: [UInt8], signature: [UInt8], body: [UInt8], headers: [[UInt8]]) {
        (self.method, self.pathAndQuery, self.stringToSign, self.signature, self.body, self.headers)
            = (method, pathAndQuery, stringToSign, signature, body, headers)
    }
}

private func cBytes(_ pointer: UnsafePointer<CChar>?) -> [UInt8] {
    guard let pointer else { Fuzz.fail("slbcert_signed_request getter returned NULL") }
    return Fuzz.bytes(cString: pointer)
}

/// Runs `body` with NUL-terminated copies of `strings` (freed afterwards).
private func withCStrings<R>(_ strings: [[UInt8]], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>] = strings.map { bytes in
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        bytes.withUnsafeBytes { raw in
            for (offset, byte) in raw.enumerated() { copy[offset] = CChar(bitPattern: byte) }
        }
        copy[bytes.count] = 0
        return copy
    }
    defer { copies.forEach { $0.deallocate() } }
    return body(copies.map { UnsafePointer($0) })
}

private func signThroughC(_ fuzzCase: Case) -> View? {
    let fixed = [fuzzCase.accessKeyId, fuzzCase.secret, fuzzCase.token ?? [], fuzzCase.action, fuzzCase.apiVersion,
                 fuzzCase.host, fuzzCase.nonce, fuzzCase.timestamp, Array((fuzzCase.method == .get ? "GET" : "POST").utf8)]
    return withCStrings(fixed + fuzzCase.parameters.map(\.0) + fuzzCase.parameters.map(\.1)) { strings -> View? in
        var credentials: OpaquePointer?
        guard slbcert_credentials_new_static(&credentials, strings[0], strings[1], fuzzCase.token == nil ? nil : strings[2]) == 0 else {
            return nil
        }
        defer { slbcert_credentials_free(credentials) }
        var options = slbcert_sign_options()
        Fuzz.check(slbcert_sign_options_init(&options, UInt32(SLBCERT_SIGN_OPTIONS_VERSION)) == 0, "sign options init failed")
        options.signature_version = Int32(fuzzCase.version == .v3 ? SLBCERT_SIGNATURE_V3.rawValue : SLBCERT_SIGNATURE_V1.rawValue)
        options.placement = Int32(fuzzCase.placement == .query ? SLBCERT_PLACEMENT_QUERY.rawValue : SLBCERT_PLACEMENT_BODY.rawValue)
        options.method = strings[8]
        options.nonce = strings[6]
        options.timestamp = strings[7]
        options.v1_legacy_signature_type = fuzzCase.legacySignatureType ? 1 : 0
        let count = fuzzCase.parameters.count
        let keys = Array(strings[9..<9 + count])
        let values = Array(strings[(9 + count)...])
        var signed: OpaquePointer?
        let status = keys.withUnsafeBufferPointer { keyPointers in
            values.withUnsafeBufferPointer { valuePointers in
                slbcert_sign(&signed, credentials, strings[3], strings[4], strings[5],
                             count == 0 ? nil : keyPointers.baseAddress, count == 0 ? nil : valuePointers.baseAddress, count, &options)
            }
        }
        guard status == 0 else {
            Fuzz.check(signed == nil, "a refused slbcert_sign left a handle")
            return nil
        }
        guard let signed else { Fuzz.fail("slbcert_sign returned OK without a handle") }
        defer { slbcert_signed_request_free(signed) }
        var headers: [[UInt8]] = []
        let headerCount = slbcert_signed_request_header_count(signed)
        for index in 0..<headerCount {
            var name: UnsafePointer<CChar>?
            var value: UnsafePointer<CChar>?
            Fuzz.check(slbcert_signed_request_header(signed, index, &name, &value) == 0, "header \(index)")
            headers += [cBytes(name), cBytes(value)]
        }
        Fuzz.check(slbcert_signed_request_header(signed, headerCount, nil, nil) == Int32(SLBCERT_ERANGE.rawValue), "header at the count")
        let body = cBytes(slbcert_signed_request_body(signed))
        Fuzz.check(body.count == slbcert_signed_request_body_length(signed), "body length")
        return View(method: cBytes(slbcert_signed_request_method(signed)), pathAndQuery: cBytes(slbcert_signed_request_path_and_query(signed)),
                    stringToSign: cBytes(slbcert_signed_request_string_to_sign(signed)),
                    signature: cBytes(slbcert_signed_request_signature(signed)), body: body, headers: headers)
    }
}

// MARK: The server's view

private typealias Pair = (name: [UInt8], value: [UInt8])

private let unreserved: Set<UInt8> = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8))
private let upperHex = Array("0123456789ABCDEF".utf8)

/// RFC 3986 as the service signs it: unreserved bytes kept, every other byte %XY (upper case).
private func encode(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    for byte in bytes {
        if unreserved.contains(byte) { out.append(byte) } else { out += [UInt8(ascii: "%"), upperHex[Int(byte >> 4)], upperHex[Int(byte & 15)]] }
    }
    return out
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// Decodes `a=b&c=d` as a server does, checking on the way that only unreserved bytes and %XY were sent.
private func decodePairs(_ text: ArraySlice<UInt8>, _ what: String) -> [Pair] {
    guard !text.isEmpty else { return [] }
    return text.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false).map { piece in
        guard let equals = piece.firstIndex(of: UInt8(ascii: "=")) else { Fuzz.fail("\(what): a pair without '='") }
        return (decode(piece[..<equals], what), decode(piece[(equals + 1)...], what))
    }
}

private func decode(_ text: ArraySlice<UInt8>, _ what: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let byte = text[index]
        if byte == UInt8(ascii: "%") {
            guard index + 2 < text.endIndex, let high = hexValue(text[index + 1]), let low = hexValue(text[index + 2]) else {
                Fuzz.fail("\(what): a '%' without two upper-case hex digits")
            }
            out.append(high << 4 | low)
            index += 3
        } else {
            Fuzz.check(unreserved.contains(byte), "\(what): the raw byte \(byte) was sent")
            out.append(byte)
            index += 1
        }
    }
    return out
}

private func sortedByName(_ pairs: [Pair]) -> [Pair] {
    pairs.sorted { $0.name.lexicographicallyPrecedes($1.name) }
}

/// `pairs`, in the given order, encoded and joined as a canonical query.
private func canonical(_ pairs: [Pair]) -> [UInt8] {
    var out: [UInt8] = []
    for (index, pair) in pairs.enumerated() {
        if index > 0 { out.append(UInt8(ascii: "&")) }
        out += encode(pair.name) + [UInt8(ascii: "=")] + encode(pair.value)
    }
    return out
}

/// Two lists of pairs hold the same pairs, each once (names are unique in both).
private func samePairs(_ a: [Pair], _ b: [Pair]) -> Bool {
    a.count == b.count && Set(a.map(\.name)).count == a.count
        && sortedByName(a).elementsEqual(sortedByName(b)) { $0.name == $1.name && $0.value == $1.value }
}

private func describe(_ pairs: [Pair]) -> String {
    pairs.map { "\(String(decoding: $0.name, as: UTF8.self))=\(String(decoding: $0.value, as: UTF8.self))" }.joined(separator: "&")
}

/// The parameters as the request carries them: the caller's, minus V1's Format (a common parameter there).
private func operationPairs(_ fuzzCase: Case, droppingFormat: Bool) -> [Pair] {
    fuzzCase.parameters.filter { !droppingFormat || fuzzCase.string($0.0) != "Format" }.map { ($0.0, $0.1) }
}

private func verifyV1(_ signed: SignedRequest, _ fuzzCase: Case) {
    let url = Array(signed.pathAndQuery.utf8)
    Fuzz.check(url.starts(with: Array("/?".utf8)), "V1 URL \(signed.pathAndQuery)")
    let query = decodePairs(url.dropFirst(2), "V1 query")
    let body = decodePairs(signed.body[...], "V1 body")
    let signatures = query.filter { $0.name == Array("Signature".utf8) }
    Fuzz.check(signatures.count == 1, "V1: \(signatures.count) Signature parameters in the query")
    let queryWithoutSignature = query.filter { $0.name != Array("Signature".utf8) }

    let operation = operationPairs(fuzzCase, droppingFormat: true)
    let callerFormat = fuzzCase.parameters.first { fuzzCase.string($0.0) == "Format" }?.1
    var common: [Pair] = [("AccessKeyId", fuzzCase.accessKeyId), ("Action", fuzzCase.action), ("Format", callerFormat ?? Array("JSON".utf8)),
                          ("SignatureMethod", Array("HMAC-SHA1".utf8)), ("SignatureVersion", Array("1.0".utf8)),
                          ("Timestamp", fuzzCase.timestamp), ("Version", fuzzCase.apiVersion)].map { (Array($0.0.utf8), $0.1) }
    if fuzzCase.legacySignatureType { common.append((Array("SignatureType".utf8), [])) }
    if let token = fuzzCase.token { common.append((Array("SecurityToken".utf8), token)) }
    let nonces = queryWithoutSignature.filter { $0.name == Array("SignatureNonce".utf8) }
    Fuzz.check(nonces.count == 1, "V1: \(nonces.count) SignatureNonce parameters")
    if fuzzCase.randomNonce {
        Fuzz.check(nonces[0].value.count == 32 && nonces[0].value.allSatisfy { hexValue($0) != nil || (97...102).contains($0) },
                   "V1: a random nonce that is not 32 hex digits")
    } else {
        Fuzz.check(nonces[0].value == fuzzCase.nonce, "V1: the nonce sent is not the one given")
    }
    common.append(nonces[0])

    let sent = queryWithoutSignature + body
    if fuzzCase.placement == .body && !operation.isEmpty {
        Fuzz.check(samePairs(queryWithoutSignature, common), "V1 body placement: the query is not the common parameters: \(describe(queryWithoutSignature))")
        Fuzz.check(body.elementsEqual(operation) { $0.name == $1.name && $0.value == $1.value },
                   "V1 body placement: the body is not the caller's parameters in order: \(describe(body))")
        Fuzz.check(signed.headers.contains(HTTPHeader("Content-Type", "application/x-www-form-urlencoded")), "V1: no form content type")
    } else {
        Fuzz.check(body.isEmpty && signed.headers.isEmpty, "V1 query placement: a body or headers")
        Fuzz.check(samePairs(sent, common + operation), "V1 query: the parameters sent are not the ones given: \(describe(sent))")
    }

    var stringToSign = Array("\(fuzzCase.method.rawValue)&%2F&".utf8)
    stringToSign += encode(canonical(sortedByName(sent)))
    var key = fuzzCase.secret + [UInt8(ascii: "&")]
    let expected = base64(hmac(EVP_sha1(), key: key, message: stringToSign))
    key.removeAll()
    Fuzz.check(signatures[0].value == expected, "V1: the signature does not verify")

    // Redacted, the URL holds neither the signature nor a token of the usual alphabet.
    let redacted = Array(Redactor.redact(signed.pathAndQuery).utf8)
    Fuzz.check(!Fuzz.contains(redacted, Array("Signature=".utf8) + encode(expected)), "V1: the redacted URL holds the signature")
    if let token = fuzzCase.token, token.count >= 8, token.allSatisfy(isTokenCharacter),
       occurrences(encode(token), in: url) == 1 {
        Fuzz.check(!Fuzz.contains(redacted, encode(token)), "V1: the redacted URL holds the STS token")
    }
}

private func verifyV3(_ signed: SignedRequest, _ fuzzCase: Case) {
    let url = Array(signed.pathAndQuery.utf8)
    let operation = operationPairs(fuzzCase, droppingFormat: false)
    let query: [Pair]
    if url == Array("/".utf8) {
        query = []
    } else {
        Fuzz.check(url.starts(with: Array("/?".utf8)), "V3 URL \(signed.pathAndQuery)")
        query = decodePairs(url.dropFirst(2), "V3 query")
        Fuzz.check(!query.isEmpty, "V3: an empty query after '?'")
    }
    let body = decodePairs(signed.body[...], "V3 body")
    let bodyPlacement = fuzzCase.placement == .body && !operation.isEmpty
    if bodyPlacement {
        Fuzz.check(query.isEmpty, "V3 body placement: a query")
        Fuzz.check(body.elementsEqual(operation) { $0.name == $1.name && $0.value == $1.value }, "V3: the body is not the caller's parameters")
    } else {
        Fuzz.check(body.isEmpty, "V3 query placement: a body")
        Fuzz.check(samePairs(query, operation), "V3: the query is not the caller's parameters: \(describe(query))")
        Fuzz.check(sortedByName(query).elementsEqual(query) { $0.name == $1.name }, "V3: the query is not in canonical order")
    }

    var headers: [String: [UInt8]] = [:]
    var authorization: [UInt8]?
    for header in signed.headers {
        Fuzz.check(header.name == "authorization" ? authorization == nil : headers[header.name] == nil, "V3: header \(header.name) twice")
        if header.name == "authorization" { authorization = Array(header.value.utf8) } else { headers[header.name] = Array(header.value.utf8) }
    }
    let bodyHash = hex(sha256(signed.body))
    var expected: [String: [UInt8]] = ["host": fuzzCase.host, "x-acs-action": fuzzCase.action, "x-acs-version": fuzzCase.apiVersion,
                                       "x-acs-date": fuzzCase.timestamp, "x-acs-content-sha256": bodyHash]
    if let token = fuzzCase.token {
        expected["x-acs-security-token"] = token
        expected["x-acs-accesskey-id"] = fuzzCase.accessKeyId
    }
    if bodyPlacement { expected["content-type"] = Array("application/x-www-form-urlencoded".utf8) }
    if fuzzCase.randomNonce {
        Fuzz.check(headers["x-acs-signature-nonce"]?.count == 32, "V3: a random nonce that is not 32 characters")
        expected["x-acs-signature-nonce"] = headers["x-acs-signature-nonce"]
    } else {
        expected["x-acs-signature-nonce"] = fuzzCase.nonce
    }
    Fuzz.check(headers == expected, "V3: the headers are not the expected ones: \(headers.keys.sorted())")

    guard let authorization else { Fuzz.fail("V3: no authorization header") }
    let names = headers.keys.sorted()
    let prefix = Array("ACS3-HMAC-SHA256 Credential=".utf8) + fuzzCase.accessKeyId + Array(",SignedHeaders=\(names.joined(separator: ";")),Signature=".utf8)
    Fuzz.check(authorization.starts(with: prefix) && authorization.count == prefix.count + 64, "V3: authorization header")
    let signature = Array(authorization[prefix.count...])

    var canonicalRequest = Array("\(fuzzCase.method.rawValue)\n/\n".utf8) + canonical(sortedByName(query)) + [10]
    for name in names { canonicalRequest += Array(name.utf8) + [UInt8(ascii: ":")] + trimmed(headers[name]!) + [10] }
    canonicalRequest += [10] + Array(names.joined(separator: ";").utf8) + [10] + bodyHash
    let stringToSign = Array("ACS3-HMAC-SHA256\n".utf8) + hex(sha256(canonicalRequest))
    Fuzz.check(signature == hex(hmac(EVP_sha256(), key: fuzzCase.secret, message: stringToSign)), "V3: the signature does not verify")

    // Redacted, the header lines hold neither the signature nor a token of the usual alphabet.
    let lines = signed.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    let redacted = Array(Redactor.redact(lines).utf8)
    Fuzz.check(!Fuzz.contains(redacted, signature), "V3: the redacted headers hold the signature")
    if let token = fuzzCase.token, token.count >= 8, token.allSatisfy(isTokenCharacter), occurrences(token, in: Array(lines.utf8)) == 1 {
        Fuzz.check(!Fuzz.contains(redacted, token), "V3: the redacted headers hold the STS token")
    }
}

/// Spaces and tabs around a header value do not count (the server trims them).
private func trimmed(_ value: [UInt8]) -> [UInt8] {
    let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
    guard let first = value.firstIndex(where: { !blank($0) }), let last = value.lastIndex(where: { !blank($0) }) else { return [] }
    return Array(value[first...last])
}

/// What STS tokens are made of: base64 and a few separators.
private func isTokenCharacter(_ byte: UInt8) -> Bool { unreserved.contains(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=") }

private func occurrences(_ needle: [UInt8], in haystack: [UInt8]) -> Int {
    guard !needle.isEmpty, haystack.count >= needle.count else { return 0 }
    return (0...(haystack.count - needle.count)).filter { haystack[$0..<$0 + needle.count].elementsEqual(needle) }.count
}

// MARK: OpenSSL, independently of the library's Digest

private func hmac(_ md: OpaquePointer?, key: [UInt8], message: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    guard HMAC(md, key, Int32(key.count), message, message.count, &out, &length) != nil else { Fuzz.fail("HMAC failed") }
    return Array(out.prefix(Int(length)))
}

private func sha256(_ bytes: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 32)
    guard SHA256(bytes, bytes.count, &out) != nil else { Fuzz.fail("SHA256 failed") }
    return out
}

private func hex(_ bytes: [UInt8]) -> [UInt8] {
    let digits = Array("0123456789abcdef".utf8)
    return bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }
}

private func base64(_ bytes: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: (bytes.count + 2) / 3 * 4 + 1)
    let length = EVP_EncodeBlock(&out, bytes, Int32(bytes.count))
    return Array(out.prefix(Int(length)))
}
