// Test certificates and keys, made at test time so that fixtures never expire, by the test PKI every
// suite of the project shares: `$SLBCERT_TEST_PYTHON -m slbcert_emulator.testing pki` writes them into a
// temporary directory (removed when the process exits) with a manifest.json that lists each entry's
// files and facts. The PKI is made once per test process; the 4096-bit leaf only when a test asks.
// `openssl` (OpenSSLTool, OpenSSLFacts) is still what the tests compare the library's facts with.
import Foundation
import SLBCert
import Testing

/// A failed `openssl` command, with what it printed.
struct OpenSSLCommandError: Error, CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    let output: String
    var description: String { "openssl \(arguments.joined(separator: " ")) exited with \(status): \(output)" }
}

/// Runs the `openssl` command-line tool.
enum OpenSSLTool {
    /// Runs `openssl arguments...` and returns its standard output; throws when it exits non-zero.
    @discardableResult
    static func run(_ arguments: [String], in directory: URL? = nil) throws -> String {
        String(decoding: try runData(arguments, in: directory), as: UTF8.self)
    }

    static func runData(_ arguments: [String], in directory: URL? = nil) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        if let directory { process.currentDirectoryURL = directory }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // openssl's diagnostics are short, so reading stdout to its end before stderr cannot dead-lock.
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OpenSSLCommandError(arguments: arguments, status: process.terminationStatus,
                                      output: String(decoding: errors + output, as: UTF8.self))
        }
        return output
    }
}

/// Files of one issued certificate and its key (PKCS#8 unencrypted, as `openssl genpkey` writes it).
struct IssuedCertificate: Sendable {
    let name: String
    let certificatePath: String
    let keyPath: String
    let certificatePEM: String
    let keyPEM: String
    /// The certificate as DER (what `der()` reads).
    let derPath: String
    /// The key's files by form: pkcs8, pkcs8-enc, and pkcs1, pkcs1-enc (RSA) or sec1, sec1-enc (EC).
    let keyFiles: [String: String]

    /// The key in one of `keyFiles`' forms, e.g. "pkcs1" (the form CLB takes for RSA).
    func keyPEM(form: String) throws -> String {
        guard let path = keyFiles[form] else { throw HarnessError("\(name) has no \(form) key file") }
        return try String(contentsOfFile: path, encoding: .utf8)
    }
}

/// The test PKI: a root CA -> intermediate CA -> leaves of every key type, plus odd ones out.
final class TestPKI: Sendable {
    /// The passphrase of every encrypted key.
    static let passphrase = "correct horse battery staple"
    /// DNS and IP SANs of every leaf.
    static let leafDNSNames = ["www.example.test", "example.test", "*.api.example.test"]
    static let leafIPAddresses = ["192.0.2.10", "2001:db8::1"]
    static let leafCommonName = "www.example.test"

    /// Made on first use, once per process; every test shares it.
    private static let shared = Result { try TestPKI() }
    static func get() throws -> TestPKI { try shared.get() }

    /// RSA 4096 key generation is slow: done once, only when a test needs it.
    private static let shared4096 = Result { () throws -> IssuedCertificate in
        let pki = try get()
        let manifest = try pki.runPKI(["pki", "--out", pki.directory.path, "--only", "leaf-rsa4096"]) { _ in
            try Manifest(directory: pki.directory)
        }
        return try manifest.certificate("leaf-rsa4096", key: ("RSA", 4096), issuedBy: "intermediate")
    }
    static func rsa4096Leaf() throws -> IssuedCertificate { try shared4096.get() }

    let directory: URL
    let root: IssuedCertificate
    let intermediate: IssuedCertificate
    /// RSA 2048 leaf issued by the intermediate.
    let leaf: IssuedCertificate
    let leafRSA3072: IssuedCertificate
    let leafP256: IssuedCertificate
    let leafP384: IssuedCertificate
    let leafEd25519: IssuedCertificate
    /// A "leaf" with basicConstraints CA:TRUE, issued by the intermediate.
    let leafThatIsCA: IssuedCertificate
    /// A self-signed root that issued nothing here.
    let unrelatedCA: IssuedCertificate
    /// A self-signed end-entity certificate (CA:FALSE, keyUsage without keyCertSign, as servers have them).
    let selfSigned: IssuedCertificate
    /// A self-signed end-entity certificate (CA:FALSE) without a keyUsage extension; P-256 key.
    let selfSignedWithoutKeyUsage: IssuedCertificate
    /// An RSA 2048 key that belongs to no certificate.
    let strayKeyPEM: String

