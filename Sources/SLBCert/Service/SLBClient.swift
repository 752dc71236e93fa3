/// What to upload besides the PEMs.
public struct UploadOptions: Sendable {
    /// ServerCertificateName; nil lets the service name it after the certificate's common name.
    public var name: String?
    public var resourceGroupId: String?
    public var tags: [ServerCertificate.Tag]
    /// Duplicate-safe (the default): reuse a stored copy, and never risk a second one (see `upload`).
    public var ensure: Bool
    /// Send the PEMs as given instead of the normalised form CLB accepts.
    public var sendAsIs: Bool

    public init(name: String? = nil, resourceGroupId: String? = nil, tags: [ServerCertificate.Tag] = [], ensure: Bool = true,
                sendAsIs: Bool = false) {
        self.name = name
        self.resourceGroupId = resourceGroupId
        self.tags = tags
        self.ensure = ensure
        self.sendAsIs = sendAsIs
    }
}

/// Filters for describe.
public struct DescribeFilter: Sendable {
    public var serverCertificateId: String?
    public var resourceGroupId: String?
    public var tags: [ServerCertificate.Tag]
    public init(serverCertificateId: String? = nil, resourceGroupId: String? = nil, tags: [ServerCertificate.Tag] = []) {
        self.serverCertificateId = serverCertificateId
        self.resourceGroupId = resourceGroupId
        self.tags = tags
    }
}

/// The SLB API of one region. Immutable and thread-safe: share one client between threads; each
/// thread's calls reuse that thread's connection.
public final class SLBClient: Sendable {
    public static let apiVersion = "2014-05-15"
    public let configuration: ClientConfiguration
    /// "https://host[:port]".
    public var baseURL: String { configuration.baseURL }
    /// The host as signed.
    public var host: String { configuration.host }
    let transport: any HTTPTransport

    /// Resolves `settings` (defaults, environment, region, credentials) and checks every value.
    public init(settings: ClientSettings = ClientSettings(), transport: (any HTTPTransport)? = nil) throws(SLBCertError) {
        configuration = try ClientConfiguration(settings)
        self.transport = transport ?? CurlTransport(options: configuration.transport)
        for warning in configuration.credentialWarnings { configuration.logger?.log(.warning, warning) }
    }

    // MARK: Operations

