#if canImport(Glibc)
import Glibc
#endif

/// A JSON value with ordered objects: enough to read the service's answers and profile files and to
/// write the CLI's output, without pulling Foundation into the library.
/// Not `indirect`: arrays and objects already live in Array storage, and boxing every value cost an
/// allocation per number and string (a third of a describe went to malloc and free).
package enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    package static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    // MARK: Reading values

    package subscript(key: String) -> JSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    package var string: String? {
        switch self {
        case .string(let value): return value
        case .number(let value): return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .bool(let value): return value ? "true" : "false"
        default: return nil
        }
    }

    package var int64: Int64? {
        switch self {
        case .number(let value): return Int64(exactly: value.rounded())
        case .string(let value): return Int64(value)
        default: return nil
        }
    }

    package var bool: Bool? {
        switch self {
        case .bool(let value): return value
        case .number(let value): return value != 0
        case .string(let value): return value == "true" || value == "1"
        default: return nil
        }
    }

    package var array: [JSON]? {
        if case .array(let values) = self { return values }
        return nil
    }

    // MARK: Writing

    /// Compact JSON, or indented with two spaces per level.
    package func serialized(pretty: Bool = false) -> String {
        var out = ""
        write(to: &out, pretty: pretty, indent: 0)
        return out
    }

    private func write(to out: inout String, pretty: Bool, indent: Int) {
        let newline = pretty ? "\n" : ""
        let pad = { (level: Int) in pretty ? String(repeating: "  ", count: level) : "" }
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let value):
            out += value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .string(let value): JSON.quote(value, into: &out)
        case .array(let values):
            if values.isEmpty { out += "[]"; return }
            out += "[" + newline
            for (index, value) in values.enumerated() {
                out += pad(indent + 1)
                value.write(to: &out, pretty: pretty, indent: indent + 1)
                out += (index + 1 < values.count ? "," : "") + newline
            }
            out += pad(indent) + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{" + newline
            for (index, (key, value)) in members.enumerated() {
                out += pad(indent + 1)
                JSON.quote(key, into: &out)
                out += pretty ? ": " : ":"
                value.write(to: &out, pretty: pretty, indent: indent + 1)
                out += (index + 1 < members.count ? "," : "") + newline
            }
            out += pad(indent) + "}"
        }
    }

    private static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    // MARK: Parsing

    /// Parses a JSON document (RFC 8259). Returns nil for anything that is not exactly one valid value.
    package static func parse<C: Collection>(_ bytes: C) -> JSON? where C.Element == UInt8 {
        if let parsed = bytes.withContiguousStorageIfAvailable({ parse(buffer: $0) }) { return parsed }
        return Array(bytes).withUnsafeBufferPointer { parse(buffer: $0) }
    }

    package static func parse(_ text: String) -> JSON? { parse(Array(text.utf8)) }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>) -> JSON? {
        var reader = JSONReader(buffer)
        guard let value = reader.value(depth: 0) else { return nil }
        reader.skipSpace()
        return reader.isAtEnd ? value : nil
    }
}

