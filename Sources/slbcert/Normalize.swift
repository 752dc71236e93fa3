import ArgumentParser
import SLBCert
#if canImport(Glibc)
import Glibc
#endif

struct Normalize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the certificate chain and key in the form CLB accepts.",
        discussion: """
        The chain is written leaf first then issuers, 64-column base64, LF, nothing else; the key \
        as unencrypted PKCS#1 (-----BEGIN RSA PRIVATE KEY-----), its file created with mode 0600. \
        Refuses (exit 2) when the checks find an error.

        Example:
          slbcert normalize --cert fullchain.pem --key privkey.pem \\
                            --out-cert clb-cert.pem --out-key clb-key.pem
        """)

    @OptionGroup var bundleOptions: BundleOptions

    @Option(help: ArgumentHelp("Where to write the chain.", valueName: "file"))
    var outCert: String

    @Option(help: ArgumentHelp("Where to write the key (created with mode 0600).", valueName: "file"))
    var outKey: String

    func run() throws {
        let bundle = try bundleOptions.load(requireKey: true)
        for finding in bundle.findings { Output.standardError("slbcert: \(finding.severity.name) \(finding.code.rawValue): \(CLIWording.message(of: finding))") }
        guard !bundle.hasErrors, let chain = bundle.normalizedCertificatePEM, let key = bundle.normalizedPrivateKeyPEM else {
            throw Exit(status: .validation)
        }
        try write(Array(chain.utf8), to: outCert, mode: 0o644)
        // A transient copy (the compiler cannot yet pass a typed-throws closure through withUnsafeBytes), wiped at once.
        var keyBytes = key.withUnsafeBytes { Array($0) }
        defer { wipe(&keyBytes) }
        try write(keyBytes, to: outKey, mode: 0o600)
        print("Wrote \(outCert) (\(bundle.chain.count) certificate(s)) and \(outKey) (\(bundle.key?.algorithm ?? "") key, mode 0600)")
    }

    /// Writes a whole file; the mode is applied even when the file already existed.
    private func write(_ data: [UInt8], to path: String, mode: mode_t) throws(SLBCertError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        guard descriptor >= 0 else { throw SLBCertError(.invalidArgument, "Cannot write \(path): \(String(cString: strerror(errno))).") }
        defer { close(descriptor) }
        guard fchmod(descriptor, mode) == 0 else { throw SLBCertError(.invalidArgument, "Cannot set the mode of \(path): \(String(cString: strerror(errno))).") }
        var offset = 0
        while offset < data.count {
            let written = data[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw SLBCertError(.invalidArgument, "Cannot write \(path): \(String(cString: strerror(errno))).")
            }
            offset += written
        }
    }
}
