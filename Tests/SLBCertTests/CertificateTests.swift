// Tests of the certificate core: parsing, facts, checks and normalisation, against certificates made
// at test time by `openssl` (see TestPKI.swift) and compared with what `openssl` itself says.
import Foundation
import SLBCert
import Testing

private let day: Int64 = 86_400_000

/// Parses with a passphrase given as text.
private func parse(_ certificate: String, key: String? = nil, passphrase: String? = nil,
                   options: CheckOptions = CheckOptions()) -> CertificateBundle {
    CertificateBundle.parse(certificate: certificate, privateKey: key, passphrase: passphrase.map { SecretBytes($0) },
                            options: options)
}

/// A clock inside every test leaf's validity, far from both ends.
private func midValidity(_ certificate: String) -> CheckOptions {
    let info = CertificateBundle.parse(certificate: certificate).leaf!
    return CheckOptions(now: info.notBefore + (info.notAfter - info.notBefore) / 2)
}

// MARK: - Key types and sizes

@Suite("Key types and sizes")
struct KeyTypeTests {
    @Test("RSA 2048: facts of the leaf and the key, no findings with its chain")
    func rsa2048() throws {
        let pki = try TestPKI.get()
        let chain = pki.leaf.certificatePEM + pki.intermediate.certificatePEM + pki.root.certificatePEM
        let bundle = parse(chain, key: pki.leafKeyPKCS1)
        #expect(bundle.findings.isEmpty, "\(bundle.findings)")
        let leaf = try #require(bundle.leaf)
        #expect(leaf.keyAlgorithm == "RSA")
        #expect(leaf.keyBits == 2048)
        let key = try #require(bundle.key)
        #expect(key.algorithm == "RSA")
        #expect(key.bits == 2048)
        #expect(key.form == .pkcs1)
        #expect(bundle.chain.count == 3)
        #expect(bundle.chain.map(\.keyAlgorithm) == ["RSA", "EC", "EC"])
        #expect(bundle.chain.map(\.keyBits) == [2048, 256, 256])
    }

    @Test("RSA 4096: facts, accepted without warning, key normalised to PKCS#1")
    func rsa4096() throws {
        let pki = try TestPKI.get()
        let issued = try TestPKI.rsa4096Leaf()
        let bundle = parse(issued.certificatePEM + pki.intermediate.certificatePEM, key: issued.keyPEM)
        #expect(bundle.findings.isEmpty, "\(bundle.findings)")
        #expect(bundle.leaf?.keyAlgorithm == "RSA")
        #expect(bundle.leaf?.keyBits == 4096)
        #expect(bundle.key?.bits == 4096)
        #expect(bundle.key?.form == .pkcs8)
        #expect(bundle.normalizedKeyText?.hasPrefix("-----BEGIN RSA PRIVATE KEY-----\n") == true)
    }

    @Test("RSA 3072: a KEY_SIZE_UNSUPPORTED warning, no error")
    func rsa3072() throws {
        let pki = try TestPKI.get()
        let bundle = parse(pki.leafRSA3072.certificatePEM + pki.intermediate.certificatePEM, key: pki.leafRSA3072.keyPEM)
        #expect(bundle.key?.bits == 3072)
        #expect(bundle.leaf?.keyBits == 3072)
        #expect(bundle.codes == [.keySizeUnsupported])
        #expect(bundle.has(.warning, .keySizeUnsupported))
        #expect(!bundle.hasErrors)
    }

    @Test("EC keys: facts, KEY_NOT_RSA error, a warning when allowed", arguments: [("P-256", 256), ("P-384", 384)])
    func ec(curve: String, bits: Int) throws {
        let pki = try TestPKI.get()
        let issued = curve == "P-256" ? pki.leafP256 : pki.leafP384
        let chain = issued.certificatePEM + pki.intermediate.certificatePEM
        let bundle = parse(chain, key: issued.keyPEM)
        #expect(bundle.leaf?.keyAlgorithm == "EC")
        #expect(bundle.leaf?.keyBits == bits)
        #expect(bundle.key?.algorithm == "EC")
        #expect(bundle.key?.bits == bits)
        #expect(bundle.hasErrors)
        #expect(bundle.codes == [.keyNotRSA])
        #expect(bundle.has(.error, .keyNotRSA))

        let allowed = parse(chain, key: issued.keyPEM, options: CheckOptions(allowNonRSA: true))
        #expect(!allowed.hasErrors)
        #expect(allowed.codes == [.keyNotRSA])
        #expect(allowed.has(.warning, .keyNotRSA))
        #expect(allowed.normalizedKeyText?.hasPrefix("-----BEGIN EC PRIVATE KEY-----\n") == true)
    }

    @Test("Ed25519: recognised and reported; KEY_NOT_RSA error, a warning when allowed")
    func ed25519() throws {
        let pki = try TestPKI.get()
        let chain = pki.leafEd25519.certificatePEM + pki.intermediate.certificatePEM
        let bundle = parse(chain, key: pki.leafEd25519.keyPEM)
        #expect(bundle.leaf?.keyAlgorithm == "Ed25519")
        #expect(bundle.key?.algorithm == "Ed25519")
        #expect(bundle.key?.form == .pkcs8)
        #expect(bundle.codes == [.keyNotRSA])
        #expect(bundle.has(.error, .keyNotRSA))
        #expect(!bundle.has(.error, .keyMismatch))

        let allowed = parse(chain, key: pki.leafEd25519.keyPEM, options: CheckOptions(allowNonRSA: true))
        #expect(!allowed.hasErrors)
        #expect(allowed.has(.warning, .keyNotRSA))
        // Ed25519 has no traditional PEM form: the key stays PKCS#8, and still reads back.
        let normalized = try #require(allowed.normalizedKeyText)
        #expect(normalized.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let path = try pki.write(normalized)
        let publicKey = try OpenSSLTool.run(["pkey", "-in", path, "-pubout"])
        let certificateKey = try OpenSSLTool.run(["x509", "-in", pki.leafEd25519.certificatePath, "-noout", "-pubkey"])
        #expect(publicKey == certificateKey)
    }
}

