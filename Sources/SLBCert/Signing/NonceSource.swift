import COpenSSL
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Random bytes for signature nonces: OpenSSL's RAND_bytes, drawn a page at a time into a buffer of
/// each thread and handed out 16 bytes per nonce. Each RAND_bytes call has a fixed cost (locking and
/// checking its generator) that dwarfed the signature; the bytes themselves are the same generator's.
///
/// A forked child must not hand out the bytes its parent will also use: a fork handler bumps a
/// generation number, and a buffer filled in another generation is thrown away (wiped) unused.
/// Bytes are wiped as they are handed out.
enum NonceSource {
    static let bufferSize = 4096

    /// Fills `count` bytes at `out` (at most `bufferSize`); false when RAND_bytes fails.
    static func fill(_ out: UnsafeMutablePointer<UInt8>, count: Int) -> Bool {
        guard count <= bufferSize, let buffer = ThreadBuffer.current else { return false }
        let generation = forkGeneration.load(ordering: .relaxed)
        if buffer.generation != generation || buffer.remaining < count {
            guard buffer.refill(generation: generation) else { return false }
        }
        let start = buffer.bytes + (bufferSize - buffer.remaining)
        out.update(from: start, count: count)
        explicit_bzero(start, count)
        buffer.remaining -= count
        return true
    }

    private static let forkGeneration = Atomic<Int>(0)

    /// Registers the fork handler once, before the first buffer is filled.
    fileprivate static let forkHandlerInstalled: Bool = {
        pthread_atfork(nil, nil) { NonceSource.forkGeneration.add(1, ordering: .relaxed) } == 0
    }()

    /// One thread's bytes; freed (wiped first) when the thread exits.
    private final class ThreadBuffer {
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: NonceSource.bufferSize)
        var remaining = 0
        var generation = -1

        func refill(generation: Int) -> Bool {
            explicit_bzero(bytes, NonceSource.bufferSize)
            remaining = 0
            guard NonceSource.forkHandlerInstalled, RAND_bytes(bytes, Int32(NonceSource.bufferSize)) == 1 else { return false }
            remaining = NonceSource.bufferSize
            self.generation = generation
            return true
        }

        deinit {
            explicit_bzero(bytes, NonceSource.bufferSize)
            bytes.deallocate()
        }

        private static let key: pthread_key_t? = {
            var key = pthread_key_t()
            let created = pthread_key_create(&key) { pointer in
                if let pointer { Unmanaged<ThreadBuffer>.fromOpaque(pointer).release() }
            }
            return created == 0 ? key : nil
        }()

        static var current: ThreadBuffer? {
            guard let key else { return nil }
            if let existing = pthread_getspecific(key) {
                return Unmanaged<ThreadBuffer>.fromOpaque(existing).takeUnretainedValue()
            }
            let buffer = ThreadBuffer()
            guard pthread_setspecific(key, Unmanaged.passRetained(buffer).toOpaque()) == 0 else {
                Unmanaged.passUnretained(buffer).release()
                return nil
            }
            return buffer
        }
    }
}