/// The grammar of `JSON.parse`, as a cursor over bytes that callers may also step through themselves:
/// a decoder that reads one known answer straight into its result types uses these same primitives,
/// so it accepts exactly the documents `JSON.parse` accepts, and hands any value it has no shortcut
/// for to `value(depth:)`.
package struct JSONReader {
    /// Deeper nesting is refused: no stack exhaustion on hostile input.
    package static let maximumDepth = 64

    private let bytes: UnsafeBufferPointer<UInt8>
    package private(set) var position = 0

    package init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    package var isAtEnd: Bool { position >= bytes.count }

    /// The byte at the cursor, if any.
    package var next: UInt8? { position < bytes.count ? bytes[position] : nil }

    package mutating func skipSpace() {
        // A switch, not `[...].contains`: no array literal per byte of whitespace.
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0a, 0x0d: position += 1
            default: return
            }
        }
    }

    /// Skips space, then steps over `byte` if it is next.
    package mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// One value at nesting `depth` (0 for a document).
    package mutating func value(depth: Int) -> JSON? {
        guard depth < Self.maximumDepth else { return nil }
        skipSpace()
        guard position < bytes.count else { return nil }
        switch bytes[position] {
        case UInt8(ascii: "{"): return object(depth: depth)
        case UInt8(ascii: "["): return array(depth: depth)
        case UInt8(ascii: "\""): return string().map(JSON.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        default: return number()
        }
    }

    mutating func literal(_ word: StaticString, _ value: JSON) -> JSON? {
        let length = word.utf8CodeUnitCount
        guard position + length <= bytes.count,
              UnsafeBufferPointer(rebasing: bytes[position..<position + length]).elementsEqual(UnsafeBufferPointer(start: word.utf8Start, count: length))
        else { return nil }
        position += length
        return value
    }

    /// RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    mutating func number() -> JSON? {
        let start = position
        guard let end = numberEnd() else { return nil }
        position = end
        guard let value = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)) else { return nil }
        return .number(value)
    }

    /// Where the number at the cursor ends, or nil when it breaks the grammar. Does not move the cursor.
    private func numberEnd() -> Int? {
        var index = position
        func digits() -> Int {
            let from = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            return index - from
        }
        func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        _ = take(UInt8(ascii: "-"))
        let leadingZero = index < bytes.count && bytes[index] == UInt8(ascii: "0")
        let integerDigits = digits()
        guard integerDigits > 0, !(leadingZero && integerDigits > 1) else { return nil }
        if take(UInt8(ascii: ".")), digits() == 0 { return nil }
        if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            if digits() == 0 { return nil }
        }
        return index
    }

    /// A number that is a plain integer of at most 15 digits (no fraction, no exponent: exactly the value
    /// `number()` would give as a Double), read without making a String; nil (cursor unmoved) for
    /// anything else, valid or not, which `value(depth:)` then reads.
    package mutating func smallInteger() -> Int64? {
        skipSpace()
        var index = position
        let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        let first = index
        var value: Int64 = 0
        while index < bytes.count, index - first < 16 {
            let digit = bytes[index] &- 48
            guard digit <= 9 else { break }
            value = value &* 10 &+ Int64(digit)
            index += 1
        }
        let digits = index - first
        guard digits > 0, digits <= 15, !(digits > 1 && bytes[first] == UInt8(ascii: "0")) else { return nil }
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
            default: break
            }
        }
        position = index
        return negative ? -value : value
    }

    /// Skips space, then steps over `text` if the bytes there are exactly `text`.
    package mutating func take(_ text: StaticString) -> Bool {
        skipSpace()
        let length = text.utf8CodeUnitCount
        guard length > 0, length <= bytes.count - position,
              memcmp(bytes.baseAddress! + position, text.utf8Start, length) == 0 else { return false }
        position += length
        return true
    }

    /// Skips space, then steps over the string token `"name"` if it is exactly that (`name` holds no
    /// quote, backslash or control byte, so such a token is a plain string whose value is `name`).
    package mutating func takeString(_ name: StaticString) -> Bool {
        skipSpace()
        let length = name.utf8CodeUnitCount
        guard length + 2 <= bytes.count - position, bytes[position] == UInt8(ascii: "\""),
              bytes[position + 1 + length] == UInt8(ascii: "\""),
              memcmp(bytes.baseAddress! + position + 1, name.utf8Start, length) == 0 else { return false }
        position += length + 2
        return true
    }

    /// The bytes of a string without escapes, the cursor at its opening quote: moves past the closing
    /// quote and returns what is between; nil (cursor unmoved) for a string with escapes or anything else.
    package mutating func plainString() -> UnsafeBufferPointer<UInt8>? {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
        var index = position + 1
        // Eight bytes at a time to the first quote, backslash or control byte.
        if let base = bytes.baseAddress {
            while index + 8 <= bytes.count {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                let special = Self.specialBytes(word)
                if special != 0 {
                    index += special.trailingZeroBitCount >> 3
                    break
                }
                index += 8
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let start = position + 1
                position = index + 1
                return UnsafeBufferPointer(rebasing: bytes[start..<index])
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    /// Bit 7 set in the lowest byte lane of `word` that holds a quote, a backslash or a control byte
    /// (and possibly in higher lanes: only the lowest flagged lane is exact, as with the classic
    /// zero-byte test, because a borrow only runs upwards from a lane that matched).
    @inline(__always)
    static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func zeroLanes(_ value: UInt64) -> UInt64 { (value &- ones) & ~value & highs }
        let below0x20 = (word &- 0x20 &* ones) & ~word & highs
        return zeroLanes(word ^ (0x22 &* ones)) | zeroLanes(word ^ (0x5C &* ones)) | below0x20
    }

    /// The string at the cursor (at its opening quote), escapes decoded.
    package mutating func string() -> String? {
        // Fast path: most strings have no escapes, so scan to the closing quote and make the String
        // once from the bytes. Appending through unicodeScalars took 75% of the time of a describe.
        if let plain = plainString() { return String(decoding: plain, as: UTF8.self) }
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
        position += 1  // opening quote
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { return nil }
            position += 1
        }
        guard position < bytes.count else { return nil }
        // An escape: collect UTF-8 bytes and decode once at the end. Escapes add whole, valid scalars,
        // so invalid raw bytes get the same U+FFFD replacements as decoding each raw run on its own.
        var out = Array(bytes[start..<position])
        func append(_ scalar: Unicode.Scalar) {
            out.append(contentsOf: UTF8.encode(scalar)!)
        }
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { return nil }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var code = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(code), position + 1 < bytes.count,
                       bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                        position += 2
                        guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default: return nil
                }
            case 0..<0x20:
                return nil
            default:
                out.append(byte)
            }
        }
        return nil
    }

    mutating func hex4() -> UInt32? {
        guard position + 4 <= bytes.count,
              let value = UInt32(String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<position + 4]), as: UTF8.self), radix: 16)
        else { return nil }
        position += 4
        return value
    }

    mutating func array(depth: Int) -> JSON? {
        position += 1
        var values: [JSON] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(values) }
        while true {
            guard let value = value(depth: depth + 1) else { return nil }
            values.append(value)
            skipSpace()
            guard position < bytes.count else { return nil }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(values) }
            return nil
        }
    }

    mutating func object(depth: Int) -> JSON? {
        position += 1
        var members: [(String, JSON)] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\""), let key = string() else { return nil }
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return nil }
            position += 1
            guard let value = value(depth: depth + 1) else { return nil }
            members.append((key, value))
            skipSpace()
            guard position < bytes.count else { return nil }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
            return nil
        }
    }
}
