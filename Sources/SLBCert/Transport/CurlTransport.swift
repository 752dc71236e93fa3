import CCurl
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Options of the libcurl transport. Defaults are the official SDKs' (connect 5 s, read 10 s).
public struct TransportOptions: Sendable {
    /// A CA bundle file; nil: the system's store (the client settings resolve the environment).
    public var caBundle: String?
    /// A proxy URL; nil lets libcurl read `HTTPS_PROXY`/`https_proxy` and `NO_PROXY`.
    public var proxy: String?
    /// Turns off peer and host verification. For tests against self-made servers only.
    public var insecureSkipTLSVerification = false
    public var connectTimeoutMilliseconds = 5_000
    /// Used when a request does not set its own timeout.
    public var defaultTimeoutMilliseconds = 10_000
    /// Answers larger than this are refused (a protocol error): the API's answers are small.
    public var maxResponseBytes = 8 * 1024 * 1024
    public var userAgent = UserAgent.base

    public init() {}
}

public enum UserAgent {
    /// "slbcert/VERSION (OS; ARCH)".
    public static let base: String = {
        var system = utsname()
        uname(&system)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return "slbcert/\(SLBCertVersion.string) (\(field(system.sysname)); \(field(system.machine)))"
    }()

    /// The base plus a caller's suffix, which must not be able to end the header line.
    public static func string(suffix: String?) throws(SLBCertError) -> String {
        guard let suffix, !suffix.isEmpty else { return base }
        guard HTTPHeader.isSafeValue(suffix), suffix.utf8.count <= 256 else {
            var error = SLBCertError(.invalidArgument, "The user agent suffix must be at most 256 bytes without control characters (CR, LF, ...).")
            error.reason = .invalidSetting
            error.argument = "userAgentSuffix"
            throw error
        }
        return base + " " + suffix
    }
}

/// HTTP(S) over libcurl. Easy handles are pooled: a call takes an idle handle (or makes one) and gives
/// it back, so each thread that calls keeps one live connection that later calls reuse.
public final class CurlTransport: HTTPTransport, @unchecked Sendable {
    public let options: TransportOptions
    /// Idle easy handles; each keeps its connection cache.
    private let idleHandles = Mutex<[CurlHandle]>([])

    public init(options: TransportOptions = TransportOptions()) {
        _ = CurlGlobal.initialized
        self.options = options
    }

    deinit {
        idleHandles.withLock { handles in
            for handle in handles { curl_easy_cleanup(handle.pointer) }
        }
    }

    public func send(_ request: HTTPRequest) throws(SLBCertError) -> HTTPResponse {
        // Whatever reaches a header line must not be able to end it and start another.
        guard request.headers.allSatisfy({ HTTPHeader.isSafeName($0.name) && HTTPHeader.isSafeValue($0.value) }),
              HTTPHeader.isSafeValue(options.userAgent), HTTPHeader.isSafeValue(request.url) else {
            throw SLBCertError(.invalidArgument, "A request header or the URL holds a control character; nothing was sent.")
        }
        let handle = try takeHandle()
        defer { idleHandles.withLock { $0.append(handle) } }
        return try perform(request, on: handle)
    }

    private func takeHandle() throws(SLBCertError) -> CurlHandle {
        if let handle = idleHandles.withLock({ $0.popLast() }) { return handle }
        guard CurlGlobal.initialized else {
            throw SLBCertError(.outOfMemory, "libcurl could not be initialised (curl_global_init failed).")
        }
        guard let pointer = curl_easy_init() else { throw SLBCertError(.outOfMemory, "libcurl could not allocate a handle (curl_easy_init failed).") }
        return CurlHandle(pointer: pointer)
    }

