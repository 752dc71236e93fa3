import Foundation
@testable import SLBCert

/// The project's emulator as a real HTTPS server on loopback, for end-to-end tests, started by the
/// emulator package's own launcher (`python3 -m slbcert_emulator.testing serve`: a free port, a dev CA,
/// wait until it answers) with the test virtualenv's Python (SLBCERT_TEST_PYTHON, set by `make test`).
final class EmulatorProcess: @unchecked Sendable {
    static let python = ProcessInfo.processInfo.environment["SLBCERT_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
    static var available: Bool { python != nil }
    static let accessKeyId = "LTAI5tSwiftE2E"
    static let accessKeySecret = "swift-e2e-secret-value"
    static let region = "cn-hangzhou"

    let directory: URL
    private let child: ChildProcess
    /// "https://127.0.0.1:PORT"
    let url: String
    let caBundle: String
    /// Admin calls use their own transport (and so their own connection).
    private let admin: CurlTransport

    /// `extraArguments` are options of `python3 -m slbcert_emulator` (e.g. ["--max-url-bytes", "4096"]).
    init(extraArguments: [String] = []) throws {
        guard let python = Self.python else { throw HarnessError("SLBCERT_TEST_PYTHON is not set") }
        // Named as TestPKI's directory, and removed the same way: at exit, or by a later run when
        // this one was killed (the emulators in static properties are never stopped).
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("slbcert-tests-\(getpid())-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        TestPKI.removeAtExit(directory.path)
        let errors = directory.appendingPathComponent("serve.stderr").path
        // The AccessKey goes in an owner-only options file (@FILE): a command line is readable by every user.
        let credentials = directory.appendingPathComponent("credentials.args").path
        guard FileManager.default.createFile(atPath: credentials,
                                             contents: Data("--access-key=\(Self.accessKeyId):\(Self.accessKeySecret)\n".utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw HarnessError("cannot write \(credentials)")
        }
        // --stop-on-eof: serve also stops when this process dies without stopping it (its stdin closes).
        child = try ChildProcess(python, ["-m", "slbcert_emulator.testing", "serve", "--stop-on-eof",
                                          "--data-dir", directory.appendingPathComponent("data").path,
                                          "--tls-dir", directory.appendingPathComponent("tls").path,
                                          "@\(credentials)"]
                                 + extraArguments.map { "--emulator-option=\($0)" }, standardError: errors)
        // serve prints NAME=value lines once the emulator answers, then an empty line.
        var variables: [String: String] = [:]
        let deadline = Date().addingTimeInterval(30)
        while let line = child.readLine(timeoutSeconds: deadline.timeIntervalSinceNow), !line.isEmpty {
            guard let equals = line.firstIndex(of: "=") else { continue }
            variables[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        guard let endpoint = variables["SLBCERT_ENDPOINT"], endpoint.hasPrefix("https://"),
              let caBundle = variables["SLBCERT_CA_BUNDLE"] else {
            child.stop()
            let stderr = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: directory)
            throw HarnessError("the emulator did not start within 30 s (got \(variables.keys.sorted())): \(stderr.suffix(4000))")
        }
        url = endpoint
        self.caBundle = caBundle
        var options = TransportOptions()
        options.caBundle = caBundle
        admin = CurlTransport(options: options)
    }

    deinit { stop() }

    func stop() {
        child.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Admin API

    @discardableResult
    func admin(_ method: String, _ path: String, _ body: String = "") throws -> JSON {
        let response = try admin.send(HTTPRequest(method: method, url: "\(url)/_emulator/\(path)",
                                                  headers: [HTTPHeader("Content-Type", "application/json")],
                                                  body: Array(body.utf8), timeoutMilliseconds: 10_000))
        guard response.status == 200, let json = JSON.parse(response.body) else {
            throw HarnessError("admin \(path) answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return json
    }

    func faults(_ rules: String) throws { try admin("POST", "faults", rules) }
    func reset() throws { try admin("POST", "reset") }

    /// Every stored certificate (the admin view).
    func storedFingerprints() throws -> [String] {
        let json = try admin("GET", "certificates")
        let list = json.array ?? json["certificates"]?.array ?? json["Certificates"]?.array ?? []
        return list.compactMap { $0["Fingerprint"]?.string?.lowercased() }
    }

    func stats() throws -> JSON { try admin("GET", "stats") }

    var connectionsAccepted: Int {
        get throws {
            let stats = try stats()
            return Int(stats["connections_accepted"]?.int64 ?? stats["connections"]?.int64 ?? -1)
        }
    }

    // MARK: Clients

    func client(secret: String = EmulatorProcess.accessKeySecret, signatureVersion: SignatureVersion = .v1,
                placement: ParameterPlacement = .body, logger: Logger? = nil, caBundle: String? = nil,
                configure: (inout ClientSettings) -> Void = { _ in }) throws -> SLBClient {
        let credentials = StaticCredentialsProvider(Credentials(accessKeyId: Self.accessKeyId, accessKeySecret: secret))
        var settings = ClientSettings(region: Self.region, endpoint: url, credentials: credentials)
        settings.signatureVersion = signatureVersion
        settings.placement = placement
        settings.caBundle = caBundle ?? self.caBundle
        settings.backoffBaseMilliseconds = 20
        settings.logger = logger
        settings.environment = [:]
        configure(&settings)
        return try SLBClient(settings: settings)
    }
}

/// A child process started with posix_spawn. Foundation's Process.waitUntilExit() can hang on Linux
/// when called off the main thread, so the harness waits with waitpid itself, within a bound.
/// Its stdout is a pipe to this process; its stdin a pipe that closes when this process ends in any
/// way (a lifeline for a child that watches it); its stderr a file or /dev/null.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private let output: Int32
    private let lifeline: Int32
    private let lock = NSLock()
    private var status: Int32?
    private static let running = Locked<Set<pid_t>>([])
    /// Whatever is still running when the test process exits is killed, so no emulator outlives it.
    private static let cleanup: Void = { atexit { for pid in ChildProcess.running.value { kill(pid, SIGKILL) } } }()

    /// glibc (2.34 on) has posix_spawn_file_actions_addclosefrom_np, but Swift's Glibc module does not
    /// declare it (it is behind _GNU_SOURCE), so it is looked up by name.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(nil /* RTLD_DEFAULT */, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// `standardError`: a file to write the child's stderr to (created 0600), or nil for /dev/null.
    init(_ executable: String, _ arguments: [String], standardError: String? = nil) throws {
        _ = Self.cleanup
        var stdout: [Int32] = [-1, -1]
        var stdin: [Int32] = [-1, -1]
        guard Glibc.pipe(&stdout) == 0 else { throw HarnessError("pipe failed") }
        guard Glibc.pipe(&stdin) == 0 else { close(stdout[0]); close(stdout[1]); throw HarnessError("pipe failed") }
        let descriptors = stdout + stdin
        // Children that other threads start meanwhile (Foundation's Process) must not inherit them.
        for fd in descriptors { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdout[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, standardError ?? "/dev/null",
                                         standardError == nil ? O_WRONLY : O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Nothing else of this process reaches the child: a long-lived emulator holding another
        // thread's pipe (an openssl run's stdout) open would keep that reader waiting for EOF forever.
        guard let closeFrom = Self.addCloseFrom, closeFrom(&actions, 3) == 0 else {
            descriptors.forEach { close($0) }
            throw HarnessError("posix_spawn_file_actions_addclosefrom_np is not available")
        }
        // The child starts with no signal blocked and the default handling of the stop signals: it
        // would otherwise inherit the mask of the spawning thread (test threads block SIGTERM), and a
        // child that cannot receive SIGTERM is neither stopped by stop() nor by its own lifeline.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&stopSignals, signal) }
        posix_spawnattr_setsigdefault(&attributes, &stopSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(stdout[1])
        close(stdin[0])
        guard result == 0 else {
            close(stdout[0]); close(stdin[1])
            throw HarnessError("cannot start \(executable): error \(result)")
        }
        self.pid = pid
        output = stdout[0]
        lifeline = stdin[1]
        Self.running.mutate { _ = $0.insert(pid) }
    }

    /// Runs a command to its end and returns its stdout; throws with its stderr when it fails or
    /// takes longer than `timeoutSeconds`.
    static func run(_ executable: String, _ arguments: [String], timeoutSeconds: Double = 120) throws -> String {
        let errors = FileManager.default.temporaryDirectory
            .appendingPathComponent("slbcert-child-\(getpid())-\(UUID().uuidString.prefix(8)).stderr").path
        defer { unlink(errors) }
        let child = try ChildProcess(executable, arguments, standardError: errors)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        let output = child.readToEnd(timeoutSeconds: timeoutSeconds)
        let status = child.wait(timeoutSeconds: max(deadline.timeIntervalSinceNow, 1))
        guard let output, status == 0 else {
            child.stop()
            let stderr = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            let outcome = status.map { "exited with \($0)" } ?? "did not finish within \(Int(timeoutSeconds)) s"
            throw HarnessError("\(([executable] + arguments).joined(separator: " ")) \(outcome): \(stderr.suffix(4000))")
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// One line of the child's stdout, or nil at EOF or when none comes in time.
    func readLine(timeoutSeconds: Double) -> String? {
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(output, &byte, 1) == 1 else { return nil }
            if byte == 0x0a { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return nil
    }

    /// Everything the child writes to stdout until it closes it, or nil when that takes too long.
    func readToEnd(timeoutSeconds: Double) -> [UInt8]? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 { if errno == EINTR { continue }; return nil }
            bytes += buffer[..<count]
        }
        return nil
    }

    /// The exit status, or nil when the child is still running after the timeout.
    func wait(timeoutSeconds: Double) -> Int32? {
        lock.lock(); defer { lock.unlock() }
        if let status { return status }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        repeat {
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid {
                // The exit code, or 128 + the signal that ended it (as a shell reports it).
                status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + raw & 0x7f
                Self.running.mutate { _ = $0.remove(pid) }
                close(output)
                close(lifeline)
                return status
            }
            usleep(20_000)
        } while Date() < deadline
        return nil
    }

    /// SIGTERM, then SIGKILL if it has not exited within 15 s.
    func stop() {
        guard wait(timeoutSeconds: 0) == nil else { return }
        kill(pid, SIGTERM)
        if wait(timeoutSeconds: 15) == nil {
            kill(pid, SIGKILL)
            _ = wait(timeoutSeconds: 5)
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Collects log lines from any thread.
final class LogCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return collected }
    var logger: Logger { Logger(level: .debug) { [self] _, line in lock.lock(); collected.append(line); lock.unlock() } }
}
