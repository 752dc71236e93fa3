// Bounded work on hostile input (issue 10): chain ordering, the chain-length cap and the key-derivation
// cost gate are asserted by counting the operations a parse makes (signature verifications, derivation
// work), never by timing. And the re-implemented OpenSSL checks are compared with OpenSSL's own.
import COpenSSL
import Foundation
@testable import SLBCert
import Testing

// MARK: - Certificates made in-process

/// Self-signed certificates made with OpenSSL's API (hundreds per second, no processes).
private enum Forge {
    struct Failure: Error {}

    static func ecKey() throws -> OpaquePointer {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw Failure() }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_group_name(context, "P-256") == 1,
              EVP_PKEY_generate(context, &key) == 1, let key else { throw Failure() }
        return key
    }

    /// DER of a self-signed certificate for `key` with subject = issuer = CN=`commonName`, no extensions.
    static func selfSigned(commonName: String, key: OpaquePointer, serial: Int) throws -> [UInt8] {
        guard let certificate = X509_new() else { throw Failure() }
        defer { X509_free(certificate) }
        guard X509_set_version(certificate, 2) == 1, ASN1_INTEGER_set(X509_get_serialNumber(certificate), serial) == 1,
              X509_gmtime_adj(X509_getm_notBefore(certificate), -86_400) != nil,
              X509_gmtime_adj(X509_getm_notAfter(certificate), 30 * 86_400) != nil,
              let name = X509_get_subject_name(certificate),
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, commonName, -1, -1, 0) == 1,
              X509_set_issuer_name(certificate, name) == 1, X509_set_pubkey(certificate, key) == 1,
              X509_sign(certificate, key, EVP_sha256()) > 0 else { throw Failure() }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(certificate, &out)
        guard length > 0, let out else { throw Failure() }
        defer { CRYPTO_free(out, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// `count` self-signed certificates, each with its own key, as one PEM chain.
    static func selfSignedChain(count: Int, commonName: (Int) -> String) throws -> String {
        var pem = ""
        for index in 0..<count {
            let key = try ecKey()
            defer { EVP_PKEY_free(key) }
            pem += PEM.encode(label: "CERTIFICATE", der: try selfSigned(commonName: commonName(index), key: key, serial: index + 1))
        }
        return pem
    }
}

// MARK: - Chain ordering

@Suite("Bounded work: chains")
struct BoundedChainTests {
    @Test("1,000 self-signed certificates with one subject and 1,000 keys: CHAIN_TOO_LONG, one verification each")
    func thousandWithOneName() throws {
        let input = try Forge.selfSignedChain(count: 1000) { _ in "unrelated.example.test" }
        #expect(input.utf8.count < CertificateBundle.maxInputBytes)
        let bundle = CertificateBundle.parse(certificate: input)
        #expect(bundle.errors.map(\.code) == [.chainTooLong], "\(bundle.findings.prefix(3))")
        #expect(bundle.findings.count == 1)
        #expect(bundle.findings.first?.message.contains("1000 different certificates") == true)
        #expect(bundle.chain.count == 1000)
        #expect(bundle.normalizedCertificatePEM == nil, "nothing is sendable")
        #expect(bundle.chain.allSatisfy { $0.isSelfSigned })
        // Each certificate's own signature, for its self-signed fact; no pair is tried.
        #expect(bundle.signatureVerifications == 1000)
    }

    @Test("1,000 self-signed certificates with distinct subjects: CHAIN_TOO_LONG, linear work")
    func thousandDistinct() throws {
        let input = try Forge.selfSignedChain(count: 1000) { "unrelated-\($0).example.test" }
        let bundle = CertificateBundle.parse(certificate: input)
        #expect(bundle.errors.map(\.code) == [.chainTooLong])
        #expect(bundle.signatureVerifications == 1000)
    }

    @Test("At the cap: ten certificates with one subject are ordered, each ordered pair verified at most once")
    func atTheCap() throws {
        let count = CertificateBundle.maxChainCertificates
        let input = try Forge.selfSignedChain(count: count) { _ in "same.example.test" }
        let bundle = CertificateBundle.parse(certificate: input)
        #expect(!bundle.codes.contains(.chainTooLong))
        #expect(bundle.chain.count == count)
        // Nine strays: each is a self-signed certificate of its own, no issuer of the leaf.
        #expect(bundle.errors.map(\.code) == Array(repeating: .chainBroken, count: count - 1))
        // Choosing the leaf asks of every ordered pair whether one issued the other (names match, so
        // each is a signature check), plus one self-signature each: n * (n - 1) + n.
        #expect(bundle.signatureVerifications == count * count)
    }

    @Test("Eleven certificates: CHAIN_TOO_LONG, the key's certificate first, the key still checked")
    func overTheCapWithKey() throws {
        let pki = try TestPKI.get()
        var others = try Forge.selfSignedChain(count: 10) { "other-\($0).example.test" }
        let pieces = others.components(separatedBy: "-----END CERTIFICATE-----\n")
        others = pieces[0..<6].joined(separator: "-----END CERTIFICATE-----\n") + "-----END CERTIFICATE-----\n"
            + pki.leaf.certificatePEM + pieces[6...].joined(separator: "-----END CERTIFICATE-----\n")
        let matching = CertificateBundle.parse(certificate: others, privateKey: pki.leafKeyPKCS1)
        #expect(matching.errors.map(\.code) == [.chainTooLong], "\(matching.findings)")
        #expect(matching.chain.count == 11)
        #expect(matching.leaf?.commonName == TestPKI.leafCommonName)
        #expect(matching.key?.bits == 2048)
        #expect(matching.normalizedPrivateKeyPEM != nil)
        #expect(matching.normalizedCertificatePEM == nil)

        let stray = CertificateBundle.parse(certificate: others, privateKey: pki.strayKeyPEM)
        #expect(Set(stray.errors.map(\.code)) == [.chainTooLong, .keyMismatch], "\(stray.findings)")
    }

    @Test("A three-level chain in any order, with or without its key: exactly three verifications")
    func threeLevels() throws {
        let pki = try TestPKI.get()
        let parts = [pki.leaf, pki.intermediate, pki.root]
        for order in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
            for key in [nil, pki.leafKeyPKCS1] {
                let bundle = CertificateBundle.parse(certificate: order.map { parts[$0].certificatePEM }.joined(), privateKey: key)
                #expect(!bundle.hasErrors, "\(order): \(bundle.findings)")
                // leaf by intermediate, intermediate by root, the root's own signature.
                #expect(bundle.signatureVerifications == 3, "order \(order), key \(key != nil)")
            }
        }
    }
}

