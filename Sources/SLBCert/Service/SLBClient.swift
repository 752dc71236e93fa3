/// How a client is set up. Defaults follow the spec: V1 signing, parameters in a form body, connect
/// timeout 5 s, 10 s per describe/rename/delete, 30 s per upload, 3 attempts within 60 s.
public struct ClientConfiguration: Sendable {
    public var regionId: String
    /// A full URL ("https://127.0.0.1:8443"); nil derives the host from the region.
    public var endpoint: String?
    public var credentials: any CredentialsProvider
    public var signatureVersion: SignatureVersion = .v1
    public var placement: ParameterPlacement = .body
    public var transport = TransportOptions()
    public var requestTimeoutMilliseconds = 10_000
    public var uploadTimeoutMilliseconds = 30_000
    public var retry = RetryPolicy()
    public var logger: Logger?

    public init(regionId: String, endpoint: String? = nil, credentials: any CredentialsProvider) {
        self.regionId = regionId
        self.endpoint = endpoint
        self.credentials = credentials
    }
}

/// What to upload besides the PEMs.
public struct UploadOptions: Sendable {
    public var name: String?
    public var resourceGroupId: String?
    public var tags: [ServerCertificate.Tag] = []
    /// Look for the fingerprint before uploading and after an ambiguous failure (the default).
    public var ensure = true
    /// Send the PEMs as given instead of the normalised form CLB accepts.
    public var sendAsIs = false

    public init(name: String? = nil, resourceGroupId: String? = nil, tags: [ServerCertificate.Tag] = [], ensure: Bool = true) {
        self.name = name
        self.resourceGroupId = resourceGroupId
        self.tags = tags
        self.ensure = ensure
    }
}

/// Filters for describe.
public struct DescribeFilter: Sendable {
    public var serverCertificateId: String?
    public var resourceGroupId: String?
    public var tags: [ServerCertificate.Tag] = []
    public init(serverCertificateId: String? = nil, resourceGroupId: String? = nil, tags: [ServerCertificate.Tag] = []) {
        self.serverCertificateId = serverCertificateId
        self.resourceGroupId = resourceGroupId
        self.tags = tags
    }
}

/// The SLB certificate API of one region. Immutable and thread-safe: share one client between threads;
/// each thread's calls reuse that thread's connection.
public final class SLBClient: Sendable {
    public static let apiVersion = "2014-05-15"
    public let configuration: ClientConfiguration
    /// "https://host[:port]".
    public let baseURL: String
    /// The host as signed.
    public let host: String
    private let transport: any HTTPTransport

    public init(configuration: ClientConfiguration, transport: (any HTTPTransport)? = nil) throws(SLBCertError) {
        try Endpoints.checkRegion(configuration.regionId)
        if let endpoint = configuration.endpoint {
            (baseURL, host) = try Endpoints.parse(endpoint)
        } else {
            host = Endpoints.host(forRegion: configuration.regionId)
            baseURL = "https://" + host
        }
        guard configuration.retry.maxAttempts >= 1, configuration.retry.deadlineMilliseconds > 0,
              configuration.requestTimeoutMilliseconds > 0, configuration.uploadTimeoutMilliseconds > 0,
              configuration.transport.connectTimeoutMilliseconds > 0 else {
            throw SLBCertError(.invalidArgument, "Timeouts, the deadline and the attempt count must be positive.")
        }
        self.configuration = configuration
        self.transport = transport ?? CurlTransport(options: configuration.transport)
    }

    // MARK: Operations

