import COpenSSL

enum KeyFacts {
    /// A readable algorithm name and the size in bits of an EVP_PKEY.
    static func describe(_ key: OpaquePointer?) -> (algorithm: String, bits: Int) {
        guard let key else { return ("unknown", 0) }
        let bits = Int(EVP_PKEY_get_bits(key))
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_RSA, EVP_PKEY_RSA_PSS: return ("RSA", bits)
        case EVP_PKEY_EC: return ("EC", bits)
        case EVP_PKEY_ED25519: return ("Ed25519", bits)
        case EVP_PKEY_ED448: return ("Ed448", bits)
        case EVP_PKEY_DSA: return ("DSA", bits)
        default:
            if let name = EVP_PKEY_get0_type_name(key) { return (String(cString: name), bits) }
            return ("unknown", bits)
        }
    }
}

/// Owns an OpenSSL EVP_PKEY during parsing; everything callers keep is copied into `PrivateKeyInfo`.
final class PrivateKeyHandle {
    let pointer: OpaquePointer
    /// The PKCS#1 DER the key was read from, when it is already in the canonical form CLB gets.
    private let canonicalPKCS1: SecretBytes?

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
        canonicalPKCS1 = nil
    }

    /// An RSA key read from PKCS#1 DER (on its own, or inside PKCS#8); nil when OpenSSL refuses it.
    init?(pkcs1 der: UnsafeBufferPointer<UInt8>) {
        guard let base = der.baseAddress, let key = legacyOpenSSL.rsaPrivateKey(base, count: der.count) else { return nil }
        pointer = key
        canonicalPKCS1 = DER.isCanonicalRSAPrivateKey(der) ? SecretBytes(der) : nil
    }

    deinit { EVP_PKEY_free(pointer) }

    /// True when this private key belongs to `certificate`'s public key.
    func matches(_ certificate: X509Certificate) -> Bool {
        guard let publicKey = certificate.publicKey else { return false }
        let equal = EVP_PKEY_eq(publicKey, pointer) == 1
        ERR_clear_error()
        return equal
    }

    /// The key as CLB wants it: unencrypted "traditional" PEM, which for RSA is PKCS#1
    /// (-----BEGIN RSA PRIVATE KEY-----). Keys with no traditional form (Ed25519) fall back to PKCS#8.
    func traditionalPEM() -> SecretBytes? {
        if let canonicalPKCS1 {
            return canonicalPKCS1.withUnsafeBytes { PEM.encodeSecret(label: "RSA PRIVATE KEY", der: $0) }
        }
        if EVP_PKEY_get_base_id(pointer) == EVP_PKEY_RSA,
           let pem = legacyOpenSSL.withRSAPrivateKeyDER(pointer, { PEM.encodeSecret(label: "RSA PRIVATE KEY", der: $0) }) {
            return pem
        }
        // A secure-memory BIO is cleared when freed, so the encoded key leaves no copy behind.
        guard let bio = BIO_new(BIO_s_secmem()) else { return nil }
        defer { BIO_free(bio) }
        var ok = PEM_write_bio_PrivateKey_traditional(bio, pointer, nil, nil, 0, nil, nil) == 1
        if !ok {
            ERR_clear_error()
            _ = slbcert_BIO_reset(bio)
            ok = PEM_write_bio_PrivateKey(bio, pointer, nil, nil, 0, nil, nil) == 1
        }
        guard ok else { ERR_clear_error(); return nil }
        var data: UnsafeMutablePointer<CChar>?
        let length = slbcert_BIO_get_mem_data(bio, &data)
        guard let data, length > 0 else { return nil }
        return SecretBytes(UnsafeRawBufferPointer(start: data, count: Int(length)))
    }
}

/// What the bundle reports about its private key (never the key itself).
public struct PrivateKeyInfo: Sendable, Equatable {
    public enum Form: String, Sendable {
        case pkcs1 = "PKCS#1"
        case pkcs8 = "PKCS#8"
        case pkcs8Encrypted = "PKCS#8 (encrypted)"
        case pkcs1Encrypted = "PKCS#1 (legacy encrypted)"
        case sec1 = "SEC1"
        case sec1Encrypted = "SEC1 (legacy encrypted)"
    }
    public let algorithm: String
    public let bits: Int
    public let form: Form
}

enum KeyParser {
    enum Outcome {
        case key(PrivateKeyHandle, PrivateKeyInfo)
        case problem(Finding)
    }

    static let keyLabels: Set<String> = ["RSA PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY"]
    /// OpenSSL's PEM reader takes a passphrase of at most PEM_BUFSIZE bytes.
    static let maxPassphraseBytes = 1024

