#if canImport(Glibc)
import Glibc
#endif

/// Where one binding is: a listener's default certificate (no extension) or one domain extension.
struct BindingKey: Hashable, Sendable {
    let loadBalancerId: String
    let port: Int
    let domainExtensionId: String?
}

/// The record of a deploy, one JSON object per line, each written and fsync'd before the step it
/// announces goes on, so a run killed at any point leaves a file that says what may have changed:
///
///     {"Type":"deploy", "Version":1, "Endpoint", "RegionId", "ServerCertificateId", "Fingerprint", "Uploaded", "Replaced", "Time"}
///     {"Type":"switching", "LoadBalancerId", "ListenerPort", "DomainExtensionId", "Domain", "From", "To", "Snapshot"?}
///     {"Type":"switched", ... "RequestId"}     {"Type":"restored", ... "RequestId"}
///     {"Type":"deleted", "ServerCertificateId"}     {"Type":"end", "Outcome"}
///
/// A "switching" record comes before its Set is sent: after a kill the binding may or may not have
/// switched, and a rollback reads it before putting it back. A journal whose last "end" is missing,
/// or says `partial`, is unfinished: running the same deploy again continues it.
final class DeployJournal {
    static let version = 1

    struct Switch: Sendable {
        let key: BindingKey
        let domain: String?
        let from: String
        let to: String
        /// The listener's attributes before the switch of its default certificate.
        let snapshot: [String: String]?
    }

    /// What a journal file says.
    struct Contents: Sendable {
        var endpoint = ""
        var regionId = ""
        var certificateId = ""
        var fingerprint = ""
        var uploaded = false
        var replaced: [String] = []
        /// In the order they were started; each binding once, with the state before its first switch.
        var switches: [Switch] = []
        var switched: Set<BindingKey> = []
        var restored: Set<BindingKey> = []
        var deleted: [String] = []
        var lastOutcome: String?

        /// Finished: nothing left to continue (the deploy ended, or was rolled back completely).
        var finished: Bool { lastOutcome != nil && lastOutcome != DeployOutcome.partial.rawValue }
    }

    let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    // MARK: Opening

