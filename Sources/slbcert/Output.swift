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

    /// One clear line (plus the hint) on stderr, in the CLI's words; with --json also a JSON error
    /// object on stdout. The core's errors are already free of secrets.
    static func error(_ error: SLBCertError, json: Bool) {
        let error = CLIWording.apply(error)
        var line = "slbcert: error: \(error.description)"
        if !error.hint.isEmpty { line += "\nhint: \(error.hint)" }
        standardError(line)
        if json { Output.json(errorObject(error)) }
    }

    /// What a script reads from a failed `--json` command: the service's own error fields, plus the
    /// kind of failure and the hint.
    static func errorObject(_ error: SLBCertError) -> JSON {
        let code = !error.serviceCode.isEmpty ? error.serviceCode
            : error.findings.first { $0.severity == .error }?.code.rawValue ?? error.reason.rawValue
        var members: [(String, JSON)] = [("Code", .string(code)), ("Message", .string(error.message)),
                                         ("RequestId", .string(error.requestId)), ("Kind", .string(error.kind.rawValue)),
                                         ("Hint", .string(error.hint))]
        if !error.findings.isEmpty {
            members.append(("Findings", .array(error.findings.map {
                .object([("Severity", .string($0.severity.name)), ("Code", .string($0.code.rawValue)), ("Message", .string(CLIWording.message(of: $0)))])
            })))
        }
        return .object(members)
    }

    /// "9 days left", "1 day left", "expired 3 days ago".
    static func daysLeft(_ days: Int64) -> String {
        if days >= 0 { return days == 1 ? "1 day left" : "\(days) days left" }
        return days == -1 ? "expired 1 day ago" : "expired \(-days) days ago"
    }

    static func json(_ value: JSON) {
        print(value.serialized(pretty: true))
    }
}
