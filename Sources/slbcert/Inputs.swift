import SLBCert
#if canImport(Glibc)
import Glibc
#endif

/// Reading the files the commands take. Secrets come only from files or stdin ("-"), never argv.
enum Inputs {
    /// Reads a whole file (or stdin for "-"), refusing more than `limit` bytes.
    static func read(_ path: String, what: String, limit: Int = CertificateBundle.maxInputBytes + 1) throws(SLBCertError) -> [UInt8] {
        let descriptor = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw SLBCertError(.invalidArgument, "Cannot read the \(what) file \(path): \(String(cString: strerror(errno))).")
        }
        defer { if path != "-" { close(descriptor) } }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        defer { wipe(&buffer) }
        while result.count <= limit {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw SLBCertError(.invalidArgument, "Cannot read the \(what) file \(path): \(String(cString: strerror(errno))).")
            }
            result.append(contentsOf: buffer[0..<count])
        }
        return result
    }

    /// Reads a secret file into wiped-on-release memory; a single trailing newline is removed.
    static func readSecret(_ path: String, what: String) throws(SLBCertError) -> SecretBytes {
        var bytes = try read(path, what: what)
        defer { wipe(&bytes) }
        var end = bytes.count
        if end > 0, bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        if end > 0, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return SecretBytes(bytes[0..<end])
    }

    /// Parses the certificate (and key) files the way every command does.
    static func bundle(cert: String, key: String?, passphraseFile: String?, options: CheckOptions) throws(SLBCertError) -> CertificateBundle {
        if [cert, key, passphraseFile].filter({ $0 == "-" }).count > 1 {
            throw SLBCertError(.invalidArgument, "Only one of --cert, --key and --passphrase-file can read stdin (-).")
        }
        let certificate = try read(cert, what: "certificate")
        let privateKey = try key.map { path throws(SLBCertError) in try readSecret(path, what: "key") }
        let passphrase = try passphraseFile.map { path throws(SLBCertError) in try readSecret(path, what: "passphrase") }
        return CertificateBundle.parse(certificate: certificate, privateKey: privateKey, passphrase: passphrase, options: options)
    }
}
