/// Options for the checks made when a bundle is parsed.
public struct CheckOptions: Sendable, Equatable {
    /// An EC or Ed25519 key is a warning instead of an error (CLB rejects non-RSA keys).
    public var allowNonRSA: Bool
    /// Warn when the leaf expires within this many days; 0 turns the warning off.
    public var expiryWarningDays: Int
    /// The instant the checks use, in milliseconds since the epoch; nil means the system clock.
    public var now: Int64?

    public init(allowNonRSA: Bool = false, expiryWarningDays: Int = 30, now: Int64? = nil) {
        self.allowNonRSA = allowNonRSA
        self.expiryWarningDays = expiryWarningDays
        self.now = now
    }
}

/// A certificate chain and (optionally) its private key: what was found, what is wrong with it, and the
/// form CLB accepts. Parsing never throws: every problem with the input becomes a `Finding`.
public struct CertificateBundle: Sendable {
    /// Largest certificate or key input accepted (1 MiB).
    public static let maxInputBytes = 1024 * 1024

    /// The chain, leaf first, then each issuer; certificates that do not belong to the chain follow.
    public let chain: [CertificateInfo]
    public let key: PrivateKeyInfo?
    public let findings: [Finding]
    /// Leaf first then issuers, 64-column base64, LF, nothing else; nil when no certificate was read.
    public let normalizedCertificatePEM: String?
    /// The key as unencrypted PKCS#1 RSA PEM (traditional PEM for other key types). Wiped when released.
    public let normalizedPrivateKeyPEM: SecretBytes?
    /// The inputs as given, for callers that ask to send them unchanged.
    public let givenCertificatePEM: String
    public let givenPrivateKey: SecretBytes?

    public var leaf: CertificateInfo? { chain.first }
    public var errors: [Finding] { findings.filter { $0.severity == .error } }
    public var warnings: [Finding] { findings.filter { $0.severity == .warning } }
    public var hasErrors: Bool { findings.contains { $0.severity == .error } }

    /// Parses PEM or DER text (see the README for the forms accepted).
    public static func parse(certificate: String, privateKey: String? = nil, passphrase: SecretBytes? = nil,
                             options: CheckOptions = CheckOptions()) -> CertificateBundle {
        parse(certificate: Array(certificate.utf8), privateKey: privateKey.map { SecretBytes($0) },
              passphrase: passphrase, options: options)
    }

    public static func parse(certificate: [UInt8], privateKey: SecretBytes? = nil, passphrase: SecretBytes? = nil,
                             options: CheckOptions = CheckOptions()) -> CertificateBundle {
        var parser = BundleParser(options: options)
        return parser.run(certificate: certificate, privateKey: privateKey, passphrase: passphrase)
    }

    fileprivate init(chain: [CertificateInfo], key: PrivateKeyInfo?, findings: [Finding],
                     normalizedPrivateKeyPEM: SecretBytes?, givenCertificatePEM: String, givenPrivateKey: SecretBytes?,
                     chainLength: Int) {
        self.chain = chain
        self.key = key
        // Errors first, so the first finding is the one to fix first.
        self.findings = findings.enumerated().sorted {
            $0.element.severity != $1.element.severity ? $0.element.severity > $1.element.severity : $0.offset < $1.offset
        }.map(\.element)
        self.normalizedCertificatePEM = chain.isEmpty ? nil : chain.prefix(chainLength).map(\.pem).joined()
        self.normalizedPrivateKeyPEM = normalizedPrivateKeyPEM
        self.givenCertificatePEM = givenCertificatePEM
        self.givenPrivateKey = givenPrivateKey
    }
}

/// The steps of one parse, with the findings they collect.
private struct BundleParser {
    let options: CheckOptions
    var findings: [Finding] = []

    init(options: CheckOptions) { self.options = options }

