import COpenSSL

/// How much work decrypting a key may ask for. An encrypted PKCS#8 key names its own key-derivation cost,
/// and the format allows 2^31 PBKDF2 iterations (minutes of CPU time) in a file of two kilobytes; the
/// parameters are read and checked before anything is derived.
public enum KeyDerivationLimits {
    /// PBKDF2 (PBES2), PKCS#5 v1.5 and PKCS#12 iterations. openssl 3 and python-cryptography write 2048,
    /// Java's keytool and Go's pkcs8 10,000; OWASP's 600,000 for PBKDF2-SHA256 fits too.
    public static let maxIterations: Int64 = 1_000_000
    /// scrypt's N * r * p: openssl writes N = 16384, r = 8, p = 1 (131,072); this is eight times that.
    public static let maxScryptCost: UInt64 = 1 << 20
}

/// What an EncryptedPrivateKeyInfo asks for, read with OpenSSL's own ASN.1 templates (the ones its
/// decryption uses, so both read the same numbers).
enum KeyEncryptionScheme: Equatable {
    /// PBES2 with PBKDF2; `prf` is the HMAC's NID.
    case pbkdf2(iterations: Int64, prf: Int32)
    case scrypt(n: UInt64, r: UInt64, p: UInt64)
    /// PKCS#5 v1.5 or PKCS#12 password-based encryption.
    case passwordBased(iterations: Int64)
    /// A scheme or parameters OpenSSL cannot decrypt with: nothing would be derived.
    case unreadable(String)

    /// Reads the scheme of `algorithm`, the EncryptedPrivateKeyInfo's encryptionAlgorithm.
    init(_ algorithm: UnsafePointer<X509_ALGOR>) {
        let nid = OBJ_obj2nid(algorithm.pointee.algorithm)
        switch nid {
        case NID_pbes2:
            guard let pbe2 = Self.unpack(PBE2PARAM_it(), algorithm.pointee.parameter, as: PBE2PARAM.self) else {
                self = .unreadable("its PBES2 parameters do not decode")
                return
            }
            defer { PBE2PARAM_free(pbe2) }
            guard let function = pbe2.pointee.keyfunc else { self = .unreadable("it names no key derivation"); return }
            switch OBJ_obj2nid(function.pointee.algorithm) {
            case NID_id_pbkdf2:
                guard let kdf = Self.unpack(PBKDF2PARAM_it(), function.pointee.parameter, as: PBKDF2PARAM.self) else {
                    self = .unreadable("its PBKDF2 parameters do not decode")
                    return
                }
                defer { PBKDF2PARAM_free(kdf) }
                let prf = kdf.pointee.prf.map { OBJ_obj2nid($0.pointee.algorithm) } ?? NID_hmacWithSHA1
                self = .pbkdf2(iterations: Self.iterations(kdf.pointee.iter), prf: prf)
            case NID_id_scrypt:
                guard let scrypt = Self.unpack(SCRYPT_PARAMS_it(), function.pointee.parameter, as: SCRYPT_PARAMS.self) else {
                    self = .unreadable("its scrypt parameters do not decode")
                    return
                }
                defer { SCRYPT_PARAMS_free(scrypt) }
                var n: UInt64 = 0, r: UInt64 = 0, p: UInt64 = 0
                guard ASN1_INTEGER_get_uint64(&n, scrypt.pointee.costParameter) == 1,
                      ASN1_INTEGER_get_uint64(&r, scrypt.pointee.blockSize) == 1,
                      ASN1_INTEGER_get_uint64(&p, scrypt.pointee.parallelizationParameter) == 1 else {
                    ERR_clear_error()
                    self = .unreadable("its scrypt parameters are not positive 64-bit numbers")
                    return
                }
                self = .scrypt(n: n, r: r, p: p)
            default:
                self = .unreadable("its key derivation (\(Self.name(function.pointee.algorithm))) is neither PBKDF2 nor scrypt")
            }
        case NID_pbeWithMD2AndDES_CBC, NID_pbeWithMD5AndDES_CBC, NID_pbeWithSHA1AndRC2_CBC, NID_pbeWithMD2AndRC2_CBC,
             NID_pbeWithMD5AndRC2_CBC, NID_pbeWithSHA1AndDES_CBC, NID_pbe_WithSHA1And128BitRC4, NID_pbe_WithSHA1And40BitRC4,
             NID_pbe_WithSHA1And3_Key_TripleDES_CBC, NID_pbe_WithSHA1And2_Key_TripleDES_CBC,
             NID_pbe_WithSHA1And128BitRC2_CBC, NID_pbe_WithSHA1And40BitRC2_CBC:
            guard let pbe = Self.unpack(PBEPARAM_it(), algorithm.pointee.parameter, as: PBEPARAM.self) else {
                self = .unreadable("its password-based encryption parameters do not decode")
                return
            }
            defer { PBEPARAM_free(pbe) }
            self = .passwordBased(iterations: pbe.pointee.iter == nil ? 1 : Self.iterations(pbe.pointee.iter))
        default:
            self = .unreadable("it is encrypted with \(Self.name(algorithm.pointee.algorithm)), which OpenSSL cannot decrypt")
        }
    }

