import CSLBCert
import SLBCert

/// What `slbcert_server_certificate *` points at: one certificate of a `CertificateTable`, whose
/// strings it hands out (the table keeps them; this keeps the table).
final class ServerCertificateHandle {
    let record: CertificateTable.Record
    let subjectAlternativeNames: ArraySlice<UnsafePointer<CChar>>
    let tags: ArraySlice<(key: UnsafePointer<CChar>, value: UnsafePointer<CChar>)>
    private let table: CertificateTable

    init(_ table: CertificateTable, index: Int) {
        self.table = table
        record = table.records[index]
        subjectAlternativeNames = table.names[record.nameRange]
        tags = table.tags[record.tagRange]
    }

    /// A certificate with a table of its own.
    convenience init(_ certificate: ServerCertificate) {
        self.init(CertificateTable([certificate], requestId: certificate.requestId), index: 0)
    }
}

/// What `slbcert_certificate_list *` points at.
final class CertificateListHandle {
    let items: [ServerCertificateHandle]
    let requestId: UnsafePointer<CChar>
    private let table: CertificateTable

    init(_ table: CertificateTable) {
        self.table = table
        items = table.records.indices.map { ServerCertificateHandle(table, index: $0) }
        requestId = table.requestId
    }

    convenience init(_ certificates: [ServerCertificate], requestId: String) {
        self.init(CertificateTable(certificates, requestId: requestId))
    }
}

/// What `slbcert_upload_result *` points at.
final class UploadResultHandle {
    let result: UploadResult
    let certificate: ServerCertificateHandle
    let regionCertificates: CertificateListHandle
    let removed, duplicates: [OwnedCString]
    init(_ result: UploadResult) {
        self.result = result
        certificate = ServerCertificateHandle(result.certificate)
        regionCertificates = CertificateListHandle(result.regionCertificates, requestId: result.certificate.requestId)
        removed = result.removed.map { OwnedCString($0) }
        duplicates = result.duplicates.map { OwnedCString($0) }
    }
}

/// What `slbcert_client *` points at. Keeps the credentials handle alive even if the caller frees it early.
final class ClientHandle: Sendable {
    let client: SLBClient
    let credentials: CredentialsHandle?
    let endpoint: OwnedCString
    let region: OwnedCString
    init(client: SLBClient, credentials: CredentialsHandle?) {
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
        var fresh = slbcert_client_options()
        fresh.version = version
        try writeOptions(fresh, to: options, name: "slbcert_client_options", sizes: clientOptionsSizes)
    }
}

@c @implementation
public func slbcert_client_option_range(_ field: UnsafePointer<CChar>?, _ default_value: UnsafeMutablePointer<Int>?,
                                        _ minimum: UnsafeMutablePointer<Int>?, _ maximum: UnsafeMutablePointer<Int>?) -> Int32 {
    withStatus { () throws(SLBCertError) in
        try writeRange(of: ClientSetting.self, field: field, default_value, minimum, maximum) {
            "\"\($0)\" is not a numeric field of slbcert_client_options."
        }
    }
}

/// The size of each version of slbcert_client_options: version 1 ends where upload_settle_ms begins.
private let clientOptionsSizes = [MemoryLayout<slbcert_client_options>.offset(of: \slbcert_client_options.upload_settle_ms) ?? 0,
                                  MemoryLayout<slbcert_client_options>.size]

/// 0 is "the default" in the C options; anything else goes to the core to be range-checked.
private func setting<T: BinaryInteger>(_ value: T) -> Int? {
    value == 0 ? nil : Int(clamping: value)
}