    /// Reads the first private-key block of `bytes`.
    ///
    /// RSA keys in PKCS#1 and PKCS#8, and PKCS#8 keys encrypted with PBES2, are decoded from their DER with
    /// the functions OpenSSL's decoders end up calling (d2i_RSAPrivateKey, d2i_PKCS8_PRIV_KEY_INFO,
    /// PKCS#8 decryption); any key those paths do not take, or refuse, goes to PEM_read_bio_PrivateKey
    /// as before. An encrypted PKCS#8 key's derivation cost is checked first (`KeyDerivationLimits`).
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, passphrase: SecretBytes?, work: ParseWork) -> Outcome {
        var scan = PEM.scan(bytes)
        // The bodies are the key's base64. `parse(block:)` holds no copy by the time this runs, so the
        // wipe happens in place instead of on a copy-on-write duplicate.
        defer { for index in scan.blocks.indices { scan.blocks[index].wipeBody() } }
        guard let index = scan.blocks.firstIndex(where: { keyLabels.contains($0.label) }) else {
            if scan.blocks.contains(where: { $0.label == "OPENSSH PRIVATE KEY" }) {
                return .problem(Finding(.error, .keyUnreadable,
                    "The key is in OpenSSH format. Convert it to PEM with: ssh-keygen -p -m PEM -f KEYFILE"))
            }
            if !scan.unterminated.isEmpty {
                return .problem(Finding(.error, .keyUnreadable,
                    "The private key block \"\(scan.unterminated[0])\" has no END line; the file looks truncated."))
            }
            return .problem(Finding(.error, .noPrivateKey,
                "No PEM private key was found in the key input. Supply the key as PEM (-----BEGIN ... PRIVATE KEY-----)."))
        }
        return parse(block: scan.blocks[index], passphrase: passphrase, work: work)
    }

    private static func parse(block: PEMBlock, passphrase: SecretBytes?, work: ParseWork) -> Outcome {
        guard let der = decodeBody(block.base64) else {
            return .problem(Finding(.error, .keyUnreadable,
                "The private key's base64 body is malformed (truncated or damaged). Export the key again."))
        }
        let form = formOf(block)
        let encrypted = [.pkcs8Encrypted, .pkcs1Encrypted, .sec1Encrypted].contains(form)
        guard !encrypted || !(passphrase?.isEmpty ?? true) else {
            return .problem(Finding(.error, .keyEncrypted,
                "The private key is encrypted. Give its passphrase, or decrypt it with: openssl pkey -in KEY -out KEY.plain"))
        }
        if encrypted, let passphrase, passphrase.count > maxPassphraseBytes {
            return .problem(Finding(.error, .keyPassphraseWrong,
                "The passphrase is \(passphrase.count) bytes long; OpenSSL reads at most \(maxPassphraseBytes). Check the passphrase."))
        }

        let handle: PrivateKeyHandle?
        switch form {
        case .pkcs8Encrypted:
            // Always read here, never by the PEM reader: the derivation cost is in the DER, and must be
            // checked before a passphrase is tried.
            guard block.headers.isEmpty else {
                return .problem(Finding(.error, .keyUnreadable,
                    "The ENCRYPTED PRIVATE KEY block carries PEM headers (\(block.headers[0])); export the key again."))
            }
            switch decryptPKCS8(der, passphrase: passphrase, work: work) {
            case .read(let key): handle = key
            case .refused(let finding): return .problem(finding)
            }
        case .pkcs1 where block.headers.isEmpty:
            handle = der.withUnsafeBytes { PrivateKeyHandle(pkcs1: $0) } ?? readPEM(block, passphrase: nil)
        case .pkcs8 where block.headers.isEmpty:
            handle = der.withUnsafeBytes { readPKCS8(UnsafeRawBufferPointer($0)) } ?? readPEM(block, passphrase: nil)
        default:
            handle = readPEM(block, passphrase: encrypted ? passphrase : nil)
        }
        guard let handle else {
            if encrypted {
                return .problem(Finding(.error, .keyPassphraseWrong,
                    "The passphrase does not decrypt the private key. Check the passphrase."))
            }
            return .problem(Finding(.error, .keyUnreadable,
                "The private key could not be read (\(block.label)); it may be damaged or of an unsupported type."))
        }
        let (algorithm, bits) = KeyFacts.describe(handle.pointer)
        return .key(handle, PrivateKeyInfo(algorithm: algorithm, bits: bits, form: form))
    }

    /// The base64 body decoded into wiped storage; nil when it is not valid base64.
    private static func decodeBody(_ base64: [UInt8]) -> SecretBytes? {
        guard base64.count % 4 == 0 else { return nil }
        let capacity = Swift.max(base64.count / 4 * 3, 1)
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: capacity)
        defer {
            wipeMemory(buffer.baseAddress.unsafelyUnwrapped, capacity)
            buffer.deallocate()
        }
        guard let count = base64.withUnsafeBufferPointer({ PEM.decodeBase64($0, into: buffer) }) else { return nil }
        return SecretBytes(UnsafeBufferPointer(rebasing: buffer[0..<count]))
    }

    /// An RSA key from PKCS#8 DER (what OpenSSL's PrivateKeyInfo decoder does for rsaEncryption); nil for
    /// any other key type or on failure.
    private static func readPKCS8(_ der: UnsafeRawBufferPointer) -> PrivateKeyHandle? {
        guard let base = der.baseAddress else { return nil }
        var cursor: UnsafePointer<UInt8>? = base.assumingMemoryBound(to: UInt8.self)
        guard let info = d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, der.count) else { ERR_clear_error(); return nil }
        // Freeing a PKCS8_PRIV_KEY_INFO clears the key bytes it holds.
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        return rsaKey(in: info)
    }

    private static func rsaKey(in info: OpaquePointer) -> PrivateKeyHandle? {
        var algorithm: OpaquePointer?
        var key: UnsafePointer<UInt8>?
        var length: Int32 = 0
        guard PKCS8_pkey_get0(&algorithm, &key, &length, nil, info) == 1, OBJ_obj2nid(algorithm) == NID_rsaEncryption,
              let key, length > 0 else { return nil }
        return PrivateKeyHandle(pkcs1: UnsafeBufferPointer(start: key, count: Int(length)))
    }

    private enum Decryption {
        /// The key, or nil when the passphrase does not decrypt it.
        case read(PrivateKeyHandle?)
        /// Refused before anything was derived.
        case refused(Finding)
    }

    /// An EncryptedPrivateKeyInfo: its scheme read and admitted, then decrypted.
    private static func decryptPKCS8(_ der: SecretBytes, passphrase: SecretBytes?, work: ParseWork) -> Decryption {
        let encrypted: OpaquePointer? = der.withUnsafeBytes { der in
            var cursor: UnsafePointer<UInt8>? = der.baseAddress
            return d2i_X509_SIG(nil, &cursor, der.count)
        }
        guard let encrypted else {
            ERR_clear_error()
            return .refused(Finding(.error, .keyUnreadable,
                "The ENCRYPTED PRIVATE KEY block is not an EncryptedPrivateKeyInfo; it may be damaged. Export the key again."))
        }
        defer { X509_SIG_free(encrypted) }
        var algorithm: UnsafePointer<X509_ALGOR>?
        X509_SIG_get0(encrypted, &algorithm, nil)
        guard let algorithm, let passphrase else { return .read(nil) }
        let scheme = KeyEncryptionScheme(algorithm)
        switch scheme.admit() {
        case .refused(let finding):
            return .refused(finding)
        case .admitted(let cost):
            work.keyDerivationCost += cost
        }
        guard let info = KeyDecryption.decrypt(encrypted, scheme: scheme, passphrase: passphrase) else { return .read(nil) }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        if let key = rsaKey(in: info) { return .read(key) }
        let key = EVP_PKCS82PKEY(info)
        ERR_clear_error()
        return .read(key.map(PrivateKeyHandle.init))
    }

    /// PEM_read_bio_PrivateKey over the block in canonical form. Legacy "Proc-Type: 4,ENCRYPTED" keys are
    /// read here: their key comes from EVP_BytesToKey with an iteration count of 1 (PEM_do_header), so the
    /// work is bounded by the input's size. PKCS#8 blocks never come here encrypted.
    private static func readPEM(_ block: PEMBlock, passphrase: SecretBytes?) -> PrivateKeyHandle? {
        let canonical = block.canonicalText()
        return canonical.withUnsafeBytes { text in
            guard let length = Int32(exactly: text.count), let bio = BIO_new_mem_buf(text.baseAddress, length) else { return nil }
            defer { BIO_free(bio) }
            let read: (UnsafeMutableRawPointer?) -> OpaquePointer? = { userdata in
                PEM_read_bio_PrivateKey(bio, nil, slbcert_passphrase_callback(), userdata)
            }
            let key: OpaquePointer?
            if let passphrase {
                key = passphrase.withUnsafeBytes { phrase in
                    phrase.withMemoryRebound(to: CChar.self) { chars in
                        // The length was checked against maxPassphraseBytes.
                        var state = slbcert_passphrase(bytes: chars.baseAddress, length: Int32(clamping: chars.count), called: 0)
                        return read(&state)
                    }
                }
            } else {
                // Unencrypted: a NULL userdata makes the callback refuse, so OpenSSL never prompts on a TTY.
                key = read(nil)
            }
            ERR_clear_error()
            return key.map(PrivateKeyHandle.init)
        }
    }

    private static func formOf(_ block: PEMBlock) -> PrivateKeyInfo.Form {
        switch block.label {
        case "RSA PRIVATE KEY": return block.isLegacyEncrypted ? .pkcs1Encrypted : .pkcs1
        case "EC PRIVATE KEY": return block.isLegacyEncrypted ? .sec1Encrypted : .sec1
        case "ENCRYPTED PRIVATE KEY": return .pkcs8Encrypted
        default: return .pkcs8
        }
    }
}