    /// The RSA leaf's key in every form the library reads.
    let leafKeyPKCS1: String
    let leafKeyPKCS8: String
    let leafKeyPKCS8Encrypted: String
    let leafKeyPKCS1Encrypted: String
    /// The P-256 leaf's key as SEC1 (EC PRIVATE KEY), plain and legacy-encrypted.
    let p256KeySEC1: String
    let p256KeySEC1Encrypted: String
    let p256KeyPKCS8Encrypted: String

    enum KeyAlgorithm {
        case rsa(Int)
        case ec(String)
        case ed25519

        /// The key argument of `pki issue-leaf --key`.
        var keySpec: String {
            switch self {
            case .rsa(let bits): return "rsa\(bits)"
            case .ec(let curve): return "ec" + curve.filter(\.isNumber)  // P-256 -> ec256
            case .ed25519: return "ed25519"
            }
        }
    }

    private let python: String
    /// One `pki` command at a time: each rewrites manifest.json.
    private let commandLock = NSLock()

    /// The standard entries the properties come from (the PKI makes a few more this suite does not use).
    private static let entries = ["root", "intermediate", "leaf", "leaf-rsa3072", "leaf-p256", "leaf-p384",
                                  "leaf-ed25519", "leaf-ca", "unrelated-ca", "self-signed", "self-signed-plain", "stray"]

