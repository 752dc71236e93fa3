#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the fuzz targets share: how one input splits into fields, and how a broken property stops the
/// run (libFuzzer saves the input that did it as a crash artifact).
public enum Fuzz {
    /// The bytes libFuzzer hands over (`data` may be NULL when `size` is 0).
    public static func input(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// The bytes of a C string, without its NUL.
    public static func bytes(cString pointer: UnsafePointer<CChar>) -> [UInt8] {
        Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer)))
    }

    /// Splits `bytes` at each `separator`, into at most `limit` parts (the last part keeps the rest).
    public static func split(_ bytes: ArraySlice<UInt8>, separator: [UInt8], limit: Int) -> [ArraySlice<UInt8>] {
        precondition(!separator.isEmpty && limit >= 1)
        var parts: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index + separator.count <= bytes.endIndex, parts.count + 1 < limit {
            if bytes[index..<index + separator.count].elementsEqual(separator) {
                parts.append(bytes[start..<index])
                index += separator.count
                start = index
            } else {
                index += 1
            }
        }
        parts.append(bytes[start..<bytes.endIndex])
        return parts
    }

    /// Reports a broken property and aborts, so that libFuzzer keeps the input.
    public static func fail(_ message: String, file: StaticString = #file, line: UInt = #line) -> Never {
        var text = "fuzz property broken (\(file):\(line)): \(message)\n"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        abort()
    }

    public static func check(_ condition: Bool, _ message: @autoclosure () -> String,
                             file: StaticString = #file, line: UInt = #line) {
        if !condition { fail(message(), file: file, line: line) }
    }

    /// True when `needle` occurs in `haystack` (bytes, no Unicode equivalence).
    public static func contains<H: Collection, N: Collection>(_ haystack: H, _ needle: N) -> Bool
    where H.Element == UInt8, N.Element == UInt8 {
        let h = Array(haystack), n = Array(needle)
        guard !n.isEmpty, h.count >= n.count else { return n.isEmpty }
        for start in 0...(h.count - n.count) where h[start] == n[0] {
            if h[start..<start + n.count].elementsEqual(n) { return true }
        }
        return false
    }
}