// MARK: - Key derivation cost

/// Just enough DER to write EncryptedPrivateKeyInfo structures with chosen parameters.
private enum DERWriter {
    static func element(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var length: [UInt8]
        if content.count < 0x80 {
            length = [UInt8(content.count)]
        } else {
            var bytes: [UInt8] = []
            var value = content.count
            while value > 0 { bytes.insert(UInt8(value & 0xff), at: 0); value >>= 8 }
            length = [0x80 | UInt8(bytes.count)] + bytes
        }
        return [tag] + length + content
    }
    static func sequence(_ items: [UInt8]...) -> [UInt8] { element(0x30, items.flatMap { $0 }) }
    static func octets(_ bytes: [UInt8]) -> [UInt8] { element(0x04, bytes) }
    static let null: [UInt8] = [0x05, 0x00]
    /// A two's-complement INTEGER from big-endian magnitude bytes.
    static func integer(bytes: [UInt8]) -> [UInt8] { element(0x02, bytes) }
    static func integer(_ value: Int64) -> [UInt8] {
        var bytes = withUnsafeBytes(of: value.bigEndian) { Array($0) }
        while bytes.count > 1, (bytes[0] == 0 && bytes[1] & 0x80 == 0) || (bytes[0] == 0xff && bytes[1] & 0x80 != 0) {
            bytes.removeFirst()
        }
        return element(0x02, bytes)
    }
    static func oid(_ dotted: String) -> [UInt8] {
        let arcs = dotted.split(separator: ".").map { UInt64($0)! }
        var body = [UInt8(arcs[0] * 40 + arcs[1])]
        for arc in arcs.dropFirst(2) {
            var chunk = [UInt8(arc & 0x7f)]
            var rest = arc >> 7
            while rest > 0 { chunk.insert(UInt8(rest & 0x7f) | 0x80, at: 0); rest >>= 7 }
            body += chunk
        }
        return element(0x06, body)
    }

    static let pbes2OID = "1.2.840.113549.1.5.13", pbkdf2OID = "1.2.840.113549.1.5.12", scryptOID = "1.3.6.1.4.1.11591.4.11"
    static let hmacWithSHA256OID = "1.2.840.113549.2.9", aes256CBCOID = "2.16.840.1.101.3.4.1.42"
    static let pbeSHA1TripleDESOID = "1.2.840.113549.1.12.1.3"

