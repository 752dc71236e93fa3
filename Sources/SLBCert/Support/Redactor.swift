/// Removes secrets from text before it reaches a log line or an error message: the values of
/// AccessKeySecret, SecurityToken (and x-acs-security-token), Signature, Authorization and PrivateKey
/// in query strings, form bodies, V1 strings-to-sign (percent-encoded once or twice), headers and
/// JSON, and whole PEM private-key blocks, plain or percent-encoded.
///
/// A hand-written scanner over the UTF-8 bytes, not `Regex`: the first use of a Swift `Regex` leaves
/// blocks inside _StringProcessing that valgrind calls definitely lost, and every error message of the
/// C ABI passes through here. It does what the four regexes it replaces did, in the same order, each
/// pass on the previous one's output, each in linear time. Names match ignoring ASCII case (and, as
/// `(?i)` did, the Kelvin sign counts as a `k`). Text is read as Unicode scalars where the regexes read
/// grapheme clusters, so a combining mark glued to a delimiter (`&\u{301}`) no longer hides it.
public enum Redactor {
    public static let placeholder = "[REDACTED]"

    public static func redact(_ text: String) -> String {
        var bytes = Array(text.utf8)
        bytes = pemBlocks(bytes)
        bytes = quotedValues(bytes)
        bytes = headerLines(bytes)
        bytes = parameters(bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let redacted = Array(placeholder.utf8)

    /// Lower case. None is a prefix of another, so at most one matches at a given position.
    private static let names: [StaticString] = [
        "accesskeysecret", "access_key_secret", "x-acs-security-token", "securitytoken", "security_token",
        "sts_token", "signature", "authorization", "privatekey", "private_key", "x-aliyun-ecs-metadata-token"]

    // MARK: PEM blocks

    /// Whole private-key blocks. One without its END line (a message cut short) runs to the end of the text.
    private static func pemBlocks(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if let headerEnd = pemHeaderEnd(b, i) {
                out += redacted
                i = pemEnd(b, from: headerEnd)
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return out
    }

    /// Just past `-----BEGIN <words> PRIVATE KEY-----` at `i` (any key type; a space may also be `+`,
    /// `%20` or `%2520`, as in a query or a V1 string-to-sign). Case-sensitive, as PEM is.
    private static func pemHeaderEnd(_ b: [UInt8], _ i: Int) -> Int? {
        guard b.has("-----BEGIN", at: i), var next = pemSpaceEnd(b, i + 10) else { return nil }
        while true {
            let word = next
            var end = word
            while end < b.count, b[end].isASCIIAlphanumeric { end += 1 }
            guard end > word, let after = pemSpaceEnd(b, end) else { return nil }
            if end - word == 7, b.has("PRIVATE", at: word), b.has("KEY-----", at: after) { return after + 8 }
            next = after
        }
    }

    private static func pemSpaceEnd(_ b: [UInt8], _ i: Int) -> Int? {
        if b.has(" ", at: i) || b.has("+", at: i) { return i + 1 }
        if b.has("%20", at: i) { return i + 3 }
        if b.has("%2520", at: i) { return i + 5 }
        return nil
    }

    /// Just past the first `-----END…-----` (no dash in between) at or after `start`, else the end of the text.
    /// Dashes that a `-----BEGIN` uses do not close an END line cut short before it.
    private static func pemEnd(_ b: [UInt8], from start: Int) -> Int {
        for i in start..<b.count where b.has("-----END", at: i) {
            var dash = i + 8
            while dash < b.count, b[dash] != UInt8(ascii: "-") { dash += 1 }
            if b.has("-----", at: dash), !(dash..<dash + 5).contains(where: { b.has("-----BEGIN", at: $0) }) { return dash + 5 }
        }
        return b.count
    }

    // MARK: Quoted values

    /// `"Name": "value"` and `'Name': 'value'` (JSON, Python reprs): keeps the quotes, replaces the value.
    /// As before, either kind of quote opens or closes any of the strings.
    private static func quotedValues(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if let open = quotedValueOpen(b, i) {
                out += b[i...open]
                out += redacted
                if let close = closingQuote(b, from: open + 1, matching: b[open]) {
                    out.append(b[close])
                    i = close + 1
                } else {
                    // Unterminated (a message cut mid-value): the rest of the line may be the secret.
                    i = open + 1
                    while i < b.count, !b.isLineBreak(at: i) { i += b.scalarLength(at: i) }
                }
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return out
    }

    /// The value's opening quote when `"Name"` `:` `"` (whitespace allowed around the colon) starts at `i`.
    private static func quotedValueOpen(_ b: [UInt8], _ i: Int) -> Int? {
        guard b.isQuote(at: i), let nameEnd = nameEnd(b, i + 1), b.isQuote(at: nameEnd) else { return nil }
        let colon = b.skipWhitespace(from: nameEnd + 1)
        guard b.has(":", at: colon) else { return nil }
        let open = b.skipWhitespace(from: colon + 1)
        return b.isQuote(at: open) ? open : nil
    }

    /// The first quote like the opening one that no backslash escapes (so `"it's"` is one value). A
    /// backslash escapes any character but a line break; before one (or at the end) there is no close.
    private static func closingQuote(_ b: [UInt8], from start: Int, matching quote: UInt8) -> Int? {
        var i = start
        while i < b.count {
            if b[i] == quote { return i }
            if b[i] == UInt8(ascii: "\\") {
                guard i + 1 < b.count, !b.isLineBreak(at: i + 1) else { return nil }
                i += 1 + b.scalarLength(at: i + 1)
            } else {
                i += 1
            }
        }
        return nil
    }

    // MARK: Header lines

    /// `Name: value` header lines (and V3's canonical `name:value` lines): the rest of the line goes.
    private static func headerLines(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var start = 0
        while start < b.count {
            var end = start
            while end < b.count, !b.isLineBreak(at: end) { end += b.scalarLength(at: end) }
            if let value = headerValueStart(b, start) {
                out += b[start..<value]
                out += redacted
            } else {
                out += b[start..<end]
            }
            let next = end + b.lineBreakLength(at: end)
            out += b[end..<next]
            start = next
        }
        return out
    }

    /// Where the value starts on the line at `i`: after `Name`, the colon and blanks (spaces, tabs).
    /// A value in quotes is `"Name": "value"` territory, so no header; but with blanks before the quote
    /// the regex gave one blank back to its `(?!["'])` and took the rest, so that is kept here too.
    private static func headerValueStart(_ b: [UInt8], _ i: Int) -> Int? {
        guard let nameEnd = nameEnd(b, b.skipBlanks(from: i)) else { return nil }
        let colon = b.skipBlanks(from: nameEnd)
        guard b.has(":", at: colon) else { return nil }
        let value = b.skipBlanks(from: colon + 1)
        guard b.isQuote(at: value) else { return value }
        return value > colon + 1 ? value - 1 : nil
    }

    // MARK: Parameters

    /// `Name=value` in queries and bodies, `Name%3Dvalue` and `Name%253Dvalue` in an encoded canonical
    /// string. An empty value, or one already redacted, stays as it is.
    private static func parameters(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            guard let valueStart = parameterValueStart(b, i) else {
                out.append(b[i])
                i += 1
                continue
            }
            let valueEnd = parameterValueEnd(b, from: valueStart)
            let value = b[valueStart..<valueEnd]
            out += b[i..<valueStart]
            out += value.isEmpty || value.elementsEqual(redacted) ? Array(value) : redacted
            i = valueEnd
        }
        return out
    }

    /// Where the value starts when a parameter does at `i`. The name must not be the tail of a longer one
    /// (`MySignature=`, `X-Signature=`): it starts the text, or comes after `%26`, `%2526` or `%3F` (an
    /// encoded `&` or `?`), or after any character but a letter, a digit, `_` or `-`.
    private static func parameterValueStart(_ b: [UInt8], _ i: Int) -> Int? {
        if i == 0, let value = separatorEnd(b, i) { return value }
        if b.has("%26", at: i), let value = separatorEnd(b, i + 3) { return value }
        if b.has("%2526", at: i), let value = separatorEnd(b, i + 5) { return value }
        if b.hasIgnoringCase("%3f", at: i), let value = separatorEnd(b, i + 3) { return value }
        if i < b.count, !b[i].isNameCharacter, let value = separatorEnd(b, i + 1) { return value }
        return nil
    }

    /// Just past `Name=`, `Name%3D` or `Name%253D` at `i`.
    private static func separatorEnd(_ b: [UInt8], _ i: Int) -> Int? {
        guard let end = nameEnd(b, i) else { return nil }
        if b.has("=", at: end) { return end + 1 }
        if b.hasIgnoringCase("%3d", at: end) { return end + 3 }
        if b.hasIgnoringCase("%253d", at: end) { return end + 5 }
        return nil
    }

    /// A value runs to `&`, a quote, `<`, `>`, whitespace, or an encoded `&` (`%26`, `%2526`).
    private static func parameterValueEnd(_ b: [UInt8], from start: Int) -> Int {
        var i = start
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "&"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "<"), UInt8(ascii: ">"):
                return i
            default:
                if b.isWhitespace(at: i) || b.has("%26", at: i) || b.has("%2526", at: i) { return i }
                i += b.scalarLength(at: i)
            }
        }
        return i
    }

