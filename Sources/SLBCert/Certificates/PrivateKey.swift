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
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    /// True when this private key belongs to `certificate`'s public key.
    func matches(_ certificate: X509Certificate) -> Bool {
        guard let publicKey = certificate.publicKey else { return false }
        let equal = EVP_PKEY_eq(publicKey, pointer) == 1
        _ = drainOpenSSLErrors()
        return equal
    }

    /// The key as CLB wants it: unencrypted "traditional" PEM, which for RSA is PKCS#1
    /// (-----BEGIN RSA PRIVATE KEY-----). Keys with no traditional form (Ed25519) fall back to PKCS#8.
    func traditionalPEM() -> SecretBytes? {
        // A secure-memory BIO is cleared when freed, so the encoded key leaves no copy behind.
        guard let bio = BIO_new(BIO_s_secmem()) else { return nil }
        defer { BIO_free(bio) }
        var ok = PEM_write_bio_PrivateKey_traditional(bio, pointer, nil, nil, 0, nil, nil) == 1
        if !ok {
            _ = drainOpenSSLErrors()
            _ = slbcert_BIO_reset(bio)
            ok = PEM_write_bio_PrivateKey(bio, pointer, nil, nil, 0, nil, nil) == 1
        }
        guard ok else { _ = drainOpenSSLErrors(); return nil }
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

    /// Reads the first private-key block of `bytes`.
    static func parse(_ bytes: [UInt8], passphrase: SecretBytes?) -> Outcome {
        let scan = PEM.scan(bytes)
        let blocks = scan.blocks.filter { keyLabels.contains($0.label) }
        guard let block = blocks.first else {
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
        guard Base64.decode(block.base64) != nil else {
            return .problem(Finding(.error, .keyUnreadable,
                "The private key's base64 body is malformed (truncated or damaged). Export the key again."))
        }
        let form = formOf(block)
        let encrypted = [.pkcs8Encrypted, .pkcs1Encrypted, .sec1Encrypted].contains(form)
        if encrypted, passphrase == nil || passphrase!.isEmpty {
            return .problem(Finding(.error, .keyEncrypted,
                "The private key is encrypted. Give its passphrase (--passphrase-file), or decrypt it with: openssl pkey -in KEY -out KEY.plain"))
        }
        let canonical = SecretBytes(block.canonicalText())
        let handle: PrivateKeyHandle? = canonical.withUnsafeBytes { text in
            guard let bio = BIO_new_mem_buf(text.baseAddress, Int32(text.count)) else { return nil }
            defer { BIO_free(bio) }
            let read: (UnsafeMutableRawPointer?) -> OpaquePointer? = { userdata in
                PEM_read_bio_PrivateKey(bio, nil, slbcert_passphrase_callback(), userdata)
            }
            let key: OpaquePointer?
            if let passphrase, encrypted {
                key = passphrase.withUnsafeBytes { phrase in
                    phrase.withMemoryRebound(to: CChar.self) { chars in
                        var state = slbcert_passphrase(bytes: chars.baseAddress, length: Int32(chars.count), called: 0)
                        return read(&state)
                    }
                }
            } else {
                // Unencrypted: a NULL userdata makes the callback refuse, so OpenSSL never prompts on a TTY.
                key = read(nil)
            }
            _ = drainOpenSSLErrors()
            return key.map(PrivateKeyHandle.init)
        }
        guard let handle else {
            if encrypted {
                return .problem(Finding(.error, .keyPassphraseWrong,
                    "The passphrase does not decrypt the private key. Check the passphrase file (a trailing newline is removed)."))
            }
            return .problem(Finding(.error, .keyUnreadable,
                "The private key could not be read (\(block.label)); it may be damaged or of an unsupported type."))
        }
        let (algorithm, bits) = KeyFacts.describe(handle.pointer)
        return .key(handle, PrivateKeyInfo(algorithm: algorithm, bits: bits, form: form))
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
