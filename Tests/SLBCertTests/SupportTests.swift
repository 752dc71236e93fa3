// Tests of the support code: strict Base64, the JSON reader/writer and the service's time format.
import Foundation
import SLBCert
import Testing

// MARK: - Base64

@Suite("Base64")
struct Base64Tests {
    @Test("RFC 4648 test vectors", arguments: [
        ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.encodeBytes(Array(plain.utf8)) == Array(encoded.utf8))
        #expect(Base64.decode(Array(encoded.utf8)) == Array(plain.utf8))
    }

    @Test("Every byte value and every length up to 300 round-trips, and matches Foundation's encoder")
    func roundTrips() {
        var generator = SystemRandomNumberGenerator()
        for length in 1...300 {
            let bytes = (0..<length).map { index in length % 3 == 0 ? UInt8(truncatingIfNeeded: index) : UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64.encode(bytes)
            #expect(encoded == Data(bytes).base64EncodedString(), "length \(length)")
            #expect(encoded.utf8.count == (length + 2) / 3 * 4)
            #expect(Base64.decode(Array(encoded.utf8)) == bytes, "length \(length)")
        }
        let allBytes = (0...255).map { UInt8($0) }
        #expect(Base64.decode(Base64.encodeBytes(allBytes)) == allBytes)
        #expect(Base64.encode(allBytes).hasSuffix("+/w=="))
    }

    @Test("The empty input encodes to the empty string and decodes back")
    func empty() {
        #expect(Base64.encode([UInt8]()) == "")
        #expect(Base64.decode([UInt8]()) == [])
    }

    @Test("Characters outside the alphabet are rejected", arguments: [
        "Zm9*", "Zm9v\n", "Zm 9v", "Zm9v-_==", "Zm9v\r\n", "Zm9v\u{00}AAA", "Zm9vYmFy\t", "Zm9v_A==", "Zé9v",
    ])
    func badCharacters(_ text: String) {
        #expect(Base64.decode(Array(text.utf8)) == nil)
    }

    @Test("Bad padding is rejected", arguments: [
        "Zg=a", "Z===", "====", "=Zg=", "Zm=v", "Zg==Zg==", "Zm8=Zm9v", "Z=g=", "A=AA", "Zg==="
    ])
    func badPadding(_ text: String) {
        #expect(Base64.decode(Array(text.utf8)) == nil)
    }

    @Test("A length that is not a multiple of 4 is rejected", arguments: ["Z", "Zg", "Zg=", "Zm9", "Zm9vY", "Zm9vYg", "Zm9vYg="])
    func wrongLength(_ text: String) {
        #expect(Base64.decode(Array(text.utf8)) == nil)
    }
}

// MARK: - JSON

@Suite("JSON")
struct JSONTests {
    @Test("Primitive values")
    func primitives() throws {
        #expect(JSON.parse("null") == .null)
        #expect(JSON.parse("true") == .bool(true))
        #expect(JSON.parse(" false ") == .bool(false))
        #expect(JSON.parse("0") == .number(0))
        #expect(JSON.parse("-12") == .number(-12))
        #expect(JSON.parse("3.25") == .number(3.25))
        #expect(JSON.parse("1e3") == .number(1000))
        #expect(JSON.parse("-2.5E-2") == .number(-0.025))
        #expect(JSON.parse("1558161264000")?.int64 == 1_558_161_264_000)
        #expect(JSON.parse("\"text\"") == .string("text"))
        #expect(JSON.parse("\n\t[ ]\r\n") == .array([]))
        #expect(JSON.parse("{}") == .object([]))
    }