    static func encryptedKey(algorithm: [UInt8]) -> String {
        let der = sequence(algorithm, octets([UInt8](repeating: 0x5a, count: 1232)))
        return PEM.encode(label: "ENCRYPTED PRIVATE KEY", der: der)
    }
    static func pbes2(kdf: [UInt8]) -> [UInt8] {
        sequence(oid(pbes2OID), sequence(kdf, sequence(oid(aes256CBCOID), octets([UInt8](repeating: 7, count: 16)))))
    }
    static func pbkdf2(iterations: [UInt8]) -> [UInt8] {
        sequence(oid(pbkdf2OID), sequence(octets([1, 2, 3, 4, 5, 6, 7, 8]), iterations, sequence(oid(hmacWithSHA256OID), null)))
    }
    static func scrypt(n: [UInt8], r: [UInt8], p: [UInt8]) -> [UInt8] {
        sequence(oid(scryptOID), sequence(octets([1, 2, 3, 4, 5, 6, 7, 8]), n, r, p))
    }
}

@Suite("Bounded work: key derivation")
struct KeyDerivationCostTests {
    private func parse(_ key: String, passphrase: String = TestPKI.passphrase) throws -> CertificateBundle {
        let pki = try TestPKI.get()
        return CertificateBundle.parse(certificate: Array((pki.leaf.certificatePEM + pki.intermediate.certificatePEM).utf8),
                                       privateKey: SecretBytes(key), passphrase: SecretBytes(passphrase))
    }

    private typealias W = DERWriter

    @Test("Derivation costs over the limits are refused before anything is derived: KEY_COST_TOO_HIGH",
          arguments: [
            ("PBKDF2, 8,388,607 iterations", W.pbes2(kdf: W.pbkdf2(iterations: W.integer(8_388_607)))),
            ("PBKDF2, one over the limit", W.pbes2(kdf: W.pbkdf2(iterations: W.integer(KeyDerivationLimits.maxIterations + 1)))),
            ("PBKDF2, 2^31 - 1 iterations", W.pbes2(kdf: W.pbkdf2(iterations: W.integer(Int64(Int32.max))))),
            ("PBKDF2, 2^64 iterations", W.pbes2(kdf: W.pbkdf2(iterations: W.integer(bytes: [1, 0, 0, 0, 0, 0, 0, 0, 0])))),
            ("scrypt, N = 2^20", W.pbes2(kdf: W.scrypt(n: W.integer(1 << 20), r: W.integer(8), p: W.integer(1)))),
            ("scrypt, N * r * p beyond 64 bits",
             W.pbes2(kdf: W.scrypt(n: W.integer(1 << 40), r: W.integer(1 << 30), p: W.integer(1 << 20)))),
            ("PKCS#12 3DES, 2^31 - 1 iterations",
             W.sequence(W.oid(W.pbeSHA1TripleDESOID), W.sequence(W.octets([1, 2, 3, 4, 5, 6, 7, 8]), W.integer(Int64(Int32.max))))),
          ])
    func refused(_ name: String, _ algorithm: [UInt8]) throws {
        let bundle = try parse(W.encryptedKey(algorithm: algorithm))
        #expect(bundle.errors.map(\.code) == [.keyCostTooHigh], "\(name): \(bundle.findings)")
        #expect(bundle.keyDerivationCost == 0, "\(name)")
        #expect(bundle.key == nil)
        #expect(bundle.chain.count == 2, "the chain is still read")
    }

    @Test("Encryption OpenSSL cannot derive with is KEY_UNREADABLE, with nothing derived",
          arguments: [
            ("no iterations", W.pbes2(kdf: W.pbkdf2(iterations: W.integer(0)))),
            ("negative iterations", W.pbes2(kdf: W.pbkdf2(iterations: W.integer(-5)))),
            ("an unknown scheme", W.sequence(W.oid("1.2.3.4.5"), W.null)),
            ("an unknown key derivation", W.pbes2(kdf: W.sequence(W.oid("1.2.3.4.6"), W.null))),
            ("PBES2 parameters that are not a sequence", W.sequence(W.oid(W.pbes2OID), W.integer(3))),
          ])
    func unreadable(_ name: String, _ algorithm: [UInt8]) throws {
        let bundle = try parse(W.encryptedKey(algorithm: algorithm))
        #expect(bundle.errors.map(\.code) == [.keyUnreadable], "\(name): \(bundle.findings)")
        #expect(bundle.keyDerivationCost == 0)
    }

