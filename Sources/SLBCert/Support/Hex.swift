enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lower-case hex, optionally with a separator between bytes ("68:08:1a").
    static func encode<C: Collection>(_ bytes: C, separator: String = "") -> String where C.Element == UInt8 {
        var out = ""
        out.reserveCapacity(bytes.count * (2 + separator.utf8.count))
        var first = true
        for byte in bytes {
            if !first { out += separator }
            first = false
            out.unicodeScalars.append(Unicode.Scalar(digits[Int(byte >> 4)]))
            out.unicodeScalars.append(Unicode.Scalar(digits[Int(byte & 0x0f)]))
        }
        return out
    }
}
