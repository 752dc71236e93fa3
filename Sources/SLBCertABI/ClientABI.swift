import CSLBCert
import SLBCert

/// What `slbcert_server_certificate *` points at: one certificate's fields as C strings.
final class ServerCertificateHandle {
    let certificate: ServerCertificate
    let id, name, fingerprint, commonName, createTime, expireTime, aliCloudId, aliCloudName: OwnedCString
    let regionId, regionIdAlias, resourceGroupId, requestId: OwnedCString
    let subjectAlternativeNames, tagKeys, tagValues: [OwnedCString]

    init(_ certificate: ServerCertificate) {
        self.certificate = certificate
        id = OwnedCString(certificate.serverCertificateId)
        name = OwnedCString(certificate.serverCertificateName)
        fingerprint = OwnedCString(certificate.fingerprint)
        commonName = OwnedCString(certificate.commonName)
        createTime = OwnedCString(certificate.createTime)
        expireTime = OwnedCString(certificate.expireTime)
        aliCloudId = OwnedCString(certificate.aliCloudCertificateId)
        aliCloudName = OwnedCString(certificate.aliCloudCertificateName)
        regionId = OwnedCString(certificate.regionId)
        regionIdAlias = OwnedCString(certificate.regionIdAlias)
        resourceGroupId = OwnedCString(certificate.resourceGroupId)
        requestId = OwnedCString(certificate.requestId)
        subjectAlternativeNames = certificate.subjectAlternativeNames.map { OwnedCString($0) }
        tagKeys = certificate.tags.map { OwnedCString($0.key) }
        tagValues = certificate.tags.map { OwnedCString($0.value) }
    }
}

/// What `slbcert_certificate_list *` points at.
final class CertificateListHandle {
    let items: [ServerCertificateHandle]
    let requestId: OwnedCString
    init(_ certificates: [ServerCertificate], requestId: String) {
        items = certificates.map(ServerCertificateHandle.init)
        self.requestId = OwnedCString(requestId)
    }
}

/// What `slbcert_upload_result *` points at.
final class UploadResultHandle {
    let result: UploadResult
    let certificate: ServerCertificateHandle
    let regionCertificates: CertificateListHandle
    init(_ result: UploadResult) {
        self.result = result
        certificate = ServerCertificateHandle(result.certificate)
        regionCertificates = CertificateListHandle(result.regionCertificates, requestId: result.certificate.requestId)
    }
}

/// What `slbcert_client *` points at. Keeps the credentials handle alive even if the caller frees it early.
final class ClientHandle: Sendable {
    let client: SLBClient
    let credentials: CredentialsHandle
    let endpoint: OwnedCString
    let region: OwnedCString
    init(client: SLBClient, credentials: CredentialsHandle) {
        self.client = client
        self.credentials = credentials
        endpoint = OwnedCString(client.baseURL)
        region = OwnedCString(client.configuration.regionId)
    }
}

/// A C log callback and its user data, called from whichever thread makes the call.
private struct CLogSink: @unchecked Sendable {
    let function: slbcert_log_fn
    let userData: UnsafeMutableRawPointer?
    func callAsFunction(_ level: LogLevel, _ line: String) {
        line.withCString { function(userData, Int32(level.rawValue), $0) }
    }
}

@c @implementation
public func slbcert_client_options_init(_ options: UnsafeMutablePointer<slbcert_client_options>?, _ version: UInt32) -> Int32 {
    withStatus { () throws(SLBCertError) in
        guard let options else { throw invalid("options is NULL.") }
        try checkVersion(version, current: SLBCERT_CLIENT_OPTIONS_VERSION, name: "slbcert_client_options")
        var fresh = slbcert_client_options()
        fresh.version = version
        options.pointee = fresh
    }
}

private func milliseconds(_ value: Int, default fallback: Int, name: String) throws(SLBCertError) -> Int {
    guard value >= 0 else { throw invalid("\(name) is negative.") }
    return value == 0 ? fallback : value
}

