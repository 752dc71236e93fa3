import ArgumentParser
import SLBCert

/// Options shared by the commands that read a certificate and key.
struct BundleOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The certificate chain: PEM (any order, text around blocks allowed) or one DER certificate; - for stdin.", valueName: "file"))
    var cert: String

    @Option(help: ArgumentHelp("The private key as PEM (PKCS#1, PKCS#8, encrypted PKCS#8, SEC1 EC); - for stdin.", valueName: "file"))
    var key: String?

    @Option(help: ArgumentHelp("A file holding the key's passphrase (one trailing newline is ignored); - for stdin.", valueName: "file"))
    var passphraseFile: String?

    @Flag(help: "Accept EC and Ed25519 keys (CLB rejects them; a warning instead of an error).")
    var allowNonRsa = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Warn when the certificate expires within this many days (0: never; default \(CheckOptions().expiryWarningDays), at most \(CheckOptions.expiryWarningDaysRange.upperBound)).", valueName: "days"))
    var expiryWarningDays: Int?

    /// The pair for a command that sends it: warnings shown, and an error finding stops the command
    /// (exit 2) before credentials are even looked up, so a bad pair is exit 2 wherever it runs.
    func loadForSending(json: Bool) throws -> CertificateBundle {
        let bundle = try load(requireKey: true)
        for warning in bundle.warnings { Output.standardError("slbcert: warning \(warning.code.rawValue): \(CLIWording.message(of: warning))") }
        guard bundle.hasErrors else { return bundle }
        for finding in bundle.errors { Output.standardError("slbcert: error \(finding.code.rawValue): \(CLIWording.message(of: finding))") }
        if json {
            var error = SLBCertError(.validation, "The certificate bundle has errors; nothing was sent.")
            error.findings = bundle.errors
            error.reason = .bundleHasErrors
            Output.json(Output.errorObject(CLIWording.apply(error)))
        }
        throw Exit(status: .validation)
    }

    func load(requireKey: Bool) throws(SLBCertError) -> CertificateBundle {
        if requireKey, key == nil { throw SLBCertError(.invalidArgument, "--key is required.") }
        var options = CheckOptions(allowNonRSA: allowNonRsa)
        if let expiryWarningDays { options.expiryWarningDays = expiryWarningDays }
        do {
            try options.validate()
        } catch {
            var error = error
            error.message = "--expiry-warning-days \(error.value) is out of range: it must be \(CheckOptions.expiryWarningDaysRange.lowerBound) to \(CheckOptions.expiryWarningDaysRange.upperBound)."
            throw error
        }
        return try Inputs.bundle(cert: cert, key: key, passphraseFile: passphraseFile, options: options)
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a certificate chain's facts and what the checks find.",
        discussion: """
        Prints the fingerprint the service will report, names, dates, key and chain, then the \
        findings. Errors stop an upload; warnings do not. The key's content is never printed.

        Exit status: 0 no error finding, 2 at least one error finding, 1 usage error.

        Examples:
          slbcert inspect --cert fullchain.pem --key privkey.pem
          slbcert inspect --cert chain.pem --json | jq -r .Fingerprint
          slbcert inspect --cert cert.pem --key key.pem \\
                          --passphrase-file - < pass.txt
        """)

    @OptionGroup var bundleOptions: BundleOptions

    @Flag(help: "Print one JSON object (the service's field names where one exists).")
    var json = false

    func run() throws {
        let bundle = try bundleOptions.load(requireKey: false)
        if json {
            Output.json(BundleReport.json(bundle))
        } else {
            print(BundleReport.text(bundle), terminator: "")
        }
        if bundle.hasErrors { throw Exit(status: .validation) }
    }
}

/// How a bundle is shown: the same facts in text and in JSON.
enum BundleReport {
    static func json(_ bundle: CertificateBundle) -> JSON {
        var members: [(String, JSON)] = []
        if let leaf = bundle.leaf { members += certificate(leaf) }
        members.append(("ChainLength", .number(Double(bundle.chain.count))))
        members.append(("Chain", .array(bundle.chain.map { .object(certificate($0)) })))
        if let key = bundle.key {
            members.append(("PrivateKey", .object([("Algorithm", .string(key.algorithm)), ("Bits", .number(Double(key.bits))),
                                                   ("Form", .string(key.form.rawValue))])))
        } else {
            members.append(("PrivateKey", .null))
        }
        members.append(("Findings", .array(bundle.findings.map {
            .object([("Severity", .string($0.severity.name)), ("Code", .string($0.code.rawValue)), ("Message", .string(CLIWording.message(of: $0)))])
        })))
        members.append(("Uploadable", .bool(!bundle.hasErrors && bundle.key != nil)))
        return .object(members)
    }

    private static func certificate(_ info: CertificateInfo) -> [(String, JSON)] {
        [("Fingerprint", .string(info.fingerprint)),
         ("FingerprintSHA256", .string(info.fingerprintSHA256)),
         ("CommonName", .string(info.commonName)),
         ("SubjectAlternativeNames", .array(info.dnsNames.map(JSON.string))),
         ("IPAddresses", .array(info.ipAddresses.map(JSON.string))),
         ("Subject", .string(info.subject)),
         ("Issuer", .string(info.issuer)),
         ("SerialNumber", .string(info.serialNumber)),
         ("StartTime", .string(info.notBeforeText)),
         ("StartTimeStamp", .number(Double(info.notBefore))),
         ("ExpireTime", .string(info.notAfterText)),
         ("ExpireTimeStamp", .number(Double(info.notAfter))),
         ("KeyAlgorithm", .string(info.keyAlgorithm)),
         ("KeyBits", .number(Double(info.keyBits))),
         ("IsCA", .bool(info.isCA)),
         ("IsSelfSigned", .bool(info.isSelfSigned))]
    }

    static func text(_ bundle: CertificateBundle) -> String {
        var out = ""
        for (index, info) in bundle.chain.enumerated() {
            let role = index == 0 ? "server certificate" : (index < bundle.chain.count && info.isSelfSigned ? "root" : "issuer \(index)")
            out += "[\(index)] \(role)\n"
            out += "  Subject:        \(info.subject)\n"
            out += "  Issuer:         \(info.issuer)\n"
            if index == 0 {
                out += "  Common name:    \(info.commonName)\n"
                out += "  DNS names:      \(info.dnsNames.isEmpty ? "(none)" : info.dnsNames.joined(separator: ", "))\n"
                if !info.ipAddresses.isEmpty { out += "  IP addresses:   \(info.ipAddresses.joined(separator: ", "))\n" }
            }
            out += "  Fingerprint:    \(info.fingerprint)\n"
            out += "  SHA-256:        \(info.fingerprintSHA256)\n"
            out += "  Serial:         \(info.serialNumber)\n"
            out += "  Valid:          \(info.notBeforeText) to \(info.notAfterText)\n"
            out += "  Public key:     \(info.keyAlgorithm) \(info.keyBits) bits\(info.isCA ? ", CA" : "")\(info.isSelfSigned ? ", self-signed" : "")\n"
        }
        if let key = bundle.key {
            out += "Private key:      \(key.algorithm) \(key.bits) bits, \(key.form.rawValue)\n"
        }
        if bundle.findings.isEmpty {
            out += "No findings.\n"
        } else {
            out += "Findings:\n"
            for finding in bundle.findings { out += "  \(finding.severity.name) \(finding.code.rawValue): \(CLIWording.message(of: finding))\n" }
        }
        return out
    }
}