    private init() throws {
        guard let python = EmulatorProcess.python else {
            throw HarnessError("SLBCERT_TEST_PYTHON is not set: the test PKI is made by "
                               + "python3 -m slbcert_emulator.testing pki (make test-swift sets it)")
        }
        self.python = python
        TestPKI.removeStaleDirectories(in: FileManager.default.temporaryDirectory)
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("slbcert-tests-\(getpid())-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        directory = base
        TestPKI.removeAtExit(base.path)
        _ = try ChildProcess.run(python, ["-m", "slbcert_emulator.testing", "pki", "--out", base.path]
                                 + Self.entries.flatMap { ["--only", $0] })
        let manifest = try Manifest(directory: base)
        guard manifest.passphrase == TestPKI.passphrase else {
            throw HarnessError("the test PKI's passphrase is not \(TestPKI.passphrase)")
        }

        // Each entry is checked against what its property promises, so a renamed entry fails here. The
        // `name` of three is the one this suite gave them before the PKI was shared (tests match on it).
        root = try manifest.certificate("root", key: ("EC", 256), issuedBy: nil)
        intermediate = try manifest.certificate("intermediate", key: ("EC", 256), issuedBy: "root")
        unrelatedCA = try manifest.certificate("unrelated-ca", as: "unrelated", key: ("EC", 256), issuedBy: nil)
        selfSigned = try manifest.certificate("self-signed", as: "selfsigned", key: ("RSA", 2048), issuedBy: nil)
        selfSignedWithoutKeyUsage = try manifest.certificate("self-signed-plain", as: "selfsigned-noku", key: ("EC", 256),
                                                              issuedBy: nil)
        leaf = try manifest.certificate("leaf", key: ("RSA", 2048), issuedBy: "intermediate", standardLeaf: true)
        leafRSA3072 = try manifest.certificate("leaf-rsa3072", key: ("RSA", 3072), issuedBy: "intermediate", standardLeaf: true)
        leafP256 = try manifest.certificate("leaf-p256", key: ("EC", 256), issuedBy: "intermediate", standardLeaf: true)
        leafP384 = try manifest.certificate("leaf-p384", key: ("EC", 384), issuedBy: "intermediate", standardLeaf: true)
        leafEd25519 = try manifest.certificate("leaf-ed25519", key: ("Ed25519", 256), issuedBy: "intermediate", standardLeaf: true)
        leafThatIsCA = try manifest.certificate("leaf-ca", key: ("EC", 256), issuedBy: "intermediate")
        guard try manifest.fact("root", "is_ca") as? Bool == true, try manifest.fact("leaf-ca", "is_ca") as? Bool == true,
              try manifest.fact("self-signed", "is_ca") as? Bool == false,
              try manifest.fact("self-signed-plain", "is_ca") as? Bool == false else {
            throw HarnessError("the test PKI's CA flags are not what TestPKI promises")
        }
        strayKeyPEM = try manifest.key("stray", "pkcs8", key: ("RSA", 2048))

        leafKeyPKCS8 = try manifest.key("leaf", "pkcs8", key: ("RSA", 2048))
        leafKeyPKCS1 = try manifest.key("leaf", "pkcs1", key: ("RSA", 2048))
        leafKeyPKCS8Encrypted = try manifest.key("leaf", "pkcs8-enc", key: ("RSA", 2048))
        leafKeyPKCS1Encrypted = try manifest.key("leaf", "pkcs1-enc", key: ("RSA", 2048))
        p256KeySEC1 = try manifest.key("leaf-p256", "sec1", key: ("EC", 256))
        p256KeySEC1Encrypted = try manifest.key("leaf-p256", "sec1-enc", key: ("EC", 256))
        p256KeyPKCS8Encrypted = try manifest.key("leaf-p256", "pkcs8-enc", key: ("EC", 256))
    }

    /// Issues one more leaf from the intermediate: the standard leaf's subject and SANs, a new key and
    /// serial (so a new fingerprint).
    func issueLeaf(name: String, keyAlgorithm: KeyAlgorithm) throws -> IssuedCertificate {
        var arguments = ["pki", "issue-leaf", "--pki", directory.path, "--name", name, "--key", keyAlgorithm.keySpec,
                         "--cn", TestPKI.leafCommonName, "--organization", "slbcert tests", "--country", "CN"]
        arguments += TestPKI.leafDNSNames.flatMap { ["--dns", $0] } + TestPKI.leafIPAddresses.flatMap { ["--ip", $0] }
        return try runPKI(arguments) { output in
            // The entry as JSON, its files as absolute paths.
            guard let entry = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
                throw HarnessError("pki issue-leaf printed no JSON object: \(output)")
            }
            return try Manifest.certificate(name, entry: entry, directory: URL(fileURLWithPath: "/"))
        }
    }

    /// Issues a leaf from the intermediate for these DNS names (the first, a "*" spelled "wildcard", is
    /// its CN), with a new RSA 2048 key, valid from `validFromDays` days from now for `days` days.
    func issueLeaf(dnsNames: [String], days: Int, validFromDays: Int) throws -> IssuedCertificate {
        let name = "names-\(UUID().uuidString.prefix(8))"
        var arguments = ["pki", "issue-leaf", "--pki", directory.path, "--name", name, "--key", "rsa2048",
                         "--cn", (dnsNames.first ?? "leaf.example.test").replacingOccurrences(of: "*", with: "wildcard"),
                         "--days", String(days), "--valid-from-days", String(validFromDays)]
        arguments += dnsNames.flatMap { ["--dns", $0] }
        return try runPKI(arguments) { output in
            guard let entry = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
                throw HarnessError("pki issue-leaf printed no JSON object: \(output)")
            }
            return try Manifest.certificate(name, entry: entry, directory: URL(fileURLWithPath: "/"))
        }
    }

    /// Runs `python -m slbcert_emulator.testing ARGUMENTS` (one at a time) and reads its result.
    private func runPKI<Value>(_ arguments: [String], _ read: (String) throws -> Value) throws -> Value {
        commandLock.lock()
        defer { commandLock.unlock() }
        return try read(try ChildProcess.run(python, ["-m", "slbcert_emulator.testing"] + arguments))
    }

    // MARK: Helpers for tests

    /// Writes `contents` to a new file in the PKI directory and returns its path.
    func write(_ contents: String, suffix: String = ".pem") throws -> String {
        let path = directory.appendingPathComponent("tmp-\(UUID().uuidString)\(suffix)").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func write(_ contents: [UInt8], suffix: String = ".der") throws -> String {
        let path = directory.appendingPathComponent("tmp-\(UUID().uuidString)\(suffix)").path
        try Data(contents).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The certificate as DER (the PKI writes it next to the PEM file).
    func der(_ certificate: IssuedCertificate) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: certificate.derPath)))
    }

    // MARK: Clean-up

    private static let cleanupLock = NSLock()
    nonisolated(unsafe) private static var directoriesToRemove: [String] = []

    /// Removes what runs that were killed before their exit handler left behind (their process is gone).
    private static func removeStaleDirectories(in parent: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return }
        for name in names where name.hasPrefix("slbcert-tests-") {
            let fields = name.split(separator: "-")
            guard fields.count == 4, let pid = Int32(fields[2]), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
            }
        }
    }

    /// Removes `path` when the test process exits.
    static func removeAtExit(_ path: String) {
        cleanupLock.lock()
        defer { cleanupLock.unlock() }
        if directoriesToRemove.isEmpty {
            atexit {
                TestPKI.cleanupLock.lock()
                let paths = TestPKI.directoriesToRemove
                TestPKI.cleanupLock.unlock()
                for path in paths { try? FileManager.default.removeItem(atPath: path) }
            }
        }
        directoriesToRemove.append(path)
    }
}