@c @implementation
public func slbcert_client_new(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ options: UnsafePointer<slbcert_client_options>?) -> Int32 {
    out?.pointee = nil
    return withStatus { () throws(SLBCertError) in
        guard let out else { throw invalid("out is NULL.") }
        guard let options = options?.pointee else { throw invalid("options is NULL; initialise one with SLBCERT_CLIENT_OPTIONS_INIT.") }
        try checkVersion(options.version, current: SLBCERT_CLIENT_OPTIONS_VERSION, name: "slbcert_client_options")
        let credentials: CredentialsHandle
        if let given = borrowHandle(options.credentials, as: CredentialsHandle.self) {
            credentials = given
        } else {
            credentials = CredentialsHandle(try ProcessCredentials.chain().resolve())
        }
        let environment = Environment.process
        guard let region = string(options.region_id) ?? environment["ALIBABA_CLOUD_REGION_ID"] ?? credentials.resolved.region else {
            throw invalid("No region: set region_id, ALIBABA_CLOUD_REGION_ID, or a profile's region_id.")
        }
        var configuration = ClientConfiguration(regionId: region, endpoint: string(options.endpoint), credentials: credentials.resolved.provider)
        configuration.signatureVersion = try signatureVersion(options.signature_version)
        configuration.placement = try placement(options.placement)
        configuration.transport.caBundle = string(options.ca_bundle)
        configuration.transport.proxy = string(options.proxy)
        configuration.transport.insecureSkipTLSVerification = options.insecure_skip_tls_verification != 0
        configuration.transport.connectTimeoutMilliseconds = try milliseconds(options.connect_timeout_ms, default: 5_000, name: "connect_timeout_ms")
        configuration.transport.userAgent = UserAgent.string(suffix: string(options.user_agent_suffix))
        configuration.requestTimeoutMilliseconds = try milliseconds(options.request_timeout_ms, default: 10_000, name: "request_timeout_ms")
        configuration.uploadTimeoutMilliseconds = try milliseconds(options.upload_timeout_ms, default: 30_000, name: "upload_timeout_ms")
        configuration.retry.deadlineMilliseconds = try milliseconds(options.deadline_ms, default: 60_000, name: "deadline_ms")
        guard options.max_attempts >= 0, options.max_attempts <= 20 else { throw invalid("max_attempts must be 0 (default) to 20.") }
        configuration.retry.maxAttempts = options.max_attempts == 0 ? 3 : Int(options.max_attempts)
        // Checked with or without a callback: a bad value is a caller's mistake either way.
        guard let level = LogLevel(rawValue: Int(options.log_level == 0 ? 3 : options.log_level)) else {
            throw invalid("log_level \(options.log_level) is not a slbcert_log_level.")
        }
        if let function = options.log_fn {
            let sink = CLogSink(function: function, userData: options.log_user_data)
            configuration.logger = Logger(level: level) { sink($0, $1) }
        }
        let client = try SLBClient(configuration: configuration)
        out.pointee = retainHandle(ClientHandle(client: client, credentials: credentials))
    }
}

@c @implementation
public func slbcert_client_free(_ client: OpaquePointer?) {
    releaseHandle(client, as: ClientHandle.self)
}

private func clientHandle(_ client: OpaquePointer?) -> ClientHandle? { borrowHandle(client, as: ClientHandle.self) }

@c @implementation
public func slbcert_client_endpoint(_ client: OpaquePointer?) -> UnsafePointer<CChar>? { clientHandle(client)?.endpoint.borrowed }
@c @implementation
public func slbcert_client_region(_ client: OpaquePointer?) -> UnsafePointer<CChar>? { clientHandle(client)?.region.borrowed }

@c @implementation
public func slbcert_upload_options_init(_ options: UnsafeMutablePointer<slbcert_upload_options>?, _ version: UInt32) -> Int32 {
    withStatus { () throws(SLBCertError) in
        guard let options else { throw invalid("options is NULL.") }
        try checkVersion(version, current: SLBCERT_UPLOAD_OPTIONS_VERSION, name: "slbcert_upload_options")
        var fresh = slbcert_upload_options()
        fresh.version = version
        options.pointee = fresh
    }
}

private func tags(_ keys: UnsafePointer<UnsafePointer<CChar>?>?, _ values: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int) throws(SLBCertError) -> [ServerCertificate.Tag] {
    try pairs(keys, values, count, name: "tags", limit: 20).map { ServerCertificate.Tag(key: $0.0, value: $0.1) }
}

private func uploadOptions(_ options: UnsafePointer<slbcert_upload_options>?) throws(SLBCertError) -> UploadOptions {
    guard let options = options?.pointee else { return UploadOptions() }
    try checkVersion(options.version, current: SLBCERT_UPLOAD_OPTIONS_VERSION, name: "slbcert_upload_options")
    var result = UploadOptions(name: string(options.name), resourceGroupId: string(options.resource_group_id),
                               tags: try tags(options.tag_keys, options.tag_values, options.tag_count), ensure: options.no_ensure == 0)
    result.sendAsIs = options.send_as_is != 0
    return result
}

