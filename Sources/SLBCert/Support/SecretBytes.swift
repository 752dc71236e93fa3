import COpenSSL

/// Bytes that hold key material or a secret. The buffer is allocated once, never copied by the
/// type itself, and wiped with OPENSSL_cleanse when the last reference goes away.
public final class SecretBytes: @unchecked Sendable {
    // Immutable after init, so sharing between threads is safe.
    private let storage: UnsafeMutableBufferPointer<UInt8>

    public init<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        storage = .allocate(capacity: Swift.max(bytes.count, 1))
        _ = storage.initialize(from: bytes)
        count = bytes.count
    }

    public convenience init(_ string: String) {
        self.init(Array(string.utf8))
    }

    public let count: Int
    public var isEmpty: Bool { count == 0 }

    /// Calls `body` with the bytes; don't let them escape.
    public func withUnsafeBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(rebasing: storage[0..<count]))
    }

    /// A String copy, for APIs that need one. Such copies are not wiped: use sparingly.
    public func unsafeString() -> String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    deinit {
        OPENSSL_cleanse(storage.baseAddress, storage.count)
        storage.deallocate()
    }
}

/// Wipes a byte array in place (best effort for transient buffers).
@inline(never)
public func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
        OPENSSL_cleanse(raw.baseAddress, raw.count)
    }
}

/// Wipes raw memory (for buffers handed across the C boundary).
public func wipeMemory(_ pointer: UnsafeMutableRawPointer, _ count: Int) {
    OPENSSL_cleanse(pointer, count)
}