// MARK: - Key forms and passphrases

/// The RSA leaf key's forms, each with its expected PrivateKeyInfo.Form and whether it needs the passphrase.
enum RSAKeyForm: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case pkcs1, pkcs8, pkcs8Encrypted, pkcs1Encrypted
    var testDescription: String { rawValue }

    func pem(_ pki: TestPKI) -> String {
        switch self {
        case .pkcs1: return pki.leafKeyPKCS1
        case .pkcs8: return pki.leafKeyPKCS8
        case .pkcs8Encrypted: return pki.leafKeyPKCS8Encrypted
        case .pkcs1Encrypted: return pki.leafKeyPKCS1Encrypted
        }
    }

    var form: PrivateKeyInfo.Form {
        switch self {
        case .pkcs1: return .pkcs1
        case .pkcs8: return .pkcs8
        case .pkcs8Encrypted: return .pkcs8Encrypted
        case .pkcs1Encrypted: return .pkcs1Encrypted
        }
    }

    var encrypted: Bool { self == .pkcs8Encrypted || self == .pkcs1Encrypted }
}

enum EncryptedKey: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case rsaPKCS8, rsaPKCS1Legacy, ecSEC1Legacy, ecPKCS8
    var testDescription: String { rawValue }

    func pem(_ pki: TestPKI) -> String {
        switch self {
        case .rsaPKCS8: return pki.leafKeyPKCS8Encrypted
        case .rsaPKCS1Legacy: return pki.leafKeyPKCS1Encrypted
        case .ecSEC1Legacy: return pki.p256KeySEC1Encrypted
        case .ecPKCS8: return pki.p256KeyPKCS8Encrypted
        }
    }

    func certificate(_ pki: TestPKI) -> String {
        switch self {
        case .rsaPKCS8, .rsaPKCS1Legacy: return pki.leaf.certificatePEM + pki.intermediate.certificatePEM
        case .ecSEC1Legacy, .ecPKCS8: return pki.leafP256.certificatePEM + pki.intermediate.certificatePEM
        }
    }
}

@Suite("Key forms and passphrases")
struct KeyFormTests {
    @Test("Every RSA key form parses and normalises to a valid PKCS#1 key of the certificate", arguments: RSAKeyForm.allCases)
    func rsaForms(_ form: RSAKeyForm) throws {
        let pki = try TestPKI.get()
        let bundle = parse(pki.leaf.certificatePEM + pki.intermediate.certificatePEM, key: form.pem(pki),
                           passphrase: form.encrypted ? TestPKI.passphrase : nil)
        #expect(bundle.findings.isEmpty, "\(bundle.findings)")
        let key = try #require(bundle.key)
        #expect(key.algorithm == "RSA")
        #expect(key.bits == 2048)
        #expect(key.form == form.form)

        let normalized = try #require(bundle.normalizedKeyText)
        #expect(normalized.hasPrefix("-----BEGIN RSA PRIVATE KEY-----\n"))
        #expect(normalized.hasSuffix("-----END RSA PRIVATE KEY-----\n"))
        #expect(!normalized.contains("ENCRYPTED"))
        #expect(!normalized.contains("\r"))
        let path = try pki.write(normalized)
        let check = try OpenSSLTool.run(["rsa", "-in", path, "-check", "-noout", "-passin", "pass:"])
        #expect(check.contains("RSA key ok"))
        let keyModulus = try OpenSSLTool.run(["rsa", "-in", path, "-noout", "-modulus", "-passin", "pass:"])
        let certificateModulus = try OpenSSLTool.run(["x509", "-in", pki.leaf.certificatePath, "-noout", "-modulus"])
        #expect(keyModulus.hasPrefix("Modulus="))
        #expect(keyModulus == certificateModulus)
        // The same bytes as openssl's own PKCS#1 conversion.
        #expect(normalized == pki.leafKeyPKCS1)
    }

    @Test("EC keys as SEC1 and PKCS#8 normalise to SEC1 of the certificate's key")
    func ecForms() throws {
        let pki = try TestPKI.get()
        let options = CheckOptions(allowNonRSA: true)
        for (pem, form) in [(pki.leafP256.keyPEM, PrivateKeyInfo.Form.pkcs8), (pki.p256KeySEC1, .sec1)] {
            let bundle = parse(pki.leafP256.certificatePEM + pki.intermediate.certificatePEM, key: pem, options: options)
            #expect(bundle.codes == [.keyNotRSA])
            #expect(bundle.key?.form == form)
            #expect(bundle.key?.bits == 256)
            let normalized = try #require(bundle.normalizedKeyText)
            #expect(normalized.hasPrefix("-----BEGIN EC PRIVATE KEY-----\n"))
            let path = try pki.write(normalized)
            let publicKey = try OpenSSLTool.run(["pkey", "-in", path, "-pubout", "-passin", "pass:"])
            let certificateKey = try OpenSSLTool.run(["x509", "-in", pki.leafP256.certificatePath, "-noout", "-pubkey"])
            #expect(publicKey == certificateKey)
        }
    }