@c @implementation
public func slbcert_client_new(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ options: UnsafePointer<slbcert_client_options>?) -> Int32 {
    out?.pointee = nil
    return withStatus { () throws(SLBCertError) in
        guard let out else { throw invalid("out is NULL.") }
        guard let pointer = options else { throw invalid("options is NULL; initialise one with SLBCERT_CLIENT_OPTIONS_INIT.") }
        let options = try readOptions(pointer, name: "slbcert_client_options", sizes: clientOptionsSizes)
        let credentials = borrowHandle(options.credentials, as: CredentialsHandle.self)
        var settings = ClientSettings(region: string(options.region_id), endpoint: string(options.endpoint), credentials: credentials?.resolved)
        settings.signatureVersion = options.signature_version == 0 ? nil : try signatureVersion(options.signature_version)
        settings.placement = try placement(options.placement)
        settings.caBundle = string(options.ca_bundle)
        settings.proxy = string(options.proxy)
        settings.insecureSkipTLSVerification = options.insecure_skip_tls_verification != 0 ? true : nil
        settings.connectTimeoutMilliseconds = setting(options.connect_timeout_ms)
        settings.requestTimeoutMilliseconds = setting(options.request_timeout_ms)
        settings.uploadTimeoutMilliseconds = setting(options.upload_timeout_ms)
        settings.deadlineMilliseconds = setting(options.deadline_ms)
        settings.uploadSettleMilliseconds = setting(options.upload_settle_ms)
        settings.maxAttempts = setting(options.max_attempts)
        settings.userAgentSuffix = string(options.user_agent_suffix)
        // Checked with or without a callback: a bad value is a caller's mistake either way.
        let level = options.log_level == 0 ? Logger.defaultLevel : LogLevel(rawValue: Int(options.log_level))
        guard let level else { throw invalid("log_level \(options.log_level) is not a slbcert_log_level.") }
        if let function = options.log_fn {
            let sink = CLogSink(function: function, userData: options.log_user_data)
            settings.logger = Logger(level: level) { sink($0, $1) }
        }
        let client = try SLBClient(settings: settings)
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
    return UploadOptions(name: string(options.name), resourceGroupId: string(options.resource_group_id),
                         tags: try tags(options.tag_keys, options.tag_values, options.tag_count), ensure: options.no_ensure == 0,
                         sendAsIs: options.send_as_is != 0)
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
public func slbcert_upload_result_outcome(_ result: OpaquePointer?) -> Int32 {
    guard let handle = borrowHandle(result, as: UploadResultHandle.self) else { return -1 }
    switch handle.result.outcome {
    case .uploaded: return Int32(SLBCERT_UPLOAD_UPLOADED.rawValue)
    case .found: return Int32(SLBCERT_UPLOAD_FOUND.rawValue)
    case .converged: return Int32(SLBCERT_UPLOAD_CONVERGED.rawValue)
    }
}

@c @implementation
public func slbcert_upload_result_removed_count(_ result: OpaquePointer?) -> Int {
    borrowHandle(result, as: UploadResultHandle.self)?.removed.count ?? 0
}

@c @implementation
public func slbcert_upload_result_removed(_ result: OpaquePointer?, _ index: Int) -> UnsafePointer<CChar>? {
    borrowHandle(result, as: UploadResultHandle.self)?.removed.at(index)?.borrowed
}

@c @implementation
public func slbcert_upload_result_duplicate_count(_ result: OpaquePointer?) -> Int {
    borrowHandle(result, as: UploadResultHandle.self)?.duplicates.count ?? 0
}

@c @implementation
public func slbcert_upload_result_duplicate(_ result: OpaquePointer?, _ index: Int) -> UnsafePointer<CChar>? {
    borrowHandle(result, as: UploadResultHandle.self)?.duplicates.at(index)?.borrowed
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
        out.pointee = retainHandle(CertificateListHandle(try handle.client.describeTable(filter)))
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
    borrowHandle(list, as: CertificateListHandle.self)?.requestId
}

private func server(_ certificate: OpaquePointer?) -> ServerCertificateHandle? { borrowHandle(certificate, as: ServerCertificateHandle.self) }

@c @implementation
public func slbcert_server_certificate_id(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.record.id }
@c @implementation
public func slbcert_server_certificate_name(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.record.name }
@c @implementation
public func slbcert_server_certificate_fingerprint(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.record.fingerprint }
@c @implementation
public func slbcert_server_certificate_common_name(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.record.commonName }
@c @implementation
public func slbcert_server_certificate_san_count(_ c: OpaquePointer?) -> Int { server(c)?.subjectAlternativeNames.count ?? 0 }
@c @implementation
public func slbcert_server_certificate_san(_ c: OpaquePointer?, _ index: Int) -> UnsafePointer<CChar>? {
    server(c)?.subjectAlternativeNames.at(index)
}
@c @implementation
public func slbcert_server_certificate_create_time(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.record.createTime }
@c @implementation
public func slbcert_server_certificate_create_time_ms(_ c: OpaquePointer?) -> Int64 { server(c)?.record.createTimeStamp ?? 0 }
@c @implementation
public func slbcert_server_certificate_expire_time(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.record.expireTime }
@c @implementation
public func slbcert_server_certificate_expire_time_ms(_ c: OpaquePointer?) -> Int64 { server(c)?.record.expireTimeStamp ?? 0 }
@c @implementation
public func slbcert_server_certificate_is_alicloud(_ c: OpaquePointer?) -> Int32 {
    guard let handle = server(c) else { return -1 }
    return handle.record.isAliCloudCertificate ? 1 : 0
}
@c @implementation
public func slbcert_server_certificate_alicloud_id(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.record.aliCloudId }
@c @implementation
public func slbcert_server_certificate_alicloud_name(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.record.aliCloudName }
@c @implementation
public func slbcert_server_certificate_region_id(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.record.regionId }
@c @implementation
public func slbcert_server_certificate_region_id_alias(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.record.regionIdAlias }
@c @implementation
public func slbcert_server_certificate_resource_group_id(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.record.resourceGroupId }
@c @implementation
public func slbcert_server_certificate_request_id(_ c: OpaquePointer?) -> UnsafePointer<CChar>? { server(c)?.record.requestId }
@c @implementation
public func slbcert_server_certificate_tag_count(_ c: OpaquePointer?) -> Int { server(c)?.tags.count ?? 0 }
@c @implementation
public func slbcert_server_certificate_tag(_ c: OpaquePointer?, _ index: Int, _ key: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                           _ value: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    withStatus { () throws(SLBCertError) in
        guard let handle = server(c) else { throw invalid("certificate is NULL.") }
        guard let tag = handle.tags.at(index) else {
            throw SLBCertError(.outOfRange, "Tag \(UInt(bitPattern: index)) does not exist; the certificate has \(handle.tags.count).")
        }
        key?.pointee = tag.key
        value?.pointee = tag.value
    }
}

@c @implementation
public func slbcert_server_certificate_days_left(_ c: OpaquePointer?, _ now_ms: Int64, _ days: UnsafeMutablePointer<Int64>?) -> Int32 {
    withStatus { () throws(SLBCertError) in
        guard let handle = server(c) else { throw invalid("certificate is NULL.") }
        guard let days else { throw invalid("days is NULL.") }
        guard now_ms >= 0 else { throw invalid("now_ms is negative.") }
        days.pointee = Expiry.daysLeft(expireTimeStamp: handle.record.expireTimeStamp, now: now_ms == 0 ? UTCTime.nowMilliseconds() : now_ms)
    }
}

@c @implementation
public func slbcert_client_expiring(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ client: OpaquePointer?, _ within_days: Int32,
                                    _ now_ms: Int64) -> Int32 {
    out?.pointee = nil
    return withStatus { () throws(SLBCertError) in
        guard let out else { throw invalid("out is NULL.") }
        guard let handle = clientHandle(client) else { throw invalid("client is NULL.") }
        guard now_ms >= 0 else { throw invalid("now_ms is negative.") }
        let expiring = try handle.client.expiring(within: Int(within_days), now: now_ms == 0 ? nil : now_ms)
        out.pointee = retainHandle(CertificateListHandle(expiring, requestId: expiring.first?.requestId ?? ""))
    }
}
