#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Instants as the service writes them: "yyyy-MM-ddTHH:mm:ssZ" and milliseconds since the epoch.
package enum UTCTime {
    /// The current time in milliseconds since the Unix epoch.
    package static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// Formats as "yyyy-MM-ddTHH:mm:ssZ" (seconds precision, UTC).
    package static func format(milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = parts.tm_year + 1900
        if (0...9999).contains(year) {
            // Every signature formats one: digits written in place, not padded Strings joined (a tenth of a V1 signature).
            return String(unsafeUninitializedCapacity: 20) { out in
                func put(_ value: Int32, _ width: Int, at offset: Int) {
                    var value = value
                    for position in stride(from: offset + width - 1, through: offset, by: -1) {
                        out[position] = UInt8(48 + value % 10)
                        value /= 10
                    }
                }
                put(year, 4, at: 0)
                put(parts.tm_mon + 1, 2, at: 5)
                put(parts.tm_mday, 2, at: 8)
                put(parts.tm_hour, 2, at: 11)
                put(parts.tm_min, 2, at: 14)
                put(parts.tm_sec, 2, at: 17)
                out[4] = UInt8(ascii: "-")
                out[7] = UInt8(ascii: "-")
                out[10] = UInt8(ascii: "T")
                out[13] = UInt8(ascii: ":")
                out[16] = UInt8(ascii: ":")
                out[19] = UInt8(ascii: "Z")
                return 20
            }
        }
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: Swift.max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))Z"
    }

    /// Parses "yyyy-MM-ddTHH:mm:ssZ" (fractional seconds ".fff" allowed, ignored); nil when malformed,
    /// including days the month does not have.
    package static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        // Between the seconds and the Z: nothing, or a '.' and at least one digit.
        let fraction = bytes[19..<(bytes.count - 1)]
        if !fraction.isEmpty {
            guard fraction.first == UInt8(ascii: "."), fraction.count > 1,
                  fraction.dropFirst().allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int32(byte - 48)
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900; parts.tm_mon = month - 1; parts.tm_mday = day
        parts.tm_hour = hour; parts.tm_min = minute; parts.tm_sec = second
        let seconds = timegm(&parts)
        // timegm normalises 2019-02-30 to March 2nd: refuse dates that do not exist.
        guard parts.tm_mday == day, parts.tm_mon == month - 1 else { return nil }
        return Int64(seconds) * 1000
    }
}