    @Test("Encrypted keys: the right passphrase works, none is KEY_ENCRYPTED, a wrong one KEY_PASSPHRASE_WRONG",
          arguments: EncryptedKey.allCases)
    func passphrases(_ encrypted: EncryptedKey) throws {
        let pki = try TestPKI.get()
        let options = CheckOptions(allowNonRSA: true)
        let chain = encrypted.certificate(pki)
        let key = encrypted.pem(pki)

        let right = parse(chain, key: key, passphrase: TestPKI.passphrase, options: options)
        #expect(!right.hasErrors, "\(right.findings)")
        #expect(right.key != nil)
        #expect(right.normalizedPrivateKeyPEM != nil)
        #expect(right.normalizedKeyText?.contains("ENCRYPTED") == false)

        for missing in [nil, ""] as [String?] {
            let bundle = parse(chain, key: key, passphrase: missing, options: options)
            #expect(bundle.has(.error, .keyEncrypted), "passphrase \(String(describing: missing)): \(bundle.findings)")
            #expect(bundle.key == nil)
            #expect(bundle.normalizedPrivateKeyPEM == nil)
            #expect(bundle.leaf != nil, "the chain is still read")
        }

        for wrong in ["wrong", TestPKI.passphrase + " ", String(TestPKI.passphrase.dropLast())] {
            let bundle = parse(chain, key: key, passphrase: wrong, options: options)
            #expect(bundle.codes.first == .keyPassphraseWrong, "\(bundle.findings)")
            #expect(bundle.has(.error, .keyPassphraseWrong))
            #expect(bundle.key == nil)
            #expect(bundle.normalizedPrivateKeyPEM == nil)
        }
    }

    @Test("A passphrase given for an unencrypted key is ignored")
    func passphraseForPlainKey() throws {
        let pki = try TestPKI.get()
        let bundle = parse(pki.leaf.certificatePEM + pki.intermediate.certificatePEM, key: pki.leafKeyPKCS8, passphrase: "unused")
        #expect(bundle.findings.isEmpty, "\(bundle.findings)")
        #expect(bundle.key?.form == .pkcs8)
    }

    @Test("A key that belongs to another certificate: KEY_MISMATCH")
    func mismatch() throws {
        let pki = try TestPKI.get()
        let chain = pki.leaf.certificatePEM + pki.intermediate.certificatePEM
        for key in [pki.strayKeyPEM, pki.leafRSA3072.keyPEM, pki.selfSigned.keyPEM] {
            let bundle = parse(chain, key: key)
            #expect(bundle.hasErrors)
            #expect(bundle.codes.first == .keyMismatch, "\(bundle.findings)")
            #expect(bundle.errors.map(\.code) == [.keyMismatch])
            // The leaf is still found by the chain's structure.
            #expect(bundle.leaf?.fingerprint == CertificateBundle.parse(certificate: pki.leaf.certificatePEM).leaf?.fingerprint)
        }
    }

    @Test("Key inputs that hold no usable key")
    func unusableKeys() throws {
        let pki = try TestPKI.get()
        let chain = pki.leaf.certificatePEM + pki.intermediate.certificatePEM
        let noKey = parse(chain, key: "just some text\n")
        #expect(noKey.codes == [.noPrivateKey])
        #expect(noKey.has(.error, .noPrivateKey))
        #expect(noKey.key == nil)

        let certificateAsKey = parse(chain, key: pki.leaf.certificatePEM)
        #expect(certificateAsKey.has(.error, .noPrivateKey))

        var lines = pki.leafKeyPKCS1.split(separator: "\n", omittingEmptySubsequences: false)
        lines[3] = Substring(String(lines[3].dropLast(2)))  // base64 body no longer a multiple of 4
        let damaged = parse(chain, key: lines.joined(separator: "\n"))
        #expect(damaged.has(.error, .keyUnreadable), "\(damaged.findings)")

        let truncated = String(pki.leafKeyPKCS1.prefix(200))
        #expect(parse(chain, key: truncated).has(.error, .keyUnreadable))

        let openSSH = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
        #expect(parse(chain, key: openSSH).has(.error, .keyUnreadable))
    }

    @Test("A key with CRLF line ends, a BOM and text around it parses")
    func messyKey() throws {
        let pki = try TestPKI.get()
        let messy = "\u{FEFF}my key:\r\n" + pki.leafKeyPKCS1.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n(end)\r\n"
        let bundle = parse(pki.leaf.certificatePEM + pki.intermediate.certificatePEM, key: messy)
        #expect(bundle.findings.isEmpty, "\(bundle.findings)")
        #expect(bundle.normalizedKeyText == pki.leafKeyPKCS1)
    }
}

// MARK: - Chains

@Suite("Chains")
struct ChainTests {
    @Test("A three-level chain given in any order comes out leaf, intermediate, root")
    func shuffled() throws {
        let pki = try TestPKI.get()
        let parts = [pki.leaf, pki.intermediate, pki.root]
        let expected = try parts.map { try OpenSSLFacts(certificatePath: $0.certificatePath).sha1Fingerprint }
        let permutations = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        for order in permutations {
            for key in [nil, pki.leafKeyPKCS1] {
                let input = order.map { parts[$0].certificatePEM }.joined()
                let bundle = parse(input, key: key)
                #expect(bundle.chain.map(\.fingerprint) == expected, "order \(order)")
                #expect(!bundle.hasErrors, "order \(order): \(bundle.findings)")
                if order == [0, 1, 2] {
                    #expect(bundle.findings.isEmpty, "\(bundle.findings)")
                } else {
                    #expect(bundle.codes == [.chainReordered], "order \(order): \(bundle.findings)")
                    #expect(bundle.has(.warning, .chainReordered))
                }
                let normalized = try #require(bundle.normalizedCertificatePEM)
                #expect(normalized == parts.map { $0.certificatePEM }.joined(), "order \(order)")
            }
        }
    }