/// The test PKI's manifest.json: for each entry, its files (names relative to the directory) and facts.
private struct Manifest {
    let directory: URL
    let passphrase: String?
    let entries: [String: [String: Any]]

    init(directory: URL) throws {
        self.directory = directory
        let data = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        guard let document = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              document["format"] as? String == "slbcert-test-pki/1",
              let entries = document["entries"] as? [String: [String: Any]] else {
            throw HarnessError("\(directory.path)/manifest.json is not a slbcert-test-pki/1 manifest")
        }
        self.entries = entries
        passphrase = document["passphrase"] as? String
    }

    func entry(_ name: String) throws -> [String: Any] {
        guard let entry = entries[name] else {
            throw HarnessError("the test PKI has no entry \(name) (it has \(entries.keys.sorted()))")
        }
        return entry
    }

    func fact(_ name: String, _ fact: String) throws -> Any? { try entry(name)[fact] }

    /// A certificate entry, checked: its key type and size, its issuer, and for a standard leaf the
    /// subject and SANs TestPKI's constants promise.
    func certificate(_ name: String, as shownName: String? = nil, key: (type: String, bits: Int), issuedBy: String?,
                     standardLeaf: Bool = false) throws -> IssuedCertificate {
        let entry = try entry(name)
        try Self.check(name, entry, key: key)
        guard entry["issued_by"] as? String == issuedBy, entry["self_signed"] as? Bool == (issuedBy == nil) else {
            throw HarnessError("\(name) is issued by \(entry["issued_by"] ?? "nobody"), not \(issuedBy ?? "itself")")
        }
        if standardLeaf {
            guard entry["common_name"] as? String == TestPKI.leafCommonName,
                  entry["subject"] as? String == "CN=\(TestPKI.leafCommonName),O=slbcert tests,C=CN",
                  entry["dns_names"] as? [String] == TestPKI.leafDNSNames,
                  entry["ip_addresses"] as? [String] == TestPKI.leafIPAddresses else {
                throw HarnessError("\(name) does not have the standard leaf's subject and SANs: \(entry)")
            }
        }
        return try Self.certificate(shownName ?? name, entry: entry, directory: directory)
    }

    /// A certificate entry's files read (their names are relative to `directory`, or absolute).
    static func certificate(_ name: String, entry: [String: Any], directory: URL) throws -> IssuedCertificate {
        guard entry["kind"] as? String == "certificate", let files = entry["files"] as? [String: String],
              let certificate = files["cert"], let key = files["pkcs8"], let der = files["der"] else {
            throw HarnessError("\(name) is not a certificate with a PKCS#8 key and a DER file: \(entry)")
        }
        func path(_ file: String) -> String { file.hasPrefix("/") ? file : directory.appendingPathComponent(file).path }
        let keyFiles = files.filter { ["cert", "der", "chain"].contains($0.key) == false }.mapValues(path)
        return IssuedCertificate(name: name, certificatePath: path(certificate), keyPath: path(key),
                                 certificatePEM: try String(contentsOfFile: path(certificate), encoding: .utf8),
                                 keyPEM: try String(contentsOfFile: path(key), encoding: .utf8),
                                 derPath: path(der), keyFiles: keyFiles)
    }