    @Test("Keys as openssl writes them are read, and their cost is what they name",
          arguments: [
            ("PBES2 AES-256 HMAC-SHA256 (openssl's default)", ["-v2", "aes-256-cbc"], 2048),
            ("PBES2 AES-128 HMAC-SHA1", ["-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"], 2048),
            ("PBES2 AES-256 HMAC-SHA512", ["-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA512"], 2048),
            ("PBES2 3DES", ["-v2", "des3"], 2048),
            ("PBES2 AES-256, 10,000 iterations", ["-v2", "aes-256-cbc", "-iter", "10000"], 10000),
            ("PKCS#12 3DES", ["-v1", "PBE-SHA1-3DES"], 2048),
            ("scrypt (openssl's default N, r, p)", ["-scrypt"], 16384 * 8),
          ])
    func accepted(_ name: String, _ options: [String], cost: Int) throws {
        let pki = try TestPKI.get()
        let path = pki.directory.appendingPathComponent("cost-\(UUID().uuidString).key").path
        try OpenSSLTool.run(["pkcs8", "-topk8"] + options + ["-passout", "pass:\(TestPKI.passphrase)", "-in", pki.leaf.keyPath, "-out", path])
        let key = try String(contentsOfFile: path, encoding: .utf8)
        let bundle = try parse(key)
        #expect(bundle.findings.isEmpty, "\(name): \(bundle.findings)")
        #expect(bundle.key?.form == .pkcs8Encrypted)
        #expect(bundle.normalizedKeyText == pki.leafKeyPKCS1, "\(name)")
        #expect(bundle.keyDerivationCost == cost, "\(name)")

        let wrong = try parse(key, passphrase: "not the passphrase")
        #expect(wrong.errors.map(\.code) == [.keyPassphraseWrong], "\(name): \(wrong.findings)")
        #expect(wrong.key == nil)
    }

    @Test("The iteration limit itself is accepted")
    func atTheLimit() throws {
        let pki = try TestPKI.get()
        let path = pki.directory.appendingPathComponent("limit-\(UUID().uuidString).key").path
        try OpenSSLTool.run(["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-iter", String(KeyDerivationLimits.maxIterations),
                             "-passout", "pass:\(TestPKI.passphrase)", "-in", pki.leaf.keyPath, "-out", path])
        let bundle = try parse(try String(contentsOfFile: path, encoding: .utf8))
        #expect(bundle.findings.isEmpty, "\(bundle.findings)")
        #expect(bundle.keyDerivationCost == Int(KeyDerivationLimits.maxIterations))
    }

