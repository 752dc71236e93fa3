#if canImport(Glibc)
import Glibc
#endif

/// One "-----BEGIN X-----" ... "-----END X-----" block as found in a text, before decoding.
struct PEMBlock {
    var label: String
    /// Header lines such as "Proc-Type: 4,ENCRYPTED" (legacy OpenSSL key encryption).
    var headers: [String]
    /// The base64 body with every whitespace character removed.
    var base64: [UInt8]
    /// Zero-based position among the blocks of the input.
    var index: Int

    var isLegacyEncrypted: Bool { headers.contains { $0.hasPrefix("Proc-Type:") && $0.contains("ENCRYPTED") } }

    /// The block re-encoded as canonical PEM (64-column lines, LF), headers kept. Wiped when released:
    /// for a key it is the key.
    func canonicalText() -> SecretBytes {
        var text = Array("-----BEGIN \(label)-----\n".utf8)
        text.reserveCapacity(text.count * 2 + headers.reduce(0) { $0 + $1.utf8.count + 1 } + base64.count * 65 / 64 + 2)
        for header in headers { text += header.utf8; text.append(0x0a) }
        if !headers.isEmpty { text.append(0x0a) }
        var start = 0
        while start < base64.count {
            let end = Swift.min(start + 64, base64.count)
            text += base64[start..<end]
            text.append(0x0a)
            start = end
        }
        text += "-----END \(label)-----\n".utf8
        defer { wipe(&text) }
        return SecretBytes(text)
    }

    /// Wipes the body (for key blocks, once they have been read).
    mutating func wipeBody() { wipe(&base64) }
}

enum PEM {
    private static let begin = Array("-----BEGIN ".utf8)
    private static let end = Array("-----END ".utf8)
    private static let dashes = Array("-----".utf8)

    static func scan(_ bytes: [UInt8]) -> (blocks: [PEMBlock], unterminated: [String]) {
        bytes.withUnsafeBufferPointer { scan($0) }
    }

