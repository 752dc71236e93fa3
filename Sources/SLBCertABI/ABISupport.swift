// Conversions between C and the Swift core: handles, strings, status codes and the per-thread
// last error. No logic of the library lives here.
import CSLBCert
import SLBCert
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Owned C strings

/// A NUL-terminated copy that stays at one address until released; what getters hand out as borrowed.
final class OwnedCString: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<CChar>
    /// Key material lives in memory left out of core dumps and wiped on release.
    private let secretMemory: SecretMemory?

    /// `secret`: the text holds a signature, a token or key material.
    init(_ text: String, secret: Bool = false) {
        var bytes = Array(text.utf8)
        let wipeCopy = secret
        defer { if wipeCopy { wipe(&bytes) } }
        if secret {
            let memory = SecretMemory(capacity: bytes.count + 1)
            pointer = memory.base.assumingMemoryBound(to: CChar.self)
            secretMemory = memory
        } else {
            pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            secretMemory = nil
        }
        let target = pointer
        bytes.withUnsafeBytes { Self.copy($0, to: target) }
    }

    init(secret: SecretBytes) {
        let memory = SecretMemory(capacity: secret.count + 1)
        pointer = memory.base.assumingMemoryBound(to: CChar.self)
        secretMemory = memory
        let target = pointer
        secret.withUnsafeBytes { Self.copy(UnsafeRawBufferPointer($0), to: target) }
    }

    /// Copies the bytes and a terminating NUL.
    private static func copy(_ source: UnsafeRawBufferPointer, to memory: UnsafeMutablePointer<CChar>) {
        if let base = source.baseAddress { UnsafeMutableRawPointer(memory).copyMemory(from: base, byteCount: source.count) }
        memory[source.count] = 0
    }

    var borrowed: UnsafePointer<CChar> { UnsafePointer(pointer) }

    deinit {
        // SecretMemory wipes and unmaps itself.
        if secretMemory == nil { pointer.deallocate() }
    }
}

/// A caller-owned string: allocated with malloc so slbcert_string_free can free (and wipe) it.
func newCallerString(_ text: String) -> UnsafeMutablePointer<CChar>? {
    let bytes = Array(text.utf8)
    guard let memory = malloc(bytes.count + 1)?.assumingMemoryBound(to: CChar.self) else { return nil }
    bytes.withUnsafeBytes { source in if let base = source.baseAddress { memcpy(memory, base, source.count) } }
    memory[bytes.count] = 0
    return memory
}


// MARK: - Indexes

extension RandomAccessCollection where Index == Int {
    /// The element at a C caller's index, or nil when it is out of range (a size_t of 2^63 or more
    /// arrives negative, so both ends are checked).
    func at(_ index: Int) -> Element? {
        index >= 0 && index < count ? self[startIndex + index] : nil
    }
}

// MARK: - Handles

/// Hands a Swift object to C as an owning opaque pointer.
func retainHandle<T: AnyObject>(_ object: T) -> OpaquePointer {
    OpaquePointer(Unmanaged.passRetained(object).toOpaque())
}

/// Borrows the object behind a handle (nil for NULL).
func borrowHandle<T: AnyObject>(_ handle: OpaquePointer?, as type: T.Type) -> T? {
    guard let handle else { return nil }
    return Unmanaged<T>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
}

/// A non-owning pointer to an object that a parent handle keeps alive.
func borrowedPointer<T: AnyObject>(_ object: T) -> OpaquePointer {
    OpaquePointer(Unmanaged.passUnretained(object).toOpaque())
}

func releaseHandle<T: AnyObject>(_ handle: OpaquePointer?, as type: T.Type) {
    guard let handle else { return }
    Unmanaged<T>.fromOpaque(UnsafeRawPointer(handle)).release()
}

// MARK: - Arguments

/// Reads a C string argument; nil for NULL.
func string(_ pointer: UnsafePointer<CChar>?) -> String? {
    pointer.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: strlen($0)), as: UTF8.self) }
}