    // MARK: Names

    /// Just past the secret's name at `i`, ignoring ASCII case; the Kelvin sign counts as a `k`, as it
    /// did under Regex's `(?i)`.
    private static func nameEnd(_ b: [UInt8], _ i: Int) -> Int? {
        // Every name starts with a, p, s or x: most positions need no further look.
        guard i < b.count, "apsx".utf8.contains(b[i].lowercasedASCII) else { return nil }
        for name in names {
            let end = name.withUTF8Buffer { name -> Int? in
                var j = i
                for letter in name {
                    if j < b.count, b[j].lowercasedASCII == letter {
                        j += 1
                    } else if letter == UInt8(ascii: "k"), b.has("\u{212A}", at: j) {
                        j += 3
                    } else {
                        return nil
                    }
                }
                return j
            }
            if let end { return end }
        }
        return nil
    }
}

private extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self)
    }

    /// Could continue a parameter name (`[A-Za-z0-9_-]`).
    var isNameCharacter: Bool { isASCIIAlphanumeric || self == UInt8(ascii: "_") || self == UInt8(ascii: "-") }

    var lowercasedASCII: UInt8 { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self) ? self + 0x20 : self }
}

/// Reading UTF-8 text from a String: always valid, so a scalar's length is known from its first byte.
private extension Array where Element == UInt8 {
    func has(_ literal: StaticString, at i: Int) -> Bool {
        literal.withUTF8Buffer { literal in
            i >= 0 && i + literal.count <= count && literal.indices.allSatisfy { self[i + $0] == literal[$0] }
        }
    }

