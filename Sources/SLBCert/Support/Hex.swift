enum Hex {
    private static let digits: StaticString = "0123456789abcdef"

    /// Lower-case hex, optionally with a separator between bytes ("68:08:1a").
    /// Written as bytes into one buffer and made a String once: appending unicode scalars one at a time
    /// cost ~1,300 instructions a byte (V3 hex-encodes four digests per signature).
    static func encode<C: Collection>(_ bytes: C, separator: String = "") -> String where C.Element == UInt8 {
        let separatorBytes = Array(separator.utf8)
        let count = bytes.isEmpty ? 0 : bytes.count * (2 + separatorBytes.count) - separatorBytes.count
        if count == 0 { return "" }
        let hex = digits.utf8Start
        return String(unsafeUninitializedCapacity: count) { out in
            var written = 0
            for byte in bytes {
                if written > 0 {
                    for separatorByte in separatorBytes { out[written] = separatorByte; written += 1 }
                }
                out[written] = hex[Int(byte >> 4)]
                out[written + 1] = hex[Int(byte & 0x0f)]
                written += 2
            }
            return written
        }
    }

    /// Writes the lower-case hex of `bytes` at `out` (room for twice as many bytes).
    static func write(_ bytes: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) {
        let hex = digits.utf8Start
        for (index, byte) in bytes.enumerated() {
            out[2 &* index] = hex[Int(byte >> 4)]
            out[2 &* index &+ 1] = hex[Int(byte & 0x0f)]
        }
    }
}