    /// Uploads a checked bundle. Any error finding stops it before anything is sent. With `ensure` (the
    /// default) an existing certificate with the same fingerprint is returned instead, and an ambiguous
    /// failure is followed by a look for the fingerprint before another attempt, so one call never
    /// leaves two certificates with the same fingerprint.
    public func upload(_ bundle: CertificateBundle, options: UploadOptions = UploadOptions()) throws(SLBCertError) -> UploadResult {
        if bundle.hasErrors {
            var error = SLBCertError(.validation, "The certificate bundle has errors; nothing was sent: \(bundle.errors.map(\.description).joined(separator: " "))",
                                     hint: "Fix what the findings say (slbcert inspect shows them).")
            error.findings = bundle.errors
            throw error
        }
        guard let leaf = bundle.leaf, let chainPEM = options.sendAsIs ? bundle.givenCertificatePEM : bundle.normalizedCertificatePEM,
              let key = options.sendAsIs ? bundle.givenPrivateKey : bundle.normalizedPrivateKeyPEM else {
            throw Self.missingKeyError
        }
        var parameters = try commonUploadParameters(options)
        parameters.append(("ServerCertificate", chainPEM))
        // The key becomes a String only here, for the signer; the request body holding it is wiped after sending.
        parameters.append(("PrivateKey", key.unsafeString()))
        return try upload(parameters: parameters, fingerprint: leaf.fingerprint, options: options)
    }

    /// Uploads a reference to a certificate held by Alibaba Cloud Certificate Management Service.
    public func uploadCAS(certificateId: String, certificateName: String? = nil, certificateRegionId: String? = nil,
                          options: UploadOptions = UploadOptions()) throws(SLBCertError) -> UploadResult {
        guard !certificateId.isEmpty else { throw SLBCertError(.invalidArgument, "The CAS certificate id is empty.") }
        var parameters = try commonUploadParameters(options)
        parameters.append(("AliCloudCertificateId", certificateId))
        if let certificateName, !certificateName.isEmpty { parameters.append(("AliCloudCertificateName", certificateName)) }
        if let certificateRegionId, !certificateRegionId.isEmpty { parameters.append(("AliCloudCertificateRegionId", certificateRegionId)) }
        var casOptions = options
        casOptions.ensure = false  // no local fingerprint to look for
        return try upload(parameters: parameters, fingerprint: nil, options: casOptions)
    }

    public func describe(_ filter: DescribeFilter = DescribeFilter()) throws(SLBCertError) -> (certificates: [ServerCertificate], requestId: String) {
        var parameters: [(String, String)] = [("RegionId", configuration.regionId)]
        if let id = filter.serverCertificateId, !id.isEmpty { parameters.append(("ServerCertificateId", id)) }
        if let group = filter.resourceGroupId, !group.isEmpty { parameters.append(("ResourceGroupId", group)) }
        parameters += try Validation.tagParameters(filter.tags, requireValue: false)
        let answer = try call("DescribeServerCertificates", parameters, timeout: configuration.requestTimeoutMilliseconds)
        let requestId = answer["RequestId"]?.string ?? ""
        let items = ServerCertificate.list(answer["ServerCertificates"], "ServerCertificate")
        return (items.map { ServerCertificate(json: $0, requestId: requestId) }, requestId)
    }

    /// Renames a certificate; returns the RequestId.
    @discardableResult
    public func rename(serverCertificateId: String, to name: String) throws(SLBCertError) -> String {
        try Validation.checkId(serverCertificateId)
        try Validation.checkName(name)
        let answer = try call("SetServerCertificateName", [("RegionId", configuration.regionId), ("ServerCertificateId", serverCertificateId),
                                                           ("ServerCertificateName", name)], timeout: configuration.requestTimeoutMilliseconds)
        return answer["RequestId"]?.string ?? ""
    }

    /// Deletes a certificate; returns the RequestId.
    @discardableResult
    public func delete(serverCertificateId: String) throws(SLBCertError) -> String {
        try Validation.checkId(serverCertificateId)
        let answer = try call("DeleteServerCertificate", [("RegionId", configuration.regionId), ("ServerCertificateId", serverCertificateId)],
                              timeout: configuration.requestTimeoutMilliseconds)
        return answer["RequestId"]?.string ?? ""
    }

