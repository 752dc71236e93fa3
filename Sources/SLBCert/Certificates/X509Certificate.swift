import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// Owns one OpenSSL X509 for the duration of parsing. Facts are copied out into `CertificateInfo`,
/// so no OpenSSL object outlives the parse.
final class X509Certificate {
    let pointer: OpaquePointer
    let der: [UInt8]

    /// Parses exactly one DER certificate; nil when the bytes are not one (or have trailing bytes).
    init?(der: [UInt8]) {
        var parsed: OpaquePointer?
        let consumed: Int = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            parsed = d2i_X509(nil, &cursor, buffer.count)
            guard let cursor, let base = buffer.baseAddress else { return -1 }
            return cursor - base
        }
        guard let parsed else { _ = drainOpenSSLErrors(); return nil }
        guard consumed == der.count else { X509_free(parsed); return nil }
        pointer = parsed
        self.der = der
    }

    deinit { X509_free(pointer) }

    /// The public key, borrowed from the certificate.
    var publicKey: OpaquePointer? { X509_get0_pubkey(pointer) }

    /// True when `issuer`'s name matches this certificate's issuer and `issuer`'s key verifies its signature.
    func isIssued(by issuer: X509Certificate) -> Bool {
        guard X509_check_issued(issuer.pointer, pointer) == X509_V_OK, let key = issuer.publicKey else {
            _ = drainOpenSSLErrors()
            return false
        }
        let verified = X509_verify(pointer, key) == 1
        _ = drainOpenSSLErrors()
        return verified
    }

    /// Subject equals issuer and the certificate's own key verifies it. Unlike `isIssued(by: self)` this
    /// does not ask for keyUsage keyCertSign, which self-signed server certificates often lack.
    var isSelfSigned: Bool {
        let result = X509_self_signed(pointer, 1) == 1
        _ = drainOpenSSLErrors()
        return result
    }

    func info() -> CertificateInfo {
        let notBefore = Self.milliseconds(X509_get0_notBefore(pointer))
        let notAfter = Self.milliseconds(X509_get0_notAfter(pointer))
        let (dnsNames, ipAddresses) = subjectAlternativeNames()
        let (algorithm, bits) = KeyFacts.describe(publicKey)
        return CertificateInfo(
            fingerprint: Hex.encode(Digest.sha1(der), separator: ":"),
            fingerprintSHA256: Hex.encode(Digest.sha256(der), separator: ":"),
            commonName: commonName(),
            subject: Self.oneLine(X509_get_subject_name(pointer)),
            issuer: Self.oneLine(X509_get_issuer_name(pointer)),
            serialNumber: serialHex(),
            notBefore: notBefore,
            notAfter: notAfter,
            dnsNames: dnsNames,
            ipAddresses: ipAddresses,
            keyAlgorithm: algorithm,
            keyBits: bits,
            isCA: (X509_get_extension_flags(pointer) & UInt32(EXFLAG_CA)) != 0,
            isSelfSigned: isSelfSigned,
            der: der)
    }

    private func commonName() -> String {
        guard let name = X509_get_subject_name(pointer) else { return "" }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
              let data = X509_NAME_ENTRY_get_data(entry) else { return "" }
        return Self.utf8(data)
    }

    private func subjectAlternativeNames() -> (dns: [String], ip: [String]) {
        guard let raw = X509_get_ext_d2i(pointer, NID_subject_alt_name, nil, nil) else {
            _ = drainOpenSSLErrors()
            return ([], [])
        }
        let names = OpaquePointer(raw)
        defer { slbcert_GENERAL_NAMES_free(names) }
        var dns: [String] = []
        var ip: [String] = []
        for index in 0..<slbcert_sk_GENERAL_NAME_num(names) {
            guard let general = slbcert_sk_GENERAL_NAME_value(names, index) else { continue }
            switch general.pointee.type {
            case GEN_DNS:
                if let value = general.pointee.d.dNSName { dns.append(Self.utf8(value)) }
            case GEN_IPADD:
                if let value = general.pointee.d.iPAddress, let text = Self.ipText(value) { ip.append(text) }
            default:
                break
            }
        }
        return (dns, ip)
    }

    private func serialHex() -> String {
        guard let serial = X509_get0_serialNumber(pointer), let number = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
        defer { BN_free(number) }
        guard let hex = BN_bn2hex(number) else { return "" }
        defer { CRYPTO_free(hex, #fileID, #line) }
        return String(cString: hex)
    }

    static func milliseconds(_ time: UnsafePointer<ASN1_TIME>?) -> Int64 {
        guard let time else { return 0 }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return 0 }
        return Int64(timegm(&parts)) * 1000
    }

    static func oneLine(_ name: OpaquePointer?) -> String {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard X509_NAME_print_ex(bio, name, 0, slbcert_XN_FLAG_RFC2253()) >= 0 else { return "" }
        return readAll(bio)
    }

    static func readAll(_ bio: OpaquePointer) -> String {
        var data: UnsafeMutablePointer<CChar>?
        let length = slbcert_BIO_get_mem_data(bio, &data)
        guard let data, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    static func utf8(_ string: UnsafeMutablePointer<ASN1_STRING>) -> String {
        var out: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&out, string)
        guard length >= 0, let out else { return "" }
        defer { CRYPTO_free(out, #fileID, #line) }
        return String(decoding: UnsafeBufferPointer(start: out, count: Int(length)), as: UTF8.self)
    }

    static func ipText(_ octets: UnsafeMutablePointer<ASN1_STRING>) -> String? {
        let length = Int(ASN1_STRING_length(octets))
        guard let data = ASN1_STRING_get0_data(octets) else { return nil }
        let bytes = Array(UnsafeBufferPointer(start: data, count: length))
        var buffer = [CChar](repeating: 0, count: 64)
        let family: Int32
        switch length {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        let ok = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) } != nil
        return ok ? buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : nil
    }
}

/// Facts about one certificate, copied out of OpenSSL. A value type: safe to share and compare.
public struct CertificateInfo: Sendable, Equatable {
    /// The service's `Fingerprint`: SHA-1 of the DER, lower-case hex joined by ':'.
    public let fingerprint: String
    public let fingerprintSHA256: String
    public let commonName: String
    public let subject: String
    public let issuer: String
    /// Upper-case hex, as OpenSSL prints it.
    public let serialNumber: String
    /// Milliseconds since the Unix epoch.
    public let notBefore: Int64
    public let notAfter: Int64
    public let dnsNames: [String]
    public let ipAddresses: [String]
    public let keyAlgorithm: String
    public let keyBits: Int
    public let isCA: Bool
    public let isSelfSigned: Bool
    public let der: [UInt8]

    public var notBeforeText: String { UTCTime.format(milliseconds: notBefore) }
    public var notAfterText: String { UTCTime.format(milliseconds: notAfter) }
    /// The certificate as one canonical PEM block.
    public var pem: String { PEM.encode(label: "CERTIFICATE", der: der) }
}
