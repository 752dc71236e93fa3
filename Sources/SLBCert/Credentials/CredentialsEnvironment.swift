#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What credential sources read from the outside world: environment variables and the home
/// directory. Injectable so tests never touch the process's own state.
public struct CredentialsEnvironment: Sendable {
    public var variables: [String: String]
    public var homeDirectory: String

    public init(variables: [String: String], homeDirectory: String) {
        self.variables = variables
        self.homeDirectory = homeDirectory
    }

    /// These variables and their $HOME (or the password database's home when HOME is unset).
    public init(variables: [String: String]) {
        var home = variables["HOME"] ?? ""
        if home.isEmpty, let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir {
            home = String(cString: directory)
        }
        self.init(variables: variables, homeDirectory: home)
    }

    /// The process's environment and its home directory.
    public static var process: CredentialsEnvironment { CredentialsEnvironment(variables: Environment.process) }

    /// A variable's value; unset and empty are the same (an empty key is no key).
    public subscript(name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }

    func isTrue(_ name: String) -> Bool {
        self[name]?.lowercased() == "true"
    }

    /// `~/relative` in this environment's home.
    public func homePath(_ relative: String) -> String {
        homeDirectory.hasSuffix("/") ? homeDirectory + relative : homeDirectory + "/" + relative
    }
}

/// A credentials file read whole, with what its permissions say.
struct CredentialsFile {
    let path: String
    let bytes: [UInt8]
    /// Set when group or others may read or write it: keys in such a file should be rotated.
    let permissionWarning: String?

    /// nil when the file does not exist; throws when it exists but cannot be read.
    static func readIfPresent(_ path: String, source: String) throws(SLBCertError) -> CredentialsFile? {
        var info = stat()
        if stat(path, &info) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw SLBCertError(.credentials, "\(source): cannot read \(path): \(String(cString: strerror(errno)))")
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            throw SLBCertError(.credentials, "\(source): \(path) is a directory")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            throw SLBCertError(.credentials, "\(source): cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SLBCertError(.credentials, "\(source): cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > 1024 * 1024 {
                throw SLBCertError(.credentials, "\(source): \(path) is larger than 1 MiB; not a credentials file")
            }
        }
        wipe(&chunk)
        let mode = info.st_mode & 0o777
        let warning = mode & 0o077 != 0
            ? "\(path) is readable by others (mode \(String(mode, radix: 8))); run chmod 600 \(path)" : nil
        return CredentialsFile(path: path, bytes: bytes, permissionWarning: warning)
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and line ends (what config files and IMDS pad with).
    var trimmedWhitespace: String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0.isNewline }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(self[first...last])
    }
}
