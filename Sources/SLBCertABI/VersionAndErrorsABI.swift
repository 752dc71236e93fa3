import CSLBCert
import SLBCert
#if canImport(Glibc)
import Glibc
#endif

// Static strings live for the process; StaticString gives their addresses without allocation.
private func staticText(_ text: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

@c @implementation
public func slbcert_version() -> UnsafePointer<CChar>? {
    versionText.borrowed
}
private let versionText = OwnedCString(SLBCertVersion.string)

@c @implementation
public func slbcert_version_number() -> Int32 {
    Int32(SLBCertVersion.number)
}

@c @implementation
public func slbcert_strerror(_ status: Int32) -> UnsafePointer<CChar>? {
    switch status {
    case SLBCERT_OK.rawValue: return staticText("success")
    case SLBCERT_EINVAL.rawValue: return staticText("invalid argument")
    case SLBCERT_ENOMEM.rawValue: return staticText("out of memory")
    case SLBCERT_EPARSE.rawValue: return staticText("input could not be parsed")
    case SLBCERT_EVALIDATION.rawValue: return staticText("certificate bundle failed validation; nothing was sent")
    case SLBCERT_ECREDENTIALS.rawValue: return staticText("no usable credentials")
    case SLBCERT_ESERVICE.rawValue: return staticText("the service returned an error")
    case SLBCERT_ENETWORK.rawValue: return staticText("network error")
    case SLBCERT_ETLS.rawValue: return staticText("TLS error")
    case SLBCERT_ETIMEOUT.rawValue: return staticText("timed out")
    case SLBCERT_EPROTOCOL.rawValue: return staticText("unexpected answer from the service")
    case SLBCERT_ERANGE.rawValue: return staticText("index out of range")
    case SLBCERT_EINTERNAL.rawValue: return staticText("internal error")
    case SLBCERT_EUNCONFIRMED.rawValue: return staticText("the upload may have been stored; run it again to find out")
    case SLBCERT_EREFUSED.rawValue: return staticText("the deploy's plan was refused; nothing was changed")
    default: return staticText("unknown status")
    }
}

@c @implementation
public func slbcert_error_name(_ status: Int32) -> UnsafePointer<CChar>? {
    switch status {
    case SLBCERT_OK.rawValue: return staticText("SLBCERT_OK")
    case SLBCERT_EINVAL.rawValue: return staticText("SLBCERT_EINVAL")
    case SLBCERT_ENOMEM.rawValue: return staticText("SLBCERT_ENOMEM")
    case SLBCERT_EPARSE.rawValue: return staticText("SLBCERT_EPARSE")
    case SLBCERT_EVALIDATION.rawValue: return staticText("SLBCERT_EVALIDATION")
    case SLBCERT_ECREDENTIALS.rawValue: return staticText("SLBCERT_ECREDENTIALS")
    case SLBCERT_ESERVICE.rawValue: return staticText("SLBCERT_ESERVICE")
    case SLBCERT_ENETWORK.rawValue: return staticText("SLBCERT_ENETWORK")
    case SLBCERT_ETLS.rawValue: return staticText("SLBCERT_ETLS")
    case SLBCERT_ETIMEOUT.rawValue: return staticText("SLBCERT_ETIMEOUT")
    case SLBCERT_EPROTOCOL.rawValue: return staticText("SLBCERT_EPROTOCOL")
    case SLBCERT_ERANGE.rawValue: return staticText("SLBCERT_ERANGE")
    case SLBCERT_EINTERNAL.rawValue: return staticText("SLBCERT_EINTERNAL")
    case SLBCERT_EUNCONFIRMED.rawValue: return staticText("SLBCERT_EUNCONFIRMED")
    case SLBCERT_EREFUSED.rawValue: return staticText("SLBCERT_EREFUSED")
    default: return staticText("SLBCERT_UNKNOWN")
    }
}

@c @implementation
public func slbcert_last_error_status() -> Int32 { LastError.current.status }
@c @implementation
public func slbcert_last_error_message() -> UnsafePointer<CChar>? { LastError.current.message.borrowed }
@c @implementation
public func slbcert_last_error_hint() -> UnsafePointer<CChar>? { LastError.current.hint.borrowed }
@c @implementation
public func slbcert_last_error_service_code() -> UnsafePointer<CChar>? { LastError.current.serviceCode.borrowed }
@c @implementation
public func slbcert_last_error_request_id() -> UnsafePointer<CChar>? { LastError.current.requestId.borrowed }
@c @implementation
public func slbcert_last_error_host_id() -> UnsafePointer<CChar>? { LastError.current.hostId.borrowed }
@c @implementation
public func slbcert_last_error_recommend() -> UnsafePointer<CChar>? { LastError.current.recommend.borrowed }
@c @implementation
public func slbcert_last_error_http_status() -> Int32 { LastError.current.httpStatus }
@c @implementation
public func slbcert_last_error_transport_code() -> Int32 { LastError.current.transportCode }
@c @implementation
public func slbcert_last_error_reason() -> UnsafePointer<CChar>? { LastError.current.reason.borrowed }
@c @implementation
public func slbcert_last_error_argument() -> UnsafePointer<CChar>? { LastError.current.argument.borrowed }
@c @implementation
public func slbcert_last_error_clear() { LastError.current.clear() }

@c @implementation
public func slbcert_string_free(_ string: UnsafeMutablePointer<CChar>?) {
    guard let string else { return }
    wipeMemory(string, strlen(string))
    free(string)
}

@c @implementation
public func slbcert_redact(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ text: UnsafePointer<CChar>?,
                           _ length: Int) -> Int32 {
    out?.pointee = nil
    return withStatus { () throws(SLBCertError) in
        guard let out else { throw invalid("out is NULL.") }
        let limit = 16 * 1024 * 1024
        guard length >= 0, length <= limit else { throw invalid("The text is \(UInt(bitPattern: length)) bytes; the limit is 16 MiB.") }
        let input = try bytes(text, length, name: "text", limit: limit) ?? []
        guard let result = newCallerString(Redactor.redact(String(decoding: input, as: UTF8.self))) else {
            throw SLBCertError(.internal, "Out of memory.")
        }
        out.pointee = result
    }
}