    enum Admission {
        /// The cost in `ParseWork.keyDerivationCost` units.
        case admitted(Int)
        case refused(Finding)
    }

    /// Whether the derivation is within `KeyDerivationLimits`.
    func admit() -> Admission {
        func tooHigh(_ text: String) -> Admission {
            .refused(Finding(.error, .keyCostTooHigh, "The private key's encryption asks for \(text). "
                + "Re-encrypt the key with the usual cost, e.g.: openssl pkcs8 -topk8 -v2 aes-256-cbc -in KEY -out NEWKEY"))
        }
        switch self {
        case .pbkdf2(let iterations, _), .passwordBased(let iterations):
            guard iterations >= 1 else {
                return .refused(Finding(.error, .keyUnreadable, "The private key's encryption names \(iterations) iterations; it cannot be decrypted."))
            }
            guard iterations <= KeyDerivationLimits.maxIterations else {
                return tooHigh(iterations == Int64.max ? "more than 2^63 key-derivation iterations"
                    : "\(iterations) key-derivation iterations; slbcert derives with at most \(KeyDerivationLimits.maxIterations) (openssl writes 2048)")
            }
            return .admitted(Int(iterations))
        case .scrypt(let n, let r, let p):
            let (nr, overflow1) = n.multipliedReportingOverflow(by: r)
            let (cost, overflow2) = nr.multipliedReportingOverflow(by: p)
            guard !overflow1, !overflow2, cost <= KeyDerivationLimits.maxScryptCost else {
                return tooHigh("scrypt with N=\(n), r=\(r), p=\(p); slbcert derives with N*r*p at most "
                    + "\(KeyDerivationLimits.maxScryptCost) (openssl writes N=16384, r=8, p=1)")
            }
            return .admitted(Int(cost))
        case .unreadable(let reason):
            return .refused(Finding(.error, .keyUnreadable, "The encrypted private key cannot be read: \(reason)."))
        }
    }

    private static func unpack<T>(_ item: OpaquePointer?, _ parameter: UnsafeMutablePointer<ASN1_TYPE>?, as: T.Type)
        -> UnsafeMutablePointer<T>? {
        guard let item, let parameter, let raw = ASN1_TYPE_unpack_sequence(item, parameter) else {
            ERR_clear_error()
            return nil
        }
        return raw.assumingMemoryBound(to: T.self)
    }

    /// An iteration count; Int64.max stands for one too large for 64 bits.
    private static func iterations(_ integer: UnsafeMutablePointer<ASN1_INTEGER>?) -> Int64 {
        var value: Int64 = 0
        guard let integer else { return 0 }
        guard ASN1_INTEGER_get_int64(&value, integer) == 1 else {
            ERR_clear_error()
            return ASN1_STRING_type(integer) == V_ASN1_NEG_INTEGER ? 0 : Int64.max
        }
        return value
    }