    @Test("PEM encryption headers on an ENCRYPTED PRIVATE KEY block are refused before any derivation")
    func headersOnPKCS8() throws {
        let pki = try TestPKI.get()
        let withHeaders = pki.leafKeyPKCS8Encrypted.replacingOccurrences(
            of: "-----BEGIN ENCRYPTED PRIVATE KEY-----\n",
            with: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\n")
        let bundle = try parse(withHeaders)
        #expect(bundle.errors.map(\.code) == [.keyUnreadable], "\(bundle.findings)")
        #expect(bundle.keyDerivationCost == 0)
    }

    @Test("Legacy PEM encryption (Proc-Type) still reads, outside the PKCS#8 gate (EVP_BytesToKey, one round)")
    func legacyEncryption() throws {
        let bundle = try parse(try TestPKI.get().leafKeyPKCS1Encrypted)
        #expect(bundle.findings.isEmpty, "\(bundle.findings)")
        #expect(bundle.key?.form == .pkcs1Encrypted)
        #expect(bundle.keyDerivationCost == 0)
    }

    @Test("A passphrase longer than OpenSSL reads (1024 bytes) is reported, not truncated")
    func longPassphrase() throws {
        let bundle = try parse(try TestPKI.get().leafKeyPKCS8Encrypted, passphrase: String(repeating: "x", count: 1025))
        #expect(bundle.errors.map(\.code) == [.keyPassphraseWrong])
        #expect(bundle.errors.first?.message.contains("1024") == true)
        #expect(bundle.keyDerivationCost == 0)
    }
}

// MARK: - Arithmetic on caller-controlled values

@Suite("No trap on extreme options")
struct ExtremeOptionTests {
    @Test("Huge warning windows and clocks at the ends of Int64 give findings, not a trap")
    func extremes() throws {
        let pki = try TestPKI.get()
        let chain = pki.leaf.certificatePEM + pki.intermediate.certificatePEM
        let wide = CertificateBundle.parse(certificate: chain, options: CheckOptions(expiryWarningDays: Int.max))
        #expect(wide.codes == [.leafExpiresSoon], "\(wide.findings)")
        let early = CertificateBundle.parse(certificate: chain, options: CheckOptions(expiryWarningDays: Int.max, now: Int64.min))
        #expect(early.codes == [.leafNotYetValid])
        let late = CertificateBundle.parse(certificate: chain, options: CheckOptions(expiryWarningDays: Int.max, now: Int64.max))
        #expect(late.codes == [.leafExpired, .chainCertificateExpired])
    }
}

// MARK: - The re-implemented OpenSSL checks against OpenSSL's own

@Suite("Issuance checks equal OpenSSL's")
struct IssuanceDifferentialTests {
    /// More certificates for the comparison: RSA CAs, two CAs sharing one subject, a CA whose keyUsage
    /// forbids signing certificates, an RSA-PSS signature.
    private static func extraCertificates(_ pki: TestPKI) throws -> [String] {
        let base = pki.directory.appendingPathComponent("issuance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let config = base.appendingPathComponent("x.cnf").path
        try """
            [req]
            distinguished_name = dn
            prompt = no
            [dn]
            CN = unused
            [ca]
            basicConstraints = critical,CA:TRUE
            keyUsage = critical,keyCertSign,cRLSign
            subjectKeyIdentifier = hash
            [nocertsign]
            basicConstraints = critical,CA:TRUE
            keyUsage = critical,digitalSignature
            subjectKeyIdentifier = hash
            [bare]
            basicConstraints = critical,CA:TRUE
            [leaf]
            basicConstraints = critical,CA:FALSE
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid
            """.write(toFile: config, atomically: true, encoding: .utf8)
        func path(_ name: String) -> String { base.appendingPathComponent(name).path }
        func root(_ name: String, subject: String, section: String) throws {
            try OpenSSLTool.run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("\(name).key"), "-subj", subject,
                                 "-days", "30", "-config", config, "-extensions", section, "-out", path("\(name).pem")])
        }
        func leaf(_ name: String, issuer: String, extra: [String] = []) throws {
            try OpenSSLTool.run(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", path("\(name).key"),
                                 "-subj", "/CN=\(name).example.test", "-config", config, "-out", path("\(name).csr")])
            try OpenSSLTool.run(["x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(issuer).pem"), "-CAkey", path("\(issuer).key"),
                                 "-days", "20", "-extfile", config, "-extensions", "leaf", "-out", path("\(name).pem")] + extra)
        }
        try root("rsa-root", subject: "/CN=Twin Root", section: "ca")
        try root("twin-root", subject: "/CN=Twin Root", section: "ca")
        try root("bare-root", subject: "/CN=Twin Root", section: "bare")
        try root("nocertsign", subject: "/CN=No Cert Sign CA", section: "nocertsign")
        try leaf("rsa-leaf", issuer: "rsa-root")
        try leaf("bare-leaf", issuer: "bare-root")
        try leaf("forbidden-leaf", issuer: "nocertsign")
        try leaf("pss-leaf", issuer: "rsa-root", extra: ["-sigopt", "rsa_padding_mode:pss", "-sha256"])
        return try ["rsa-root", "twin-root", "bare-root", "nocertsign", "rsa-leaf", "bare-leaf", "forbidden-leaf", "pss-leaf"]
            .map { try String(contentsOfFile: path("\($0).pem"), encoding: .utf8) }
    }

    @Test("isIssued, mayBeIssued and isSelfSigned agree with X509_check_issued, X509_verify and X509_self_signed on every pair")
    func everyPair() throws {
        let pki = try TestPKI.get()
        let pems = [pki.root, pki.intermediate, pki.leaf, pki.leafRSA3072, pki.leafP256, pki.leafP384, pki.leafEd25519,
                    pki.leafThatIsCA, pki.unrelatedCA, pki.selfSigned, pki.selfSignedWithoutKeyUsage].map(\.certificatePEM)
            + (try Self.extraCertificates(pki))
        let ders = try pems.map { pem -> [UInt8] in
            let block = try #require(PEM.scan(Array(pem.utf8)).blocks.first)
            return try #require(PEM.decodeBase64(block.base64))
        }
        let work = ParseWork()
        let ours = try ders.map { try #require(X509Certificate(der: $0, work: work)) }
        let theirs: [OpaquePointer] = try ders.map { der in
            try der.withUnsafeBufferPointer { buffer in
                var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
                return try #require(d2i_X509(nil, &cursor, buffer.count))
            }
        }
        defer { theirs.forEach { X509_free($0) } }
        var agreements = 0, issued = 0
        for subject in ders.indices {
            let selfSigned = X509_self_signed(theirs[subject], 1) == 1
            #expect(ours[subject].isSelfSigned == selfSigned, "self-signed: \(ours[subject].info.subject)")
            for issuer in ders.indices {
                let allowed = X509_check_issued(theirs[issuer], theirs[subject]) == X509_V_OK
                let verified = allowed && X509_verify(theirs[subject], X509_get0_pubkey(theirs[issuer])) == 1
                ERR_clear_error()
                #expect(ours[subject].mayBeIssued(by: ours[issuer]) == allowed,
                        "check_issued: \(ours[subject].info.subject) by \(ours[issuer].info.subject)")
                #expect(ours[subject].isIssued(by: ours[issuer]) == verified,
                        "issued: \(ours[subject].info.subject) by \(ours[issuer].info.subject)")
                agreements += 1
                if verified { issued += 1 }
            }
        }
        #expect(agreements == ders.count * ders.count)
        // The comparison covers both answers: real issuances, and pairs OpenSSL refuses at each step.
        #expect(issued >= 10)
    }
}