    /// Finds every PEM block in `bytes`, tolerating CRLF, blank lines, indentation and any text
    /// around the blocks (as `openssl x509 -text` leaves it). The labels of blocks without their END
    /// line (or with another label's END) are returned in `unterminated` so the caller can report them.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> (blocks: [PEMBlock], unterminated: [String]) {
        var blocks: [PEMBlock] = []
        var unterminated: [String] = []
        // The block being read, if any.
        var label: String?
        var headers: [String] = []
        var body: [UInt8] = []
        var inHeaders = false
        guard let base = bytes.baseAddress else { return ([], []) }
        var lineStart = 0
        while lineStart <= bytes.count {
            let lineEnd = memchr(base + lineStart, 0x0a, bytes.count - lineStart)
                .map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? bytes.count
            // The line without the whitespace around it.
            var first = lineStart
            var last = lineEnd
            while first < last, isSpace(bytes[first]) { first += 1 }
            while last > first, isSpace(bytes[last - 1]) { last -= 1 }
            let line = first..<last
            lineStart = lineEnd + 1

            if let begun = marker(bytes, line, begin) {
                if let open = label { unterminated.append(open) }
                label = begun
                headers = []
                body = []
                inHeaders = true
                continue
            }
            guard let open = label else { continue }
            if let ended = marker(bytes, line, end) {
                if ended == open {
                    blocks.append(PEMBlock(label: open, headers: headers, base64: body, index: blocks.count))
                } else {
                    unterminated.append(open)
                }
                label = nil
                body = []
                continue
            }
            if inHeaders, contains(bytes, line, 0x3a) {  // ':'
                headers.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[line]), as: UTF8.self))
            } else if !line.isEmpty {
                inHeaders = false
                // Room for the whole body at once: a key's base64 is never left behind by a reallocation.
                if body.isEmpty { body.reserveCapacity(distanceToEndMarker(bytes, from: line.lowerBound)) }
                if contains(bytes, line, where: isSpace) {
                    for index in line where !isSpace(bytes[index]) { body.append(bytes[index]) }
                } else {
                    body.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[line]))
                }
            }
        }
        if let open = label { unterminated.append(open) }
        return (blocks, unterminated)
    }

    static func looksLikePEM(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            guard buffer.count >= begin.count else { return false }
            var start = 0
            while start + begin.count <= buffer.count {
                if buffer[start] == 0x2d, matches(buffer, at: start, begin) { return true }
                start += 1
            }
            return false
        }
    }

    // MARK: Encoding

    /// One canonical PEM block: base64 at 64 columns, LF line ends.
    static func encode(label: String, der: [UInt8]) -> String {
        der.withUnsafeBufferPointer { der in
            let head = Array("-----BEGIN \(label)-----\n".utf8), tail = Array("-----END \(label)-----\n".utf8)
            let size = head.count + encodedSize(der.count) + tail.count
            return String(unsafeUninitializedCapacity: size) { out in
                write(head: head, der: der, tail: tail, into: out)
            }
        }
    }

    /// The same, for key material: the text goes straight into wiped storage.
    static func encodeSecret(label: String, der: UnsafeBufferPointer<UInt8>) -> SecretBytes {
        let head = Array("-----BEGIN \(label)-----\n".utf8), tail = Array("-----END \(label)-----\n".utf8)
        let size = head.count + encodedSize(der.count) + tail.count
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: size)
        defer {
            wipeMemory(buffer.baseAddress.unsafelyUnwrapped, size)
            buffer.deallocate()
        }
        let written = write(head: head, der: der, tail: tail, into: buffer)
        return SecretBytes(UnsafeBufferPointer(rebasing: buffer[0..<written]))
    }

    /// Base64 characters plus one LF per started 64-character line.
    private static func encodedSize(_ count: Int) -> Int {
        let characters = (count + 2) / 3 * 4
        return characters + (characters + 63) / 64
    }

    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    @discardableResult
    private static func write(head: [UInt8], der: UnsafeBufferPointer<UInt8>, tail: [UInt8],
                              into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        guard let output = out.baseAddress else { return 0 }
        var written = 0
        head.withUnsafeBufferPointer { head in
            output.update(from: head.baseAddress.unsafelyUnwrapped, count: head.count)
            written = head.count
        }
        alphabet.withUnsafeBufferPointer { alphabet in
            let symbols = alphabet.baseAddress.unsafelyUnwrapped
            var index = 0
            // 48 bytes make one full 64-character line.
            while index < der.count {
                let lineEnd = Swift.min(index + 48, der.count)
                while index + 3 <= lineEnd {
                    let n = UInt32(der[index]) << 16 | UInt32(der[index + 1]) << 8 | UInt32(der[index + 2])
                    output[written] = symbols[Int(n >> 18)]
                    output[written + 1] = symbols[Int(n >> 12 & 63)]
                    output[written + 2] = symbols[Int(n >> 6 & 63)]
                    output[written + 3] = symbols[Int(n & 63)]
                    written += 4
                    index += 3
                }
                let rest = lineEnd - index
                if rest > 0 {
                    let n = UInt32(der[index]) << 16 | (rest == 2 ? UInt32(der[index + 1]) << 8 : 0)
                    output[written] = symbols[Int(n >> 18)]
                    output[written + 1] = symbols[Int(n >> 12 & 63)]
                    output[written + 2] = rest == 2 ? symbols[Int(n >> 6 & 63)] : 0x3d
                    output[written + 3] = 0x3d
                    written += 4
                    index = lineEnd
                }
                output[written] = 0x0a
                written += 1
            }
        }
        tail.withUnsafeBufferPointer { tail in
            (output + written).update(from: tail.baseAddress.unsafelyUnwrapped, count: tail.count)
            written += tail.count
        }
        return written
    }

    /// Several DER certificates as consecutive PEM blocks, in one string.
    static func encode(label: String, ders: [[UInt8]]) -> String {
        let head = Array("-----BEGIN \(label)-----\n".utf8), tail = Array("-----END \(label)-----\n".utf8)
        let size = ders.reduce(0) { $0 + head.count + encodedSize($1.count) + tail.count }
        return String(unsafeUninitializedCapacity: size) { out in
            var written = 0
            for der in ders {
                written += der.withUnsafeBufferPointer { der in
                    write(head: head, der: der, tail: tail, into: UnsafeMutableBufferPointer(rebasing: out[written...]))
                }
            }
            return written
        }
    }

    // MARK: Decoding

    private static let decodeTable: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = Int8(index) }
        return table
    }()

    /// Decodes a PEM body with the rules of `Base64.decode`: only the alphabet, '=' padding in the last
    /// one or two places, a length that is a multiple of 4. nil for anything else.
    static func decodeBase64(_ text: [UInt8]) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        if text.isEmpty { return [] }
        var failed = false
        let decoded = [UInt8](unsafeUninitializedCapacity: text.count / 4 * 3) { out, initialized in
            text.withUnsafeBufferPointer { text in
                guard let count = decodeBase64(text, into: out) else { failed = true; initialized = 0; return }
                initialized = count
            }
        }
        return failed ? nil : decoded
    }

    /// Decodes into `out` (at least text.count / 4 * 3 bytes); the number of bytes written, or nil.
    static func decodeBase64(_ text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int? {
        guard text.count % 4 == 0, out.count >= text.count / 4 * 3 else { return nil }
        if text.isEmpty { return 0 }
        var padding = 0
        if text[text.count - 1] == 0x3d { padding += 1 }
        if text.count >= 2, text[text.count - 2] == 0x3d { padding += 1 }
        return decodeTable.withUnsafeBufferPointer { table -> Int? in
            var written = 0
            var index = 0
            // Every quad but the last holds no padding.
            let plain = text.count - 4
            while index < plain {
                let a = table[Int(text[index])], b = table[Int(text[index + 1])]
                let c = table[Int(text[index + 2])], d = table[Int(text[index + 3])]
                guard (a | b | c | d) >= 0 else { return nil }
                let n = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                out[written] = UInt8(truncatingIfNeeded: n >> 16)
                out[written + 1] = UInt8(truncatingIfNeeded: n >> 8)
                out[written + 2] = UInt8(truncatingIfNeeded: n)
                written += 3
                index += 4
            }
            var n: UInt32 = 0
            for offset in 0..<4 {
                let byte = text[index + offset]
                let value = byte == 0x3d && offset >= 4 - padding ? 0 : table[Int(byte)]
                guard value >= 0 else { return nil }
                n = n << 6 | UInt32(value)
            }
            out[written] = UInt8(truncatingIfNeeded: n >> 16)
            out[written + 1] = UInt8(truncatingIfNeeded: n >> 8)
            out[written + 2] = UInt8(truncatingIfNeeded: n)
            return written + 3 - padding
        }
    }

    // MARK: Helpers

    @inline(__always)
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0d || byte == 0x0a || byte == 0x0b || byte == 0x0c
    }

    /// Bytes from `offset` to the next "-----END " (or to the end of the input).
    private static func distanceToEndMarker(_ bytes: UnsafeBufferPointer<UInt8>, from offset: Int) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        var index = offset
        while index < bytes.count, let dash = memchr(base + index, 0x2d, bytes.count - index) {
            index = UnsafeRawPointer(dash) - UnsafeRawPointer(base)
            if matches(bytes, at: index, end) { return index - offset }
            index += 1
        }
        return bytes.count - offset
    }

    private static func contains(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, where test: (UInt8) -> Bool) -> Bool {
        for index in range where test(bytes[index]) { return true }
        return false
    }

    private static func contains(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ byte: UInt8) -> Bool {
        for index in range where bytes[index] == byte { return true }
        return false
    }

    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, _ pattern: [UInt8]) -> Bool {
        guard offset + pattern.count <= bytes.count else { return false }
        for (index, byte) in pattern.enumerated() where bytes[offset + index] != byte { return false }
        return true
    }

    /// The label of a "-----BEGIN LABEL-----" (or END) line, when `line` is one.
    private static func marker(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, _ prefix: [UInt8]) -> String? {
        guard line.count > prefix.count + dashes.count, bytes[line.lowerBound] == 0x2d,
              matches(bytes, at: line.lowerBound, prefix),
              matches(bytes, at: line.upperBound - dashes.count, dashes) else { return nil }
        let label = (line.lowerBound + prefix.count)..<(line.upperBound - dashes.count)
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[label]), as: UTF8.self)
    }
}
