import CSLBCert
import SLBCert
#if canImport(Glibc)
import Glibc
#endif

/// What `slbcert_credentials *` points at.
final class CredentialsHandle: @unchecked Sendable {
    let resolved: ResolvedCredentials
    let source: OwnedCString
    let region: OwnedCString?
    private let lock = Lock()
    /// Every AccessKeyId string handed out stays alive with the handle (a refresh may change the id).
    private var accessKeyIds: [OwnedCString] = []

    init(_ resolved: ResolvedCredentials) {
        self.resolved = resolved
        source = OwnedCString(resolved.sourceName)
        region = resolved.region.map { OwnedCString($0) }
    }

    func currentAccessKeyId() throws(SLBCertError) -> UnsafePointer<CChar> {
        let id = try resolved.provider.credentials().accessKeyId
        return lock.withLock {
            if let last = accessKeyIds.last, String(cString: last.borrowed) == id { return last.borrowed }
            accessKeyIds.append(OwnedCString(id))
            return accessKeyIds[accessKeyIds.count - 1].borrowed
        }
    }

    /// The chain as the C API and the CLI configure it: the process environment, and the metadata
    /// service reached with libcurl (its address overridable by SLBCERT_ECS_METADATA_ENDPOINT, for tests).
    static func chain(explicit: Credentials? = nil, profile: String? = nil) -> DefaultCredentialsChain {
        let environment = CredentialsEnvironment.process
        let endpoint = environment["SLBCERT_ECS_METADATA_ENDPOINT"] ?? ECSMetadataOptions.defaultEndpoint
        return DefaultCredentialsChain(environment: environment, explicit: explicit, profile: profile,
                                       metadataTransport: CurlTransport(), metadataEndpoint: endpoint)
    }
}

@c @implementation
public func slbcert_credentials_new_static(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ access_key_id: UnsafePointer<CChar>?,
                                           _ access_key_secret: UnsafePointer<CChar>?, _ security_token: UnsafePointer<CChar>?) -> Int32 {
    out?.pointee = nil
    return withStatus { () throws(SLBCertError) in
        guard let out else { throw invalid("out is NULL.") }
        guard let id = string(access_key_id), !id.isEmpty else { throw invalid("access_key_id is NULL or empty.") }
        guard let secretPointer = access_key_secret, secretPointer.pointee != 0 else { throw invalid("access_key_secret is NULL or empty.") }
        let secret = secretPointer.withMemoryRebound(to: UInt8.self, capacity: 1) { SecretBytes(UnsafeBufferPointer(start: $0, count: strlen(secretPointer))) }
        let token = security_token.flatMap { pointer in
            pointer.pointee == 0 ? nil : pointer.withMemoryRebound(to: UInt8.self, capacity: 1) { SecretBytes(UnsafeBufferPointer(start: $0, count: strlen(pointer))) }
        }
        let credentials = Credentials(accessKeyId: id, accessKeySecret: secret, securityToken: token)
        out.pointee = retainHandle(CredentialsHandle(ResolvedCredentials(provider: StaticCredentialsProvider(credentials))))
    }
}

@c @implementation
public func slbcert_credentials_new_profile(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ profile: UnsafePointer<CChar>?) -> Int32 {
    out?.pointee = nil
    return withStatus { () throws(SLBCertError) in
        guard let out else { throw invalid("out is NULL.") }
        let name = string(profile)
        let chain = CredentialsHandle.chain(profile: name)
        var found = try ProfileCredentials.resolveCLIProfile(name, environment: chain.environment, metadata: chain.metadata)
        if found == nil {
            found = try ProfileCredentials.resolveINIProfile(name, environment: chain.environment, metadata: chain.metadata)
        }
        guard let found else {
            throw SLBCertError(.credentials, "No profile \(name.map { "\"\($0)\"" } ?? "(default)") in \(chain.environment.homePath(".aliyun/config.json")) or \(chain.environment.homePath(".alibabacloud/credentials")).",
                               hint: "Create it with `aliyun configure --profile NAME`, or name an existing profile.")
        }
        _ = try found.provider.credentials()
        let region = chain.environment["ALIBABA_CLOUD_REGION_ID"] ?? found.region
        out.pointee = retainHandle(CredentialsHandle(ResolvedCredentials(provider: found.provider, region: region, warnings: found.warnings)))
    }
}

@c @implementation
public func slbcert_credentials_new_default(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    out?.pointee = nil
    return withStatus { () throws(SLBCertError) in
        guard let out else { throw invalid("out is NULL.") }
        out.pointee = retainHandle(CredentialsHandle(try CredentialsHandle.chain().resolve()))
    }
}

@c @implementation
public func slbcert_credentials_free(_ credentials: OpaquePointer?) {
    releaseHandle(credentials, as: CredentialsHandle.self)
}

@c @implementation
public func slbcert_credentials_source(_ credentials: OpaquePointer?) -> UnsafePointer<CChar>? {
    borrowHandle(credentials, as: CredentialsHandle.self)?.source.borrowed
}

@c @implementation
public func slbcert_credentials_access_key_id(_ credentials: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let handle = borrowHandle(credentials, as: CredentialsHandle.self) else { return nil }
    do {
        return try handle.currentAccessKeyId()
    } catch {
        LastError.current.record(error)
        return nil
    }
}

@c @implementation
public func slbcert_credentials_region(_ credentials: OpaquePointer?) -> UnsafePointer<CChar>? {
    borrowHandle(credentials, as: CredentialsHandle.self)?.region?.borrowed
}