    @Test("A duplicate certificate: DUPLICATE_CERTIFICATE warning, the copy dropped")
    func duplicate() throws {
        let pki = try TestPKI.get()
        let input = pki.leaf.certificatePEM + pki.intermediate.certificatePEM + pki.intermediate.certificatePEM
            + pki.root.certificatePEM + pki.leaf.certificatePEM
        let bundle = parse(input, key: pki.leafKeyPKCS1)
        #expect(bundle.chain.count == 3)
        #expect(bundle.codes == [.duplicateCertificate, .duplicateCertificate], "\(bundle.findings)")
        #expect(bundle.warnings.count == 2)
        #expect(!bundle.hasErrors)
        #expect(bundle.normalizedCertificatePEM == pki.leaf.certificatePEM + pki.intermediate.certificatePEM + pki.root.certificatePEM)
    }

    @Test("A leaf with an unrelated CA: CHAIN_BROKEN")
    func broken() throws {
        let pki = try TestPKI.get()
        for input in [pki.leaf.certificatePEM + pki.unrelatedCA.certificatePEM,
                      pki.unrelatedCA.certificatePEM + pki.leaf.certificatePEM] {
            let bundle = parse(input, key: pki.leafKeyPKCS1)
            #expect(bundle.hasErrors)
            #expect(bundle.has(.error, .chainBroken), "\(bundle.findings)")
            #expect(bundle.errors.map(\.code) == [.chainBroken])
            #expect(bundle.leaf?.commonName == TestPKI.leafCommonName)
            // The stray follows the chain.
            #expect(bundle.chain.count == 2)
            #expect(bundle.chain.last?.commonName == "Unrelated Root CA")
        }
    }

    @Test("The normalised PEM of a broken chain holds the chain only, not the stray certificate")
    func brokenNormalized() throws {
        let pki = try TestPKI.get()
        let bundle = parse(pki.leaf.certificatePEM + pki.unrelatedCA.certificatePEM, key: pki.leafKeyPKCS1)
        #expect(bundle.normalizedCertificatePEM == pki.leaf.certificatePEM)
    }

    @Test("A leaf alone: MISSING_INTERMEDIATE warning")
    func leafAlone() throws {
        let pki = try TestPKI.get()
        let bundle = parse(pki.leaf.certificatePEM, key: pki.leafKeyPKCS1)
        #expect(bundle.codes == [.missingIntermediate], "\(bundle.findings)")
        #expect(bundle.has(.warning, .missingIntermediate))
        #expect(!bundle.hasErrors)
        #expect(bundle.leaf?.isSelfSigned == false)
    }

    @Test("A leaf with its intermediate: no MISSING_INTERMEDIATE")
    func leafWithIntermediate() throws {
        let pki = try TestPKI.get()
        let bundle = parse(pki.leaf.certificatePEM + pki.intermediate.certificatePEM, key: pki.leafKeyPKCS1)
        #expect(bundle.findings.isEmpty, "\(bundle.findings)")
        #expect(bundle.chain.count == 2)
    }

    @Test("A self-signed certificate alone: no MISSING_INTERMEDIATE")
    func selfSignedAlone() throws {
        let pki = try TestPKI.get()
        let bundle = parse(pki.selfSignedWithoutKeyUsage.certificatePEM)
        #expect(bundle.findings.isEmpty, "\(bundle.findings)")
        let leaf = try #require(bundle.leaf)
        #expect(leaf.isSelfSigned)
        #expect(!leaf.isCA)
        #expect(leaf.subject == leaf.issuer)
        #expect(leaf.commonName == "plain.example.test")
    }

    @Test("A self-signed server certificate whose keyUsage lacks keyCertSign is self-signed too")
    func selfSignedServerCertificate() throws {
        let pki = try TestPKI.get()
        let bundle = parse(pki.selfSigned.certificatePEM, key: pki.selfSigned.keyPEM)
        let leaf = try #require(bundle.leaf)
        #expect(!leaf.isCA)
        #expect(leaf.subject == leaf.issuer)
        // openssl itself verifies the certificate with itself as the trust anchor.
        let verified = try OpenSSLTool.run(["verify", "-CAfile", pki.selfSigned.certificatePath, pki.selfSigned.certificatePath])
        #expect(verified.contains(": OK"))
        #expect(leaf.isSelfSigned)
        #expect(bundle.findings.isEmpty, "\(bundle.findings)")
    }

    @Test("A leaf that is a CA: LEAF_IS_CA warning")
    func leafIsCA() throws {
        let pki = try TestPKI.get()
        let bundle = parse(pki.leafThatIsCA.certificatePEM + pki.intermediate.certificatePEM, key: pki.leafThatIsCA.keyPEM,
                           options: CheckOptions(allowNonRSA: true))
        #expect(bundle.leaf?.isCA == true)
        #expect(bundle.has(.warning, .leafIsCA), "\(bundle.findings)")
        #expect(Set(bundle.codes) == [.leafIsCA, .keyNotRSA])
        #expect(!bundle.hasErrors)
        // Without the key the leaf is still the CA certificate at the bottom of the chain.
        let keyless = parse(pki.intermediate.certificatePEM + pki.leafThatIsCA.certificatePEM)
        #expect(keyless.leaf?.isCA == true)
        #expect(keyless.leaf?.issuer == keyless.chain.last?.subject)
        #expect(keyless.has(.warning, .leafIsCA))
        // A real leaf is not a CA; the CAs are.
        let normal = parse(pki.leaf.certificatePEM + pki.intermediate.certificatePEM + pki.root.certificatePEM)
        #expect(normal.chain.map(\.isCA) == [false, true, true])
        #expect(normal.chain.map(\.isSelfSigned) == [false, false, true])
        #expect(!normal.has(.warning, .leafIsCA))
    }

