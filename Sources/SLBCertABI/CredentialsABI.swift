import CSLBCert
import Synchronization
import SLBCert
#if canImport(Glibc)
import Glibc
#endif

/// What `slbcert_credentials *` points at.
final class CredentialsHandle: @unchecked Sendable {
    let resolved: ResolvedCredentials
    let source: OwnedCString
    let region: OwnedCString?
    /// Every AccessKeyId string handed out stays alive with the handle (a refresh may change the id).
    private let accessKeyIds = Mutex<[OwnedCString]>([])

    init(_ resolved: ResolvedCredentials) {
        self.resolved = resolved
        source = OwnedCString(resolved.sourceName)
        region = resolved.region.map { OwnedCString($0) }
    }

    func currentAccessKeyId() throws(SLBCertError) -> UnsafePointer<CChar> {
        let id = try resolved.provider.credentials().accessKeyId
        return accessKeyIds.withLock { ids in
            if let last = ids.last, String(cString: last.borrowed) == id { return last.borrowed }
            let fresh = OwnedCString(id)
            ids.append(fresh)
            return fresh.borrowed
        }
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
        out.pointee = retainHandle(CredentialsHandle(try ProcessCredentials.profile(string(profile))))
    }
}

@c @implementation
public func slbcert_credentials_new_default(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    out?.pointee = nil
    return withStatus { () throws(SLBCertError) in
        guard let out else { throw invalid("out is NULL.") }
        out.pointee = retainHandle(CredentialsHandle(try ProcessCredentials.chain().resolve()))
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