    /// `literal` in lower case; the text in any case.
    func hasIgnoringCase(_ literal: StaticString, at i: Int) -> Bool {
        literal.withUTF8Buffer { literal in
            i >= 0 && i + literal.count <= count && literal.indices.allSatisfy { self[i + $0].lowercasedASCII == literal[$0] }
        }
    }

    func isQuote(at i: Int) -> Bool { has("\"", at: i) || has("'", at: i) }

    func scalarLength(at i: Int) -> Int {
        switch self[i] {
        case ..<0xC0: 1
        case ..<0xE0: 2
        case ..<0xF0: 3
        default: 4
        }
    }

    /// The scalar that starts at `i`; nil at the end or inside one.
    func scalar(at i: Int) -> Unicode.Scalar? {
        guard i < count, !(0x80..<0xC0).contains(self[i]) else { return nil }
        let length = scalarLength(at: i)
        var value = UInt32(self[i]) & (length == 1 ? 0x7F : 0x3F >> (length - 1))
        for byte in self[(i + 1)..<(i + length)] { value = value << 6 | UInt32(byte & 0x3F) }
        return Unicode.Scalar(value)
    }

    /// Unicode White_Space: what Regex's `\s` matched.
    func isWhitespace(at i: Int) -> Bool { scalar(at: i)?.properties.isWhitespace ?? false }

    func skipWhitespace(from i: Int) -> Int {
        var i = i
        while isWhitespace(at: i) { i += scalarLength(at: i) }
        return i
    }

    /// Spaces and tabs, what `[ \t]` matched.
    func skipBlanks(from i: Int) -> Int {
        var i = i
        while has(" ", at: i) || has("\t", at: i) { i += 1 }
        return i
    }

    /// The line breaks Regex's `.` stopped at and its `^`/`$` saw: LF, VT, FF, CR, NEL, LS and PS.
    func isLineBreak(at i: Int) -> Bool {
        guard let scalar = scalar(at: i) else { return false }
        return (0x0A...0x0D).contains(scalar.value) || [0x85, 0x2028, 0x2029].contains(scalar.value)
    }

    /// 0 where there is no line break; CR LF counts as one, as it is one Character.
    func lineBreakLength(at i: Int) -> Int {
        guard isLineBreak(at: i) else { return 0 }
        return has("\r\n", at: i) ? 2 : scalarLength(at: i)
    }
}