    /// The request an upload would send, signed, without sending it (for --dry-run). Pass it through
    /// `Redactor` before showing it.
    public func signedUploadRequest(_ bundle: CertificateBundle, options: UploadOptions = UploadOptions()) throws(SLBCertError) -> SignedRequest {
        guard let chain = bundle.normalizedCertificatePEM, let key = bundle.normalizedPrivateKeyPEM else {
            throw Self.missingKeyError
        }
        var parameters = try commonUploadParameters(options)
        parameters += [("ServerCertificate", options.sendAsIs ? bundle.givenCertificatePEM : chain),
                       ("PrivateKey", (options.sendAsIs ? bundle.givenPrivateKey ?? key : key).unsafeString())]
        return try sign("UploadServerCertificate", parameters)
    }

    // MARK: Upload flow

    /// A bundle parsed without its key cannot be uploaded; say so with the finding code callers match on.
    private static var missingKeyError: SLBCertError {
        let finding = Finding(.error, .noPrivateKey, "An upload needs the certificate's private key; none was given.")
        var error = SLBCertError(.validation, finding.message, hint: "Pass the key (--key, or the key buffer of slbcert_bundle_parse).")
        error.findings = [finding]
        return error
    }

    private func commonUploadParameters(_ options: UploadOptions) throws(SLBCertError) -> [(String, String)] {
        var parameters: [(String, String)] = [("RegionId", configuration.regionId)]
        if let name = options.name {
            try Validation.checkName(name)
            parameters.append(("ServerCertificateName", name))
        }
        if let group = options.resourceGroupId, !group.isEmpty { parameters.append(("ResourceGroupId", group)) }
        parameters += try Validation.tagParameters(options.tags, requireValue: true)
        return parameters
    }

    private func upload(parameters: [(String, String)], fingerprint: String?, options: UploadOptions) throws(SLBCertError) -> UploadResult {
        var regionCertificates: [ServerCertificate] = []
        if options.ensure, let fingerprint {
            regionCertificates = try describe().certificates
            if let existing = regionCertificates.first(where: { $0.fingerprint == fingerprint }) {
                configuration.logger?.log(.info, "UploadServerCertificate skipped: \(existing.serverCertificateId) has fingerprint \(fingerprint)")
                return UploadResult(certificate: existing, uploaded: false, regionCertificates: regionCertificates, attempts: 0)
            }
        }
        var attempts = 0
        let outcome = try call("UploadServerCertificate", parameters, timeout: configuration.uploadTimeoutMilliseconds,
                               attempts: &attempts) { (error: SLBCertError) throws(SLBCertError) -> ServerCertificate? in
            guard ServiceAnswer.isAmbiguous(error) else { return nil }
            // The answer was lost or the server failed mid-way: the certificate may be stored already.
            guard options.ensure, let fingerprint else { throw error }  // without ensure a retry could duplicate it
            let found = try self.describe().certificates
            regionCertificates = found
            return found.first { $0.fingerprint == fingerprint }
        }
        var certificate: ServerCertificate
        if let existing = outcome.found {
            certificate = existing
        } else {
            let answer = outcome.answer ?? .object([])
            certificate = ServerCertificate(json: answer, requestId: answer["RequestId"]?.string ?? "")
            if certificate.regionId.isEmpty { certificate.regionId = configuration.regionId }
            if certificate.tags.isEmpty { certificate.tags = options.tags }
        }
        if options.ensure, !regionCertificates.contains(where: { $0.serverCertificateId == certificate.serverCertificateId }) {
            regionCertificates.append(certificate)
        }
        return UploadResult(certificate: certificate, uploaded: true, regionCertificates: regionCertificates, attempts: attempts)
    }

    // MARK: Calls, retries, logging

    /// How a call ended: the service's answer, or (after an ambiguous failure) the certificate found
    /// stored. A struct rather than a two-payload enum: valgrind flags the enum's generated copies.
    private struct Outcome {
        var answer: JSON?
        var found: ServerCertificate?
    }

