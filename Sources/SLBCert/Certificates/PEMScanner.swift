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

    /// The block re-encoded as canonical PEM (64-column lines, LF), headers kept.
    func canonicalText() -> String {
        var text = "-----BEGIN \(label)-----\n"
        for header in headers { text += header + "\n" }
        if !headers.isEmpty { text += "\n" }
        text += PEM.wrap(base64)
        text += "-----END \(label)-----\n"
        return text
    }
}

enum PEM {
    /// Finds every PEM block in `bytes`, tolerating CRLF, blank lines, indentation and any text
    /// around the blocks (as `openssl x509 -text` leaves it). An unterminated block is returned with
    /// `terminated == false` in `problems` so the caller can report it.
    static func scan(_ bytes: [UInt8]) -> (blocks: [PEMBlock], unterminated: [String]) {
        var blocks: [PEMBlock] = []
        var unterminated: [String] = []
        var current: (label: String, headers: [String], body: [UInt8], inHeaders: Bool)?
        for rawLine in lines(bytes) {
            let line = trim(rawLine)
            if let label = marker(line, "-----BEGIN ") {
                if let open = current { unterminated.append(open.label) }
                current = (label, [], [], true)
                continue
            }
            guard var open = current else { continue }
            if let label = marker(line, "-----END ") {
                if label == open.label {
                    blocks.append(PEMBlock(label: label, headers: open.headers, base64: open.body, index: blocks.count))
                } else {
                    unterminated.append(open.label)
                }
                current = nil
                continue
            }
            if open.inHeaders, line.contains(UInt8(ascii: ":")) {
                open.headers.append(String(decoding: line, as: UTF8.self))
            } else if !line.isEmpty {
                open.inHeaders = false
                open.body.append(contentsOf: line.filter { !isSpace($0) })
            }
            current = open
        }
        if let open = current { unterminated.append(open.label) }
        return (blocks, unterminated)
    }

    /// Base64 text wrapped at 64 columns, each line ending in LF.
    static func wrap(_ base64: [UInt8]) -> String {
        var text = ""
        text.reserveCapacity(base64.count + base64.count / 64 + 1)
        var start = 0
        while start < base64.count {
            let end = Swift.min(start + 64, base64.count)
            text += String(decoding: base64[start..<end], as: UTF8.self)
            text += "\n"
            start = end
        }
        return text
    }

    static func encode(label: String, der: [UInt8]) -> String {
        "-----BEGIN \(label)-----\n" + wrap(Base64.encodeBytes(der)) + "-----END \(label)-----\n"
    }

    static func looksLikePEM(_ bytes: [UInt8]) -> Bool {
        let needle = Array("-----BEGIN ".utf8)
        guard bytes.count >= needle.count else { return false }
        for start in 0...(bytes.count - needle.count) where bytes[start] == needle[0] {
            if Array(bytes[start..<start + needle.count]) == needle { return true }
        }
        return false
    }

    private static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0d || byte == 0x0a || byte == 0x0b || byte == 0x0c
    }

    private static func trim(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = line
        while let first = slice.first, isSpace(first) { slice = slice.dropFirst() }
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        return slice
    }

    /// The label of a "-----BEGIN LABEL-----" line, when `line` is one.
    private static func marker(_ line: ArraySlice<UInt8>, _ prefix: String) -> String? {
        let prefixBytes = Array(prefix.utf8)
        let suffix = Array("-----".utf8)
        guard line.count > prefixBytes.count + suffix.count,
              Array(line.prefix(prefixBytes.count)) == prefixBytes,
              Array(line.suffix(suffix.count)) == suffix else { return nil }
        let label = line.dropFirst(prefixBytes.count).dropLast(suffix.count)
        return String(decoding: label, as: UTF8.self)
    }
}
