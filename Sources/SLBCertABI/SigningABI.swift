import CSLBCert
import SLBCert

/// What `slbcert_signed_request *` points at. Every string of the request (they hold the signature,
/// the body with the key, a token) is copied once into one region of secret memory, NUL-terminated,
/// and wiped when the handle is freed; one region instead of one per string, because each fresh
/// secret region costs page mappings that took longer than signing.
final class SignedRequestHandle {
    let method, pathAndQuery, stringToSign, body, signature: UnsafePointer<CChar>
    let headers: [(name: UnsafePointer<CChar>, value: UnsafePointer<CChar>)]
    let bodyLength: Int
    private let strings: SecretMemory

    init(_ request: consuming SignedRequest) {
        defer { wipe(&request.body) }  // the Swift copy of the body is not needed past this point
        let comparable = request.serverComparableBytes
        var capacity = request.method.rawValue.utf8.count + request.pathAndQuery.utf8.count + comparable.count
            + request.body.count + request.signature.utf8.count + 5
        for header in request.headers { capacity += header.name.utf8.count + header.value.utf8.count + 2 }
        strings = SecretMemory(capacity: capacity)
        var cursor = strings.base.assumingMemoryBound(to: CChar.self)
        func put(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafePointer<CChar> {
            let start = cursor
            if let base = bytes.baseAddress { UnsafeMutableRawPointer(cursor).copyMemory(from: base, byteCount: bytes.count) }
            cursor[bytes.count] = 0
            cursor += bytes.count + 1
            return UnsafePointer(start)
        }
        func put(_ text: String) -> UnsafePointer<CChar> {
            var text = text
            return text.withUTF8 { put($0) }  // no copy for a native String
        }
        method = put(request.method.rawValue)
        pathAndQuery = put(request.pathAndQuery)
        stringToSign = comparable.withUnsafeBufferPointer { put($0) }
        body = request.body.withUnsafeBufferPointer { put($0) }
        signature = put(request.signature)
        headers = request.headers.map { (put($0.name), put($0.value)) }
        bodyLength = request.body.count
    }
}

@c @implementation
public func slbcert_sign_options_init(_ options: UnsafeMutablePointer<slbcert_sign_options>?, _ version: UInt32) -> Int32 {
    withStatus { () throws(SLBCertError) in
        guard let options else { throw invalid("options is NULL.") }
        try checkVersion(version, current: SLBCERT_SIGN_OPTIONS_VERSION, name: "slbcert_sign_options")
        options.pointee = slbcert_sign_options(version: version, signature_version: Int32(SLBCERT_SIGNATURE_V1.rawValue),
                                               placement: Int32(SLBCERT_PLACEMENT_BODY.rawValue), method: nil, nonce: nil,
                                               timestamp: nil, v1_legacy_signature_type: 0)
    }
}

func signatureVersion(_ value: Int32) throws(SLBCertError) -> SignatureVersion {
    switch value {
    case 0, Int32(SLBCERT_SIGNATURE_V1.rawValue): return .v1
    case Int32(SLBCERT_SIGNATURE_V3.rawValue): return .v3
    default: throw invalid("signature_version \(value) is neither SLBCERT_SIGNATURE_V1 nor SLBCERT_SIGNATURE_V3.")
    }
}

func placement(_ value: Int32) throws(SLBCertError) -> ParameterPlacement {
    switch value {
    case Int32(SLBCERT_PLACEMENT_BODY.rawValue): return .body
    case Int32(SLBCERT_PLACEMENT_QUERY.rawValue): return .query
    default: throw invalid("placement \(value) is neither SLBCERT_PLACEMENT_BODY nor SLBCERT_PLACEMENT_QUERY.")
    }
}

private func signingOptions(_ options: UnsafePointer<slbcert_sign_options>?) throws(SLBCertError) -> SigningOptions {
    guard let options else { return SigningOptions() }
    try checkVersion(options.pointee.version, current: SLBCERT_SIGN_OPTIONS_VERSION, name: "slbcert_sign_options")
    let method: RequestMethod
    switch string(options.pointee.method) {
    case nil, "POST": method = .post
    case "GET": method = .get
    case let other?: throw invalid("method \"\(other)\" is neither POST nor GET.")
    }
    return SigningOptions(signatureVersion: try signatureVersion(options.pointee.signature_version),
                          placement: try placement(options.pointee.placement), method: method,
                          v1LegacySignatureType: options.pointee.v1_legacy_signature_type != 0,
                          nonce: string(options.pointee.nonce), timestamp: string(options.pointee.timestamp))
}

@c @implementation
public func slbcert_sign(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ credentials: OpaquePointer?,
                         _ action: UnsafePointer<CChar>?, _ api_version: UnsafePointer<CChar>?, _ host: UnsafePointer<CChar>?,
                         _ keys: UnsafePointer<UnsafePointer<CChar>?>?, _ values: UnsafePointer<UnsafePointer<CChar>?>?,
                         _ count: Int, _ options: UnsafePointer<slbcert_sign_options>?) -> Int32 {
    out?.pointee = nil
    return withStatus { () throws(SLBCertError) in
        guard let out else { throw invalid("out is NULL.") }
        guard let handle = borrowHandle(credentials, as: CredentialsHandle.self) else { throw invalid("credentials is NULL.") }
        guard let action = string(action), let apiVersion = string(api_version), let host = string(host) else {
            throw invalid("action, api_version and host must not be NULL.")
        }
        let parameters = try pairs(keys, values, count, name: "parameters", limit: 1024)
        let signed = try RequestSigner.sign(RPCRequest(action: action, apiVersion: apiVersion, host: host, parameters: parameters),
                                            credentials: try handle.resolved.provider.credentials(), options: try signingOptions(options))
        out.pointee = retainHandle(SignedRequestHandle(signed))
    }
}

@c @implementation
public func slbcert_signed_request_free(_ request: OpaquePointer?) {
    releaseHandle(request, as: SignedRequestHandle.self)
}

private func signed(_ request: OpaquePointer?) -> SignedRequestHandle? { borrowHandle(request, as: SignedRequestHandle.self) }

@c @implementation
public func slbcert_signed_request_method(_ request: OpaquePointer?) -> UnsafePointer<CChar>? { signed(request)?.method }
@c @implementation
public func slbcert_signed_request_path_and_query(_ request: OpaquePointer?) -> UnsafePointer<CChar>? { signed(request)?.pathAndQuery }
@c @implementation
public func slbcert_signed_request_header_count(_ request: OpaquePointer?) -> Int { signed(request)?.headers.count ?? 0 }

@c @implementation
public func slbcert_signed_request_header(_ request: OpaquePointer?, _ index: Int, _ name: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                          _ value: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    withStatus { () throws(SLBCertError) in
        guard let handle = signed(request) else { throw invalid("request is NULL.") }
        guard let header = handle.headers.at(index) else {
            throw SLBCertError(.outOfRange, "Header \(UInt(bitPattern: index)) does not exist; the request has \(handle.headers.count).")
        }
        name?.pointee = header.name
        value?.pointee = header.value
    }
}

@c @implementation
public func slbcert_signed_request_body(_ request: OpaquePointer?) -> UnsafePointer<CChar>? { signed(request)?.body }
@c @implementation
public func slbcert_signed_request_body_length(_ request: OpaquePointer?) -> Int { signed(request)?.bodyLength ?? 0 }
@c @implementation
public func slbcert_signed_request_string_to_sign(_ request: OpaquePointer?) -> UnsafePointer<CChar>? { signed(request)?.stringToSign }
@c @implementation
public func slbcert_signed_request_signature(_ request: OpaquePointer?) -> UnsafePointer<CChar>? { signed(request)?.signature }