    @Test("A private key inside the certificate input is ignored with a warning")
    func keyInCertificateInput() throws {
        let pki = try TestPKI.get()
        let bundle = parse(pki.leaf.certificatePEM + pki.leafKeyPKCS1 + pki.intermediate.certificatePEM)
        #expect(bundle.codes == [.extraBlockIgnored], "\(bundle.findings)")
        #expect(bundle.key == nil)
        #expect(bundle.normalizedCertificatePEM?.contains("PRIVATE KEY") == false)
    }
}

// MARK: - Validity and the clock

@Suite("Validity and the injectable clock")
struct ValidityTests {
    private func leafBundle(_ pki: TestPKI, _ options: CheckOptions) -> CertificateBundle {
        parse(pki.leaf.certificatePEM + pki.intermediate.certificatePEM, key: pki.leafKeyPKCS1, options: options)
    }

    @Test("notBefore and notAfter equal openssl's -startdate and -enddate")
    func dates() throws {
        let pki = try TestPKI.get()
        let facts = try OpenSSLFacts(certificatePath: pki.leaf.certificatePath)
        let leaf = try #require(parse(pki.leaf.certificatePEM).leaf)
        #expect(leaf.notBefore == facts.notBefore)
        #expect(leaf.notAfter == facts.notAfter)
        #expect(leaf.notAfter - leaf.notBefore == 365 * day)
        #expect(leaf.notAfterText == UTCTime.format(milliseconds: facts.notAfter))
        #expect(UTCTime.parse(leaf.notAfterText) == leaf.notAfter)
    }

    @Test("Expired: LEAF_EXPIRED from one millisecond after notAfter")
    func expired() throws {
        let pki = try TestPKI.get()
        let notAfter = try #require(parse(pki.leaf.certificatePEM).leaf).notAfter
        for now in [notAfter + 1, notAfter + 1000, notAfter + 400 * day] {
            let bundle = leafBundle(pki, CheckOptions(now: now))
            #expect(bundle.codes == [.leafExpired], "now \(now): \(bundle.findings)")
            #expect(bundle.has(.error, .leafExpired))
        }
        // At notAfter itself the certificate is still valid (and expires "soon").
        let boundary = leafBundle(pki, CheckOptions(now: notAfter))
        #expect(!boundary.hasErrors, "\(boundary.findings)")
        #expect(boundary.codes == [.leafExpiresSoon])
    }

    @Test("Not yet valid: LEAF_NOT_YET_VALID until notBefore")
    func notYetValid() throws {
        let pki = try TestPKI.get()
        let notBefore = try #require(parse(pki.leaf.certificatePEM).leaf).notBefore
        for now in [notBefore - 1, notBefore - 1000, notBefore - 30 * day] {
            let bundle = leafBundle(pki, CheckOptions(now: now))
            #expect(bundle.codes == [.leafNotYetValid], "now \(now): \(bundle.findings)")
            #expect(bundle.has(.error, .leafNotYetValid))
        }
        let boundary = leafBundle(pki, CheckOptions(now: notBefore))
        #expect(boundary.findings.isEmpty, "\(boundary.findings)")
    }

    @Test("Expiring within the warning window: LEAF_EXPIRES_SOON, exact boundaries")
    func expiresSoon() throws {
        let pki = try TestPKI.get()
        let notAfter = try #require(parse(pki.leaf.certificatePEM).leaf).notAfter
        // Exactly 30 days left: no warning; one millisecond less: warning.
        #expect(leafBundle(pki, CheckOptions(now: notAfter - 30 * day)).findings.isEmpty)
        let inside = leafBundle(pki, CheckOptions(now: notAfter - 30 * day + 1))
        #expect(inside.codes == [.leafExpiresSoon])
        #expect(inside.has(.warning, .leafExpiresSoon))
        #expect(!inside.hasErrors)
        #expect(inside.findings.first?.message.contains("29 day") == true, "\(inside.findings)")
        #expect(leafBundle(pki, CheckOptions(now: notAfter - 1000)).codes == [.leafExpiresSoon])
        // A custom window, and 0 turning the warning off.
        #expect(leafBundle(pki, CheckOptions(expiryWarningDays: 7, now: notAfter - 8 * day)).findings.isEmpty)
        #expect(leafBundle(pki, CheckOptions(expiryWarningDays: 7, now: notAfter - 7 * day + 1)).codes == [.leafExpiresSoon])
        #expect(leafBundle(pki, CheckOptions(expiryWarningDays: 0, now: notAfter - 1000)).findings.isEmpty)
        #expect(leafBundle(pki, CheckOptions(expiryWarningDays: 0, now: notAfter + 1)).codes == [.leafExpired])
        #expect(leafBundle(pki, CheckOptions(expiryWarningDays: 400, now: notAfter - 365 * day)).codes == [.leafExpiresSoon])
    }

    @Test("The system clock is used when no instant is given")
    func systemClock() throws {
        let pki = try TestPKI.get()
        // The test leaf was issued moments ago for a year.
        #expect(leafBundle(pki, CheckOptions()).findings.isEmpty)
        #expect(leafBundle(pki, CheckOptions(expiryWarningDays: 366)).codes == [.leafExpiresSoon])
    }