    private func sign(_ action: String, _ parameters: [(String, String)]) throws(SLBCertError) -> SignedRequest {
        let credentials = try configuration.credentials.credentials()
        let options = SigningOptions(signatureVersion: configuration.signatureVersion, placement: configuration.placement)
        return try RequestSigner.sign(RPCRequest(action: action, apiVersion: Self.apiVersion, host: host, parameters: parameters),
                                      credentials: credentials, options: options)
    }

    private func call(_ action: String, _ parameters: [(String, String)], timeout: Int) throws(SLBCertError) -> JSON {
        var attempts = 0
        let outcome = try call(action, parameters, timeout: timeout, attempts: &attempts,
                               beforeRetry: { (_: SLBCertError) throws(SLBCertError) -> ServerCertificate? in nil })
        guard let answer = outcome.answer else { throw SLBCertError(.internal, "Unexpected outcome for \(action).") }
        return answer
    }

    /// Sends one call with retries. Every attempt is signed afresh (new nonce and timestamp).
    /// `beforeRetry` sees each retryable failure first: it may end the call with a found certificate, or
    /// throw to stop retrying.
    private func call(_ action: String, _ parameters: [(String, String)], timeout: Int, attempts: inout Int,
                      beforeRetry: (SLBCertError) throws(SLBCertError) -> ServerCertificate?) throws(SLBCertError) -> Outcome {
        let policy = configuration.retry
        let deadline = UTCTime.nowMilliseconds() + Int64(policy.deadlineMilliseconds)
        while true {
            attempts += 1
            let remaining = Int(deadline - UTCTime.nowMilliseconds())
            let started = UTCTime.nowMilliseconds()
            var request = try sign(action, parameters).httpRequest(baseURL: baseURL, timeoutMilliseconds: max(1, min(timeout, remaining)))
            // V3 has no Format parameter: like the official SDK, ask for JSON with an (unsigned) Accept header.
            request.headers.append(HTTPHeader("Accept", "application/json"))
            let result: Result<HTTPResponse, SLBCertError>
            do { result = .success(try transport.send(request)) } catch { result = .failure(error) }
            wipe(&request.body)
            let error: SLBCertError
            switch result {
            case .success(let response):
                do {
                    let answer = try ServiceAnswer.decode(response)
                    logAttempt(action, attempts, response.status, code: "", requestId: answer["RequestId"]?.string ?? "", started: started)
                    return Outcome(answer: answer)
                } catch let failure {
                    error = failure
                }
            case .failure(let failure):
                error = failure
            }
            logAttempt(action, attempts, error.httpStatus, code: error.serviceCode.isEmpty ? error.kind.rawValue : error.serviceCode,
                       requestId: error.requestId, started: started)
            guard ServiceAnswer.isRetryable(error), attempts < policy.maxAttempts else { throw error }
            if let found = try beforeRetry(error) {
                configuration.logger?.log(.info, "\(action): the certificate was stored before the failure: \(found.serverCertificateId)")
                return Outcome(found: found)
            }
            let wait = policy.delay(afterAttempt: attempts, retryAfterMilliseconds: error.retryAfterMilliseconds)
            guard UTCTime.nowMilliseconds() + Int64(wait) < deadline else { throw error }
            configuration.logger?.log(.debug, "\(action): retrying in \(wait) ms after \(error.serviceCode.isEmpty ? error.kind.rawValue : error.serviceCode)")
            RetryPolicy.sleep(milliseconds: wait)
        }
    }

    private func logAttempt(_ action: String, _ attempt: Int, _ status: Int, code: String, requestId: String, started: Int64) {
        configuration.logger?.log(.info, "action=\(action) endpoint=\(baseURL) attempt=\(attempt) status=\(status) code=\(code.isEmpty ? "-" : code) request_id=\(requestId.isEmpty ? "-" : requestId) duration_ms=\(UTCTime.nowMilliseconds() - started)")
    }
}
