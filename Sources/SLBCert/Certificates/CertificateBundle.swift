/// Options for the checks made when a bundle is parsed.
public struct CheckOptions: Sendable, Equatable {
    /// An EC or Ed25519 key is a warning instead of an error (CLB rejects non-RSA keys).
    public var allowNonRSA: Bool
    /// Warn when the leaf expires within this many days; 0 turns the warning off.
    public var expiryWarningDays: Int
    /// The instant the checks use, in milliseconds since the epoch; nil means the system clock.
    public var now: Int64?

    /// The warning's threshold: 0 (never) to a century of days.
    public static let expiryWarningDaysRange = 0...36_500

    public init(allowNonRSA: Bool = false, expiryWarningDays: Int = 30, now: Int64? = nil) {
        self.allowNonRSA = allowNonRSA
        self.expiryWarningDays = expiryWarningDays
        self.now = now
    }

    /// The rules every interface applies before parsing with these options.
    public func validate() throws(SLBCertError) {
        guard Self.expiryWarningDaysRange.contains(expiryWarningDays) else {
            var error = SLBCertError(.invalidArgument, "The expiry warning is \(expiryWarningDays) days; it must be \(Self.expiryWarningDaysRange.lowerBound) to \(Self.expiryWarningDaysRange.upperBound).")
            error.reason = .settingOutOfRange
            error.argument = "expiryWarningDays"
            error.value = String(expiryWarningDays)
            throw error
        }
        if let now, now < 0 {
            var error = SLBCertError(.invalidArgument, "The checks' instant is before 1970.")
            error.reason = .invalidSetting
            error.argument = "now"
            throw error
        }
    }
}

/// A certificate chain and (optionally) its private key: what was found, what is wrong with it, and the
/// form CLB accepts. Parsing never throws: every problem with the input becomes a `Finding`.
public struct CertificateBundle: Sendable {
    /// Largest certificate or key input accepted (1 MiB).
    public static let maxInputBytes = 1024 * 1024
    /// Most certificates a chain may hold: the server certificate and the CA certificates above it.
    /// CLB chains are short; more than this is a CA bundle passed by mistake.
    public static let maxChainCertificates = 10

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
    /// What the parse cost: signature verifications and key-derivation work (see `ParseWork`).
    let signatureVerifications: Int
    let keyDerivationCost: Int

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
                     chainLength: Int, work: ParseWork) {
        self.chain = chain
        self.key = key
        // Errors first, so the first finding is the one to fix first.
        self.findings = findings.enumerated().sorted {
            $0.element.severity != $1.element.severity ? $0.element.severity > $1.element.severity : $0.offset < $1.offset
        }.map(\.element)
        self.normalizedCertificatePEM = chain.isEmpty || chainLength == 0 ? nil
            : PEM.encode(label: "CERTIFICATE", ders: chain.prefix(chainLength).map(\.der))
        self.normalizedPrivateKeyPEM = normalizedPrivateKeyPEM
        self.givenCertificatePEM = givenCertificatePEM
        self.givenPrivateKey = givenPrivateKey
        signatureVerifications = work.signatureVerifications
        keyDerivationCost = work.keyDerivationCost
    }
}

/// The steps of one parse, with the findings they collect.
private struct BundleParser {
    let options: CheckOptions
    var findings: [Finding] = []
    let work = ParseWork()

    init(options: CheckOptions) { self.options = options }