    mutating func run(certificate rawCertificate: [UInt8], privateKey: SecretBytes?, passphrase: SecretBytes?) -> CertificateBundle {
        let given = String(decoding: rawCertificate, as: UTF8.self)
        func finish(_ chain: [CertificateInfo] = [], key: PrivateKeyInfo? = nil, normalizedKey: SecretBytes? = nil,
                    chainLength: Int = 0) -> CertificateBundle {
            CertificateBundle(chain: chain, key: key, findings: findings, normalizedPrivateKeyPEM: normalizedKey,
                              givenCertificatePEM: given, givenPrivateKey: privateKey, chainLength: chainLength)
        }
        if rawCertificate.count > CertificateBundle.maxInputBytes {
            add(.error, .inputTooLarge, "The certificate input is \(rawCertificate.count) bytes; the limit is 1 MiB. Pass only the certificate chain.")
            return finish()
        }
        if let privateKey, privateKey.count > CertificateBundle.maxInputBytes {
            add(.error, .inputTooLarge, "The key input is \(privateKey.count) bytes; the limit is 1 MiB. Pass only the private key.")
            return finish()
        }
        let certificates = readCertificates(stripBOM(rawCertificate))
        var keyHandle: PrivateKeyHandle?
        var keyInfo: PrivateKeyInfo?
        if let privateKey {
            switch privateKey.withUnsafeBytes({ KeyParser.parse(stripBOM(Array($0)), passphrase: passphrase) }) {
            case .key(let handle, let info): keyHandle = handle; keyInfo = info
            case .problem(let finding): findings.append(finding)
            }
        }
        guard !certificates.isEmpty else {
            // Unless the certificate input already has its own error, say that no certificate was found.
            let certificateProblems: Set<Finding.Code> = [.inputTooLarge, .malformedBase64, .malformedDER]
            if !findings.contains(where: { certificateProblems.contains($0.code) }) {
                add(.error, .noCertificate, "No certificate was found. Supply the certificate chain as PEM (-----BEGIN CERTIFICATE-----) or as one DER certificate.")
            }
            return finish(key: keyInfo)
        }
        let (ordered, strays) = orderChain(certificates, key: keyHandle)
        let chain = (ordered + strays).map { $0.info() }
        if let leaf = chain.first { checkLeaf(leaf, chain: Array(chain.prefix(ordered.count))) }
        if let keyHandle, let keyInfo { checkKey(keyInfo, handle: keyHandle, leaf: ordered[0]) }
        let normalizedKey = keyHandle?.traditionalPEM()
        // Only the linked chain is normalised: strays are reported (an error), never sent.
        return finish(chain, key: keyInfo, normalizedKey: normalizedKey, chainLength: ordered.count)
    }

    private mutating func add(_ severity: Finding.Severity, _ code: Finding.Code, _ message: String) {
        findings.append(Finding(severity, code, message))
    }

    private func stripBOM(_ bytes: [UInt8]) -> [UInt8] {
        bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
    }

    /// Every distinct certificate of the input, in input order.
    private mutating func readCertificates(_ bytes: [UInt8]) -> [X509Certificate] {
        var certificates: [X509Certificate] = []
        guard PEM.looksLikePEM(bytes) else {
            guard !bytes.isEmpty else { return [] }
            if let single = X509Certificate(der: bytes) { return [single] }
            let printable = bytes.prefix(512).allSatisfy { $0 == 0x09 || $0 == 0x0a || $0 == 0x0d || ($0 >= 0x20 && $0 < 0x7f) }
            if !printable {
                add(.error, .malformedDER, "The certificate input is neither PEM nor a readable DER certificate; it may be truncated or damaged.")
            }
            return []
        }
        let scan = PEM.scan(bytes)
        for label in scan.unterminated {
            add(.error, .malformedBase64, "A \"\(label)\" block has no matching END line; the input looks truncated. Export the chain again.")
        }
        var seen: Set<[UInt8]> = []
        var certificateNumber = 0
        for block in scan.blocks {
            switch block.label {
            case "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE":
                certificateNumber += 1
                guard let der = Base64.decode(block.base64) else {
                    add(.error, .malformedBase64, "Certificate \(certificateNumber) has a malformed base64 body (truncated or damaged). Export the chain again.")
                    continue
                }
                guard let certificate = X509Certificate(der: der) else {
                    add(.error, .malformedDER, "Certificate \(certificateNumber) decodes but is not a valid X.509 certificate.")
                    continue
                }
                if !seen.insert(Digest.sha256(der)).inserted {
                    add(.warning, .duplicateCertificate, "Certificate \(certificateNumber) (\(describe(certificate))) appears more than once; the copy was dropped.")
                    continue
                }
                certificates.append(certificate)
            case let label where KeyParser.keyLabels.contains(label):
                add(.warning, .extraBlockIgnored, "The certificate input also holds a private key (\(label)); it was ignored. Pass the key separately.")
            default:
                add(.warning, .extraBlockIgnored, "A \"\(block.label)\" block in the certificate input was ignored.")
            }
        }
        return certificates
    }

    private func describe(_ certificate: X509Certificate) -> String {
        let info = certificate.info()
        return info.commonName.isEmpty ? info.subject : "CN=\(info.commonName)"
    }