@c @implementation
public func slbcert_client_upload(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ client: OpaquePointer?, _ bundle: OpaquePointer?,
                                  _ options: UnsafePointer<slbcert_upload_options>?) -> Int32 {
    out?.pointee = nil
    return withStatus { () throws(SLBCertError) in
        guard let out else { throw invalid("out is NULL.") }
        guard let handle = clientHandle(client) else { throw invalid("client is NULL.") }
        guard let bundleHandle = borrowHandle(bundle, as: BundleHandle.self) else { throw invalid("bundle is NULL.") }
        let result = try handle.client.upload(bundleHandle.bundle, options: try uploadOptions(options))
        out.pointee = retainHandle(UploadResultHandle(result))
    }
}

@c @implementation
public func slbcert_client_upload_cas(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ client: OpaquePointer?,
                                      _ cas_certificate_id: UnsafePointer<CChar>?, _ cas_certificate_name: UnsafePointer<CChar>?,
                                      _ cas_region_id: UnsafePointer<CChar>?, _ options: UnsafePointer<slbcert_upload_options>?) -> Int32 {
    out?.pointee = nil
    return withStatus { () throws(SLBCertError) in
        guard let out else { throw invalid("out is NULL.") }
        guard let handle = clientHandle(client) else { throw invalid("client is NULL.") }
        guard let id = string(cas_certificate_id), !id.isEmpty else { throw invalid("cas_certificate_id is NULL or empty.") }
        let result = try handle.client.uploadCAS(certificateId: id, certificateName: string(cas_certificate_name),
                                                 certificateRegionId: string(cas_region_id), options: try uploadOptions(options))
        out.pointee = retainHandle(UploadResultHandle(result))
    }
}

@c @implementation
public func slbcert_upload_result_free(_ result: OpaquePointer?) { releaseHandle(result, as: UploadResultHandle.self) }

@c @implementation
public func slbcert_upload_result_certificate(_ result: OpaquePointer?) -> OpaquePointer? {
    borrowHandle(result, as: UploadResultHandle.self).map { borrowedPointer($0.certificate) }
}

@c @implementation
public func slbcert_upload_result_uploaded(_ result: OpaquePointer?) -> Int32 {
    guard let handle = borrowHandle(result, as: UploadResultHandle.self) else { return -1 }
    return handle.result.uploaded ? 1 : 0
}

@c @implementation
public func slbcert_upload_result_region_certificates(_ result: OpaquePointer?) -> OpaquePointer? {
    borrowHandle(result, as: UploadResultHandle.self).map { borrowedPointer($0.regionCertificates) }
}

@c @implementation
public func slbcert_describe_options_init(_ options: UnsafeMutablePointer<slbcert_describe_options>?, _ version: UInt32) -> Int32 {
    withStatus { () throws(SLBCertError) in
        guard let options else { throw invalid("options is NULL.") }
        try checkVersion(version, current: SLBCERT_DESCRIBE_OPTIONS_VERSION, name: "slbcert_describe_options")
        var fresh = slbcert_describe_options()
        fresh.version = version
        options.pointee = fresh
    }
}

@c @implementation
public func slbcert_client_describe(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ client: OpaquePointer?,
                                    _ options: UnsafePointer<slbcert_describe_options>?) -> Int32 {
    out?.pointee = nil
    return withStatus { () throws(SLBCertError) in
        guard let out else { throw invalid("out is NULL.") }
        guard let handle = clientHandle(client) else { throw invalid("client is NULL.") }
        var filter = DescribeFilter()
        if let options = options?.pointee {
            try checkVersion(options.version, current: SLBCERT_DESCRIBE_OPTIONS_VERSION, name: "slbcert_describe_options")
            filter = DescribeFilter(serverCertificateId: string(options.server_certificate_id), resourceGroupId: string(options.resource_group_id),
                                    tags: try tags(options.tag_keys, options.tag_values, options.tag_count))
        }
        let (certificates, requestId) = try handle.client.describe(filter)
        out.pointee = retainHandle(CertificateListHandle(certificates, requestId: requestId))
    }
}

@c @implementation
public func slbcert_client_rename(_ client: OpaquePointer?, _ server_certificate_id: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?) -> Int32 {
    withStatus { () throws(SLBCertError) in
        guard let handle = clientHandle(client) else { throw invalid("client is NULL.") }
        guard let id = string(server_certificate_id), let name = string(name) else { throw invalid("server_certificate_id and name must not be NULL.") }
        try handle.client.rename(serverCertificateId: id, to: name)
    }
}

