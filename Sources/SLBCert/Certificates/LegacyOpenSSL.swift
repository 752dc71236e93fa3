import COpenSSL

/// The OpenSSL calls below are marked deprecated in OpenSSL 3, yet they are the paths that skip the
/// provider framework: no algorithm fetch, no decoder search, no allocation per call. The RSA/EC key
/// codecs are the very functions OpenSSL's own decoders end up calling; the SHA block functions are the
/// implementations EVP_Digest runs. Calling them through a conformance whose members are marked
/// deprecated keeps the deprecation warnings out of the build without hiding any other warning.
protocol LegacyOpenSSLCalls {
    /// d2i_RSAPublicKey + EVP_PKEY_assign: an EVP_PKEY for a PKCS#1 RSAPublicKey, or nil.
    static func rsaPublicKey(_ bytes: UnsafePointer<UInt8>, count: Int) -> OpaquePointer?
    /// d2i_RSAPrivateKey + EVP_PKEY_assign: an EVP_PKEY for a PKCS#1 RSAPrivateKey, or nil.
    static func rsaPrivateKey(_ bytes: UnsafePointer<UInt8>, count: Int) -> OpaquePointer?
    /// The PKCS#1 RSAPrivateKey DER of an RSA EVP_PKEY, through `body`; the encoding is wiped afterwards.
    static func withRSAPrivateKeyDER<R>(_ key: OpaquePointer, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R?
    /// EC_KEY_new_by_curve_name + o2i_ECPublicKey + EVP_PKEY_assign: a named-curve EC public key, or nil.
    static func ecPublicKey(curve: Int32, point: UnsafePointer<UInt8>, count: Int) -> OpaquePointer?

    static func sha1Start() -> SHA_CTX
    static func sha1Update(_ context: inout SHA_CTX, _ bytes: UnsafeRawPointer?, _ count: Int)
    static func sha1Finish(_ context: inout SHA_CTX, into digest: UnsafeMutablePointer<UInt8>)
    static func sha256Start() -> SHA256_CTX
    static func sha256Update(_ context: inout SHA256_CTX, _ bytes: UnsafeRawPointer?, _ count: Int)
    static func sha256Finish(_ context: inout SHA256_CTX, into digest: UnsafeMutablePointer<UInt8>)

    /// PBKDF2's rounds 2...c for one output block (RFC 8018 5.2): `rounds` times u = HMAC(u), computed
    /// from the keyed inner and outer states with one block compression each, and t ^= u.
    static func sha1Rounds(inner: SHA_CTX, outer: SHA_CTX, u: UnsafeMutablePointer<UInt8>, t: UnsafeMutablePointer<UInt8>, rounds: Int)
    static func sha256Rounds(inner: SHA256_CTX, outer: SHA256_CTX, u: UnsafeMutablePointer<UInt8>, t: UnsafeMutablePointer<UInt8>,
                             rounds: Int)
}

enum LegacyOpenSSL: LegacyOpenSSLCalls {
    @available(*, deprecated, message: "wraps OpenSSL's RSA-level API")
    static func rsaPublicKey(_ bytes: UnsafePointer<UInt8>, count: Int) -> OpaquePointer? {
        var cursor: UnsafePointer<UInt8>? = bytes
        guard let rsa = d2i_RSAPublicKey(nil, &cursor, count) else { return nil }
        return assign(rsa, type: EVP_PKEY_RSA) { RSA_free(rsa) }
    }

    @available(*, deprecated, message: "wraps OpenSSL's RSA-level API")
    static func rsaPrivateKey(_ bytes: UnsafePointer<UInt8>, count: Int) -> OpaquePointer? {
        var cursor: UnsafePointer<UInt8>? = bytes
        // RSA_free clears the private components.
        guard let rsa = d2i_RSAPrivateKey(nil, &cursor, count) else { return nil }
        return assign(rsa, type: EVP_PKEY_RSA) { RSA_free(rsa) }
    }

