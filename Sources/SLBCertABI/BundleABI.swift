import CSLBCert
import SLBCert

/// What `slbcert_certificate *` points at: one certificate's facts as C strings, owned by its bundle.
final class CertificateHandle {
    let info: CertificateInfo
    let fingerprint, fingerprintSHA256, commonName, subject, issuer, serial, notBefore, notAfter, keyAlgorithm: OwnedCString
    let dnsNames, ipAddresses: [OwnedCString]

    init(_ info: CertificateInfo) {
        self.info = info
        fingerprint = OwnedCString(info.fingerprint)
        fingerprintSHA256 = OwnedCString(info.fingerprintSHA256)
        commonName = OwnedCString(info.commonName)
        subject = OwnedCString(info.subject)
        issuer = OwnedCString(info.issuer)
        serial = OwnedCString(info.serialNumber)
        notBefore = OwnedCString(info.notBeforeText)
        notAfter = OwnedCString(info.notAfterText)
        keyAlgorithm = OwnedCString(info.keyAlgorithm)
        dnsNames = info.dnsNames.map { OwnedCString($0) }
        ipAddresses = info.ipAddresses.map { OwnedCString($0) }
    }
}

/// What `slbcert_bundle *` points at.
final class BundleHandle {
    let bundle: CertificateBundle
    let certificates: [CertificateHandle]
    let findingCodes: [OwnedCString]
    let findingMessages: [OwnedCString]
    let keyAlgorithm: OwnedCString?
    let normalizedCertificate: OwnedCString?
    /// Wiped when the bundle is freed.
    let normalizedKey: OwnedCString?

    init(_ bundle: CertificateBundle) {
        self.bundle = bundle
        certificates = bundle.chain.map(CertificateHandle.init)
        findingCodes = bundle.findings.map { OwnedCString($0.code.rawValue) }
        findingMessages = bundle.findings.map { OwnedCString($0.message) }
        keyAlgorithm = bundle.key.map { OwnedCString($0.algorithm) }
        normalizedCertificate = bundle.normalizedCertificatePEM.map { OwnedCString($0) }
        normalizedKey = bundle.normalizedPrivateKeyPEM.map { OwnedCString(secret: $0) }
    }
}

@c @implementation
public func slbcert_check_options_init(_ options: UnsafeMutablePointer<slbcert_check_options>?, _ version: UInt32) -> Int32 {
    withStatus { () throws(SLBCertError) in
        guard let options else { throw invalid("options is NULL.") }
        try checkVersion(version, current: SLBCERT_CHECK_OPTIONS_VERSION, name: "slbcert_check_options")
        let defaults = CheckOptions()
        options.pointee = slbcert_check_options(version: version, allow_non_rsa: defaults.allowNonRSA ? 1 : 0,
                                                expiry_warning_days: Int32(clamping: defaults.expiryWarningDays), now_ms: 0)
    }
}

/// The core's options from a C options struct (NULL: defaults).
func checkOptions(_ options: UnsafePointer<slbcert_check_options>?) throws(SLBCertError) -> CheckOptions {
    guard let options else { return CheckOptions() }
    try checkVersion(options.pointee.version, current: SLBCERT_CHECK_OPTIONS_VERSION, name: "slbcert_check_options")
    let checks = CheckOptions(allowNonRSA: options.pointee.allow_non_rsa != 0,
                              expiryWarningDays: Int(options.pointee.expiry_warning_days),
                              now: options.pointee.now_ms == 0 ? nil : options.pointee.now_ms)
    try checks.validate()
    return checks
}