    @Test("An expired chain certificate: CHAIN_CERTIFICATE_EXPIRED warning")
    func expiredIntermediate() throws {
        let pki = try TestPKI.get()
        let chain = parse(pki.leaf.certificatePEM + pki.intermediate.certificatePEM).chain
        // A clock after the intermediate's end but before the leaf's cannot exist here (the intermediate
        // outlives the leaf), so check that the leaf's expiry does not also flag the intermediate.
        let afterLeaf = chain[0].notAfter + 1
        #expect(chain[1].notAfter > afterLeaf)
        let bundle = leafBundle(pki, CheckOptions(now: afterLeaf))
        #expect(!bundle.codes.contains(.chainCertificateExpired))
        let afterAll = parse(pki.leaf.certificatePEM + pki.intermediate.certificatePEM, options: CheckOptions(now: chain[1].notAfter + 1))
        #expect(afterAll.codes == [.leafExpired, .chainCertificateExpired], "\(afterAll.findings)")
    }
}

// MARK: - Input forms

@Suite("Input forms")
struct InputFormTests {
    /// The facts that must not depend on the input's form.
    private func summary(_ bundle: CertificateBundle) -> [String] {
        bundle.chain.map { "\($0.fingerprint) \($0.commonName) \($0.serialNumber) \($0.notAfter)" }
            + bundle.findings.map { "\($0.severity.name) \($0.code.rawValue)" }
            + [bundle.normalizedCertificatePEM ?? "-", bundle.normalizedKeyText ?? "-"]
    }

    @Test("CRLF, blank lines, indentation, surrounding text and a BOM all give the same facts")
    func tolerantPEM() throws {
        let pki = try TestPKI.get()
        let plain = pki.leaf.certificatePEM + pki.intermediate.certificatePEM + pki.root.certificatePEM
        let options = midValidity(pki.leaf.certificatePEM)
        let reference = parse(plain, key: pki.leafKeyPKCS1, options: options)
        #expect(reference.findings.isEmpty)
        #expect(reference.chain.count == 3)

        let texts = try [pki.leaf, pki.intermediate, pki.root].map {
            try OpenSSLTool.run(["x509", "-in", $0.certificatePath, "-text"])
        }
        let variants: [(String, String)] = [
            ("CRLF", plain.replacingOccurrences(of: "\n", with: "\r\n")),
            ("blank lines", plain.replacingOccurrences(of: "-----\n", with: "-----\n\n\n") + "\n\n"),
            ("blank lines inside the base64", plain.split(separator: "\n").map { String($0) + ($0.count == 64 ? "\n" : "") }
                .joined(separator: "\n") + "\n"),
            ("indented, trailing spaces, tabs", plain.split(separator: "\n").map { "  \t" + $0 + "  " }.joined(separator: "\n")),
            ("openssl x509 -text", texts.joined()),
            ("BOM", "\u{FEFF}" + plain),
            ("BOM + CRLF + text", "\u{FEFF}Bag Attributes\r\n    friendlyName: test\r\n"
                + plain.replacingOccurrences(of: "\n", with: "\r\n") + "trailing words\r\n"),
            ("no final newline", String(plain.dropLast())),
            ("long lines", Self.unwrap(plain)),
        ]
        for (name, input) in variants {
            let bundle = parse(input, key: pki.leafKeyPKCS1, options: options)
            #expect(summary(bundle) == summary(reference), "\(name)")
        }
    }

    /// The PEM with each block's base64 on one line.
    private static func unwrap(_ pem: String) -> String {
        var out = ""
        for line in pem.split(separator: "\n") {
            if line.hasPrefix("-----BEGIN") { out += line + "\n" }
            else if line.hasPrefix("-----END") { out += "\n" + line + "\n" }
            else { out += line }
        }
        return out
    }

    @Test("Garbage and empty input: NO_CERTIFICATE", arguments: ["hello, world\n", "", "   \n\r\n", "MIIB",
                                                                  "-----BEGIN-----\n-----END-----\n"])
    func garbage(_ input: String) {
        let bundle = parse(input)
        #expect(bundle.codes == [.noCertificate], "\(bundle.findings)")
        #expect(bundle.has(.error, .noCertificate))
        #expect(bundle.chain.isEmpty)
        #expect(bundle.leaf == nil)
        #expect(bundle.normalizedCertificatePEM == nil)
    }

    @Test("A bad certificate input is reported even when the key is encrypted and no passphrase is given")
    func garbageWithEncryptedKey() throws {
        let pki = try TestPKI.get()
        let bundle = parse("hello, world\n", key: pki.leafKeyPKCS8Encrypted)
        #expect(bundle.has(.error, .keyEncrypted))
        #expect(bundle.has(.error, .noCertificate), "\(bundle.findings)")
    }

    @Test("Truncated or damaged base64: MALFORMED_BASE64")
    func malformedBase64() throws {
        let pki = try TestPKI.get()
        let pem = pki.leaf.certificatePEM
        var lines = pem.split(separator: "\n").map(String.init)
        let last = lines.count - 2
        lines[last] = String(lines[last].dropLast(3))
        let shortLine = lines.joined(separator: "\n") + "\n"
        let noEnd = String(pem[..<pem.range(of: "-----END")!.lowerBound])
        let cutMidway = String(pem.prefix(pem.count / 2))
        let badCharacter = pem.replacingOccurrences(of: "\nMII", with: "\nM*I")
        for (name, input) in [("short last line", shortLine), ("no END line", noEnd), ("cut midway", cutMidway),
                              ("bad character", badCharacter)] {
            let bundle = parse(input)
            #expect(bundle.has(.error, .malformedBase64), "\(name): \(bundle.findings)")
            #expect(bundle.chain.isEmpty, "\(name)")
            #expect(bundle.normalizedCertificatePEM == nil)
        }
        // A damaged block next to a good chain: the good certificates are still read.
        let mixed = parse(pki.leaf.certificatePEM + shortLine.replacingOccurrences(of: "\n", with: "\r\n") + pki.intermediate.certificatePEM)
        #expect(mixed.has(.error, .malformedBase64))
        #expect(mixed.chain.count == 2, "the damaged copy is skipped; the good leaf and intermediate remain")
    }