    /// Opens (or creates) the file for appending, holding an exclusive lock until released: two runs
    /// never write one journal at the same time.
    static func open(_ path: String, create: Bool) throws(SLBCertError) -> DeployJournal {
        if create { try makeDirectory(parentOf: path) }
        let flags = O_RDWR | O_APPEND | O_CLOEXEC | (create ? O_CREAT : 0)
        let descriptor = Glibc.open(path, flags, 0o600)
        guard descriptor >= 0 else { throw unusable(path, "cannot open it: \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            close(descriptor)
            if busy {
                var error = SLBCertError(.invalidArgument, "The journal \(path) is in use by another deploy or rollback.",
                                         hint: "Wait for the other run to finish, then run this one again.")
                error.reason = .journalLocked
                error.argument = "journal"
                throw error
            }
            throw unusable(path, "cannot lock it: \(String(cString: strerror(errno)))")
        }
        if create { syncDirectory(parentOf: path) }
        let journal = DeployJournal(path: path, descriptor: descriptor)
        try journal.dropCutShortLine()
        return journal
    }

    /// A run killed while writing leaves the last line without its newline: cut it off, so the
    /// next record starts on a line of its own (`read` ignores such a tail as well).
    private func dropCutShortLine() throws(SLBCertError) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Self.unusable(path, "cannot read it: \(String(cString: strerror(errno)))") }
        var end = Int(status.st_size)
        var byte: UInt8 = 0
        while end > 0 {
            guard pread(descriptor, &byte, 1, off_t(end - 1)) == 1 else { throw Self.unusable(path, "cannot read it: \(String(cString: strerror(errno)))") }
            if byte == UInt8(ascii: "\n") { break }
            end -= 1
        }
        guard end < Int(status.st_size) else { return }
        guard ftruncate(descriptor, off_t(end)) == 0, fsync(descriptor) == 0 else {
            throw Self.unusable(path, "cannot repair its last line: \(String(cString: strerror(errno)))")
        }
    }

    /// Empties a finished journal before a new deploy writes it again.
    func truncate() throws(SLBCertError) {
        guard ftruncate(descriptor, 0) == 0, fsync(descriptor) == 0 else {
            throw Self.unusable(path, "cannot truncate it: \(String(cString: strerror(errno)))")
        }
    }

    // MARK: Writing

    /// Appends one record and makes it durable before returning.
    func append(_ record: JSON) throws(SLBCertError) {
        let line = Array((record.serialized() + "\n").utf8)
        var offset = 0
        while offset < line.count {
            let written = line[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw Self.unusable(path, "cannot write it: \(String(cString: strerror(errno)))") }
            offset += written
        }
        guard fsync(descriptor) == 0 else { throw Self.unusable(path, "cannot sync it: \(String(cString: strerror(errno)))") }
    }

    static func header(endpoint: String, regionId: String, certificateId: String, fingerprint: String, uploaded: Bool,
                       replaced: [String]) -> JSON {
        .object([("Type", .string("deploy")), ("Version", .number(Double(version))), ("Time", .string(UTCTime.format(milliseconds: UTCTime.nowMilliseconds()))),
                 ("Endpoint", .string(endpoint)), ("RegionId", .string(regionId)), ("ServerCertificateId", .string(certificateId)),
                 ("Fingerprint", .string(fingerprint)), ("Uploaded", .bool(uploaded)), ("Replaced", .array(replaced.map(JSON.string)))])
    }

    static func record(_ type: String, _ item: Switch, requestId: String? = nil) -> JSON {
        var members: [(String, JSON)] = [("Type", .string(type)), ("LoadBalancerId", .string(item.key.loadBalancerId)),
                                         ("ListenerPort", .number(Double(item.key.port))),
                                         ("DomainExtensionId", item.key.domainExtensionId.map(JSON.string) ?? .null),
                                         ("Domain", item.domain.map(JSON.string) ?? .null),
                                         ("From", .string(item.from)), ("To", .string(item.to))]
        if let requestId { members.append(("RequestId", .string(requestId))) }
        if type == "switching", let snapshot = item.snapshot {
            members.append(("Snapshot", .object(snapshot.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        return .object(members)
    }

    static func end(_ outcome: DeployOutcome) -> JSON {
        .object([("Type", .string("end")), ("Outcome", .string(outcome.rawValue)),
                 ("Time", .string(UTCTime.format(milliseconds: UTCTime.nowMilliseconds())))])
    }

    static func deleted(_ id: String) -> JSON {
        .object([("Type", .string("deleted")), ("ServerCertificateId", .string(id))])
    }

    // MARK: Reading

    /// Reads a journal file. A last line cut short by a crash is ignored; any other unreadable line
    /// makes the file unusable (it is not a journal, or it was damaged).
    static func read(_ path: String) throws(SLBCertError) -> Contents {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw unusable(path, "cannot read it: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw unusable(path, "cannot read it: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            bytes += buffer[0..<count]
            guard bytes.count <= 64 * 1024 * 1024 else { throw unusable(path, "it is larger than 64 MiB") }
        }
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var contents = Contents()
        var sawHeader = false
        for (index, line) in lines.enumerated() where !line.isEmpty {
            guard let record = JSON.parse(line), let type = record["Type"]?.string else {
                if index == lines.count - 1 { break }  // the tail of a write a crash interrupted
                throw unusable(path, "line \(index + 1) is not a journal record")
            }
            switch type {
            case "deploy":
                // A continued deploy repeats the header; the first one's facts stand, the replaced ids accumulate.
                if !sawHeader {
                    contents.endpoint = record["Endpoint"]?.string ?? ""
                    contents.regionId = record["RegionId"]?.string ?? ""
                    contents.certificateId = record["ServerCertificateId"]?.string ?? ""
                    contents.fingerprint = record["Fingerprint"]?.string ?? ""
                }
                contents.uploaded = contents.uploaded || record["Uploaded"]?.bool == true
                for id in record["Replaced"]?.array?.compactMap(\.string) ?? [] where !contents.replaced.contains(id) {
                    contents.replaced.append(id)
                }
                sawHeader = true
            case "switching", "switched", "restored":
                guard let item = switchRecord(record) else { throw unusable(path, "line \(index + 1) names no binding") }
                if type == "switching" {
                    if !contents.switches.contains(where: { $0.key == item.key }) { contents.switches.append(item) }
                    contents.restored.remove(item.key)
                } else if type == "switched" {
                    contents.switched.insert(item.key)
                } else {
                    contents.restored.insert(item.key)
                    contents.switched.remove(item.key)
                }
            case "deleted":
                if let id = record["ServerCertificateId"]?.string { contents.deleted.append(id) }
            case "end":
                contents.lastOutcome = record["Outcome"]?.string
            default:
                break  // a record a later version writes
            }
        }
        guard sawHeader else { throw unusable(path, "it has no deploy record (it is not a slbcert deploy journal)") }
        return contents
    }

    private static func switchRecord(_ record: JSON) -> Switch? {
        guard let id = record["LoadBalancerId"]?.string, let port = record["ListenerPort"]?.int64.flatMap({ Int(exactly: $0) }),
              let from = record["From"]?.string, let to = record["To"]?.string else { return nil }
        var snapshot: [String: String]?
        if case .object(let members)? = record["Snapshot"] {
            snapshot = Dictionary(members.compactMap { name, value in value.string.map { (name, $0) } }, uniquingKeysWith: { first, _ in first })
        }
        return Switch(key: BindingKey(loadBalancerId: id, port: port, domainExtensionId: record["DomainExtensionId"]?.string),
                      domain: record["Domain"]?.string, from: from, to: to, snapshot: snapshot)
    }

    // MARK: Files

    /// The default file name: the region, the certificate's fingerprint and the start time, so that a
    /// run of the same deploy finds it and the files of other deploys sort beside it.
    static func defaultName(regionId: String, fingerprint: String) -> String {
        let time = UTCTime.format(milliseconds: UTCTime.nowMilliseconds()).filter { $0 != "-" && $0 != ":" }
        return "\(prefix(regionId: regionId, fingerprint: fingerprint))\(time)-\(getpid()).jsonl"
    }

    static func prefix(regionId: String, fingerprint: String) -> String {
        "deploy-\(regionId)-\(fingerprint.filter { $0 != ":" })-"
    }

    /// The journal files in a directory, sorted by name (so by start time for one deploy).
    static func files(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            // Only the bytes up to the NUL are the name; copied one by one, since a record can end
            // right after it (the rest of d_name is not memory of this entry).
            var bytes: [UInt8] = []
            withUnsafePointer(to: &entry.pointee.d_name) { field in
                field.withMemoryRebound(to: UInt8.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) { start in
                    var index = 0
                    while index < MemoryLayout.size(ofValue: entry.pointee.d_name), start[index] != 0 {
                        bytes.append(start[index])
                        index += 1
                    }
                }
            }
            let name = String(decoding: bytes, as: UTF8.self)
            if name.hasPrefix("deploy-") && name.hasSuffix(".jsonl") { names.append(name) }
        }
        return names.sorted()
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Creates the directories of `path` (owner-only for the ones it makes).
    static func makeDirectory(parentOf path: String) throws(SLBCertError) {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        let directory = String(path[..<slash])
        var built = ""
        for part in directory.split(separator: "/", omittingEmptySubsequences: true) {
            built += "/" + part
            if mkdir(built, 0o700) != 0 && errno != EEXIST {
                throw unusable(path, "cannot create \(built): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Makes a new file's directory entry durable too.
    private static func syncDirectory(parentOf path: String) {
        guard let slash = path.lastIndex(of: "/") else { return }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        let descriptor = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    static func unusable(_ path: String, _ why: String) -> SLBCertError {
        var error = SLBCertError(.invalidArgument, "The deploy journal \(path) is not usable: \(why).")
        error.reason = .journalUnusable
        error.argument = "journal"
        return error
    }
}
