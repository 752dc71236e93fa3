import COpenSSL

/// SHA-1, SHA-256 and their HMACs over OpenSSL's SHA block functions, and random bytes.
/// The hashes and MACs run on contexts in the caller's memory: no algorithm fetch, no allocation, so
/// there is no failure to report. Random bytes can fail (an unseeded generator): that is a thrown error.
public enum Digest {
    public static func sha1<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        hash(SHA1Function.self, bytes)
    }

    public static func sha256<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        hash(SHA256Function.self, bytes)
    }

    public static func hmacSHA1(key: UnsafeBufferPointer<UInt8>, message: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        hmac(SHA1Function.self, key: key, message: message)
    }

    public static func hmacSHA256(key: UnsafeBufferPointer<UInt8>, message: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        hmac(SHA256Function.self, key: key, message: message)
    }

    /// Cryptographically random bytes from OpenSSL's generator.
    public static func randomBytes(_ count: Int) throws(SLBCertError) -> [UInt8] {
        guard count >= 0, count <= Int(Int32.max) else {
            throw SLBCertError(.invalidArgument, "\(count) random bytes were asked for; the most is \(Int32.max).")
        }
        var out = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&out, Int32(count)) == 1 else {
            throw openSSLFailure("OpenSSL's random generator failed (RAND_bytes)")
        }
        return out
    }

    static func hash<H: SHAFunction, C: Collection>(_ function: H.Type, _ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var context = H.start()
        if bytes.withContiguousStorageIfAvailable({ H.update(&context, $0.baseAddress, $0.count) }) == nil {
            Array(bytes).withUnsafeBufferPointer { H.update(&context, $0.baseAddress, $0.count) }
        }
        return [UInt8](unsafeUninitializedCapacity: H.outputSize) { buffer, initialized in
            H.finish(&context, into: buffer.baseAddress.unsafelyUnwrapped)
            initialized = H.outputSize
        }
    }

    private static func hmac<H: SHAFunction>(_ function: H.Type, key: UnsafeBufferPointer<UInt8>,
                                             message: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var keyed = HMACKey<H>(key: UnsafeRawBufferPointer(key))
        defer { keyed.wipe() }
        return [UInt8](unsafeUninitializedCapacity: H.outputSize) { buffer, initialized in
            keyed.authenticate(UnsafeRawBufferPointer(message), into: buffer.baseAddress.unsafelyUnwrapped)
            initialized = H.outputSize
        }
    }
}

/// An OpenSSL failure as an error of the right kind: out of memory when OpenSSL says so, else internal.
func openSSLFailure(_ what: String) -> SLBCertError {
    var outOfMemory = false
    var code = ERR_peek_error()
    while code != 0 {
        if ERR_GET_REASON(code) == ERR_R_MALLOC_FAILURE { outOfMemory = true }
        ERR_get_error()
        code = ERR_peek_error()
    }
    return outOfMemory ? SLBCertError(.outOfMemory, "\(what): out of memory.") : SLBCertError(.internal, "\(what).")
}

// MARK: - The hash functions as HMAC and PBKDF2 use them

/// A SHA function as HMAC and PBKDF2 use it.
protocol SHAFunction {
    associatedtype Context
    static var outputSize: Int { get }
    static func start() -> Context
    static func update(_ context: inout Context, _ bytes: UnsafeRawPointer?, _ count: Int)
    static func finish(_ context: inout Context, into digest: UnsafeMutablePointer<UInt8>)
    /// PBKDF2's rounds after the first (see LegacyOpenSSLCalls.sha256Rounds).
    static func rounds(inner: Context, outer: Context, u: UnsafeMutablePointer<UInt8>, t: UnsafeMutablePointer<UInt8>, count: Int)
}

enum SHA1Function: SHAFunction {
    static let outputSize = 20
    static func start() -> SHA_CTX { legacyOpenSSL.sha1Start() }
    static func update(_ context: inout SHA_CTX, _ bytes: UnsafeRawPointer?, _ count: Int) {
        legacyOpenSSL.sha1Update(&context, bytes, count)
    }
    static func finish(_ context: inout SHA_CTX, into digest: UnsafeMutablePointer<UInt8>) {
        legacyOpenSSL.sha1Finish(&context, into: digest)
    }
    static func rounds(inner: SHA_CTX, outer: SHA_CTX, u: UnsafeMutablePointer<UInt8>, t: UnsafeMutablePointer<UInt8>, count: Int) {
        legacyOpenSSL.sha1Rounds(inner: inner, outer: outer, u: u, t: t, rounds: count)
    }
}

