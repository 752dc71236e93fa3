/// Just enough DER to find an element's bytes inside data OpenSSL has already parsed: tag, definite
/// length, bounds. Everything is checked; malformed or indefinite-length input gives nil.
enum DER {
    /// The range of the first element inside the outermost SEQUENCE of `bytes` (for a certificate:
    /// the tbsCertificate, tag and length included).
    static func firstElement(ofSequence bytes: [UInt8]) -> Range<Int>? {
        guard let outer = header(bytes, at: 0), outer.tag == 0x30 else { return nil }
        guard let inner = header(bytes, at: outer.contentStart),
              inner.contentStart + inner.length <= outer.contentStart + outer.length else { return nil }
        return outer.contentStart..<(inner.contentStart + inner.length)
    }

    /// True when `bytes` is a two-prime PKCS#1 RSAPrivateKey in DER: a SEQUENCE of exactly nine INTEGERs,
    /// version 0, every length and integer in its one shortest form, nothing after it. OpenSSL's
    /// i2d_RSAPrivateKey of the parsed key writes exactly these bytes, so they can be sent as they are.
    static func isCanonicalRSAPrivateKey(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let outer = canonicalHeader(bytes, at: 0), outer.tag == 0x30,
              outer.contentStart + outer.length == bytes.count else { return false }
        var offset = outer.contentStart
        for field in 0..<9 {
            guard let integer = canonicalHeader(bytes, at: offset), integer.tag == 0x02, integer.length >= 1 else { return false }
            let first = bytes[integer.contentStart]
            if integer.length > 1 {
                let second = bytes[integer.contentStart + 1]
                // Two's complement in the fewest bytes: no redundant leading 0x00 or 0xFF.
                if (first == 0x00 && second & 0x80 == 0) || (first == 0xff && second & 0x80 != 0) { return false }
            }
            if field == 0, integer.length != 1 || first != 0 { return false }
            offset = integer.contentStart + integer.length
        }
        return offset == bytes.count
    }

    /// `header`, accepting only the shortest length form (DER).
    private static func canonicalHeader(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> (tag: UInt8, contentStart: Int, length: Int)? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        let tag = bytes[offset]
        let first = bytes[offset + 1]
        if first < 0x80 {
            guard Int(first) <= bytes.count - offset - 2 else { return nil }
            return (tag, offset + 2, Int(first))
        }
        let count = Int(first & 0x7f)
        guard count >= 1, count <= 4, offset + 2 + count <= bytes.count, bytes[offset + 2] != 0 else { return nil }
        var length = 0
        for index in 0..<count { length = length << 8 | Int(bytes[offset + 2 + index]) }
        guard length >= 0x80, length <= bytes.count - offset - 2 - count else { return nil }
        return (tag, offset + 2 + count, length)
    }

    /// The tag byte, where the content starts and its length, for the element at `offset`.
    static func header(_ bytes: [UInt8], at offset: Int) -> (tag: UInt8, contentStart: Int, length: Int)? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        let tag = bytes[offset]
        guard tag & 0x1f != 0x1f else { return nil }  // multi-byte tags do not occur where this is used
        let first = bytes[offset + 1]
        var start = offset + 2
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7f)
            guard count >= 1, count <= 4, start + count <= bytes.count else { return nil }  // 0x80: indefinite
            for index in 0..<count { length = length << 8 | Int(bytes[start + index]) }
            start += count
        }
        guard length <= bytes.count - start else { return nil }
        return (tag, start, length)
    }
}
