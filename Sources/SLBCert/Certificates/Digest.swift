import COpenSSL

/// Hashes and MACs over OpenSSL's one-shot EVP calls.
public enum Digest {
    public static func sha1<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        run(bytes, EVP_sha1(), length: 20)
    }

    public static func sha256<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        run(bytes, EVP_sha256(), length: 32)
    }

    private static func run<C: Collection>(_ bytes: C, _ md: OpaquePointer?, length: Int) -> [UInt8] where C.Element == UInt8 {
        var out = [UInt8](repeating: 0, count: length)
        var written: UInt32 = 0
        let ok = bytes.withContiguousStorageIfAvailable { buffer in
            EVP_Digest(buffer.baseAddress, buffer.count, &out, &written, md, nil)
        } ?? Array(bytes).withUnsafeBufferPointer { buffer in
            EVP_Digest(buffer.baseAddress, buffer.count, &out, &written, md, nil)
        }
        precondition(ok == 1 && Int(written) == length, "EVP_Digest failed")
        return out
    }

    public static func hmacSHA1(key: UnsafeBufferPointer<UInt8>, message: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        hmac(EVP_sha1(), key: key, message: message, length: 20)
    }

    public static func hmacSHA256(key: UnsafeBufferPointer<UInt8>, message: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        hmac(EVP_sha256(), key: key, message: message, length: 32)
    }

    private static func hmac(_ md: OpaquePointer?, key: UnsafeBufferPointer<UInt8>, message: UnsafeBufferPointer<UInt8>,
                             length: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        var written: UInt32 = 0
        // HMAC() wants non-NULL pointers even for empty inputs.
        let placeholder: [UInt8] = [0]
        let result: UnsafeMutablePointer<UInt8>? = placeholder.withUnsafeBufferPointer { fallback in
            let keyPointer = UnsafeRawPointer(key.baseAddress ?? fallback.baseAddress!)
            let messagePointer = message.baseAddress ?? fallback.baseAddress!
            return HMAC(md, keyPointer, Int32(key.count), messagePointer, message.count, &out, &written)
        }
        precondition(result != nil && Int(written) == length, "HMAC failed")
        return out
    }

    /// Cryptographically random bytes.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        precondition(RAND_bytes(&out, Int32(count)) == 1, "RAND_bytes failed")
        return out
    }
}