    @Test("Objects keep their order; accessors read values")
    func objects() throws {
        let document = #"{"b": 1, "a": [true, null, "x"], "RequestId": "ABC-123", "Nested": {"Count": "7", "On": "true"}}"#
        let value = try #require(JSON.parse(document))
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["b", "a", "RequestId", "Nested"])
        #expect(value["b"] == .number(1))
        #expect(value["b"]?.string == "1")
        #expect(value["a"]?.array?.count == 3)
        #expect(value["a"]?.array?.first?.bool == true)
        #expect(value["RequestId"]?.string == "ABC-123")
        #expect(value["Nested"]?["Count"]?.int64 == 7)
        #expect(value["Nested"]?["On"]?.bool == true)
        #expect(value["missing"] == nil)
        #expect(value["a"]?["x"] == nil)
        #expect(JSON.number(1.5).string == "1.5")
        #expect(JSON.number(2.5).int64 == 3)
        #expect(JSON.string("12").int64 == 12)
        #expect(JSON.string("x").int64 == nil)
        #expect(JSON.string("1").bool == true)
        #expect(JSON.null.string == nil)
        // Order matters for equality of objects.
        #expect(JSON.parse(#"{"a":1,"b":2}"#) != JSON.parse(#"{"b":2,"a":1}"#))
    }

    @Test("String escapes are decoded")
    func escapes() {
        #expect(JSON.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(JSON.parse(#""\u0041\u00e9\u20AC""#) == .string("Aé€"))
        #expect(JSON.parse(#""\u0000""#) == .string("\u{0}"))
    }

    @Test("Strings with and without escapes: invalid UTF-8, control characters, unterminated")
    func stringFastAndEscapePaths() {
        func parse(_ bytes: [UInt8]) -> JSON? { JSON.parse(bytes) }
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        // Invalid UTF-8 becomes U+FFFD on both paths, also right before and after an escape.
        #expect(parse([quote, 0x41, 0xFF, quote]) == .string("A\u{FFFD}"))
        #expect(parse([quote, 0xC3, backslash, UInt8(ascii: "n"), quote]) == .string("\u{FFFD}\n"))
        #expect(parse([quote, 0xE2, 0x82, backslash, UInt8(ascii: "t"), 0x80, 0x62, quote]) == .string("\u{FFFD}\t\u{FFFD}b"))
        #expect(parse(Array(#""a\u00e9"#.utf8) + [0x80, quote]) == .string("aé\u{FFFD}"))
        #expect(parse(Array(#""\ud800x""#.utf8)) == .string("\u{FFFD}x"))  // a lone surrogate
        // Raw control characters are refused before and after an escape.
        #expect(parse([quote, 0x01, backslash, UInt8(ascii: "n"), quote]) == nil)
        #expect(parse([quote, backslash, UInt8(ascii: "n"), 0x1F, quote]) == nil)
        #expect(parse([quote, 0x61, 0x0A, quote]) == nil)
        // Unterminated strings and escapes.
        #expect(parse(Array(#""abc"#.utf8)) == nil)
        #expect(parse(Array(#""ab\n"#.utf8)) == nil)
        #expect(parse(Array(#""ab\"#.utf8)) == nil)
        #expect(parse(Array(#""\q""#.utf8)) == nil)
        // A long escape-free string, as in a describe response.
        let long = String(repeating: "-----BEGIN CERTIFICATE-----\\nMIIB+/x=é", count: 200)
        #expect(JSON.parse("[\"\(long)\", \"\"]") == .array([.string(long.replacingOccurrences(of: "\\n", with: "\n")), .string("")]))
    }

    @Test("Unicode: raw UTF-8 and surrogate pairs")
    func unicode() {
        #expect(JSON.parse("\"héllo wörld 你好 😀\"") == .string("héllo wörld 你好 😀"))
        #expect(JSON.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(JSON.parse(#""\uD834\uDD1E clef""#) == .string("𝄞 clef"))
        #expect(JSON.parse(#""a\ud83d\ude00b\u00e9""#) == .string("a😀bé"))
        // A high surrogate followed by an escape that is not a low surrogate.
        #expect(JSON.parse(#""\ud83d\u0041""#) == nil)
    }