    @Test("A single DER certificate parses to the same facts as its PEM")
    func der() throws {
        let pki = try TestPKI.get()
        let der = try pki.der(pki.leaf)
        let bundle = CertificateBundle.parse(certificate: der, privateKey: SecretBytes(pki.leafKeyPKCS1))
        #expect(bundle.codes == [.missingIntermediate], "\(bundle.findings)")
        let leaf = try #require(bundle.leaf)
        #expect(leaf.der == der)
        #expect(leaf.fingerprint == (try OpenSSLFacts(certificatePath: pki.leaf.certificatePath)).sha1Fingerprint)
        #expect(bundle.normalizedCertificatePEM == pki.leaf.certificatePEM)
        // The DER of a self-signed root: no MISSING_INTERMEDIATE (it is a CA, hence LEAF_IS_CA).
        let rootDER = try pki.der(pki.root)
        #expect(CertificateBundle.parse(certificate: rootDER).codes == [.leafIsCA])
    }

    @Test("Damaged DER: MALFORMED_DER")
    func damagedDER() throws {
        let pki = try TestPKI.get()
        let der = try pki.der(pki.leaf)
        var flipped = der
        flipped[1] ^= 0x7f  // the outer length
        let inputs: [(String, [UInt8])] = [
            ("truncated", Array(der.prefix(der.count - 10))),
            ("half", Array(der.prefix(der.count / 2))),
            ("trailing bytes", der + [0, 0, 0]),
            ("length damaged", flipped),
            ("random bytes", (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }),
        ]
        for (name, input) in inputs {
            let bundle = CertificateBundle.parse(certificate: input)
            #expect(bundle.has(.error, .malformedDER), "\(name): \(bundle.findings)")
            #expect(bundle.chain.isEmpty)
        }
        // Valid base64 of something that is not a certificate.
        let notCertificate = "-----BEGIN CERTIFICATE-----\n" + Base64.encode(Array("not a certificate at all".utf8)) + "\n-----END CERTIFICATE-----\n"
        #expect(parse(notCertificate).has(.error, .malformedDER))
        let truncatedBody = "-----BEGIN CERTIFICATE-----\n" + Base64.encode(der.prefix(600)) + "\n-----END CERTIFICATE-----\n"
        #expect(parse(truncatedBody).has(.error, .malformedDER))
    }

    @Test("Input over 1 MiB: INPUT_TOO_LARGE; exactly 1 MiB is read")
    func tooLarge() throws {
        let pki = try TestPKI.get()
        let chain = pki.leaf.certificatePEM + pki.intermediate.certificatePEM
        let limit = CertificateBundle.maxInputBytes
        #expect(limit == 1_048_576)
        let padded = chain + String(repeating: "#", count: limit - chain.utf8.count)
        #expect(padded.utf8.count == limit)
        let atLimit = parse(padded, key: pki.leafKeyPKCS1)
        #expect(atLimit.findings.isEmpty, "\(atLimit.findings)")

        let over = parse(padded + "#", key: pki.leafKeyPKCS1)
        #expect(over.codes == [.inputTooLarge])
        #expect(over.has(.error, .inputTooLarge))
        #expect(over.chain.isEmpty)

        let bigKey = pki.leafKeyPKCS1 + String(repeating: "#", count: limit)
        let keyOver = parse(chain, key: bigKey)
        #expect(keyOver.codes == [.inputTooLarge])
        #expect(keyOver.key == nil)
    }
}

// MARK: - Facts compared with openssl

@Suite("Facts equal openssl's")
struct FactsTests {
    @Test("Fingerprints, serial, dates, subject and issuer of every certificate equal openssl's",
          arguments: ["leaf", "intermediate", "root", "leaf-p256", "leaf-p384", "leaf-ed25519", "leaf-rsa3072", "selfsigned",
                       "selfsigned-noku", "leaf-ca", "unrelated"])
    func facts(_ name: String) throws {
        let pki = try TestPKI.get()
        let all = [pki.leaf, pki.intermediate, pki.root, pki.leafP256, pki.leafP384, pki.leafEd25519, pki.leafRSA3072, pki.selfSigned,
                   pki.selfSignedWithoutKeyUsage, pki.leafThatIsCA, pki.unrelatedCA]
        let issued = try #require(all.first { $0.name == name })
        let facts = try OpenSSLFacts(certificatePath: issued.certificatePath)
        let info = try #require(parse(issued.certificatePEM).leaf)
        #expect(info.fingerprint == facts.sha1Fingerprint)
        #expect(info.fingerprint.count == 59)
        #expect(info.fingerprint.allSatisfy { "0123456789abcdef:".contains($0) })
        #expect(info.fingerprintSHA256 == facts.sha256Fingerprint)
        #expect(info.fingerprintSHA256.count == 95)
        #expect(info.serialNumber == facts.serial)
        #expect(info.notBefore == facts.notBefore)
        #expect(info.notAfter == facts.notAfter)
        #expect(info.subject == facts.subject)
        #expect(info.issuer == facts.issuer)
    }