// MARK: - Digests, HMAC, PBKDF2 and base64 against OpenSSL and Base64

@Suite("Digest and PBKDF2 equal OpenSSL's")
struct DigestDifferentialTests {
    private static func random(_ count: Int, _ generator: inout SystemRandomNumberGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    private static func openSSLDigest(_ md: OpaquePointer?, _ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        _ = bytes.withUnsafeBufferPointer { EVP_Digest($0.baseAddress, $0.count, &out, &length, md, nil) }
        return Array(out.prefix(Int(length)))
    }

    private static func openSSLHMAC(_ md: OpaquePointer?, key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        // One extra byte each, so that the pointers are never NULL (HMAC() wants real ones).
        let keyStorage = key + [0], messageStorage = message + [0]
        _ = keyStorage.withUnsafeBufferPointer { k in
            messageStorage.withUnsafeBufferPointer { m in
                HMAC(md, k.baseAddress, Int32(key.count), m.baseAddress, message.count, &out, &length)
            }
        }
        return Array(out.prefix(Int(length)))
    }

    @Test("SHA-1, SHA-256 and their HMACs equal EVP_Digest and HMAC() for keys and messages around the block size")
    func hashesAndMACs() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 55, 56, 63, 64, 65, 127, 128, 1000] {
            let message = Self.random(length, &generator)
            #expect(Digest.sha1(message) == Self.openSSLDigest(EVP_sha1(), message))
            #expect(Digest.sha256(message) == Self.openSSLDigest(EVP_sha256(), message))
            for keyLength in [0, 1, 20, 63, 64, 65, 200] {
                let key = Self.random(keyLength, &generator)
                key.withUnsafeBufferPointer { k in
                    message.withUnsafeBufferPointer { m in
                        #expect(Digest.hmacSHA1(key: k, message: m) == Self.openSSLHMAC(EVP_sha1(), key: key, message: message))
                        #expect(Digest.hmacSHA256(key: k, message: m) == Self.openSSLHMAC(EVP_sha256(), key: key, message: message))
                    }
                }
            }
        }
        // RFC 4231 test case 2.
        let key = Array("Jefe".utf8), message = Array("what do ya want for nothing?".utf8)
        let mac = key.withUnsafeBufferPointer { k in message.withUnsafeBufferPointer { Digest.hmacSHA256(key: k, message: $0) } }
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("pbkdf2 equals PKCS5_PBKDF2_HMAC for SHA-1 and SHA-256, any length and iteration count")
    func pbkdf2MatchesOpenSSL() {
        var generator = SystemRandomNumberGenerator()
        for iterations in [1, 2, 3, 17, 1000] {
            for keyLength in [1, 16, 20, 24, 32, 33, 64, 100] {
                let password = Self.random(Int.random(in: 0...80, using: &generator), &generator)
                let salt = Self.random(Int.random(in: 0...24, using: &generator), &generator)
                for (function, md) in [(0, EVP_sha1()), (1, EVP_sha256())] {
                    var expected = [UInt8](repeating: 0, count: keyLength)
                    let ok = password.withUnsafeBufferPointer { p in
                        salt.withUnsafeBufferPointer { s in
                            p.withMemoryRebound(to: CChar.self) { chars in
                                PKCS5_PBKDF2_HMAC(chars.baseAddress, Int32(p.count), s.baseAddress, Int32(s.count), Int32(iterations), md,
                                                  Int32(keyLength), &expected)
                            }
                        }
                    }
                    #expect(ok == 1)
                    var derived = [UInt8](repeating: 0, count: keyLength)
                    password.withUnsafeBytes { p in
                        salt.withUnsafeBytes { s in
                            derived.withUnsafeMutableBytes { out in
                                if function == 0 {
                                    pbkdf2(SHA1Function.self, password: p, salt: s, iterations: iterations, into: out)
                                } else {
                                    pbkdf2(SHA256Function.self, password: p, salt: s, iterations: iterations, into: out)
                                }
                            }
                        }
                    }
                    #expect(derived == expected, "function \(function), \(iterations) iterations, \(keyLength) bytes")
                }
            }
        }
    }