    private func perform(_ request: HTTPRequest, on pooled: CurlHandle) throws(SLBCertError) -> HTTPResponse {
        let handle = pooled.pointer
        // Reset clears the options but keeps the connection cache, so the next call reuses the connection.
        curl_easy_reset(handle)
        let sink = ResponseSink(limit: options.maxResponseBytes, body: pooled.takeSpareBody())
        var status = 0
        defer { pooled.keepSpareBody(sink.body, wipeBeforeUse: !(200..<300).contains(status)) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        // "Expect:" stops curl from waiting for 100-continue before large bodies.
        for header in request.headers + [HTTPHeader("Expect", "")] {
            headerList = curl_slist_append(headerList, header.value.isEmpty ? "\(header.name):" : "\(header.name): \(header.value)")
        }
        let timeout = request.timeoutMilliseconds > 0 ? request.timeoutMilliseconds : options.defaultTimeoutMilliseconds
        let code: CURLcode = withExtendedLifetime(sink) {
            errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
                request.body.withUnsafeBufferPointer { body in
                    let opaqueSink = Unmanaged.passUnretained(sink).toOpaque()
                    _ = slbcert_curl_setopt_string(handle, CURLOPT_URL, request.url)
                    _ = slbcert_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                    _ = slbcert_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
                    _ = slbcert_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
                    _ = slbcert_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, options.connectTimeoutMilliseconds)
                    _ = slbcert_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeout)
                    _ = slbcert_curl_setopt_string(handle, CURLOPT_USERAGENT, options.userAgent)
                    _ = slbcert_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
                    _ = slbcert_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
                    _ = slbcert_curl_setopt_write_function(handle, CURLOPT_WRITEFUNCTION, ResponseSink.bodyCallback)
                    _ = slbcert_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, opaqueSink)
                    _ = slbcert_curl_setopt_write_function(handle, CURLOPT_HEADERFUNCTION, ResponseSink.headerCallback)
                    _ = slbcert_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, opaqueSink)
                    if let caBundle = options.caBundle { _ = slbcert_curl_setopt_string(handle, CURLOPT_CAINFO, caBundle) }
                    if let proxy = options.proxy { _ = slbcert_curl_setopt_string(handle, CURLOPT_PROXY, proxy) }
                    if options.insecureSkipTLSVerification {
                        _ = slbcert_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
                        _ = slbcert_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
                    }
                    switch request.method {
                    case "GET":
                        _ = slbcert_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
                    default:
                        if request.method != "POST" { _ = slbcert_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method) }
                        // POSTFIELDS points at our buffer (no copy); it lives until perform returns.
                        let emptyBody: StaticString = ""
                        let pointer = body.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) }
                            ?? UnsafeMutableRawPointer(mutating: emptyBody.utf8Start)
                        _ = slbcert_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, pointer)
                        _ = slbcert_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                    }
                    return curl_easy_perform(handle)
                }
            }
        }
        guard code == CURLE_OK else {
            let detail = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw Self.error(for: code, detail: detail, sink: sink, limit: options.maxResponseBytes)
        }
        _ = slbcert_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }

    /// Sorts libcurl's failures into the kinds callers act on differently.
    static func error(for code: CURLcode, detail: String, sink: ResponseSink, limit: Int) -> SLBCertError {
        let curlText = String(cString: curl_easy_strerror(code))
        // libcurl's detail can quote what it was given (a URL): external text, redacted where it enters.
        let message = detail.isEmpty ? curlText : Redactor.redact(detail)
        var error: SLBCertError
        switch code {
        case CURLE_WRITE_ERROR where sink.overflowed:
            error = SLBCertError(.protocol, "The answer is larger than \(limit) bytes; refusing to read it.")
        case CURLE_OPERATION_TIMEDOUT:
            error = SLBCertError(.timeout, "The request timed out: \(message)",
                                 hint: "Raise the timeout, or check the network path to the endpoint.")
            error.reason = .timedOut
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE,
             CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_SHUTDOWN_FAILED:
            error = SLBCertError(.tls, "TLS failed: \(message)",
                                 hint: "Check the CA bundle (SLBCERT_CA_BUNDLE, ALIBABA_CLOUD_CA_BUNDLE, or the system's) and the endpoint's host name.")
            error.reason = .tlsFailed
        default:
            error = SLBCertError(.network, "The connection failed: \(message)",
                                 hint: "Check the endpoint URL, DNS, proxy settings (HTTPS_PROXY, NO_PROXY) and the network.")
            error.reason = .connectionFailed
        }
        error.transportCode = Int(code.rawValue)
        error.transportMessage = curlText
        return error
    }
}

/// An easy handle; only ever used by one thread at a time (it is out of the pool while in use).
/// It keeps the storage of its last answer's body for the next one: allocating and freeing a buffer
/// the size of a describe answer each time made the heap give its pages back and fault them in again.
final class CurlHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    private var spareBody: [UInt8] = []
    private var spareNeedsWipe = false
    /// Larger buffers are not kept.
    static let spareLimit = 1 << 20

    init(pointer: UnsafeMutableRawPointer) { self.pointer = pointer }

    /// An empty buffer, with the last answer's storage when nobody holds that answer any more.
    func takeSpareBody() -> [UInt8] {
        var body: [UInt8] = []
        swap(&body, &spareBody)
        // An error answer can quote what was signed: its bytes do not stay behind in a reused buffer.
        if spareNeedsWipe { wipe(&body) }
        body.removeAll(keepingCapacity: true)
        return body
    }

    /// Keeps `body`'s storage (shared with the answer until the caller lets the answer go).
    func keepSpareBody(_ body: [UInt8], wipeBeforeUse: Bool) {
        spareBody = body.capacity <= Self.spareLimit ? body : []
        spareNeedsWipe = wipeBeforeUse
    }
}

/// Collects an answer's body and headers; refuses bodies over the limit.
final class ResponseSink {
    let limit: Int
    var body: [UInt8]
    var headers: [HTTPHeader] = []
    var overflowed = false

    init(limit: Int, body: [UInt8] = []) {
        self.limit = limit
        self.body = body
    }

    static let bodyCallback: slbcert_curl_write_fn = { data, size, count, userdata in
        guard let data, let userdata else { return 0 }
        let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
        let length = size * count
        if sink.body.count + length > sink.limit {
            sink.overflowed = true
            return 0
        }
        data.withMemoryRebound(to: UInt8.self, capacity: length) {
            sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
        }
        return length
    }

    static let headerCallback: slbcert_curl_write_fn = { data, size, count, userdata in
        guard let data, let userdata else { return 0 }
        let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
        let length = size * count
        data.withMemoryRebound(to: UInt8.self, capacity: length) { start in
            let line = UnsafeBufferPointer(start: start, count: length)
            if line.starts(with: "HTTP/".utf8) {
                sink.headers.removeAll()  // a new response (after a 1xx): keep only the final one's headers
            } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                // Trim on bytes, then make the Strings: Character-based trimming cost ~9k instructions a line.
                let isBlank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0d || byte == 0x0a }
                var valueStart = colon + 1, valueEnd = length
                while valueStart < valueEnd, isBlank(line[valueStart]) { valueStart += 1 }
                while valueEnd > valueStart, isBlank(line[valueEnd - 1]) { valueEnd -= 1 }
                let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
                let value = String(decoding: line[valueStart..<valueEnd], as: UTF8.self)
                // The body arrives in pieces: room for all of it at once (never more than the limit) instead of regrowing.
                if name == "content-length", let length = Int(value), length > 0 {
                    sink.body.reserveCapacity(min(length, sink.limit))
                }
                sink.headers.append(HTTPHeader(name, value))
            }
        }
        return length
    }
}

/// libcurl's global init must run once, before any other thread uses curl.
enum CurlGlobal {
    static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
}