    mutating func run(certificate rawCertificate: [UInt8], privateKey: SecretBytes?, passphrase: SecretBytes?) -> CertificateBundle {
        let given = String(decoding: rawCertificate, as: UTF8.self)
        func finish(_ chain: [CertificateInfo] = [], key: PrivateKeyInfo? = nil, normalizedKey: SecretBytes? = nil,
                    chainLength: Int = 0) -> CertificateBundle {
            CertificateBundle(chain: chain, key: key, findings: findings, normalizedPrivateKeyPEM: normalizedKey,
                              givenCertificatePEM: given, givenPrivateKey: privateKey, chainLength: chainLength, work: work)
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
            let outcome = privateKey.withUnsafeBytes { key in
                KeyParser.parse(key.starts(with: Self.byteOrderMark) ? UnsafeBufferPointer(rebasing: key.dropFirst(3)) : key,
                                passphrase: passphrase, work: work)
            }
            switch outcome {
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
        let leaf: X509Certificate
        let chain: [CertificateInfo]
        let chainLength: Int
        if certificates.count > CertificateBundle.maxChainCertificates {
            // Not ordered: the work would grow with the square of the count, and nothing here is sent.
            add(.error, .chainTooLong, "The certificate input holds \(certificates.count) different certificates; a chain "
                + "for CLB has at most \(CertificateBundle.maxChainCertificates): the server certificate, then the CA "
                + "certificates that issued it. Pass only that chain, not a CA bundle such as ca-certificates.crt.")
            let keyCertificate = keyHandle.flatMap { key in certificates.firstIndex { key.matches($0) } } ?? 0
            leaf = certificates[keyCertificate]
            chain = ([leaf] + certificates.enumerated().filter { $0.offset != keyCertificate }.map(\.element)).map(\.info)
            chainLength = 0
        } else {
            let (ordered, strays) = orderChain(certificates, key: keyHandle)
            leaf = ordered[0]
            chain = (ordered + strays).map(\.info)
            checkLeaf(chain[0], chain: Array(chain.prefix(ordered.count)))
            chainLength = ordered.count
        }
        if let keyHandle, let keyInfo { checkKey(keyInfo, handle: keyHandle, leaf: leaf) }
        let normalizedKey = keyHandle?.traditionalPEM()
        // Only the linked chain is normalised: strays are reported (an error), never sent.
        return finish(chain, key: keyInfo, normalizedKey: normalizedKey, chainLength: chainLength)
    }

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    private mutating func add(_ severity: Finding.Severity, _ code: Finding.Code, _ message: String) {
        findings.append(Finding(severity, code, message))
    }

    private func stripBOM(_ bytes: [UInt8]) -> [UInt8] {
        bytes.starts(with: Self.byteOrderMark) ? Array(bytes.dropFirst(3)) : bytes
    }

    /// Every distinct certificate of the input, in input order.
    private mutating func readCertificates(_ bytes: [UInt8]) -> [X509Certificate] {
        var certificates: [X509Certificate] = []
        guard PEM.looksLikePEM(bytes) else {
            guard !bytes.isEmpty else { return [] }
            if let single = X509Certificate(der: bytes, work: work) { return [single] }
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
                guard let der = PEM.decodeBase64(block.base64) else {
                    add(.error, .malformedBase64, "Certificate \(certificateNumber) has a malformed base64 body (truncated or damaged). Export the chain again.")
                    continue
                }
                guard let certificate = X509Certificate(der: der, work: work) else {
                    add(.error, .malformedDER, "Certificate \(certificateNumber) decodes but is not a valid X.509 certificate.")
                    continue
                }
                if !seen.insert(certificate.sha256).inserted {
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
        let info = certificate.info
        return info.commonName.isEmpty ? info.subject : "CN=\(info.commonName)"
    }

    /// Puts the chain in leaf-first order by signature, and returns the certificates that do not fit.
    /// Each ordered pair is decided at most once (`Issuance`), and a signature is verified only for a pair
    /// whose names, key identifiers, key type and keyUsage already allow it.
    private mutating func orderChain(_ certificates: [X509Certificate], key: PrivateKeyHandle?)
        -> (ordered: [X509Certificate], strays: [X509Certificate]) {
        var issuance = Issuance(certificates)
        var leaf = key.flatMap { key in certificates.indices.first { key.matches(certificates[$0]) } }
        if leaf == nil {
            let candidates = certificates.indices.filter { candidate in
                !certificates.indices.contains { $0 != candidate && issuance.isIssued($0, by: candidate) }
            }
            leaf = candidates.first { !certificates[$0].info.isCA } ?? candidates.first ?? 0
        }
        let leafIndex = leaf ?? 0
        var ordered = [leafIndex]
        var remaining = certificates.indices.filter { $0 != leafIndex }
        while let last = ordered.last, !certificates[last].isSelfSigned,
              let next = remaining.firstIndex(where: { issuance.isIssued(last, by: $0) }) {
            ordered.append(remaining.remove(at: next))
        }
        for stray in remaining {
            add(.error, .chainBroken, "The certificate \(describe(certificates[stray])) is not part of the chain of "
                + "\(describe(certificates[leafIndex])): no certificate in the chain is signed by it. Remove it, or "
                + "supply the intermediate that links it.")
        }
        if !ordered.sorted().elementsEqual(ordered) {
            add(.warning, .chainReordered, "The chain was not in leaf-first order; it was reordered (CLB needs the server certificate first, then its issuers).")
        }
        return (ordered.map { certificates[$0] }, remaining.map { certificates[$0] })
    }

    private mutating func checkLeaf(_ leaf: CertificateInfo, chain: [CertificateInfo]) {
        let now = options.now ?? UTCTime.nowMilliseconds()
        let name = leaf.commonName.isEmpty ? "the server certificate" : "the server certificate (CN=\(leaf.commonName))"
        if now > leaf.notAfter {
            add(.error, .leafExpired, "\(name.capitalizedFirst) expired at \(leaf.notAfterText). Renew it before uploading.")
        } else if now < leaf.notBefore {
            add(.error, .leafNotYetValid, "\(name.capitalizedFirst) is not valid until \(leaf.notBeforeText). Check the system clock, or wait.")
        } else if options.expiryWarningDays > 0, let left = Self.millisecondsLeft(until: leaf.notAfter, from: now),
                  left < Self.milliseconds(days: options.expiryWarningDays) {
            add(.warning, .leafExpiresSoon, "\(name.capitalizedFirst) expires at \(leaf.notAfterText), in \(left / 86_400_000) day(s). Plan its renewal.")
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
            add(.error, .keyMismatch, "The private key does not belong to the server certificate (CN=\(leaf.info.commonName)). Supply the key the certificate was issued for.")
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

/// Which certificate issued which, each ordered pair decided at most once.
private struct Issuance {
    private let certificates: [X509Certificate]
    /// Row `subject`, column `issuer`: 0 not yet decided, 1 issued, 2 not.
    private var decided: [UInt8]

    init(_ certificates: [X509Certificate]) {
        self.certificates = certificates
        decided = [UInt8](repeating: 0, count: certificates.count * certificates.count)
    }

    mutating func isIssued(_ subject: Int, by issuer: Int) -> Bool {
        let slot = subject * certificates.count + issuer
        if decided[slot] == 0 { decided[slot] = certificates[subject].isIssued(by: certificates[issuer]) ? 1 : 2 }
        return decided[slot] == 1
    }
}

private extension BundleParser {
    /// now ... notAfter in milliseconds; nil when it does not fit in 64 bits.
    static func millisecondsLeft(until notAfter: Int64, from now: Int64) -> Int64? {
        let (left, overflow) = notAfter.subtractingReportingOverflow(now)
        return overflow ? nil : left
    }

    /// A warning window in milliseconds; Int64.max when it is longer than 64 bits can say.
    static func milliseconds(days: Int) -> Int64 {
        let (value, overflow) = Int64(days).multipliedReportingOverflow(by: 86_400_000)
        return overflow ? Int64.max : value
    }
}

private extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