    /// Uploads a checked bundle; any error finding stops it before anything is sent.
    ///
    /// With `ensure` (the default) the upload is duplicate-safe: a stored copy is reused, an attempt
    /// whose answer was lost is waited for (never sent twice while it may still be stored), and
    /// concurrent callers converge on one copy. See `DuplicateSafeUpload` and the README.
    public func upload(_ bundle: CertificateBundle, options: UploadOptions = UploadOptions()) throws(SLBCertError) -> UploadResult {
        if bundle.hasErrors {
            var error = SLBCertError(.validation, "The certificate bundle has errors; nothing was sent: \(bundle.errors.map(\.description).joined(separator: " "))")
            error.findings = bundle.errors
            error.reason = .bundleHasErrors
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
        let deadline = Deadline(fromNow: configuration.retry.deadlineMilliseconds)
        if options.ensure {
            return try DuplicateSafeUpload(client: self, parameters: parameters, fingerprint: leaf.fingerprint,
                                           tags: options.tags, deadline: deadline).run()
        }
        return try uploadOnce(parameters, tags: options.tags, deadline: deadline)
    }

    /// Uploads a reference to a certificate held by Alibaba Cloud Certificate Management Service.
    /// There is no local fingerprint to look for, so this is never duplicate-safe.
    public func uploadCAS(certificateId: String, certificateName: String? = nil, certificateRegionId: String? = nil,
                          options: UploadOptions = UploadOptions()) throws(SLBCertError) -> UploadResult {
        guard !certificateId.isEmpty else { throw SLBCertError(.invalidArgument, "The CAS certificate id is empty.") }
        var parameters = try commonUploadParameters(options)
        parameters.append(("AliCloudCertificateId", certificateId))
        if let certificateName, !certificateName.isEmpty { parameters.append(("AliCloudCertificateName", certificateName)) }
        if let certificateRegionId, !certificateRegionId.isEmpty { parameters.append(("AliCloudCertificateRegionId", certificateRegionId)) }
        return try uploadOnce(parameters, tags: options.tags, deadline: Deadline(fromNow: configuration.retry.deadlineMilliseconds))
    }

    public func describe(_ filter: DescribeFilter = DescribeFilter()) throws(SLBCertError) -> (certificates: [ServerCertificate], requestId: String) {
        try describe(filter, deadline: Deadline(fromNow: configuration.retry.deadlineMilliseconds))
    }

    /// Renames a certificate; returns the RequestId.
    @discardableResult
    public func rename(serverCertificateId: String, to name: String) throws(SLBCertError) -> String {
        try Validation.checkId(serverCertificateId)
        try Validation.checkName(name)
        let answer = try call("SetServerCertificateName", [("RegionId", configuration.regionId), ("ServerCertificateId", serverCertificateId),
                                                           ("ServerCertificateName", name)],
                              timeout: configuration.requestTimeoutMilliseconds, deadline: Deadline(fromNow: configuration.retry.deadlineMilliseconds))
        return answer["RequestId"]?.string ?? ""
    }

    /// Deletes a certificate; returns the RequestId ("" when a retry found it already gone).
    @discardableResult
    public func delete(serverCertificateId: String) throws(SLBCertError) -> String {
        try Validation.checkId(serverCertificateId)
        return try delete(serverCertificateId: serverCertificateId, deadline: Deadline(fromNow: configuration.retry.deadlineMilliseconds))
    }

    /// The request an upload would send, signed, without sending it (for a dry run). Pass it through
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

    // MARK: Within one call's deadline

    func describe(_ filter: DescribeFilter, deadline: Deadline) throws(SLBCertError) -> (certificates: [ServerCertificate], requestId: String) {
        let parameters = try describeParameters(filter)
        var ambiguousFailures = 0
        return try call("DescribeServerCertificates", parameters, timeout: configuration.requestTimeoutMilliseconds, deadline: deadline,
                        ambiguousFailures: &ambiguousFailures, decode: Self.describeAnswer, requestId: { $0.requestId })
    }

    /// `describe` for the C API: the certificates as C strings in a table, read straight from the
    /// answer's bytes (or copied from the tree walk's result when the answer is not a plain success).
    package func describeTable(_ filter: DescribeFilter = DescribeFilter()) throws(SLBCertError) -> CertificateTable {
        let parameters = try describeParameters(filter)
        var ambiguousFailures = 0
        return try call("DescribeServerCertificates", parameters, timeout: configuration.requestTimeoutMilliseconds,
                        deadline: Deadline(fromNow: configuration.retry.deadlineMilliseconds), ambiguousFailures: &ambiguousFailures,
                        decode: Self.describeTableAnswer, requestId: { String(cString: $0.requestId) })
    }

    static func describeTableAnswer(_ response: HTTPResponse) throws(SLBCertError) -> CertificateTable {
        if (200..<300).contains(response.status) {
            var receiver = CertificateTableReceiver()
            let read = DescribeAnswer.decode(response.body, into: &receiver) != nil
            // A refused answer's partial table is freed all the same.
            let table = CertificateTable(receiver.builder)
            if read { return table }
        }
        let (certificates, requestId) = try describeAnswer(response)
        return CertificateTable(certificates, requestId: requestId)
    }

    /// A describe's certificates: read straight from the bytes when the answer is a plain success
    /// (`DescribeAnswer`), else through the JSON tree, which also words every error.
    static func describeAnswer(_ response: HTTPResponse) throws(SLBCertError) -> (certificates: [ServerCertificate], requestId: String) {
        if (200..<300).contains(response.status), let answer = DescribeAnswer.decode(response.body) { return answer }
        let answer = try ServiceAnswer.decode(response)
        let requestId = answer["RequestId"]?.string ?? ""
        let items = ServerCertificate.list(answer["ServerCertificates"], "ServerCertificate")
        return (items.map { ServerCertificate(json: $0, requestId: requestId) }, requestId)
    }

    private func describeParameters(_ filter: DescribeFilter) throws(SLBCertError) -> [(String, String)] {
        var parameters: [(String, String)] = [("RegionId", configuration.regionId)]
        if let id = filter.serverCertificateId, !id.isEmpty { parameters.append(("ServerCertificateId", id)) }
        if let group = filter.resourceGroupId, !group.isEmpty { parameters.append(("ResourceGroupId", group)) }
        parameters += try Validation.tagParameters(filter.tags, requireValue: false)
        return parameters
    }

    /// A retry of a delete whose answer was lost may find the certificate gone: that is success.
    func delete(serverCertificateId: String, deadline: Deadline) throws(SLBCertError) -> String {
        var ambiguousFailures = 0
        do {
            let answer = try call("DeleteServerCertificate", [("RegionId", configuration.regionId), ("ServerCertificateId", serverCertificateId)],
                                  timeout: configuration.requestTimeoutMilliseconds, deadline: deadline, ambiguousFailures: &ambiguousFailures)
            return answer["RequestId"]?.string ?? ""
        } catch where ambiguousFailures > 0 && error.serviceCode == "ServerCertificateId.NotFound" {
            return ""
        }
    }

    /// One upload request, retried only when the failure proves nothing was stored.
    private func uploadOnce(_ parameters: [(String, String)], tags: [ServerCertificate.Tag], deadline: Deadline) throws(SLBCertError) -> UploadResult {
        var ambiguousFailures = 0
        let certificate = try call("UploadServerCertificate", parameters, timeout: configuration.uploadTimeoutMilliseconds,
                                   deadline: deadline, ambiguousFailures: &ambiguousFailures, retryAmbiguous: false,
                                   decode: Self.uploadAnswer, requestId: { $0.requestId })
        return UploadResult(certificate: completed(certificate, tags: tags), outcome: .uploaded, attempts: ambiguousFailures + 1)
    }

    /// An upload answer's certificate: read straight from the bytes when the answer is a plain success
    /// (`DescribeAnswer.uploadedCertificate`), else through the JSON tree, which also words every error.
    static func uploadAnswer(_ response: HTTPResponse) throws(SLBCertError) -> ServerCertificate {
        if (200..<300).contains(response.status), let certificate = DescribeAnswer.uploadedCertificate(response.body) {
            return certificate
        }
        let answer = try ServiceAnswer.decode(response)
        return ServerCertificate(json: answer, requestId: answer["RequestId"]?.string ?? "")
    }

    /// The certificate an upload answer describes, completed with what the answer may leave out.
    func uploadedCertificate(_ answer: JSON, tags: [ServerCertificate.Tag]) -> ServerCertificate {
        completed(ServerCertificate(json: answer, requestId: answer["RequestId"]?.string ?? ""), tags: tags)
    }

    private func completed(_ certificate: ServerCertificate, tags: [ServerCertificate.Tag]) -> ServerCertificate {
        var certificate = certificate
        if certificate.regionId.isEmpty { certificate.regionId = configuration.regionId }
        if certificate.tags.isEmpty { certificate.tags = tags }
        return certificate
    }

    // MARK: Upload parameters

    /// A bundle parsed without its key cannot be uploaded; say so with the finding code callers match on.
    static var missingKeyError: SLBCertError {
        let finding = Finding(.error, .noPrivateKey, "An upload needs the certificate's private key; none was given.")
        var error = SLBCertError(.validation, finding.message)
        error.findings = [finding]
        error.reason = .missingPrivateKey
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

    // MARK: Calls, retries, logging

    func sign(_ action: String, _ parameters: [(String, String)]) throws(SLBCertError) -> SignedRequest {
        let credentials = try configuration.credentials.credentials()
        let options = SigningOptions(signatureVersion: configuration.signatureVersion, placement: configuration.placement)
        return try RequestSigner.sign(RPCRequest(action: action, apiVersion: Self.apiVersion, host: host, parameters: parameters),
                                      credentials: credentials, options: options)
    }

    func call(_ action: String, _ parameters: [(String, String)], timeout: Int, deadline: Deadline) throws(SLBCertError) -> JSON {
        var ambiguousFailures = 0
        return try call(action, parameters, timeout: timeout, deadline: deadline, ambiguousFailures: &ambiguousFailures)
    }

    /// Sends a call, retrying transient failures within the deadline. Every attempt is signed afresh
    /// (new nonce and timestamp). `ambiguousFailures` counts attempts whose outcome is unknown; with
    /// `retryAmbiguous` false such a failure ends the call (a retry could repeat what was done).
    func call(_ action: String, _ parameters: [(String, String)], timeout: Int, deadline: Deadline,
              ambiguousFailures: inout Int, retryAmbiguous: Bool = true) throws(SLBCertError) -> JSON {
        try call(action, parameters, timeout: timeout, deadline: deadline, ambiguousFailures: &ambiguousFailures,
                 retryAmbiguous: retryAmbiguous, decode: ServiceAnswer.decode, requestId: { $0["RequestId"]?.string ?? "" })
    }

    /// `call` with the answer decoded by `decode` (which throws the answer's error) instead of into a JSON tree.
    func call<Answer>(_ action: String, _ parameters: [(String, String)], timeout: Int, deadline: Deadline,
                      ambiguousFailures: inout Int, retryAmbiguous: Bool = true,
                      decode: (HTTPResponse) throws(SLBCertError) -> Answer,
                      requestId: (Answer) -> String) throws(SLBCertError) -> Answer {
        var attempt = 0
        while true {
            attempt += 1
            let error: SLBCertError
            switch send(action, parameters, timeout: timeout, deadline: deadline, attempt: attempt, decode: decode, requestId: requestId) {
            case .success(let answer): return answer
            case .failure(let failure): error = failure
            }
            if ServiceAnswer.isAmbiguous(error) {
                ambiguousFailures += 1
                guard retryAmbiguous else { throw error }
            }
            try waitBeforeRetry(action, after: error, attempt: attempt, deadline: deadline)
        }
    }

    /// One signed request and its decoded answer.
    func send(_ action: String, _ parameters: [(String, String)], timeout: Int, deadline: Deadline,
              attempt: Int) -> Result<JSON, SLBCertError> {
        send(action, parameters, timeout: timeout, deadline: deadline, attempt: attempt, decode: ServiceAnswer.decode,
             requestId: { $0["RequestId"]?.string ?? "" })
    }

    /// One signed request and its answer, decoded by `decode`.
    func send<Answer>(_ action: String, _ parameters: [(String, String)], timeout: Int, deadline: Deadline, attempt: Int,
                      decode: (HTTPResponse) throws(SLBCertError) -> Answer, requestId: (Answer) -> String) -> Result<Answer, SLBCertError> {
        let started = Deadline.now()
        let outcome: Result<Answer, SLBCertError>
        do throws(SLBCertError) {
            let remaining = deadline.remaining
            guard remaining > 0 else { throw deadlineError(action) }
            var request = try sign(action, parameters).httpRequest(baseURL: baseURL, timeoutMilliseconds: min(timeout, remaining))
            // V3 has no Format parameter: like the official SDK, ask for JSON with an (unsigned) Accept header.
            request.headers.append(HTTPHeader("Accept", "application/json"))
            defer { wipe(&request.body) }
            let response = try transport.send(request)
            let answer = try decode(response)
            logAttempt(action, attempt, response.status, code: "", requestId: requestId(answer), started: started)
            outcome = .success(answer)
        } catch {
            var error = error
            if error.reason == .urlTooLong {
                error.hint = configuration.placement == .query
                    ? "The request URL is too long for the gateway: send the parameters in the body (the default placement), not the query."
                    : "The request URL is too long for the gateway although the parameters travel in the body; check the endpoint URL and any proxy in between."
            }
            outcome = .failure(error)
            logAttempt(action, attempt, error.httpStatus, code: error.serviceCode.isEmpty ? error.kind.rawValue : error.serviceCode,
                       requestId: error.requestId, started: started)
        }
        return outcome
    }

    /// Throws `error` unless it is worth another attempt and the attempts and deadline allow one;
    /// otherwise sleeps the backoff (or the server's retry-after).
    func waitBeforeRetry(_ action: String, after error: SLBCertError, attempt: Int, deadline: Deadline) throws(SLBCertError) {
        let policy = configuration.retry
        guard ServiceAnswer.isRetryable(error), attempt < policy.maxAttempts else { throw error }
        let wait = policy.delay(afterAttempt: attempt, retryAfterMilliseconds: error.retryAfterMilliseconds)
        guard wait < deadline.remaining else { throw error }
        let cause = error.serviceCode.isEmpty ? error.kind.rawValue : error.serviceCode
        configuration.logger?.log(.warning, "retrying \(action) in \(Self.seconds(wait)) after \(cause), attempt \(attempt + 1) of \(policy.maxAttempts)")
        RetryPolicy.sleep(milliseconds: wait)
    }

    func deadlineError(_ action: String) -> SLBCertError {
        var error = SLBCertError(.timeout, "\(action) did not finish within the call's deadline of \(configuration.retry.deadlineMilliseconds) ms.")
        error.reason = .timedOut
        return error
    }

    private func logAttempt(_ action: String, _ attempt: Int, _ status: Int, code: String, requestId: String, started: Int64) {
        configuration.logger?.log(.info, "action=\(action) endpoint=\(baseURL) attempt=\(attempt) status=\(status) code=\(code.isEmpty ? "-" : code) request_id=\(requestId.isEmpty ? "-" : requestId) duration_ms=\(Deadline.now() - started)")
    }

    /// "0.2 s", "2 s": how a person reads a wait.
    static func seconds(_ milliseconds: Int) -> String {
        milliseconds >= 10_000 || milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s"
            : "\(milliseconds / 1000).\(milliseconds % 1000 / 100) s"
    }
}
