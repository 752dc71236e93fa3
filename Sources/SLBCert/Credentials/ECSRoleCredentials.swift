import Synchronization

/// How to reach the ECS instance metadata service (docs/protocol.md section 7).
public struct ECSMetadataOptions: Sendable {
    public static let defaultEndpoint = "http://100.100.100.200"

    /// The HTTP client; nil leaves the instance role out (nothing can be asked).
    public var transport: (any HTTPTransport)?
    /// Scheme, host and optional port; tests point it at a loopback server.
    public var endpoint: String
    /// Refuse the token-less IMDSv1 fallback (ALIBABA_CLOUD_IMDSV1_DISABLED=true).
    public var disableIMDSv1: Bool
    /// Refresh this long before `Expiration`.
    public var refreshMarginMilliseconds: Int64
    /// Per request to the metadata service.
    public var timeoutMilliseconds: Int

    public init(transport: (any HTTPTransport)?, endpoint: String = ECSMetadataOptions.defaultEndpoint,
                disableIMDSv1: Bool = false, refreshMarginMilliseconds: Int64 = 15 * 60 * 1000,
                timeoutMilliseconds: Int = 3_000) {
        self.transport = transport
        self.endpoint = endpoint
        self.disableIMDSv1 = disableIMDSv1
        self.refreshMarginMilliseconds = refreshMarginMilliseconds
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

/// The ECS instance role: STS credentials from the metadata service, cached and refreshed before they
/// expire. One fetch at a time (the lock is held while fetching), so threads never stampede the service.
public final class ECSRoleCredentialsProvider: CredentialsProvider {
    static let tokenTTLSeconds = "21600"
    static let credentialsPath = "/latest/meta-data/ram/security-credentials/"

    private struct State {
        var roleName: String?
        var cached: Credentials?
    }

    private let options: ECSMetadataOptions
    private let transport: any HTTPTransport
    private let clock: @Sendable () -> Int64
    private let state: Mutex<State>

    /// - Parameter roleName: the role; nil or empty asks the metadata service which role the instance has.
    public init(roleName: String?, options: ECSMetadataOptions, transport: any HTTPTransport,
                clock: (@Sendable () -> Int64)? = nil) {
        self.options = options
        self.transport = transport
        self.clock = clock ?? { UTCTime.nowMilliseconds() }
        state = Mutex(State(roleName: roleName.flatMap { $0.isEmpty ? nil : $0 }))
    }

    public var sourceName: String {
        "ecs_ram_role:" + (state.withLock { $0.roleName } ?? "")
    }

    public func credentials() throws(SLBCertError) -> Credentials {
        try state.withLock { (state: inout State) throws(SLBCertError) -> Credentials in
            let now = clock()
            if let cached = state.cached, let expiration = cached.expiration,
               now < expiration - options.refreshMarginMilliseconds {
                return cached
            }
            do throws(SLBCertError) {
                let fresh = try fetch(&state)
                state.cached = fresh
                return fresh
            } catch {
                // A failed early refresh keeps using credentials that still work.
                if let cached = state.cached, let expiration = cached.expiration, now < expiration { return cached }
                throw error
            }
        }
    }

    private func fetch(_ state: inout State) throws(SLBCertError) -> Credentials {
        var headers: [HTTPHeader] = []
        if let token = try sessionToken() { headers.append(HTTPHeader("X-aliyun-ecs-metadata-token", token)) }
        let roleName: String
        if let known = state.roleName {
            roleName = known
        } else {
            let listing = try get(Self.credentialsPath, headers: headers, what: "the role name")
            let names = String(decoding: listing, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map(\.trimmedWhitespace).filter { !$0.isEmpty }
            guard let first = names.first else {
                throw SLBCertError(.credentials, "ecs_ram_role: the instance has no RAM role attached",
                                   hint: "attach a RAM role to the instance, or configure another credential source")
            }
            roleName = first
            state.roleName = first
        }
        let encodedRole = PercentEncoding.encode(roleName)
        var body = try get(Self.credentialsPath + encodedRole, headers: headers, what: "credentials of role \(roleName)")
        defer { wipe(&body) }
        return try Self.parseCredentials(body, roleName: roleName)
    }

    /// IMDSv2 session token; nil means "use v1" (only when v1 is allowed).
    private func sessionToken() throws(SLBCertError) -> String? {
        let request = HTTPRequest(method: "PUT", url: options.endpoint + "/latest/api/token",
                                  headers: [HTTPHeader("X-aliyun-ecs-metadata-token-ttl-seconds", Self.tokenTTLSeconds)],
                                  timeoutMilliseconds: options.timeoutMilliseconds)
        var failure: String
        do {
            let response = try transport.send(request)
            let token = String(decoding: response.body, as: UTF8.self).trimmedWhitespace
            if response.status == 200, !token.isEmpty { return token }
            failure = "HTTP \(response.status)"
        } catch {
            failure = error.message
        }
        if options.disableIMDSv1 {
            throw SLBCertError(.credentials, "ecs_ram_role: no metadata token from \(options.endpoint) (\(failure)) "
                               + "and IMDSv1 is disabled")
        }
        return nil
    }

    private func get(_ path: String, headers: [HTTPHeader], what: String) throws(SLBCertError) -> [UInt8] {
        let request = HTTPRequest(method: "GET", url: options.endpoint + path, headers: headers,
                                  timeoutMilliseconds: options.timeoutMilliseconds)
        let response: HTTPResponse
        do {
            response = try transport.send(request)
        } catch {
            var wrapped = SLBCertError(.credentials, "ecs_ram_role: cannot reach the metadata service at "
                                       + "\(options.endpoint) for \(what): \(error.message)")
            wrapped.transportCode = error.transportCode
            throw wrapped
        }
        guard response.status == 200 else {
            var wrapped = SLBCertError(.credentials, "ecs_ram_role: the metadata service answered HTTP "
                                       + "\(response.status) for \(what)")
            wrapped.httpStatus = response.status
            throw wrapped
        }
        return response.body
    }

    static func parseCredentials(_ body: [UInt8], roleName: String) throws(SLBCertError) -> Credentials {
        let source = "ecs_ram_role:\(roleName)"
        guard let fields = JSON.parse(body), case .object = fields else {
            throw SLBCertError(.credentials, "\(source): the metadata service's answer is not JSON")
        }
        guard fields["Code"]?.string == "Success" else {
            throw SLBCertError(.credentials, "\(source): the metadata service answered Code \(fields["Code"]?.string ?? "(none)")")
        }
        guard let id = fields["AccessKeyId"]?.string, !id.isEmpty, let secret = fields["AccessKeySecret"]?.string, !secret.isEmpty,
              let token = fields["SecurityToken"]?.string, !token.isEmpty else {
            throw SLBCertError(.credentials, "\(source): the answer lacks AccessKeyId, AccessKeySecret or SecurityToken")
        }
        guard let expirationText = fields["Expiration"]?.string, let expiration = UTCTime.parse(expirationText) else {
            throw SLBCertError(.credentials, "\(source): the answer has no valid Expiration")
        }
        return Credentials(accessKeyId: id, accessKeySecret: secret, securityToken: token, expiration: expiration)
    }
}