    @Test("Serialisation escapes what JSON requires and keeps the rest")
    func serialise() {
        #expect(JSON.string("a\"b\\c\nd\re\tf").serialized() == #""a\"b\\c\nd\re\tf""#)
        #expect(JSON.string("\u{01}\u{1F}\u{08}").serialized() == #""\u0001\u001f\u0008""#)
        #expect(JSON.string("é€😀/").serialized() == "\"é€😀/\"")
        #expect(JSON.number(3).serialized() == "3")
        #expect(JSON.number(-1_558_161_264_000).serialized() == "-1558161264000")
        #expect(JSON.number(0.5).serialized() == "0.5")
        #expect(JSON.bool(false).serialized() == "false")
        #expect(JSON.null.serialized() == "null")
        #expect(JSON.array([]).serialized() == "[]")
        #expect(JSON.object([]).serialized(pretty: true) == "{}")
        let value = JSON.object([("b", .array([.number(1), .null])), ("a", .object([("x", .string("y"))]))])
        #expect(value.serialized() == #"{"b":[1,null],"a":{"x":"y"}}"#)
        #expect(value.serialized(pretty: true) == """
            {
              "b": [
                1,
                null
              ],
              "a": {
                "x": "y"
              }
            }
            """)
    }

    @Test("parse(serialized(x)) == x, compact and pretty")
    func roundTrip() {
        let value = JSON.object([
            ("text", .string("quote \" backslash \\ control \u{02} tab \t emoji 😀 é")),
            ("numbers", .array([.number(0), .number(-7), .number(1.25), .number(1e-7), .number(123_456_789_012)])),
            ("flags", .array([.bool(true), .bool(false), .null])),
            ("nested", .object([("deeper", .array([.object([("k", .string(""))])]))])),
            ("", .string("empty key")),
        ])
        #expect(JSON.parse(value.serialized()) == value)
        #expect(JSON.parse(value.serialized(pretty: true)) == value)
        // Every control character survives a round trip.
        let controls = String(String.UnicodeScalarView((0..<0x20).compactMap(Unicode.Scalar.init)))
        #expect(JSON.parse(JSON.string(controls).serialized()) == .string(controls))
    }

    @Test("Nesting is limited to 64 levels")
    func nesting() {
        func arrays(_ depth: Int) -> String { String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }
        func objects(_ depth: Int) -> String {
            String(repeating: #"{"a":"#, count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
        }
        #expect(JSON.parse(arrays(1)) == .array([]))
        #expect(JSON.parse(arrays(64)) != nil)
        #expect(JSON.parse(arrays(65)) == nil)
        #expect(JSON.parse(objects(64)) != nil)
        #expect(JSON.parse(objects(65)) == nil)
        // Deep hostile input fails cleanly instead of exhausting the stack.
        #expect(JSON.parse(String(repeating: "[", count: 100_000)) == nil)
        #expect(JSON.parse(String(repeating: #"{"a":"#, count: 100_000)) == nil)
    }

    @Test("Invalid documents are rejected", arguments: [
        "", " ", "{", "}", "[", "[1,]", "[,1]", "[1 2]", "{\"a\":}", "{a:1}", "{\"a\" 1}", "{\"a\":1,}", "{\"a\":1 \"b\":2}",
        "tru", "nul", "falsey", "True", "\"abc", "\"a\tb\"", "\"a\nb\"", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"",
        "[1]x", "{} {}", "1 2", "-", "1e", "--1", "'single'", "[\"a\",]", "{\"a\":1}}", "NaN", "Infinity", "[1,,2]",
        "\"\\", "{\"a\"", "{\"a\":", "[\"\\ud83d\\u00\"]",
    ])
    func invalid(_ text: String) {
        #expect(JSON.parse(text) == nil)
    }

    @Test("Numbers outside RFC 8259's grammar are rejected", arguments: ["01", "+1", "1.", ".5", "-.5", "1.e3", "0x10", "1e+"])
    func invalidNumbers(_ text: String) {
        #expect(JSON.parse(text) == nil)
    }

    @Test("Raw bytes that are not UTF-8 do not crash the parser")
    func invalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xff, 0xfe, 0x22]
        #expect(JSON.parse(bytes)?.string?.isEmpty == false)
        #expect(JSON.parse([0x5b, 0xc3]) == nil)
    }
}

// MARK: - UTCTime

@Suite("UTCTime")
struct UTCTimeTests {
    @Test("The documented example (docs/protocol.md section 6): 2019-05-18T06:34:24Z is 1558161264000")
    func specExample() {
        #expect(UTCTime.format(milliseconds: 1_558_161_264_000) == "2019-05-18T06:34:24Z")
        #expect(UTCTime.parse("2019-05-18T06:34:24Z") == 1_558_161_264_000)
    }

    @Test("Formatting", arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (Int64(999), "1970-01-01T00:00:00Z"),
        (Int64(1_558_161_264_999), "2019-05-18T06:34:24Z"),
        (Int64(-1), "1969-12-31T23:59:59Z"),
        (Int64(-1000), "1969-12-31T23:59:59Z"),
        (Int64(-1001), "1969-12-31T23:59:58Z"),
        (Int64(951_782_400_000), "2000-02-29T00:00:00Z"),
        (Int64(4_102_444_799_000), "2099-12-31T23:59:59Z"),
        (Int64(253_402_300_799_000), "9999-12-31T23:59:59Z"),
    ])
    func format(milliseconds: Int64, text: String) {
        #expect(UTCTime.format(milliseconds: milliseconds) == text)
    }

    @Test("Parsing", arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2000-02-29T00:00:00Z", Int64(951_782_400_000)),
        ("2019-05-18T06:34:24.123Z", Int64(1_558_161_264_000)),
        ("2019-05-18T06:34:24.999999Z", Int64(1_558_161_264_000)),
        ("2038-01-19T03:14:08Z", Int64(2_147_483_648_000)),
        ("1969-12-31T23:59:59Z", Int64(-1000)),
    ])
    func parse(text: String, milliseconds: Int64) {
        #expect(UTCTime.parse(text) == milliseconds)
    }

    @Test("Malformed times are rejected", arguments: [
        "", "Z", "2019-05-18", "2019-05-18T06:34:24", "2019-05-18 06:34:24Z", "2019/05/18T06:34:24Z", "2019-05-18t06:34:24Z",
        "2019-13-18T06:34:24Z", "2019-00-18T06:34:24Z", "2019-05-00T06:34:24Z", "2019-05-32T06:34:24Z",
        "2019-05-18T24:00:00Z", "2019-05-18T06:60:00Z", "2019-05-18T06:34:61Z", "abcd-05-18T06:34:24Z", "2019-05-18T06:34:24+08:00",
        "2019-5-18T06:34:24Z", "2019-05-18T6:34:24Z", "+019-05-18T06:34:24Z", "2019-05-18T06:34:2aZ",
    ])
    func malformed(_ text: String) {
        #expect(UTCTime.parse(text) == nil)
    }

    @Test("Lenient forms that should be rejected", arguments: ["2019-05-18T06:34:24XZ", "2019-05-18T06:34:24 junk Z",
                                                              "2019-02-30T00:00:00Z", "2019-04-31T00:00:00Z"])
    func lenient(_ text: String) {
        #expect(UTCTime.parse(text) == nil)
    }

    @Test("parse(format(t)) is t truncated to the second, over a wide range")
    func roundTrip() {
        var t: Int64 = -86_400_000 * 366
        while t < 4_102_444_800_000 {
            #expect(UTCTime.parse(UTCTime.format(milliseconds: t)) == t - ((t % 1000) + 1000) % 1000, "t = \(t)")
            t += 7_777_777_777  // about 90 days, with varying times of day and milliseconds
        }
    }

    @Test("nowMilliseconds is the system clock")
    func now() {
        let expected = Int64(Date().timeIntervalSince1970 * 1000)
        let now = UTCTime.nowMilliseconds()
        #expect(abs(now - expected) < 5000)
    }
}

// MARK: - Digests and secrets

@Suite("Digest and SecretBytes")
struct DigestTests {
    @Test("SHA-1 and SHA-256 of \"abc\" (FIPS 180 vectors)")
    func digests() {
        let hex = { (bytes: [UInt8]) in bytes.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(Digest.sha1(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(Digest.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(Digest.sha1([UInt8]())) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }

    @Test("SecretBytes keeps its bytes")
    func secretBytes() {
        let secret = SecretBytes("pässword")
        #expect(secret.count == "pässword".utf8.count)
        #expect(!secret.isEmpty)
        #expect(secret.unsafeString() == "pässword")
        #expect(secret.withUnsafeBytes { Array($0) } == Array("pässword".utf8))
        #expect(SecretBytes([UInt8]()).isEmpty)
        #expect(SecretBytes("").unsafeString() == "")
    }
}
