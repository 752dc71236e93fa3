import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// Bytes that hold key material or a secret. The buffer is allocated once, on pages of its own that
/// are left out of core dumps, never copied by the type itself, and wiped with OPENSSL_cleanse when
/// the last reference goes away.
public final class SecretBytes: @unchecked Sendable {
    // Immutable after init, so sharing between threads is safe.
    private let storage: SecretMemory

    public init<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        storage = SecretMemory(capacity: bytes.count)
        _ = UnsafeMutableBufferPointer(start: storage.base.assumingMemoryBound(to: UInt8.self), count: bytes.count).initialize(from: bytes)
        count = bytes.count
    }

    public convenience init(_ string: String) {
        self.init(Array(string.utf8))
    }

    public let count: Int
    public var isEmpty: Bool { count == 0 }

    /// Calls `body` with the bytes; don't let them escape.
    public func withUnsafeBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.base.assumingMemoryBound(to: UInt8.self), count: count))
    }

    /// A String copy, for APIs that need one. Such copies are not wiped: use sparingly.
    public func unsafeString() -> String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}

/// Memory for secrets: whole pages from mmap (so no other data shares them), marked MADV_DONTDUMP so
/// a core dump of the host process leaves them out, wiped before they are returned. When mmap fails
/// (out of address space) it falls back to malloc: wiping still holds, only the dump exclusion is lost.
package final class SecretMemory: @unchecked Sendable {
    package let base: UnsafeMutableRawPointer
    private let length: Int
    private let mapped: Bool

    private static let pageSize = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))

    package init(capacity: Int) {
        let pages = (max(capacity, 1) + Self.pageSize - 1) / Self.pageSize
        let region = mmap(nil, pages * Self.pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        if let region, region != MAP_FAILED {
            _ = madvise(region, pages * Self.pageSize, MADV_DONTDUMP)
            base = region
            length = pages * Self.pageSize
            mapped = true
        } else {
            length = max(capacity, 1)
            base = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 16)
            mapped = false
        }
    }

    deinit {
        OPENSSL_cleanse(base, length)
        if mapped { munmap(base, length) } else { base.deallocate() }
    }
}

/// Wipes a byte array in place (best effort for transient buffers).
@inline(never)
package func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
        OPENSSL_cleanse(raw.baseAddress, raw.count)
    }
}

/// Wipes raw memory (for buffers handed across the C boundary).
package func wipeMemory(_ pointer: UnsafeMutableRawPointer, _ count: Int) {
    OPENSSL_cleanse(pointer, count)
}
