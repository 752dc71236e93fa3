import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Bytes that hold key material or a secret. The buffer is allocated once, on pages of its own that
/// are left out of core dumps, never copied by the type itself, and wiped (explicit_bzero, which the
/// compiler may not drop) when the last reference goes away.
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
/// `base` points at `capacity` bytes; nothing may be written past them (only they are wiped).
///
/// Freed regions of a few pages are wiped and kept for reuse, a few of each size: a signed request
/// holds its strings here, and mapping, faulting in and unmapping fresh pages for each one cost
/// several times the signature itself. Kept regions stay out of core dumps and hold only zeros.
package final class SecretMemory: @unchecked Sendable {
    package let base: UnsafeMutableRawPointer
    private let capacity: Int
    private let length: Int
    private let mapped: Bool

    private static let pageSize = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))
    private static let pool = Mutex(RegionPool())

    package init(capacity: Int) {
        self.capacity = max(capacity, 1)
        let pages = (self.capacity + Self.pageSize - 1) / Self.pageSize
        if let address = Self.pool.withLock({ $0.take(pages: pages) }), let region = UnsafeMutableRawPointer(bitPattern: address) {
            base = region
            length = pages * Self.pageSize
            mapped = true
            return
        }
        let region = mmap(nil, pages * Self.pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        if let region, region != MAP_FAILED {
            _ = madvise(region, pages * Self.pageSize, MADV_DONTDUMP)
            base = region
            length = pages * Self.pageSize
            mapped = true
        } else {
            length = self.capacity
            base = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 16)
            mapped = false
        }
    }

    deinit {
        explicit_bzero(base, capacity)
        if mapped {
            let address = UInt(bitPattern: base), pages = length / Self.pageSize
            if !Self.pool.withLock({ $0.keep(address, pages: pages) }) { munmap(base, length) }
        } else {
            base.deallocate()
        }
    }

    /// The addresses of wiped regions by size in pages, at most `perSize` of each size up to `maxPages`.
    private struct RegionPool {
        static let maxPages = 4, perSize = 4
        var regions: [[UInt]] = Array(repeating: [], count: maxPages + 1)

        mutating func take(pages: Int) -> UInt? {
            pages <= Self.maxPages ? regions[pages].popLast() : nil
        }

        mutating func keep(_ region: UInt, pages: Int) -> Bool {
            guard pages <= Self.maxPages, regions[pages].count < Self.perSize else { return false }
            regions[pages].append(region)
            return true
        }
    }
}

/// Wipes a byte array in place (best effort for transient buffers).
@inline(never)
package func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
        if let base = raw.baseAddress { explicit_bzero(base, raw.count) }
    }
}

/// Wipes raw memory (for buffers handed across the C boundary).
package func wipeMemory(_ pointer: UnsafeMutableRawPointer, _ count: Int) {
    explicit_bzero(pointer, count)
}
