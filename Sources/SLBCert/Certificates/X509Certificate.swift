import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// The expensive operations one parse makes, counted so that tests can assert the work stays bounded.
final class ParseWork {
    /// Signature verifications started (each is one public-key operation).
    var signatureVerifications = 0
    /// Key-derivation cost handed to OpenSSL or to `pbkdf2`: iterations for PBKDF2 and the PKCS#5 v1.5 and
    /// PKCS#12 schemes, N * r * p for scrypt.
    var keyDerivationCost = 0
}

/// Library contexts for parsing.
enum OpenSSLContexts {
    /// A context with only OpenSSL's "null" provider: d2i_X509 into it parses the certificate's structure
    /// and skips the provider decoder search it would otherwise run for every public key (OpenSSL 3.0's
    /// slowest step here). The key is then built once from the SubjectPublicKeyInfo, and every check that
    /// needs a digest or a signature runs in the default context. nil if it cannot be made: then
    /// certificates are parsed in the default context, with the same results.
    // Made once and never freed; OpenSSL library contexts may be shared between threads.
    nonisolated(unsafe) static let structureOnly: OpaquePointer? = {
        guard let context = OSSL_LIB_CTX_new() else { return nil }
        guard OSSL_PROVIDER_load(context, "null") != nil else {
            OSSL_LIB_CTX_free(context)
            ERR_clear_error()
            return nil
        }
        return context
    }()
}

/// Owns one OpenSSL X509 for the duration of parsing. Facts are copied out into `CertificateInfo`,
/// so no OpenSSL object outlives the parse.
///
/// Parsed in `OpenSSLContexts.structureOnly`, the X509 has no public key of its own and OpenSSL's
/// X509_check_issued, X509_self_signed and X509_verify cannot be used on it; `mayBeIssued(by:)`,
/// `isSelfSigned` and `signatureVerifies(with:)` make exactly their checks with public calls, and
/// CertificateTests compare them with OpenSSL's own on every pair of the test certificates.
final class X509Certificate {
    let pointer: OpaquePointer
    let der: [UInt8]
    /// The DER's SHA-256, computed once: the duplicate check and the SHA-256 fingerprint both need it.
    let sha256: [UInt8]
    /// The public key, built once from the SubjectPublicKeyInfo; nil when OpenSSL cannot read it.
    let publicKey: OpaquePointer?
    /// X509_get_extension_flags: basicConstraints, keyUsage presence, proxy, and whether the
    /// extensions decoded (EXFLAG_INVALID).
    let extensionFlags: UInt32
    private let parsedInDefaultContext: Bool
    /// The tbsCertificate's bytes within `der`; nil if they are not in definite-length form.
    private let toBeSigned: Range<Int>?
    private let work: ParseWork