enum SHA256Function: SHAFunction {
    static let outputSize = 32
    static func start() -> SHA256_CTX { legacyOpenSSL.sha256Start() }
    static func update(_ context: inout SHA256_CTX, _ bytes: UnsafeRawPointer?, _ count: Int) {
        legacyOpenSSL.sha256Update(&context, bytes, count)
    }
    static func finish(_ context: inout SHA256_CTX, into digest: UnsafeMutablePointer<UInt8>) {
        legacyOpenSSL.sha256Finish(&context, into: digest)
    }
    static func rounds(inner: SHA256_CTX, outer: SHA256_CTX, u: UnsafeMutablePointer<UInt8>, t: UnsafeMutablePointer<UInt8>, count: Int) {
        legacyOpenSSL.sha256Rounds(inner: inner, outer: outer, u: u, t: t, rounds: count)
    }
}

/// HMAC (RFC 2104) with the key's two padded blocks absorbed once. Holds key material: call `wipe()`.
struct HMACKey<H: SHAFunction> {
    private(set) var inner: H.Context
    private(set) var outer: H.Context

    init(key: UnsafeRawBufferPointer) {
        var block = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var innerContext = H.start()
        var outerContext = H.start()
        withUnsafeMutableBytes(of: &block) { pad in
            if key.count > 64 {
                var long = H.start()
                H.update(&long, key.baseAddress, key.count)
                H.finish(&long, into: pad.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self))
                wipeValue(&long)
            } else if let base = key.baseAddress {
                pad.copyMemory(from: UnsafeRawBufferPointer(start: base, count: key.count))
            }
            for index in 0..<64 { pad[index] ^= 0x36 }
            H.update(&innerContext, pad.baseAddress, 64)
            for index in 0..<64 { pad[index] ^= 0x36 ^ 0x5c }
            H.update(&outerContext, pad.baseAddress, 64)
            wipeMemory(pad.baseAddress.unsafelyUnwrapped, 64)
        }
        inner = innerContext
        outer = outerContext
    }

    func authenticate(_ message: UnsafeRawBufferPointer, into mac: UnsafeMutablePointer<UInt8>) {
        var context = inner
        H.update(&context, message.baseAddress, message.count)
        H.finish(&context, into: mac)
        context = outer
        H.update(&context, mac, H.outputSize)
        H.finish(&context, into: mac)
        wipeValue(&context)
    }

    mutating func wipe() {
        wipeValue(&inner)
        wipeValue(&outer)
    }
}

private func wipeValue<T>(_ value: inout T) {
    withUnsafeMutableBytes(of: &value) { wipeMemory($0.baseAddress.unsafelyUnwrapped, $0.count) }
}

/// PBKDF2 (RFC 8018 section 5.2) with HMAC over `H`. Each round is two block compressions on copies of
/// the keyed HMAC states; nothing is allocated, so the cost is the iteration count the caller admitted.
func pbkdf2<H: SHAFunction>(_ function: H.Type, password: UnsafeRawBufferPointer, salt: UnsafeRawBufferPointer,
                            iterations: Int, into key: UnsafeMutableRawBufferPointer) {
    var keyed = HMACKey<H>(key: password)
    defer { keyed.wipe() }
    let length = H.outputSize
    var u = [UInt8](repeating: 0, count: length)
    var t = [UInt8](repeating: 0, count: length)
    defer { wipe(&u); wipe(&t) }
    var blockNumber: UInt32 = 1
    var written = 0
    u.withUnsafeMutableBufferPointer { u in
        t.withUnsafeMutableBufferPointer { t in
            let uBase = u.baseAddress.unsafelyUnwrapped
            let tBase = t.baseAddress.unsafelyUnwrapped
            while written < key.count {
                // U1 = HMAC(P, S || INT(i)), then U2...Uc.
                var context = keyed.inner
                H.update(&context, salt.baseAddress, salt.count)
                var counter = blockNumber.bigEndian
                withUnsafeBytes(of: &counter) { H.update(&context, $0.baseAddress, 4) }
                H.finish(&context, into: uBase)
                context = keyed.outer
                H.update(&context, uBase, length)
                H.finish(&context, into: uBase)
                wipeValue(&context)
                tBase.update(from: uBase, count: length)
                H.rounds(inner: keyed.inner, outer: keyed.outer, u: uBase, t: tBase, count: Swift.max(iterations - 1, 0))
                let take = Swift.min(length, key.count - written)
                key.baseAddress.unsafelyUnwrapped.advanced(by: written).copyMemory(from: tBase, byteCount: take)
                written += take
                blockNumber &+= 1
            }
        }
    }
}