    @Test("Common name and subject alternative names of the leaf")
    func names() throws {
        let pki = try TestPKI.get()
        let info = try #require(parse(pki.leaf.certificatePEM).leaf)
        #expect(info.commonName == TestPKI.leafCommonName)
        #expect(info.dnsNames == TestPKI.leafDNSNames)
        #expect(info.ipAddresses == TestPKI.leafIPAddresses)
        // openssl prints the same names (IPv6 in its own long form).
        let text = try OpenSSLTool.run(["x509", "-in", pki.leaf.certificatePath, "-noout", "-ext", "subjectAltName"])
        for name in TestPKI.leafDNSNames { #expect(text.contains("DNS:\(name)")) }
        #expect(text.contains("IP Address:192.0.2.10"))
        #expect(text.contains("IP Address:2001:DB8:0:0:0:0:0:1"))
        #expect(info.subject == "CN=www.example.test,O=slbcert tests,C=CN")

        let root = try #require(parse(pki.root.certificatePEM).leaf)
        #expect(root.commonName == "slbcert Test Root CA")
        #expect(root.dnsNames.isEmpty)
        #expect(root.ipAddresses.isEmpty)
    }

    @Test("The SHA-1 fingerprint is the digest of the DER")
    func fingerprintOfDER() throws {
        let pki = try TestPKI.get()
        let info = try #require(parse(pki.leaf.certificatePEM).leaf)
        let der = try pki.der(pki.leaf)
        let hex = Digest.sha1(der).map { String(format: "%02x", $0) }.joined(separator: ":")
        #expect(info.fingerprint == hex)
        #expect(info.der == der)
    }
}

// MARK: - Normalised output

@Suite("Normalised PEM")
struct NormalizedTests {
    /// Checks the form CLB accepts: only PEM blocks, 64-column base64 lines (the last of a block may be
    /// shorter), LF only, no blank lines, no spaces.
    private func expectCanonical(_ pem: String, label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!pem.contains("\r"), sourceLocation: sourceLocation)
        #expect(pem.hasSuffix("-----END \(label)-----\n"), sourceLocation: sourceLocation)
        let lines = pem.split(separator: "\n", omittingEmptySubsequences: false).dropLast()  // after the final LF
        var inBlock = false
        var previousLength = 64
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
        for line in lines {
            if line == "-----BEGIN \(label)-----" {
                #expect(!inBlock, sourceLocation: sourceLocation)
                inBlock = true
                previousLength = 64
            } else if line == "-----END \(label)-----" {
                #expect(inBlock, sourceLocation: sourceLocation)
                inBlock = false
            } else {
                #expect(inBlock, "text outside a block: \(line)", sourceLocation: sourceLocation)
                #expect(!line.isEmpty, "a blank line", sourceLocation: sourceLocation)
                #expect(line.count <= 64, sourceLocation: sourceLocation)
                #expect(previousLength == 64, "a short line before the last one of a block", sourceLocation: sourceLocation)
                #expect(line.allSatisfy { alphabet.contains($0) }, "\(line)", sourceLocation: sourceLocation)
                previousLength = line.count
            }
        }
        #expect(!inBlock, sourceLocation: sourceLocation)
    }

    @Test("Messy input normalises to canonical PEM that re-parses to the same facts without CHAIN_REORDERED")
    func canonical() throws {
        let pki = try TestPKI.get()
        let messy = "\u{FEFF}subject=whatever\r\n" + [pki.root, pki.leaf, pki.intermediate]
            .map { "\r\n  " + $0.certificatePEM.replacingOccurrences(of: "\n", with: "\r\n") }.joined() + "\r\n-- end --"
        let key = "\r\n" + pki.leafKeyPKCS8Encrypted.replacingOccurrences(of: "\n", with: "\r\n")
        let bundle = parse(messy, key: key, passphrase: TestPKI.passphrase)
        #expect(bundle.codes == [.chainReordered])
        let pem = try #require(bundle.normalizedCertificatePEM)
        expectCanonical(pem, label: "CERTIFICATE")
        #expect(pem.components(separatedBy: "-----BEGIN CERTIFICATE-----").count == 4)
        let keyPEM = try #require(bundle.normalizedKeyText)
        expectCanonical(keyPEM, label: "RSA PRIVATE KEY")

        let again = parse(pem, key: keyPEM)
        #expect(again.findings.isEmpty, "\(again.findings)")
        #expect(again.chain == bundle.chain)
        #expect(again.normalizedCertificatePEM == pem)
        #expect(again.normalizedKeyText == keyPEM)

        // openssl reads the normalised chain in the same order.
        let path = try pki.write(pem)
        let printed = try OpenSSLTool.run(["crl2pkcs7", "-nocrl", "-certfile", path])
        let pkcs7 = try pki.write(printed)
        let subjects = try OpenSSLTool.run(["pkcs7", "-in", pkcs7, "-print_certs", "-noout"])
            .split(separator: "\n").filter { $0.hasPrefix("subject=") }
        #expect(subjects.count == 3)
        #expect(subjects.first?.contains("www.example.test") == true)
        #expect(subjects.last?.contains("Root CA") == true)
        // And the pair verifies.
        let leafPath = try pki.write(String(pem.prefix(upTo: pem.range(of: "-----END CERTIFICATE-----\n")!.upperBound)))
        let verified = try OpenSSLTool.run(["verify", "-CAfile", pki.root.certificatePath, "-untrusted", path, leafPath])
        #expect(verified.contains(": OK"))
    }

    @Test("The normalised chain holds nothing but the certificate blocks")
    func onlyBlocks() throws {
        let pki = try TestPKI.get()
        let input = try OpenSSLTool.run(["x509", "-in", pki.leaf.certificatePath, "-text"]) + pki.intermediate.certificatePEM
        let pem = try #require(parse(input).normalizedCertificatePEM)
        #expect(pem == pki.leaf.certificatePEM + pki.intermediate.certificatePEM)
        #expect(!pem.contains("Certificate:"))
        #expect(parse(input).givenCertificatePEM == input)
    }
}