    /// Parses exactly one DER certificate; nil when the bytes are not one (or have trailing bytes).
    init?(der: [UInt8], work: ParseWork) {
        let context = OpenSSLContexts.structureOnly
        var parsed: OpaquePointer? = context.flatMap { X509_new_ex($0, nil) }
        let consumed: Int = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            // On failure d2i_X509 frees the object it was given and clears the pointer.
            parsed = d2i_X509(&parsed, &cursor, buffer.count)
            guard let cursor, let base = buffer.baseAddress else { return -1 }
            return cursor - base
        }
        guard let parsed else { ERR_clear_error(); return nil }
        guard consumed == der.count else { X509_free(parsed); ERR_clear_error(); return nil }
        pointer = parsed
        self.der = der
        sha256 = Digest.sha256(der)
        self.work = work
        parsedInDefaultContext = context == nil
        // Computes OpenSSL's extension cache; in the structure-only context its SHA-1 fingerprint step
        // fails (no digests there), which nothing here uses.
        extensionFlags = X509_get_extension_flags(parsed)
        toBeSigned = DER.firstElement(ofSequence: der)
        publicKey = context == nil ? X509_get_pubkey(parsed) : Self.makePublicKey(parsed)
        ERR_clear_error()
    }

    deinit {
        if case .some(.some(let decoded)) = decodedAuthorityKeyIdentifier { AUTHORITY_KEYID_free(decoded) }
        if let publicKey { EVP_PKEY_free(publicKey) }
        X509_free(pointer)
    }

    /// What OpenSSL's SubjectPublicKeyInfo decoders build, made directly for the common key types: RSA,
    /// and EC on the NIST curves. Anything else (and anything those paths refuse) goes to d2i_PUBKEY.
    private static func makePublicKey(_ certificate: OpaquePointer) -> OpaquePointer? {
        guard let spki = X509_get_X509_PUBKEY(certificate) else { return nil }
        var algorithm: OpaquePointer?
        var bytes: UnsafePointer<UInt8>?
        var length: Int32 = 0
        var parameters: UnsafeMutablePointer<X509_ALGOR>?
        guard X509_PUBKEY_get0_param(&algorithm, &bytes, &length, &parameters, spki) == 1,
              let bytes, length > 0 else { return decodeGeneric(spki) }
        var fast: OpaquePointer?
        switch OBJ_obj2nid(algorithm) {
        case NID_rsaEncryption:
            fast = legacyOpenSSL.rsaPublicKey(bytes, count: Int(length))
        case NID_X9_62_id_ecPublicKey:
            var type: Int32 = 0
            var value: UnsafeRawPointer?
            X509_ALGOR_get0(nil, &type, &value, parameters)
            if type == V_ASN1_OBJECT, let value {
                let curve = OBJ_obj2nid(OpaquePointer(value))
                if curve == NID_X9_62_prime256v1 || curve == NID_secp384r1 || curve == NID_secp521r1 {
                    fast = legacyOpenSSL.ecPublicKey(curve: curve, point: bytes, count: Int(length))
                }
            }
        default:
            break
        }
        return fast ?? decodeGeneric(spki)
    }

    private static func decodeGeneric(_ spki: OpaquePointer) -> OpaquePointer? {
        var encoded: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509_PUBKEY(spki, &encoded)
        guard length > 0, let encoded else { return nil }
        defer { CRYPTO_free(encoded, #fileID, #line) }
        var cursor: UnsafePointer<UInt8>? = UnsafePointer(encoded)
        return d2i_PUBKEY(nil, &cursor, Int(length))
    }

    // MARK: Issuance: X509_check_issued, X509_self_signed and X509_verify, with public calls

    /// OpenSSL's extension cache decoded every extension; in the default context a missing SHA-1
    /// fingerprint also makes it fail (ossl_x509v3_cache_extensions), in the structure-only one it is expected.
    private var extensionsValid: Bool {
        extensionFlags & UInt32(EXFLAG_INVALID) == 0
            && (!parsedInDefaultContext || extensionFlags & UInt32(EXFLAG_NO_FINGERPRINT) == 0)
    }

    /// nil until decoded; then the extension, or .some(nil) when the certificate has none.
    private var decodedAuthorityKeyIdentifier: UnsafeMutablePointer<AUTHORITY_KEYID>??

    private var authorityKeyIdentifier: UnsafeMutablePointer<AUTHORITY_KEYID>? {
        if let decoded = decodedAuthorityKeyIdentifier { return decoded }
        let decoded = X509_get_ext_d2i(pointer, NID_authority_key_identifier, nil, nil)?.assumingMemoryBound(to: AUTHORITY_KEYID.self)
        ERR_clear_error()
        decodedAuthorityKeyIdentifier = .some(decoded)
        return decoded
    }

    /// keyUsage as OpenSSL caches it (the first two bytes of the bit string); nil without the extension.
    private lazy var keyUsage: UInt32? = {
        guard extensionFlags & UInt32(EXFLAG_KUSAGE) != 0 else { return nil }
        guard let raw = X509_get_ext_d2i(pointer, NID_key_usage, nil, nil) else { ERR_clear_error(); return 0 }
        let bits = raw.assumingMemoryBound(to: ASN1_STRING.self)
        defer { ASN1_STRING_free(bits) }
        let length = ASN1_STRING_length(bits)
        guard length > 0, let data = ASN1_STRING_get0_data(bits) else { return 0 }
        return UInt32(data[0]) | (length > 1 ? UInt32(data[1]) << 8 : 0)
    }()

    /// X509_check_issued(issuer, self) == X509_V_OK: names, key identifiers, the signature algorithm
    /// against the issuer's key type, and the issuer's keyUsage. The signature itself is not checked.
    func mayBeIssued(by issuer: X509Certificate) -> Bool {
        guard X509_NAME_cmp(X509_get_subject_name(issuer.pointer), X509_get_issuer_name(pointer)) == 0,
              issuer.extensionsValid, extensionsValid,
              X509_check_akid(issuer.pointer, authorityKeyIdentifier) == X509_V_OK,
              signatureAlgorithmMatches(issuer.publicKey) else { return false }
        // ossl_x509_signing_allowed: a proxy certificate needs digitalSignature, any other keyCertSign.
        let needed = extensionFlags & UInt32(EXFLAG_PROXY) != 0 ? UInt32(KU_DIGITAL_SIGNATURE) : UInt32(KU_KEY_CERT_SIGN)
        if let usage = issuer.keyUsage, usage & needed == 0 { return false }
        return true
    }

    /// True when `issuer` may have issued this certificate and its key verifies the signature.
    func isIssued(by issuer: X509Certificate) -> Bool {
        mayBeIssued(by: issuer) && signatureVerifies(with: issuer.publicKey)
    }

    /// X509_self_signed(self, 1) == 1: subject equals issuer, the key identifiers agree, the signature
    /// algorithm suits the certificate's own key, and that key verifies it. Unlike `isIssued(by: self)`
    /// this does not ask for keyUsage keyCertSign, which self-signed server certificates often lack.
    private(set) lazy var isSelfSigned: Bool = {
        guard publicKey != nil, extensionsValid,
              X509_NAME_cmp(X509_get_subject_name(pointer), X509_get_issuer_name(pointer)) == 0,
              X509_check_akid(pointer, authorityKeyIdentifier) == X509_V_OK,
              signatureAlgorithmMatches(publicKey) else { return false }
        return signatureVerifies(with: publicKey)
    }()

    /// check_sig_alg_match: the key type the signature algorithm names is the key's type (or RSA for PSS).
    private func signatureAlgorithmMatches(_ key: OpaquePointer?) -> Bool {
        guard let key, let algorithm = X509_get0_tbs_sigalg(pointer) else { return false }
        var object: OpaquePointer?
        X509_ALGOR_get0(&object, nil, nil, algorithm)
        var keyType: Int32 = 0
        guard OBJ_find_sigid_algs(OBJ_obj2nid(object), nil, &keyType) != 0, let name = OBJ_nid2sn(keyType) else {
            return false
        }
        return EVP_PKEY_is_a(key, name) == 1 || (EVP_PKEY_is_a(key, "RSA") == 1 && keyType == NID_rsassaPss)
    }

    /// X509_verify(self, key) == 1: the outer and inner signature algorithms agree and `key` verifies the
    /// signature over the tbsCertificate exactly as received (ASN1_item_verify_ex, default context).
    func signatureVerifies(with key: OpaquePointer?) -> Bool {
        guard let key else { return false }
        work.signatureVerifications += 1
        defer { ERR_clear_error() }
        guard let toBeSigned, let length = Int32(exactly: toBeSigned.count) else { return verifyReparsed(with: key) }
        var signature: UnsafePointer<ASN1_BIT_STRING>?
        var outer: UnsafePointer<X509_ALGOR>?
        X509_get0_signature(&signature, &outer, pointer)
        guard let signature, let outer, X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(pointer)) == 0,
              let content = ASN1_STRING_type_new(V_ASN1_SEQUENCE) else { return false }
        guard let value = ASN1_TYPE_new() else { ASN1_STRING_free(content); return false }
        defer { ASN1_TYPE_free(value) }
        // An ANY holding a SEQUENCE encodes as its bytes verbatim: the signed bytes, as received.
        let stored = der.withUnsafeBufferPointer { buffer in
            ASN1_STRING_set(content, buffer.baseAddress.map { $0 + toBeSigned.lowerBound }, length)
        }
        ASN1_TYPE_set(value, V_ASN1_SEQUENCE, UnsafeMutableRawPointer(content))
        guard stored == 1 else { return false }
        return ASN1_item_verify_ex(ASN1_ANY_it(), outer, signature, UnsafeRawPointer(value), nil, key, nil, nil) == 1
    }

    /// For a certificate in indefinite-length (BER) form: X509_verify on a copy parsed in the default context.
    private func verifyReparsed(with key: OpaquePointer) -> Bool {
        let copy: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let copy else { return false }
        defer { X509_free(copy) }
        return X509_verify(copy, key) == 1
    }

    // MARK: Facts

    private(set) lazy var info: CertificateInfo = {
        let notBefore = Self.milliseconds(X509_get0_notBefore(pointer))
        let notAfter = Self.milliseconds(X509_get0_notAfter(pointer))
        let (dnsNames, ipAddresses) = subjectAlternativeNames()
        let (algorithm, bits) = KeyFacts.describe(publicKey)
        let names = Self.oneLine(X509_get_subject_name(pointer), X509_get_issuer_name(pointer))
        return CertificateInfo(
            fingerprint: Hex.encode(Digest.sha1(der), separator: ":"),
            fingerprintSHA256: Hex.encode(sha256, separator: ":"),
            commonName: commonName(),
            subject: names.subject,
            issuer: names.issuer,
            serialNumber: serialHex(),
            notBefore: notBefore,
            notAfter: notAfter,
            dnsNames: dnsNames,
            ipAddresses: ipAddresses,
            keyAlgorithm: algorithm,
            keyBits: bits,
            isCA: extensionFlags & UInt32(EXFLAG_CA) != 0,
            isSelfSigned: isSelfSigned,
            der: der)
    }()

    private func commonName() -> String {
        guard let name = X509_get_subject_name(pointer) else { return "" }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
              let data = X509_NAME_ENTRY_get_data(entry) else { return "" }
        return Self.utf8(data)
    }

    private func subjectAlternativeNames() -> (dns: [String], ip: [String]) {
        guard let raw = X509_get_ext_d2i(pointer, NID_subject_alt_name, nil, nil) else {
            ERR_clear_error()
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
        let (value, overflow) = Int64(timegm(&parts)).multipliedReportingOverflow(by: 1000)
        return overflow ? 0 : value
    }

    /// Both names in RFC 2253 form, printed through one memory BIO.
    static func oneLine(_ subject: OpaquePointer?, _ issuer: OpaquePointer?) -> (subject: String, issuer: String) {
        guard let bio = BIO_new(BIO_s_mem()) else { return ("", "") }
        defer { BIO_free(bio) }
        func print(_ name: OpaquePointer?) -> String {
            guard let name, slbcert_BIO_reset(bio) > 0, X509_NAME_print_ex(bio, name, 0, slbcert_XN_FLAG_RFC2253()) >= 0 else {
                return ""
            }
            return readAll(bio)
        }
        return (print(subject), print(issuer))
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
        let family: Int32
        switch length {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var buffer = [CChar](repeating: 0, count: 64)
        let ok = buffer.withUnsafeMutableBufferPointer { out in
            inet_ntop(family, data, out.baseAddress, socklen_t(out.count)) != nil
        }
        guard ok else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
