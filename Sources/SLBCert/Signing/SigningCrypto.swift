import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 and HMAC for the signers, through OpenSSL objects fetched once. `EVP_sha256()` and the
/// one-shot `HMAC()` look their algorithms up again on every call (locks, name lookups, a fresh MAC
/// context): for the short strings V3 signs that took several times the hashing itself. A copy of a
/// keyless HMAC context, set up once per digest, is keyed, used and freed per call (freeing wipes
/// the key material OpenSSL derived). If OpenSSL cannot set these up, the one-shot calls are used.
enum SigningCrypto {
    /// An OpenSSL object that is never changed after it is made, so threads may share it.
    private struct Shared: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private static let sha256Digest: Shared? = EVP_MD_fetch(nil, "SHA256", nil).map(Shared.init)
    private static let hmacSHA1Template: Shared? = hmacTemplate(digest: "SHA1")
    private static let hmacSHA256Template: Shared? = hmacTemplate(digest: "SHA256")

    private static func hmacTemplate(digest: String) -> Shared? {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { return nil }
        defer { EVP_MAC_free(mac) }  // the context keeps its own reference
        guard let context = EVP_MAC_CTX_new(mac) else { return nil }
        let configured = "digest".withCString { key in
            digest.withCString { name in
                var parameters = [OSSL_PARAM_construct_utf8_string(key, UnsafeMutablePointer(mutating: name), 0),
                                  OSSL_PARAM_construct_end()]
                return EVP_MAC_CTX_set_params(context, &parameters) == 1
            }
        }
        guard configured else {
            EVP_MAC_CTX_free(context)
            return nil
        }
        return Shared(pointer: context)
    }

    /// SHA-256 of `message` into `out` (32 bytes).
    static func sha256(_ message: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) {
        if let digest = sha256Digest {
            var length: UInt32 = 0
            let placeholder: UInt8 = 0
            let done = withUnsafePointer(to: placeholder) { fallback in
                EVP_Digest(message.baseAddress ?? fallback, message.count, out, &length, digest.pointer, nil) == 1
            }
            if done && length == 32 { return }
        }
        let hash = Digest.sha256(message)
        out.update(from: hash, count: 32)
    }

    /// HMAC-SHA1 (`sha256` false, 20 bytes) or HMAC-SHA256 (32 bytes) of `message` into `out`; returns the length.
    static func hmac(sha256: Bool, key: UnsafeBufferPointer<UInt8>, message: UnsafeBufferPointer<UInt8>,
                     into out: UnsafeMutablePointer<UInt8>) -> Int {
        let length = sha256 ? 32 : 20
        if let template = sha256 ? hmacSHA256Template : hmacSHA1Template, let context = EVP_MAC_CTX_dup(template.pointer) {
            defer { EVP_MAC_CTX_free(context) }
            let placeholder: UInt8 = 0
            var written = 0
            let done = withUnsafePointer(to: placeholder) { fallback in
                EVP_MAC_init(context, key.baseAddress ?? fallback, key.count, nil) == 1
                    && EVP_MAC_update(context, message.baseAddress ?? fallback, message.count) == 1
                    && EVP_MAC_final(context, out, &written, length) == 1
            }
            if done && written == length { return length }
        }
        let mac = sha256 ? Digest.hmacSHA256(key: key, message: message) : Digest.hmacSHA1(key: key, message: message)
        out.update(from: mac, count: length)
        return length
    }
}
