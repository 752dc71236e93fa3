/// A request as the transport sends it. Bodies are bytes so that callers can wipe them.
public struct HTTPRequest: Sendable {
    public var method: String
    /// A complete URL: scheme, host, optional port, path and query.
    public var url: String
    /// Header names as they are to be sent; order is kept.
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// The whole request, connect included, in milliseconds; 0 uses the transport's default.
    public var timeoutMilliseconds: Int

    public init(method: String, url: String, headers: [HTTPHeader] = [], body: [UInt8] = [], timeoutMilliseconds: Int = 0) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// No control character (CR and LF above all) and no DEL: such a value could end the header line.
    static func isSafeValue(_ text: String) -> Bool {
        // Over the contiguous bytes where there are some: the generic UTF8View walk cost more than the rest of a send.
        let isUnsafe = { (byte: UInt8) in (byte < 0x20 && byte != 0x09) || byte == 0x7f }
        return text.utf8.withContiguousStorageIfAvailable { !$0.contains(where: isUnsafe) } ?? !text.utf8.contains(where: isUnsafe)
    }

    /// An RFC 9110 token: visible ASCII without separators.
    static func isSafeName(_ text: String) -> Bool {
        let isTokenByte = { (byte: UInt8) in
            byte > 0x20 && byte < 0x7f && !"\"(),/:;<=>?@[\\]{}".utf8.contains(byte)
        }
        return !text.isEmpty && (text.utf8.withContiguousStorageIfAvailable { $0.allSatisfy(isTokenByte) } ?? text.utf8.allSatisfy(isTokenByte))
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }
}

/// Sends one HTTP request and returns the answer, whatever its status. Transport failures (DNS,
/// connect, TLS, timeout, a broken connection) throw `SLBCertError` of kind network, tls or timeout.
/// Implementations are safe to call from several threads at once.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) throws(SLBCertError) -> HTTPResponse
}