    @available(*, deprecated, message: "wraps OpenSSL's RSA-level API")
    static func withRSAPrivateKeyDER<R>(_ key: OpaquePointer, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        guard let rsa = EVP_PKEY_get0_RSA(key) else { return nil }
        var der: UnsafeMutablePointer<UInt8>?
        let length = i2d_RSAPrivateKey(rsa, &der)
        guard length > 0, let der else { return nil }
        defer { CRYPTO_clear_free(der, Int(length), #fileID, #line) }
        return body(UnsafeBufferPointer(start: der, count: Int(length)))
    }

    @available(*, deprecated, message: "wraps OpenSSL's EC_KEY-level API")
    static func ecPublicKey(curve: Int32, point: UnsafePointer<UInt8>, count: Int) -> OpaquePointer? {
        var ec: OpaquePointer? = EC_KEY_new_by_curve_name(curve)
        guard let group = ec else { return nil }
        var cursor: UnsafePointer<UInt8>? = point
        // o2i_ECPublicKey decodes the point and checks that it lies on the curve.
        guard o2i_ECPublicKey(&ec, &cursor, count) != nil, let decoded = ec else { EC_KEY_free(group); return nil }
        return assign(decoded, type: EVP_PKEY_EC) { EC_KEY_free(decoded) }
    }

    @available(*, deprecated, message: "EVP_PKEY_assign is OpenSSL's legacy key API")
    private static func assign(_ key: OpaquePointer, type: Int32, free: () -> Void) -> OpaquePointer? {
        guard let pkey = EVP_PKEY_new() else { free(); return nil }
        guard EVP_PKEY_assign(pkey, type, UnsafeMutableRawPointer(key)) == 1 else {
            free()
            EVP_PKEY_free(pkey)
            return nil
        }
        return pkey
    }

    // The SHA block functions work on the caller's context: they allocate nothing and cannot fail.
    @available(*, deprecated, message: "wraps OpenSSL's SHA block functions")
    static func sha1Start() -> SHA_CTX {
        var context = SHA_CTX()
        _ = SHA1_Init(&context)
        return context
    }
    @available(*, deprecated, message: "wraps OpenSSL's SHA block functions")
    static func sha1Update(_ context: inout SHA_CTX, _ bytes: UnsafeRawPointer?, _ count: Int) {
        if count > 0 { _ = SHA1_Update(&context, bytes, count) }
    }
    @available(*, deprecated, message: "wraps OpenSSL's SHA block functions")
    static func sha1Finish(_ context: inout SHA_CTX, into digest: UnsafeMutablePointer<UInt8>) {
        _ = SHA1_Final(digest, &context)
    }
    @available(*, deprecated, message: "wraps OpenSSL's SHA block functions")
    static func sha256Start() -> SHA256_CTX {
        var context = SHA256_CTX()
        _ = SHA256_Init(&context)
        return context
    }
    @available(*, deprecated, message: "wraps OpenSSL's SHA block functions")
    static func sha256Update(_ context: inout SHA256_CTX, _ bytes: UnsafeRawPointer?, _ count: Int) {
        if count > 0 { _ = SHA256_Update(&context, bytes, count) }
    }
    @available(*, deprecated, message: "wraps OpenSSL's SHA block functions")
    static func sha256Finish(_ context: inout SHA256_CTX, into digest: UnsafeMutablePointer<UInt8>) {
        _ = SHA256_Final(digest, &context)
    }

    @available(*, deprecated, message: "wraps OpenSSL's SHA block functions")
    static func sha1Rounds(inner: SHA_CTX, outer: SHA_CTX, u: UnsafeMutablePointer<UInt8>, t: UnsafeMutablePointer<UInt8>, rounds: Int) {
        // The message of both halves is 20 bytes after the 64-byte key block: 672 bits, SHA padding.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            let block = buffer.baseAddress.unsafelyUnwrapped
            block.initialize(repeating: 0, count: 64)
            block[20] = 0x80
            block[62] = 0x02
            block[63] = 0xa0
            var context = inner
            let raw = UnsafeMutableRawPointer(block)
            func store(_ context: SHA_CTX, _ out: UnsafeMutableRawPointer) {
                out.storeBytes(of: context.h0.bigEndian, toByteOffset: 0, as: UInt32.self)
                out.storeBytes(of: context.h1.bigEndian, toByteOffset: 4, as: UInt32.self)
                out.storeBytes(of: context.h2.bigEndian, toByteOffset: 8, as: UInt32.self)
                out.storeBytes(of: context.h3.bigEndian, toByteOffset: 12, as: UInt32.self)
                out.storeBytes(of: context.h4.bigEndian, toByteOffset: 16, as: UInt32.self)
            }
            // U stays in the block: each half hashes the previous digest in place.
            block.update(from: u, count: 20)
            for _ in 0..<rounds {
                (context.h0, context.h1, context.h2, context.h3, context.h4) = (inner.h0, inner.h1, inner.h2, inner.h3, inner.h4)
                SHA1_Transform(&context, block)
                store(context, raw)
                (context.h0, context.h1, context.h2, context.h3, context.h4) = (outer.h0, outer.h1, outer.h2, outer.h3, outer.h4)
                SHA1_Transform(&context, block)
                store(context, raw)
                for index in 0..<20 { t[index] ^= block[index] }
            }
            u.update(from: block, count: 20)
            wipeMemory(raw, 64)
            withUnsafeMutableBytes(of: &context) { wipeMemory($0.baseAddress.unsafelyUnwrapped, $0.count) }
        }
    }

    @available(*, deprecated, message: "wraps OpenSSL's SHA block functions")
    static func sha256Rounds(inner: SHA256_CTX, outer: SHA256_CTX, u: UnsafeMutablePointer<UInt8>, t: UnsafeMutablePointer<UInt8>,
                             rounds: Int) {
        // The message of both halves is 32 bytes after the 64-byte key block: 768 bits, SHA padding.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            let block = buffer.baseAddress.unsafelyUnwrapped
            block.initialize(repeating: 0, count: 64)
            block[32] = 0x80
            block[62] = 0x03
            var context = inner
            let raw = UnsafeMutableRawPointer(block)
            func store(_ context: SHA256_CTX, _ out: UnsafeMutableRawPointer) {
                withUnsafeBytes(of: context.h) { words in
                    for index in 0..<8 {
                        out.storeBytes(of: words.load(fromByteOffset: 4 * index, as: UInt32.self).bigEndian,
                                       toByteOffset: 4 * index, as: UInt32.self)
                    }
                }
            }
            // U stays in the block: each half hashes the previous digest in place.
            block.update(from: u, count: 32)
            let words = UnsafeMutableRawPointer(t)
            for _ in 0..<rounds {
                context.h = inner.h
                SHA256_Transform(&context, block)
                store(context, raw)
                context.h = outer.h
                SHA256_Transform(&context, block)
                store(context, raw)
                for offset in stride(from: 0, to: 32, by: 8) {
                    words.storeBytes(of: words.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                                     ^ raw.load(fromByteOffset: offset, as: UInt64.self), toByteOffset: offset, as: UInt64.self)
                }
            }
            u.update(from: block, count: 32)
            wipeMemory(raw, 64)
            withUnsafeMutableBytes(of: &context) { wipeMemory($0.baseAddress.unsafelyUnwrapped, $0.count) }
        }
    }
}

/// The calls above, seen through their protocol (which is what keeps the warnings away).
var legacyOpenSSL: any LegacyOpenSSLCalls.Type { LegacyOpenSSL.self }
