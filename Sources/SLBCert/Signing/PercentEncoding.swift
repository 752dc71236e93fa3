/// The one percent-encoder for everything that is signed or sent as a signed parameter (spec section 3):
/// UTF-8 bytes, `A-Z a-z 0-9 - _ . ~` kept, every other byte `%XY` with upper-case hex. Space is `%20`,
/// never `+`: a platform form encoder would produce a different string than the one the server signs.
public enum PercentEncoding {
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

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
        append(bytes: text.utf8, to: &output)
    }

    static func append<C: Collection>(bytes: C, to output: inout [UInt8]) where C.Element == UInt8 {
        output.reserveCapacity(output.count + bytes.count)
        for byte in bytes {
            if unreservedTable[Int(byte)] {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "%"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0f)])
            }
        }
    }

    /// `enc(k1)=enc(v1)&enc(k2)=enc(v2)...` in the given order: a query string or a form body.
    public static func encodePairs(_ pairs: [(String, String)]) -> String {
        String(decoding: encodePairBytes(pairs), as: UTF8.self)
    }

    static func encodePairBytes(_ pairs: [(String, String)]) -> [UInt8] {
        var output: [UInt8] = []
        for (index, (key, value)) in pairs.enumerated() {
            if index > 0 { output.append(UInt8(ascii: "&")) }
            append(key, to: &output)
            output.append(UInt8(ascii: "="))
            append(value, to: &output)
        }
        return output
    }
}