    /// One key file of an entry (`form`: pkcs8, pkcs8-enc, pkcs1, pkcs1-enc, sec1, sec1-enc).
    func key(_ name: String, _ form: String, key: (type: String, bits: Int)) throws -> String {
        let entry = try entry(name)
        try Self.check(name, entry, key: key)
        guard let files = entry["files"] as? [String: String], let file = files[form] else {
            throw HarnessError("\(name) has no \(form) key file: \(entry["files"] ?? "no files")")
        }
        return try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
    }

    private static func check(_ name: String, _ entry: [String: Any], key: (type: String, bits: Int)) throws {
        guard entry["key_type"] as? String == key.type, entry["key_bits"] as? Int == key.bits else {
            throw HarnessError("\(name) has a \(entry["key_type"] ?? "?") \(entry["key_bits"] ?? "?") key, "
                               + "not \(key.type) \(key.bits)")
        }
    }
}

/// What `openssl x509` says about a certificate, to compare the library's facts with.
struct OpenSSLFacts {
    let sha1Fingerprint: String
    let sha256Fingerprint: String
    let serial: String
    let notBefore: Int64
    let notAfter: Int64
    let subject: String
    let issuer: String

    init(certificatePath path: String) throws {
        func field(_ option: [String], prefix: String) throws -> String {
            let output = try OpenSSLTool.run(["x509", "-in", path, "-noout"] + option)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard let range = output.range(of: prefix) else {
                throw OpenSSLCommandError(arguments: option, status: 0, output: "no \(prefix) in \(output)")
            }
            return String(output[range.upperBound...])
        }
        sha1Fingerprint = try field(["-fingerprint", "-sha1"], prefix: "Fingerprint=").lowercased()
        sha256Fingerprint = try field(["-fingerprint", "-sha256"], prefix: "Fingerprint=").lowercased()
        serial = try field(["-serial"], prefix: "serial=")
        notBefore = try Self.parseDate(try field(["-startdate"], prefix: "notBefore="))
        notAfter = try Self.parseDate(try field(["-enddate"], prefix: "notAfter="))
        subject = try field(["-subject", "-nameopt", "RFC2253"], prefix: "subject=")
        issuer = try field(["-issuer", "-nameopt", "RFC2253"], prefix: "issuer=")
    }

    /// Parses openssl's "Nov 23 19:00:03 2027 GMT" into milliseconds since the epoch.
    static func parseDate(_ text: String) throws -> Int64 {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 5, parts[4] == "GMT", let month = months.firstIndex(of: String(parts[0])),
              let day = Int(parts[1]), let year = Int(parts[3]) else {
            throw OpenSSLCommandError(arguments: ["date"], status: 0, output: "unexpected date \(text)")
        }
        let clock = parts[2].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3 else { throw OpenSSLCommandError(arguments: ["date"], status: 0, output: "unexpected time \(text)") }
        var components = DateComponents()
        components.timeZone = TimeZone(identifier: "UTC")
        components.year = year; components.month = month + 1; components.day = day
        components.hour = clock[0]; components.minute = clock[1]; components.second = clock[2]
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: components) else {
            throw OpenSSLCommandError(arguments: ["date"], status: 0, output: "invalid date \(text)")
        }
        return Int64(date.timeIntervalSince1970) * 1000
    }
}

extension CertificateBundle {
    /// The reason codes of the findings, in order.
    var codes: [Finding.Code] { findings.map(\.code) }
    func has(_ severity: Finding.Severity, _ code: Finding.Code) -> Bool {
        findings.contains { $0.severity == severity && $0.code == code }
    }
    var normalizedKeyText: String? { normalizedPrivateKeyPEM?.unsafeString() }
}