/// Reads pointer + length bytes, at most `limit + 1` of them (so an oversized input can be reported
/// without being copied whole). Throws for NULL with a non-zero length.
func bytes(_ pointer: UnsafePointer<CChar>?, _ length: Int, name: String, limit: Int) throws(SLBCertError) -> [UInt8]? {
    // A size_t of 2^63 or more arrives as a negative Int.
    guard length >= 0 else { throw SLBCertError(.invalidArgument, "The length of \(name) is out of range.") }
    guard let pointer else {
        if length != 0 { throw SLBCertError(.invalidArgument, "\(name) is NULL but its length is \(length).") }
        return nil
    }
    return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
        Array(UnsafeBufferPointer(start: $0, count: Swift.min(length, limit + 1)))
    }
}

/// Reads `count` parallel key/value C strings (tags, parameters).
func pairs(_ keys: UnsafePointer<UnsafePointer<CChar>?>?, _ values: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int,
           name: String, limit: Int) throws(SLBCertError) -> [(String, String)] {
    guard count != 0 else { return [] }
    guard count > 0, count <= limit else { throw SLBCertError(.invalidArgument, "Too many \(name): \(count) (at most \(limit)).") }
    guard let keys, let values else { throw SLBCertError(.invalidArgument, "\(name) keys or values are NULL but the count is \(count).") }
    var result: [(String, String)] = []
    for index in 0..<count {
        guard let key = string(keys[index]), let value = string(values[index]) else {
            throw SLBCertError(.invalidArgument, "\(name) \(index) has a NULL key or value.")
        }
        result.append((key, value))
    }
    return result
}

/// Reads an options struct of the version the caller declares: fields appended in later versions are
/// not in an older caller's memory, so only the declared version's prefix is copied (the rest stays
/// zero, which means "the default"). `sizes[v - 1]` is the size of version v.
func readOptions<T>(_ pointer: UnsafePointer<T>, name: String, sizes: [Int]) throws(SLBCertError) -> T {
    let version = UnsafeRawPointer(pointer).load(as: UInt32.self)
    try checkVersion(version, current: Int32(sizes.count), name: name)
    let value = UnsafeMutablePointer<T>.allocate(capacity: 1)
    defer { value.deallocate() }
    let raw = UnsafeMutableRawPointer(value)
    raw.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.size)
    raw.copyMemory(from: UnsafeRawPointer(pointer), byteCount: min(sizes[Int(version) - 1], MemoryLayout<T>.size))
    return value.pointee
}

/// What an `_init()` function of a versioned options struct writes: `fresh` (its defaults, with the
/// version set), no further than the declared version's size, since an older caller's struct ends there.
func writeOptions<T>(_ fresh: T, to pointer: UnsafeMutablePointer<T>?, name: String, sizes: [Int]) throws(SLBCertError) {
    guard let pointer else { throw invalid("options is NULL.") }
    let version = withUnsafeBytes(of: fresh) { $0.load(as: UInt32.self) }
    try checkVersion(version, current: Int32(sizes.count), name: name)
    withUnsafeBytes(of: fresh) { bytes in
        UnsafeMutableRawPointer(pointer).copyMemory(from: bytes.baseAddress!, byteCount: sizes[Int(version) - 1])
    }
}

/// What an `_option_range()` function answers: the default and range of the setting whose C field is `field`.
func writeRange<Setting: RangedSetting & CaseIterable>(of _: Setting.Type, field: UnsafePointer<CChar>?,
                                                       _ defaultValue: UnsafeMutablePointer<Int>?,
                                                       _ minimum: UnsafeMutablePointer<Int>?, _ maximum: UnsafeMutablePointer<Int>?,
                                                       notFound: (String) -> String) throws(SLBCertError) {
    guard let name = string(field) else { throw invalid("field is NULL.") }
    guard let setting = Setting.allCases.first(where: { CWording.fields[$0.rawValue] == name }) else {
        throw invalid(notFound(name))
    }
    defaultValue?.pointee = setting.defaultValue
    minimum?.pointee = setting.range.lowerBound
    maximum?.pointee = setting.range.upperBound
}

