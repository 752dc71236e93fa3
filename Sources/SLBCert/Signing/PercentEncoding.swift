/// The one percent-encoder for everything that is signed or sent as a signed parameter (docs/protocol.md section 3):
/// UTF-8 bytes, `A-Z a-z 0-9 - _ . ~` kept, every other byte `%XY` with upper-case hex. Space is `%20`,
/// never `+`: a platform form encoder would produce a different string than the one the server signs.
///
/// Speed matters here: a signature encodes ~6 KB of certificate and key, so the encoder works on
/// contiguous bytes through raw pointers (about 4 instructions a byte instead of 50 for the per-byte
/// `Array.append` over a `String.UTF8View`).
public enum PercentEncoding {
    /// A `StaticString` is a constant in the binary: no lazy-global check when read in a loop.
    private static let hexDigits: StaticString = "0123456789ABCDEF"

    private static let unreservedTable: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(byte)] = true }
        for byte in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(byte)] = true }
        for byte in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(byte)] = true }
        for byte in "-_.~".utf8 { table[Int(byte)] = true }
        return table
    }()

    /// How far the encoder advances for each byte: 1 for a byte kept, 3 for `%XY`.
    private static let stepTable: [UInt8] = unreservedTable.map { $0 ? 1 : 3 }

    /// True for the bytes that stay as they are.
    public static func isUnreserved(_ byte: UInt8) -> Bool {
        unreservedTable[Int(byte)]
    }

    public static func encode(_ text: String) -> String {
        var bytes: [UInt8] = []
        append(text, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the encoded form of `text` to `output`; the building block for canonical strings and bodies.
    static func append(_ text: String, to output: inout [UInt8]) {
        var text = text
        text.withUTF8 { append(contiguous: $0, to: &output) }  // no copy for a native String
    }

    static func append<C: Collection>(bytes: C, to output: inout [UInt8]) where C.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable { append(contiguous: $0, to: &output) }
        if done == nil { Array(bytes).withUnsafeBufferPointer { append(contiguous: $0, to: &output) } }
    }

    /// Appends with one capacity check for the worst case (3 bytes out per byte in), not one per byte.
    static func append(contiguous input: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        if input.isEmpty { return }
        let encoded = [UInt8](unsafeUninitializedCapacity: input.count * 3) { buffer, count in
            count = encode(input, into: buffer.baseAddress!)
        }
        output.append(contentsOf: encoded)
    }

    /// Encodes `input` into `output`, which must have room for `3 * input.count` bytes; returns the
    /// number of bytes written. The tables are hoisted out of the loop on purpose.
    @inline(__always)
    static func encode(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>) -> Int {
        guard let source = input.baseAddress else { return 0 }
        let hex = hexDigits.utf8Start
        return stepTable.withUnsafeBufferPointer { steps in
            let steps = steps.baseAddress!
            // Wrapping `&+`: offsets are bounded by the 3-bytes-a-byte room the caller gives, and the
            // overflow checks were a third of the loop. (A branch-free variant measured 8% slower.)
            var written = 0
            for index in 0..<input.count {
                let byte = source[index]
                if steps[Int(byte)] == 1 {
                    output[written] = byte
                    written &+= 1
                } else {
                    output[written] = UInt8(ascii: "%")
                    output[written &+ 1] = hex[Int(byte >> 4)]
                    output[written &+ 2] = hex[Int(byte & 0x0f)]
                    written &+= 3
                }
            }
            return written
        }
    }

    /// Writes `enc(key)=enc(value)` at `output` (room for 3 * (key + value bytes) + 1); returns bytes written.
    static func write(key: String, value: String, into output: UnsafeMutablePointer<UInt8>) -> Int {
        var key = key, value = value
        var written = key.withUTF8 { encode($0, into: output) }
        output[written] = UInt8(ascii: "=")
        written += 1
        written += value.withUTF8 { encode($0, into: output + written) }
        return written
    }

    /// V1 signs `enc(canonical)`, where the canonical query is itself encoded. This writes both in one
    /// pass over `input`: `enc(input)` at `once` (room for 3 bytes a byte) and `enc(enc(input))` at
    /// `twice` (room for 5 bytes a byte), returning both counts. A second pass over the encoded
    /// canonical string cost as much as the first.
    static func encodeTwice(_ input: UnsafeBufferPointer<UInt8>, into once: UnsafeMutablePointer<UInt8>,
                            andInto twice: UnsafeMutablePointer<UInt8>) -> (once: Int, twice: Int) {
        guard let source = input.baseAddress else { return (0, 0) }
        let hex = hexDigits.utf8Start
        return stepTable.withUnsafeBufferPointer { steps in
            let steps = steps.baseAddress!
            var written = 0, writtenTwice = 0  // bounded by the room given: wrapping `&+` is safe
            for index in 0..<input.count {
                let byte = source[index]
                if steps[Int(byte)] == 1 {
                    once[written] = byte
                    twice[writtenTwice] = byte
                    written &+= 1
                    writtenTwice &+= 1
                } else {
                    let high = hex[Int(byte >> 4)], low = hex[Int(byte & 0x0f)]
                    once[written] = UInt8(ascii: "%")
                    once[written &+ 1] = high
                    once[written &+ 2] = low
                    twice[writtenTwice] = UInt8(ascii: "%")  // "%" itself encoded: "%25"
                    twice[writtenTwice &+ 1] = UInt8(ascii: "2")
                    twice[writtenTwice &+ 2] = UInt8(ascii: "5")
                    twice[writtenTwice &+ 3] = high
                    twice[writtenTwice &+ 4] = low
                    written &+= 3
                    writtenTwice &+= 5
                }
            }
            return (written, writtenTwice)
        }
    }

    /// `enc(k1)=enc(v1)&enc(k2)=enc(v2)...` in the given order: a query string or a form body.
    public static func encodePairs(_ pairs: [(String, String)]) -> String {
        String(decoding: encodePairBytes(pairs), as: UTF8.self)
    }

    static func encodePairBytes(_ pairs: [(String, String)]) -> [UInt8] {
        var capacity = 0
        for (key, value) in pairs { capacity += 3 * (key.utf8.count + value.utf8.count) + 2 }
        if capacity == 0 { return [] }
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            let base = buffer.baseAddress!
            var written = 0
            for (index, (key, value)) in pairs.enumerated() {
                if index > 0 { base[written] = UInt8(ascii: "&"); written += 1 }
                written += write(key: key, value: value, into: base + written)
            }
            count = written
        }
    }
}
