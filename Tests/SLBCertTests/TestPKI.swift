// Test certificates and keys, made at test time with the `openssl` command so that fixtures never expire.
// Everything is generated once per test process (a lazily initialised global) into a temporary directory
// that is removed when the process exits; the 4096-bit key has its own lazy global so that it is made
// once, and only when a test asks for it.
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
        return try pki.issueLeaf(name: "leaf-rsa4096", keyAlgorithm: .rsa(4096))
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

        var genpkeyArguments: [String] {
            switch self {
            case .rsa(let bits): return ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:\(bits)"]
            case .ec(let curve): return ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:\(curve)"]
            case .ed25519: return ["-algorithm", "ED25519"]
            }
        }
    }

    private static let configuration = """
        [req]
        distinguished_name = dn
        prompt = no
        [dn]
        CN = unused
        [ca]
        basicConstraints = critical,CA:TRUE
        keyUsage = critical,keyCertSign,cRLSign
        subjectKeyIdentifier = hash
        [leaf]
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature,keyEncipherment
        extendedKeyUsage = serverAuth
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid
        subjectAltName = DNS:www.example.test,DNS:example.test,DNS:*.api.example.test,IP:192.0.2.10,IP:2001:db8::1
        [leafca]
        basicConstraints = critical,CA:TRUE
        keyUsage = critical,digitalSignature,keyCertSign
        subjectAltName = DNS:www.example.test
        [selfsigned]
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature,keyEncipherment
        subjectAltName = DNS:self.example.test
        [selfsignedplain]
        basicConstraints = critical,CA:FALSE
        subjectAltName = DNS:plain.example.test

        """

    private init() throws {
        TestPKI.removeStaleDirectories(in: FileManager.default.temporaryDirectory)
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("slbcert-tests-\(getpid())-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        directory = base
        TestPKI.removeAtExit(base.path)
        try TestPKI.configuration.write(to: base.appendingPathComponent("openssl.cnf"), atomically: true, encoding: .utf8)

        // The CAs use P-256 keys: fast to make, and the leaves' facts do not depend on them.
        root = try Self.selfSign(in: base, name: "root", subject: "/O=slbcert tests/CN=slbcert Test Root CA",
                                 keyAlgorithm: .ec("P-256"), section: "ca", days: 3650)
        intermediate = try Self.issue(in: base, name: "intermediate", subject: "/O=slbcert tests/CN=slbcert Test Intermediate CA",
                                      keyAlgorithm: .ec("P-256"), section: "ca", issuer: root, days: 1825)
        unrelatedCA = try Self.selfSign(in: base, name: "unrelated", subject: "/O=Elsewhere/CN=Unrelated Root CA",
                                        keyAlgorithm: .ec("P-256"), section: "ca", days: 3650)
        selfSigned = try Self.selfSign(in: base, name: "selfsigned", subject: "/O=slbcert tests/CN=self.example.test",
                                       keyAlgorithm: .rsa(2048), section: "selfsigned", days: 365)
        selfSignedWithoutKeyUsage = try Self.selfSign(in: base, name: "selfsigned-noku", subject: "/CN=plain.example.test",
                                                      keyAlgorithm: .ec("P-256"), section: "selfsignedplain", days: 365)
        let leafSubject = "/C=CN/O=slbcert tests/CN=\(TestPKI.leafCommonName)"
        leaf = try Self.issue(in: base, name: "leaf", subject: leafSubject, keyAlgorithm: .rsa(2048), section: "leaf",
                              issuer: intermediate, days: 365)
        leafRSA3072 = try Self.issue(in: base, name: "leaf-rsa3072", subject: leafSubject, keyAlgorithm: .rsa(3072),
                                     section: "leaf", issuer: intermediate, days: 365)
        leafP256 = try Self.issue(in: base, name: "leaf-p256", subject: leafSubject, keyAlgorithm: .ec("P-256"),
                                  section: "leaf", issuer: intermediate, days: 365)
        leafP384 = try Self.issue(in: base, name: "leaf-p384", subject: leafSubject, keyAlgorithm: .ec("P-384"),
                                  section: "leaf", issuer: intermediate, days: 365)
        leafEd25519 = try Self.issue(in: base, name: "leaf-ed25519", subject: leafSubject, keyAlgorithm: .ed25519,
                                     section: "leaf", issuer: intermediate, days: 365)
        leafThatIsCA = try Self.issue(in: base, name: "leaf-ca", subject: "/O=slbcert tests/CN=www.example.test",
                                      keyAlgorithm: .ec("P-256"), section: "leafca", issuer: intermediate, days: 365)
        let stray = base.appendingPathComponent("stray.key").path
        try OpenSSLTool.run(["genpkey"] + KeyAlgorithm.rsa(2048).genpkeyArguments + ["-out", stray])
        strayKeyPEM = try String(contentsOfFile: stray, encoding: .utf8)

        // Key forms of the RSA leaf.
        let pass = "pass:\(TestPKI.passphrase)"
        func convert(_ name: String, _ arguments: [String]) throws -> String {
            let path = base.appendingPathComponent(name).path
            try OpenSSLTool.run(arguments + ["-out", path])
            return try String(contentsOfFile: path, encoding: .utf8)
        }
        leafKeyPKCS8 = try convert("leaf.pkcs8.key", ["pkcs8", "-topk8", "-nocrypt", "-in", leaf.keyPath])
        leafKeyPKCS1 = try convert("leaf.pkcs1.key", ["rsa", "-traditional", "-in", leaf.keyPath])
        leafKeyPKCS8Encrypted = try convert("leaf.pkcs8enc.key",
                                            ["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", pass, "-in", leaf.keyPath])
        leafKeyPKCS1Encrypted = try convert("leaf.pkcs1enc.key",
                                            ["rsa", "-aes256", "-traditional", "-passout", pass, "-in", leaf.keyPath])
        p256KeySEC1 = try convert("leaf-p256.sec1.key", ["ec", "-in", leafP256.keyPath])
        p256KeySEC1Encrypted = try convert("leaf-p256.sec1enc.key", ["ec", "-aes256", "-passout", pass, "-in", leafP256.keyPath])
        p256KeyPKCS8Encrypted = try convert("leaf-p256.pkcs8enc.key",
                                            ["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", pass, "-in", leafP256.keyPath])
    }

    /// Issues one more leaf from the intermediate (used for the 4096-bit key).
    func issueLeaf(name: String, keyAlgorithm: KeyAlgorithm) throws -> IssuedCertificate {
        try Self.issue(in: directory, name: name, subject: "/C=CN/O=slbcert tests/CN=\(TestPKI.leafCommonName)",
                       keyAlgorithm: keyAlgorithm, section: "leaf", issuer: intermediate, days: 365)
    }

    private static func makeKey(in base: URL, name: String, _ algorithm: KeyAlgorithm) throws -> String {
        let path = base.appendingPathComponent("\(name).key").path
        try OpenSSLTool.run(["genpkey"] + algorithm.genpkeyArguments + ["-out", path])
        return path
    }

    private static func load(_ name: String, certificate: String, key: String) throws -> IssuedCertificate {
        IssuedCertificate(name: name, certificatePath: certificate, keyPath: key,
                          certificatePEM: try String(contentsOfFile: certificate, encoding: .utf8),
                          keyPEM: try String(contentsOfFile: key, encoding: .utf8))
    }

    private static func selfSign(in base: URL, name: String, subject: String, keyAlgorithm: KeyAlgorithm,
                                 section: String, days: Int) throws -> IssuedCertificate {
        let key = try makeKey(in: base, name: name, keyAlgorithm)
        let certificate = base.appendingPathComponent("\(name).pem").path
        try OpenSSLTool.run(["req", "-x509", "-new", "-key", key, "-subj", subject, "-days", String(days),
                             "-config", base.appendingPathComponent("openssl.cnf").path, "-extensions", section,
                             "-out", certificate])
        return try load(name, certificate: certificate, key: key)
    }

    private static func issue(in base: URL, name: String, subject: String, keyAlgorithm: KeyAlgorithm, section: String,
                              issuer: IssuedCertificate, days: Int) throws -> IssuedCertificate {
        let config = base.appendingPathComponent("openssl.cnf").path
        let key = try makeKey(in: base, name: name, keyAlgorithm)
        let request = base.appendingPathComponent("\(name).csr").path
        let certificate = base.appendingPathComponent("\(name).pem").path
        try OpenSSLTool.run(["req", "-new", "-key", key, "-subj", subject, "-config", config, "-out", request])
        // No -set_serial: openssl picks a random 159-bit serial, which exercises the serial formatting.
        try OpenSSLTool.run(["x509", "-req", "-in", request, "-CA", issuer.certificatePath, "-CAkey", issuer.keyPath,
                             "-days", String(days), "-sha256", "-extfile", config, "-extensions", section,
                             "-out", certificate])
        return try load(name, certificate: certificate, key: key)
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

    /// The certificate as DER, as `openssl x509 -outform DER` writes it.
    func der(_ certificate: IssuedCertificate) throws -> [UInt8] {
        Array(try OpenSSLTool.runData(["x509", "-in", certificate.certificatePath, "-outform", "DER"]))
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

    private static func removeAtExit(_ path: String) {
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