/// Checks an options struct's version field.
func checkVersion(_ version: UInt32, current: Int32, name: String) throws(SLBCertError) {
    guard version >= 1, version <= UInt32(current) else {
        throw SLBCertError(.invalidArgument, "\(name).version is \(version); this library knows versions 1 to \(current). Initialise the struct with its _INIT macro or _init() function.")
    }
}

// MARK: - Status codes and the last error

extension SLBCertError.Kind {
    var status: Int32 {
        switch self {
        case .invalidArgument: return SLBCERT_EINVAL.rawValue
        case .parse: return SLBCERT_EPARSE.rawValue
        case .validation: return SLBCERT_EVALIDATION.rawValue
        case .credentials: return SLBCERT_ECREDENTIALS.rawValue
        case .service: return SLBCERT_ESERVICE.rawValue
        case .network: return SLBCERT_ENETWORK.rawValue
        case .tls: return SLBCERT_ETLS.rawValue
        case .timeout: return SLBCERT_ETIMEOUT.rawValue
        case .protocol: return SLBCERT_EPROTOCOL.rawValue
        case .outOfRange: return SLBCERT_ERANGE.rawValue
        case .internal: return SLBCERT_EINTERNAL.rawValue
        case .outOfMemory: return SLBCERT_ENOMEM.rawValue
        case .unconfirmed: return SLBCERT_EUNCONFIRMED.rawValue
        case .refused: return SLBCERT_EREFUSED.rawValue
        }
    }
}

/// The last failure of one thread, as C strings that stay valid until the next failure is recorded.
final class LastError {
    var status: Int32 = 0
    var message = OwnedCString("")
    var hint = OwnedCString("")
    var serviceCode = OwnedCString("")
    var requestId = OwnedCString("")
    var hostId = OwnedCString("")
    var recommend = OwnedCString("")
    var httpStatus: Int32 = 0
    var transportCode: Int32 = 0
    var reason = OwnedCString("")
    var argument = OwnedCString("")

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<LastError>.fromOpaque(pointer).release() }
        }
        return key
    }()

    /// This thread's state, created on first use and released when the thread exits.
    static var current: LastError {
        if let existing = pthread_getspecific(key) {
            return Unmanaged<LastError>.fromOpaque(existing).takeUnretainedValue()
        }
        let state = LastError()
        pthread_setspecific(key, Unmanaged.passRetained(state).toOpaque())
        return state
    }

    func record(_ error: SLBCertError) {
        let worded = CWording.apply(to: error)
        status = error.kind.status
        message = OwnedCString(worded.message)
        hint = OwnedCString(worded.hint)
        reason = OwnedCString(error.reason.rawValue)
        argument = OwnedCString(worded.argument)
        serviceCode = OwnedCString(error.serviceCode.isEmpty ? (error.findings.first { $0.severity == .error }?.code.rawValue ?? "") : error.serviceCode)
        requestId = OwnedCString(error.requestId)
        hostId = OwnedCString(error.hostId)
        recommend = OwnedCString(error.recommend)
        httpStatus = Int32(clamping: error.httpStatus)
        transportCode = Int32(clamping: error.transportCode)
    }

    func clear() {
        guard status != 0 else { return }
        record(SLBCertError(.internal, ""))
        status = 0
    }
}

/// Runs an entry point's body: success clears the thread's last error, a thrown error is recorded and
/// turned into its status code.
func withStatus(_ body: () throws(SLBCertError) -> Void) -> Int32 {
    do {
        try body()
        LastError.current.clear()
        return SLBCERT_OK.rawValue
    } catch {
        LastError.current.record(error)
        return error.kind.status
    }
}

func invalid(_ message: String) -> SLBCertError { SLBCertError(.invalidArgument, message) }
