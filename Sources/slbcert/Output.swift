import SLBCert
#if canImport(Glibc)
import Glibc
#endif

enum Output {
    static func standardError(_ text: String) {
        let line = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        var offset = 0
        while offset < line.count {
            let written = line[offset...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            if written <= 0 { break }
            offset += written
        }
    }

    /// One clear line (plus the hint) on stderr; secrets are redacted on the way out.
    static func error(_ error: SLBCertError) {
        var line = "slbcert: error: \(Redactor.redact(error.description))"
        if !error.hint.isEmpty { line += "\nhint: \(error.hint)" }
        standardError(line)
    }

    static func json(_ value: JSON) {
        print(value.serialized(pretty: true))
    }
}