@c @implementation
public func slbcert_bundle_parse(_ out: UnsafeMutablePointer<OpaquePointer?>?,
                                 _ cert: UnsafePointer<CChar>?, _ cert_len: Int,
                                 _ key: UnsafePointer<CChar>?, _ key_len: Int,
                                 _ passphrase: UnsafePointer<CChar>?, _ passphrase_len: Int,
                                 _ options: UnsafePointer<slbcert_check_options>?) -> Int32 {
    out?.pointee = nil
    return withStatus { () throws(SLBCertError) in
        guard let out else { throw invalid("out is NULL.") }
        // An empty chain is input like any other: the bundle says NO_CERTIFICATE, as the CLI does.
        // An empty key or passphrase (an empty file) is judged by the checks, as anywhere else:
        // NO_PRIVATE_KEY, KEY_ENCRYPTED.
        let limit = CertificateBundle.maxInputBytes
        guard passphrase_len >= 0, passphrase_len <= 4096 else { throw invalid("passphrase_len is over 4096.") }
        let parsedOptions = try checkOptions(options)
        let certificate = try bytes(cert, cert_len, name: "cert", limit: limit) ?? []
        var keyBytes = try bytes(key, key_len, name: "key", limit: limit)
        var passphraseBytes = try bytes(passphrase, passphrase_len, name: "passphrase", limit: 4096)
        let secretKey = keyBytes.map { SecretBytes($0) }
        let secretPassphrase = passphraseBytes.map { SecretBytes($0) }
        if keyBytes != nil { wipe(&keyBytes!) }
        if passphraseBytes != nil { wipe(&passphraseBytes!) }
        let bundle = CertificateBundle.parse(certificate: certificate, privateKey: secretKey,
                                             passphrase: secretPassphrase, options: parsedOptions)
        out.pointee = retainHandle(BundleHandle(bundle))
    }
}

@c @implementation
public func slbcert_max_input_bytes() -> Int { CertificateBundle.maxInputBytes }

@c @implementation
public func slbcert_bundle_free(_ bundle: OpaquePointer?) {
    releaseHandle(bundle, as: BundleHandle.self)
}

private func bundleHandle(_ bundle: OpaquePointer?) -> BundleHandle? { borrowHandle(bundle, as: BundleHandle.self) }
private func certificateHandle(_ certificate: OpaquePointer?) -> CertificateHandle? { borrowHandle(certificate, as: CertificateHandle.self) }

@c @implementation
public func slbcert_bundle_has_errors(_ bundle: OpaquePointer?) -> Int32 {
    guard let handle = bundleHandle(bundle) else { return -1 }
    return handle.bundle.hasErrors ? 1 : 0
}

@c @implementation
public func slbcert_bundle_finding_count(_ bundle: OpaquePointer?) -> Int {
    bundleHandle(bundle)?.bundle.findings.count ?? 0
}

@c @implementation
public func slbcert_bundle_finding(_ bundle: OpaquePointer?, _ index: Int, _ severity: UnsafeMutablePointer<Int32>?,
                                   _ code: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                   _ message: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    withStatus { () throws(SLBCertError) in
        guard let handle = bundleHandle(bundle) else { throw invalid("bundle is NULL.") }
        guard let finding = handle.bundle.findings.at(index) else {
            throw SLBCertError(.outOfRange, "Finding \(UInt(bitPattern: index)) does not exist; the bundle has \(handle.bundle.findings.count).")
        }
        severity?.pointee = Int32(finding.severity.rawValue)
        code?.pointee = handle.findingCodes[index].borrowed
        message?.pointee = handle.findingMessages[index].borrowed
    }
}

@c @implementation
public func slbcert_bundle_chain_length(_ bundle: OpaquePointer?) -> Int {
    bundleHandle(bundle)?.certificates.count ?? 0
}

@c @implementation
public func slbcert_bundle_certificate(_ bundle: OpaquePointer?, _ index: Int) -> OpaquePointer? {
    bundleHandle(bundle)?.certificates.at(index).map(borrowedPointer)
}

@c @implementation
public func slbcert_bundle_has_key(_ bundle: OpaquePointer?) -> Int32 {
    bundleHandle(bundle)?.bundle.key == nil ? 0 : 1
}

@c @implementation
public func slbcert_bundle_key_algorithm(_ bundle: OpaquePointer?) -> UnsafePointer<CChar>? {
    bundleHandle(bundle)?.keyAlgorithm?.borrowed
}

@c @implementation
public func slbcert_bundle_key_bits(_ bundle: OpaquePointer?) -> Int32 {
    Int32(bundleHandle(bundle)?.bundle.key?.bits ?? 0)
}

