/// The one percent-encoder for everything that is signed or sent as a signed parameter (docs/protocol.md section 3):
/// UTF-8 bytes, `A-Z a-z 0-9 - _ . ~` kept, every other byte `%XY` with upper-case hex. Space is `%20`,
/// never `+`: a platform form encoder would produce a different string than the one the server signs.
///
/// Speed matters here: a signature encodes ~6 KB of certificate and key, so the encoder works on
/// contiguous bytes through raw pointers, eight at a time.
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
        withUTF8(text) { append(contiguous: $0, to: &output) }
    }

    /// Calls `body` with the UTF-8 of `text`: in place for a native String (no copy, no retain), else a copy.
    @inline(__always)
    static func withUTF8<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = text
        return copy.withUTF8(body)
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

    /// Bit 7 of each byte lane of the result is set where that byte of `word` must be escaped (it is not
    /// one of `A-Z a-z 0-9 - _ . ~`); every other bit is clear. Plain integer arithmetic on eight bytes
    /// at once: after the high bits are masked off each lane is a 7-bit value, so no addition carries
    /// into the next lane.
    @inline(__always)
    static func escapeMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let low = word & ~highs
        /// Bit 7 of a lane is set where `lowest <= lane <= highest`.
        func within(_ lanes: UInt64, _ lowest: UInt64, _ highest: UInt64) -> UInt64 {
            (lanes &+ (0x80 - lowest) &* ones) & ~(lanes &+ (0x7F - highest) &* ones)
        }
        // OR-ing 0x20 folds A-Z onto a-z and moves nothing else into a-z.
        let kept = within(low | (0x20 &* ones), 0x61, 0x7A) | within(low, 0x30, 0x39) | within(low, 0x2D, 0x2E)
            | within(low, 0x5F, 0x5F) | within(low, 0x7E, 0x7E)
        return ~(kept & ~word) & highs  // a byte with bit 7 set (not ASCII) is never kept
    }

    /// What `encode` writes for each byte: the byte itself or `%XY` in the low bytes, and how many of
    /// them count (1 or 3) in the top byte. Written four bytes at a time, the next byte's overwriting
    /// what does not count, so no branch depends on the data (mispredicted branches, not instructions,
    /// were the cost of a byte-at-a-time loop).
    private static let onceTable: [UInt32] = (0..<256).map { byte in
        let hex = Array(UnsafeBufferPointer(start: hexDigits.utf8Start, count: 16))
        if unreservedTable[byte] { return UInt32(byte) | 1 << 24 }
        return UInt32(UInt8(ascii: "%")) | UInt32(hex[byte >> 4]) << 8 | UInt32(hex[byte & 0x0f]) << 16 | 3 << 24
    }

    /// The same for `enc(enc(byte))`: the byte itself or `%25XY`, and 1 or 5 in the top byte.
    private static let twiceTable: [UInt64] = onceTable.map { entry in
        let step = entry >> 24, low = UInt64(entry & 0xff_ffff)
        if step == 1 { return low | 1 << 56 }
        // "%XY" becomes "%25XY": the "%" itself encoded.
        return UInt64(UInt8(ascii: "%")) | UInt64(UInt8(ascii: "2")) << 8 | UInt64(UInt8(ascii: "5")) << 16 | (low >> 8) << 24 | 5 << 56
    }

    /// Encodes `input` into `output`, which must have room for `3 * input.count` bytes; returns the
    /// number of bytes written.
    ///
    /// Eight bytes at a time: a word with nothing to escape is copied whole, a word with something to
    /// escape goes through `onceTable` byte by byte. Stores run past the bytes that count but stay in the
    /// room: at most 3 bytes are written per byte read, a word is stored only while 9 bytes remain from
    /// its start and a table entry only while 2 remain; the last byte writes exactly its own bytes.
    static func encode(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>) -> Int {
        guard let source = input.baseAddress, !input.isEmpty else { return 0 }
        return onceTable.withUnsafeBufferPointer { table in
            let table = table.baseAddress!
            let count = input.count
            var index = 0, written = 0  // bounded by the room given: wrapping `&+` is safe
            @inline(__always) func put(_ byte: UInt8) {
                let entry = table[Int(byte)]
                UnsafeMutableRawPointer(output + written).storeBytes(of: UInt32(littleEndian: entry), as: UInt32.self)
                written &+= Int(entry &>> 24)
            }
            @inline(__always) func copyOrEscape(_ raw: UInt64, _ mask: UInt64, at start: Int) {
                if mask == 0 {
                    UnsafeMutableRawPointer(output + written).storeBytes(of: raw, as: UInt64.self)
                    written &+= 8
                } else {
                    for offset in 0..<8 { put(source[start &+ offset]) }
                }
            }
            // Two words per step: one branch when both are clean, as they mostly are.
            while index &+ 17 <= count {
                let first = UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)
                let second = UnsafeRawPointer(source + (index &+ 8)).loadUnaligned(as: UInt64.self)
                let firstMask = escapeMask(UInt64(littleEndian: first)), secondMask = escapeMask(UInt64(littleEndian: second))
                if firstMask | secondMask == 0 {
                    UnsafeMutableRawPointer(output + written).storeBytes(of: first, as: UInt64.self)
                    UnsafeMutableRawPointer(output + (written &+ 8)).storeBytes(of: second, as: UInt64.self)
                    written &+= 16
                } else {
                    copyOrEscape(first, firstMask, at: index)
                    copyOrEscape(second, secondMask, at: index &+ 8)
                }
                index &+= 16
            }
            while index &+ 9 <= count {
                let raw = UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)
                copyOrEscape(raw, escapeMask(UInt64(littleEndian: raw)), at: index)
                index &+= 8
            }
            while index &+ 1 < count {
                put(source[index])
                index &+= 1
            }
            let last = table[Int(source[index])]
            for offset in 0..<Int(last &>> 24) { output[written &+ offset] = UInt8(truncatingIfNeeded: last &>> (8 &* UInt32(offset))) }
            return written &+ Int(last &>> 24)
        }
    }

    /// Writes `enc(key)=enc(value)` at `output` (room for 3 * (key + value bytes) + 1); returns bytes written.
    static func write(key: String, value: String, into output: UnsafeMutablePointer<UInt8>) -> Int {
        var written = withUTF8(key) { encode($0, into: output) }
        output[written] = UInt8(ascii: "=")
        written += 1
        written += withUTF8(value) { encode($0, into: output + written) }
        return written
    }

    /// V1 signs `enc(canonical)`, where the canonical query is itself encoded. This writes both in one
    /// pass over `input`: `enc(input)` at `once` (room for 3 bytes a byte) and `enc(enc(input))` at
    /// `twice` (room for 5 bytes a byte), returning both counts. A second pass over the encoded
    /// canonical string cost as much as the first. Eight bytes at a time, as `encode` does (a table
    /// entry of `twiceTable` is stored 8 bytes at a time, also only while 2 bytes remain).
    static func encodeTwice(_ input: UnsafeBufferPointer<UInt8>, into once: UnsafeMutablePointer<UInt8>,
                            andInto twice: UnsafeMutablePointer<UInt8>) -> (once: Int, twice: Int) {
        guard let source = input.baseAddress, !input.isEmpty else { return (0, 0) }
        return onceTable.withUnsafeBufferPointer { onceEntries in
            twiceTable.withUnsafeBufferPointer { twiceEntries in
                let onceEntries = onceEntries.baseAddress!, twiceEntries = twiceEntries.baseAddress!
                let count = input.count
                var index = 0, written = 0, writtenTwice = 0  // bounded by the room given: wrapping `&+` is safe
                @inline(__always) func put(_ byte: UInt8) {
                    let entry = onceEntries[Int(byte)], entryTwice = twiceEntries[Int(byte)]
                    UnsafeMutableRawPointer(once + written).storeBytes(of: UInt32(littleEndian: entry), as: UInt32.self)
                    UnsafeMutableRawPointer(twice + writtenTwice).storeBytes(of: UInt64(littleEndian: entryTwice), as: UInt64.self)
                    written &+= Int(entry &>> 24)
                    writtenTwice &+= Int(entryTwice &>> 56)
                }
                @inline(__always) func copyOrEscape(_ raw: UInt64, _ mask: UInt64, at start: Int) {
                    if mask == 0 {
                        UnsafeMutableRawPointer(once + written).storeBytes(of: raw, as: UInt64.self)
                        UnsafeMutableRawPointer(twice + writtenTwice).storeBytes(of: raw, as: UInt64.self)
                        written &+= 8
                        writtenTwice &+= 8
                    } else {
                        for offset in 0..<8 { put(source[start &+ offset]) }
                    }
                }
                while index &+ 17 <= count {
                    let first = UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)
                    let second = UnsafeRawPointer(source + (index &+ 8)).loadUnaligned(as: UInt64.self)
                    let firstMask = escapeMask(UInt64(littleEndian: first)), secondMask = escapeMask(UInt64(littleEndian: second))
                    if firstMask | secondMask == 0 {
                        UnsafeMutableRawPointer(once + written).storeBytes(of: first, as: UInt64.self)
                        UnsafeMutableRawPointer(once + (written &+ 8)).storeBytes(of: second, as: UInt64.self)
                        UnsafeMutableRawPointer(twice + writtenTwice).storeBytes(of: first, as: UInt64.self)
                        UnsafeMutableRawPointer(twice + (writtenTwice &+ 8)).storeBytes(of: second, as: UInt64.self)
                        written &+= 16
                        writtenTwice &+= 16
                    } else {
                        copyOrEscape(first, firstMask, at: index)
                        copyOrEscape(second, secondMask, at: index &+ 8)
                    }
                    index &+= 16
                }
                while index &+ 9 <= count {
                    let raw = UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)
                    copyOrEscape(raw, escapeMask(UInt64(littleEndian: raw)), at: index)
                    index &+= 8
                }
                while index &+ 1 < count {
                    put(source[index])
                    index &+= 1
                }
                let last = onceEntries[Int(source[index])], lastTwice = twiceEntries[Int(source[index])]
                for offset in 0..<Int(last &>> 24) { once[written &+ offset] = UInt8(truncatingIfNeeded: last &>> (8 &* UInt32(offset))) }
                for offset in 0..<Int(lastTwice &>> 56) {
                    twice[writtenTwice &+ offset] = UInt8(truncatingIfNeeded: lastTwice &>> (8 &* UInt64(offset)))
                }
                return (written &+ Int(last &>> 24), writtenTwice &+ Int(lastTwice &>> 56))
            }
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