@c @implementation
public func slbcert_client_delete(_ client: OpaquePointer?, _ server_certificate_id: UnsafePointer<CChar>?) -> Int32 {
    withStatus { () throws(SLBCertError) in
        guard let handle = clientHandle(client) else { throw invalid("client is NULL.") }
        guard let id = string(server_certificate_id) else { throw invalid("server_certificate_id is NULL.") }
        try handle.client.delete(serverCertificateId: id)
    }
}

@c @implementation
public func slbcert_certificate_list_free(_ list: OpaquePointer?) { releaseHandle(list, as: CertificateListHandle.self) }
@c @implementation
public func slbcert_certificate_list_count(_ list: OpaquePointer?) -> Int { borrowHandle(list, as: CertificateListHandle.self)?.items.count ?? 0 }
@c @implementation
public func slbcert_certificate_list_get(_ list: OpaquePointer?, _ index: Int) -> OpaquePointer? {
    borrowHandle(list, as: CertificateListHandle.self)?.items.at(index).map(borrowedPointer)
}
@c @implementation
public func slbcert_certificate_list_request_id(_ list: OpaquePointer?) -> UnsafePointer<CChar>? {
    borrowHandle(list, as: CertificateListHandle.self)?.requestId.borrowed
}

private func server(_ certificate: OpaquePointer?) -> ServerCertificateHandle? { borrowHandle(certificate, as: ServerCertificateHandle.self) }

@c @implementation
public func slbcert_server_certificate_id(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.id.borrowed }
@c @implementation
public func slbcert_server_certificate_name(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.name.borrowed }
@c @implementation
public func slbcert_server_certificate_fingerprint(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.fingerprint.borrowed }
@c @implementation
public func slbcert_server_certificate_common_name(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.commonName.borrowed }
@c @implementation
public func slbcert_server_certificate_san_count(_ c: OpaquePointer?) -> Int { server(c)?.subjectAlternativeNames.count ?? 0 }
@c @implementation
public func slbcert_server_certificate_san(_ c: OpaquePointer?, _ index: Int) -> UnsafePointer<CChar>? {
    server(c)?.subjectAlternativeNames.at(index)?.borrowed
}
@c @implementation
public func slbcert_server_certificate_create_time(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.createTime.borrowed }
@c @implementation
public func slbcert_server_certificate_create_time_ms(_ c: OpaquePointer?) -> Int64 { server(c)?.certificate.createTimeStamp ?? 0 }
@c @implementation
public func slbcert_server_certificate_expire_time(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.expireTime.borrowed }
@c @implementation
public func slbcert_server_certificate_expire_time_ms(_ c: OpaquePointer?) -> Int64 { server(c)?.certificate.expireTimeStamp ?? 0 }
@c @implementation
public func slbcert_server_certificate_is_alicloud(_ c: OpaquePointer?) -> Int32 {
    guard let handle = server(c) else { return -1 }
    return handle.certificate.isAliCloudCertificate ? 1 : 0
}
@c @implementation
public func slbcert_server_certificate_alicloud_id(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.aliCloudId.borrowed }
@c @implementation
public func slbcert_server_certificate_alicloud_name(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.aliCloudName.borrowed }
@c @implementation
public func slbcert_server_certificate_region_id(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.regionId.borrowed }
@c @implementation
public func slbcert_server_certificate_region_id_alias(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.regionIdAlias.borrowed }
@c @implementation
public func slbcert_server_certificate_resource_group_id(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.resourceGroupId.borrowed }
@c @implementation
public func slbcert_server_certificate_request_id(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.requestId.borrowed }
@c @implementation
public func slbcert_server_certificate_tag_count(_ c: OpaquePointer?) -> Int { server(c)?.tagKeys.count ?? 0 }
@c @implementation
public func slbcert_server_certificate_tag(_ c: OpaquePointer?, _ index: Int, _ key: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                           _ value: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    withStatus { () throws(SLBCertError) in
        guard let handle = server(c) else { throw invalid("certificate is NULL.") }
        guard let tagKey = handle.tagKeys.at(index), let tagValue = handle.tagValues.at(index) else {
            throw SLBCertError(.outOfRange, "Tag \(UInt(bitPattern: index)) does not exist; the certificate has \(handle.tagKeys.count).")
        }
        key?.pointee = tagKey.borrowed
        value?.pointee = tagValue.borrowed
    }
}