@c @implementation
public func slbcert_bundle_normalized_certificate_pem(_ bundle: OpaquePointer?) -> UnsafePointer<CChar>? {
    bundleHandle(bundle)?.normalizedCertificate?.borrowed
}

@c @implementation
public func slbcert_bundle_normalized_private_key_pem(_ bundle: OpaquePointer?) -> UnsafePointer<CChar>? {
    bundleHandle(bundle)?.normalizedKey?.borrowed
}

@c @implementation
public func slbcert_certificate_fingerprint(_ certificate: OpaquePointer?) -> UnsafePointer<CChar>? {
    certificateHandle(certificate)?.fingerprint.borrowed
}
@c @implementation
public func slbcert_certificate_fingerprint_sha256(_ certificate: OpaquePointer?) -> UnsafePointer<CChar>? {
    certificateHandle(certificate)?.fingerprintSHA256.borrowed
}
@c @implementation
public func slbcert_certificate_common_name(_ certificate: OpaquePointer?) -> UnsafePointer<CChar>? {
    certificateHandle(certificate)?.commonName.borrowed
}
@c @implementation
public func slbcert_certificate_subject(_ certificate: OpaquePointer?) -> UnsafePointer<CChar>? {
    certificateHandle(certificate)?.subject.borrowed
}
@c @implementation
public func slbcert_certificate_issuer(_ certificate: OpaquePointer?) -> UnsafePointer<CChar>? {
    certificateHandle(certificate)?.issuer.borrowed
}
@c @implementation
public func slbcert_certificate_serial(_ certificate: OpaquePointer?) -> UnsafePointer<CChar>? {
    certificateHandle(certificate)?.serial.borrowed
}
@c @implementation
public func slbcert_certificate_not_before(_ certificate: OpaquePointer?) -> UnsafePointer<CChar>? {
    certificateHandle(certificate)?.notBefore.borrowed
}
@c @implementation
public func slbcert_certificate_not_before_ms(_ certificate: OpaquePointer?) -> Int64 {
    certificateHandle(certificate)?.info.notBefore ?? 0
}
@c @implementation
public func slbcert_certificate_not_after(_ certificate: OpaquePointer?) -> UnsafePointer<CChar>? {
    certificateHandle(certificate)?.notAfter.borrowed
}
@c @implementation
public func slbcert_certificate_not_after_ms(_ certificate: OpaquePointer?) -> Int64 {
    certificateHandle(certificate)?.info.notAfter ?? 0
}
@c @implementation
public func slbcert_certificate_dns_name_count(_ certificate: OpaquePointer?) -> Int {
    certificateHandle(certificate)?.dnsNames.count ?? 0
}
@c @implementation
public func slbcert_certificate_dns_name(_ certificate: OpaquePointer?, _ index: Int) -> UnsafePointer<CChar>? {
    certificateHandle(certificate)?.dnsNames.at(index)?.borrowed
}
@c @implementation
public func slbcert_certificate_ip_address_count(_ certificate: OpaquePointer?) -> Int {
    certificateHandle(certificate)?.ipAddresses.count ?? 0
}
@c @implementation
public func slbcert_certificate_ip_address(_ certificate: OpaquePointer?, _ index: Int) -> UnsafePointer<CChar>? {
    certificateHandle(certificate)?.ipAddresses.at(index)?.borrowed
}
@c @implementation
public func slbcert_certificate_key_algorithm(_ certificate: OpaquePointer?) -> UnsafePointer<CChar>? {
    certificateHandle(certificate)?.keyAlgorithm.borrowed
}
@c @implementation
public func slbcert_certificate_key_bits(_ certificate: OpaquePointer?) -> Int32 {
    Int32(certificateHandle(certificate)?.info.keyBits ?? 0)
}
@c @implementation
public func slbcert_certificate_is_ca(_ certificate: OpaquePointer?) -> Int32 {
    guard let handle = certificateHandle(certificate) else { return -1 }
    return handle.info.isCA ? 1 : 0
}
@c @implementation
public func slbcert_certificate_is_self_signed(_ certificate: OpaquePointer?) -> Int32 {
    guard let handle = certificateHandle(certificate) else { return -1 }
    return handle.info.isSelfSigned ? 1 : 0
}