    @Test("randomBytes: the asked count, fresh each call, a thrown error for a negative count")
    func random() throws {
        #expect(try Digest.randomBytes(0).isEmpty)
        let a = try Digest.randomBytes(32), b = try Digest.randomBytes(32)
        #expect(a.count == 32)
        #expect(a != b)
        #expect(throws: SLBCertError.self) { try Digest.randomBytes(-1) }
    }

    @Test("PEM.decodeBase64 accepts and refuses exactly what Base64.decode does")
    func base64Decoder() {
        var generator = SystemRandomNumberGenerator()
        let symbols = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".utf8) + [0x2d, 0x20, 0x00, 0xff]
        var accepted = 0
        for _ in 0..<5000 {
            let length = Int.random(in: 0...24, using: &generator)
            var text = (0..<length).map { _ in symbols.randomElement(using: &generator)! }
            if Bool.random(using: &generator) { text = text.map { $0 == 0x3d || $0 > 0x7a || $0 < 0x2b ? 0x41 : $0 } }
            if Bool.random(using: &generator), text.count >= 2 { text[text.count - 1] = 0x3d }
            let ours = PEM.decodeBase64(text), reference = Base64.decode(text)
            #expect(ours == reference, "\(String(decoding: text, as: UTF8.self))")
            if reference != nil { accepted += 1 }
        }
        #expect(accepted > 500)
    }
}

// MARK: - The normalised key

@Suite("Normalised keys")
struct NormalisedKeyTests {
    @Test("PKCS#1 output equals openssl's for every RSA size, whether the input DER is canonical or not")
    func pkcs1Output() throws {
        let pki = try TestPKI.get()
        for issued in [pki.leaf, pki.leafRSA3072, try TestPKI.rsa4096Leaf()] {
            let expected = try OpenSSLTool.run(["rsa", "-traditional", "-in", issued.keyPath])
            let der = Array(try OpenSSLTool.runData(["rsa", "-traditional", "-in", issued.keyPath, "-outform", "DER"]))
            #expect(der.withUnsafeBufferPointer { DER.isCanonicalRSAPrivateKey($0) })
            // The same key with its outer length in a longer form than DER allows (BER; OpenSSL reads it).
            let header = der[1] & 0x7f
            let long = [der[0], 0x80 | (header + 1), 0x00] + der[2..<(2 + Int(header))] + der[(2 + Int(header))...]
            #expect(!long.withUnsafeBufferPointer { DER.isCanonicalRSAPrivateKey($0) })
            for input in [der, Array(long)] {
                let pem = PEM.encode(label: "RSA PRIVATE KEY", der: input)
                let bundle = CertificateBundle.parse(certificate: Array((issued.certificatePEM + pki.intermediate.certificatePEM).utf8),
                                                     privateKey: SecretBytes(pem))
                #expect(!bundle.hasErrors, "\(bundle.findings)")
                #expect(bundle.normalizedKeyText == expected, "\(issued.name), \(input.count) bytes of input")
            }
        }
    }
}