    static func name(_ object: OpaquePointer?) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        let length = buffer.withUnsafeMutableBufferPointer { OBJ_obj2txt($0.baseAddress, Int32($0.count), object, 0) }
        guard length > 0 else { return "an unknown algorithm" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Decrypts an EncryptedPrivateKeyInfo whose scheme has been admitted.
enum KeyDecryption {
    /// The PrivateKeyInfo inside, or nil when the passphrase (or anything else) does not decrypt it.
    /// PBES2 with PBKDF2-HMAC-SHA1 or -SHA256 runs the steps of OpenSSL's PKCS5_v2_PBE_keyivgen with
    /// `pbkdf2` deriving the key (OpenSSL 3.0's own PBKDF2 spends most of its time outside the hash);
    /// every other scheme is OpenSSL's PKCS8_decrypt.
    static func decrypt(_ encrypted: OpaquePointer, scheme: KeyEncryptionScheme, passphrase: SecretBytes) -> OpaquePointer? {
        defer { ERR_clear_error() }
        if case .pbkdf2(_, let prf) = scheme, prf == NID_hmacWithSHA1 || prf == NID_hmacWithSHA256 {
            switch decryptPBKDF2(encrypted, passphrase: passphrase) {
            case .decrypted(let info): return info
            case .failed: return nil
            case .notApplicable: break
            }
        }
        return passphrase.withUnsafeBytes { phrase in
            phrase.withMemoryRebound(to: CChar.self) { PKCS8_decrypt(encrypted, $0.baseAddress, Int32(clamping: $0.count)) }
        }
    }

    private enum Outcome {
        case decrypted(OpaquePointer)
        case failed
        /// The cipher is one this path leaves to PKCS8_decrypt.
        case notApplicable
    }

    private static func decryptPBKDF2(_ encrypted: OpaquePointer, passphrase: SecretBytes) -> Outcome {
        var algorithm: UnsafePointer<X509_ALGOR>?
        var data: UnsafePointer<ASN1_OCTET_STRING>?
        X509_SIG_get0(encrypted, &algorithm, &data)
        guard let algorithm, let data,
              let raw = ASN1_TYPE_unpack_sequence(PBE2PARAM_it(), algorithm.pointee.parameter) else { return .failed }
        let pbe2 = raw.assumingMemoryBound(to: PBE2PARAM.self)
        defer { PBE2PARAM_free(pbe2) }
        guard let function = pbe2.pointee.keyfunc, let encryption = pbe2.pointee.encryption,
              let kdfRaw = ASN1_TYPE_unpack_sequence(PBKDF2PARAM_it(), function.pointee.parameter) else { return .failed }
        let kdf = kdfRaw.assumingMemoryBound(to: PBKDF2PARAM.self)
        defer { PBKDF2PARAM_free(kdf) }

        // The cipher, by its OID, as PKCS5_v2_PBE_keyivgen_ex finds it.
        let name = KeyEncryptionScheme.name(encryption.pointee.algorithm)
        let fetched = EVP_CIPHER_fetch(nil, name, nil)
        defer { if let fetched { EVP_CIPHER_free(fetched) } }
        guard let cipher = fetched ?? EVP_get_cipherbyname(name) else { return .failed }
        // Ciphers that carry a MAC (GOST) take OpenSSL's own path.
        guard EVP_CIPHER_get_flags(cipher) & UInt(EVP_CIPH_FLAG_CIPHER_WITH_MAC) == 0 else { return .notApplicable }
        guard let context = EVP_CIPHER_CTX_new() else { return .failed }
        defer { EVP_CIPHER_CTX_free(context) }
        guard EVP_CipherInit_ex(context, cipher, nil, nil, nil, 0) == 1,
              EVP_CIPHER_asn1_to_param(context, encryption.pointee.parameter) > 0 else { return .failed }
        let keyLength = Int(EVP_CIPHER_CTX_get_key_length(context))
        guard keyLength > 0, keyLength <= Int(EVP_MAX_KEY_LENGTH) else { return .failed }
        if let stated = kdf.pointee.keylength, ASN1_INTEGER_get(stated) != keyLength { return .failed }
        guard let salt = kdf.pointee.salt, salt.pointee.type == V_ASN1_OCTET_STRING,
              let saltString = salt.pointee.value.octet_string else { return .failed }
        let iterations = Int(ASN1_INTEGER_get(kdf.pointee.iter))
        guard iterations >= 1 else { return .failed }
        let prf = kdf.pointee.prf.map { OBJ_obj2nid($0.pointee.algorithm) } ?? NID_hmacWithSHA1

        var key = [UInt8](repeating: 0, count: keyLength)
        defer { wipe(&key) }
        let saltBytes = UnsafeRawBufferPointer(start: ASN1_STRING_get0_data(saltString), count: Int(ASN1_STRING_length(saltString)))
        passphrase.withUnsafeBytes { phrase in
            key.withUnsafeMutableBytes { key in
                if prf == NID_hmacWithSHA256 {
                    pbkdf2(SHA256Function.self, password: UnsafeRawBufferPointer(phrase), salt: saltBytes, iterations: iterations, into: key)
                } else {
                    pbkdf2(SHA1Function.self, password: UnsafeRawBufferPointer(phrase), salt: saltBytes, iterations: iterations, into: key)
                }
            }
        }
        guard EVP_CipherInit_ex(context, nil, nil, key, nil, 0) == 1 else { return .failed }

        // PKCS12_pbe_crypt_ex's decryption, into memory that is wiped whatever happens.
        let inputLength = Int(ASN1_STRING_length(data))
        guard let input = ASN1_STRING_get0_data(data), inputLength > 0, inputLength < Int(Int32.max) - 64 else { return .failed }
        let capacity = inputLength + Int(EVP_CIPHER_CTX_get_block_size(context))
        let plain = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer {
            wipeMemory(plain, capacity)
            plain.deallocate()
        }
        var written: Int32 = 0
        var last: Int32 = 0
        guard EVP_CipherUpdate(context, plain, &written, input, Int32(inputLength)) == 1,
              EVP_CipherFinal_ex(context, plain + Int(written), &last) == 1 else { return .failed }
        var cursor: UnsafePointer<UInt8>? = UnsafePointer(plain)
        guard let info = d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, Int(written + last)) else { return .failed }
        return .decrypted(info)
    }
}