    /// Puts the chain in leaf-first order by signature, and returns the certificates that do not fit.
    private mutating func orderChain(_ certificates: [X509Certificate], key: PrivateKeyHandle?)
        -> (ordered: [X509Certificate], strays: [X509Certificate]) {
        let isIssuerOfAnother: [Bool] = certificates.map { candidate in
            certificates.contains { $0 !== candidate && $0.isIssued(by: candidate) }
        }
        var leaf: X509Certificate?
        if let key {
            leaf = certificates.first { key.matches($0) }
        }
        if leaf == nil {
            let candidates = certificates.indices.filter { !isIssuerOfAnother[$0] }.map { certificates[$0] }
            leaf = candidates.first { !$0.info().isCA } ?? candidates.first ?? certificates[0]
        }
        var ordered = [leaf!]
        var remaining = certificates.filter { $0 !== leaf! }
        while let last = ordered.last, !last.isSelfSigned,
              let next = remaining.firstIndex(where: { last.isIssued(by: $0) }) {
            ordered.append(remaining.remove(at: next))
        }
        for stray in remaining {
            add(.error, .chainBroken, "The certificate \(describe(stray)) is not part of the chain of \(describe(leaf!)): "
                + "no certificate in the chain is signed by it. Remove it, or supply the intermediate that links it.")
        }
        let inputOrder = certificates.filter { candidate in ordered.contains { $0 === candidate } }
        if !zip(inputOrder, ordered).allSatisfy({ $0 === $1 }) {
            add(.warning, .chainReordered, "The chain was not in leaf-first order; it was reordered (CLB needs the server certificate first, then its issuers).")
        }
        return (ordered, remaining)
    }

    private mutating func checkLeaf(_ leaf: CertificateInfo, chain: [CertificateInfo]) {
        let now = options.now ?? UTCTime.nowMilliseconds()
        let name = leaf.commonName.isEmpty ? "the server certificate" : "the server certificate (CN=\(leaf.commonName))"
        if now > leaf.notAfter {
            add(.error, .leafExpired, "\(name.capitalizedFirst) expired at \(leaf.notAfterText). Renew it before uploading.")
        } else if now < leaf.notBefore {
            add(.error, .leafNotYetValid, "\(name.capitalizedFirst) is not valid until \(leaf.notBeforeText). Check the system clock, or wait.")
        } else if options.expiryWarningDays > 0, leaf.notAfter - now < Int64(options.expiryWarningDays) * 86_400_000 {
            let days = (leaf.notAfter - now) / 86_400_000
            add(.warning, .leafExpiresSoon, "\(name.capitalizedFirst) expires at \(leaf.notAfterText), in \(days) day(s). Plan its renewal.")
        }
        for issuer in chain.dropFirst() where now > issuer.notAfter {
            add(.warning, .chainCertificateExpired, "The chain certificate \(issuer.subject) expired at \(issuer.notAfterText); clients may reject the chain. Use the CA's current intermediate.")
        }
        if leaf.isCA {
            add(.warning, .leafIsCA, "\(name.capitalizedFirst) is a CA certificate. Browsers expect an end-entity certificate here.")
        }
        if chain.count == 1, !leaf.isSelfSigned {
            add(.warning, .missingIntermediate, "Only the server certificate was given, and it is not self-signed. Append the intermediate certificate(s) from your CA, or clients may fail to verify it.")
        }
    }

    private mutating func checkKey(_ info: PrivateKeyInfo, handle: PrivateKeyHandle, leaf: X509Certificate) {
        if !handle.matches(leaf) {
            add(.error, .keyMismatch, "The private key does not belong to the server certificate (CN=\(leaf.info().commonName)). Supply the key the certificate was issued for.")
        }
        if info.algorithm != "RSA" {
            let text = "The key is \(info.algorithm) (\(info.bits) bits); CLB accepts RSA keys only."
            if options.allowNonRSA {
                add(.warning, .keyNotRSA, text + " Allowed on request; the service may still refuse it.")
            } else {
                add(.error, .keyNotRSA, text + " Issue an RSA certificate, or allow non-RSA keys explicitly if your service accepts them.")
            }
        } else if ![1024, 2048, 4096].contains(info.bits) {
            add(.warning, .keySizeUnsupported, "The RSA key has \(info.bits) bits; CLB documents 1024, 2048 and 4096. Use a 2048- or 4096-bit key if the upload is refused.")
        }
    }
}

private extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
