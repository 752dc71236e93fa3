import Foundation
@testable import SLBCert

/// The project's emulator as a real HTTPS server on loopback, for end-to-end tests. It runs with the
/// test virtualenv's Python (SLBCERT_TEST_PYTHON, set by `make test`).
final class EmulatorProcess: @unchecked Sendable {
    static let python = ProcessInfo.processInfo.environment["SLBCERT_TEST_PYTHON"]
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

    init(extraArguments: [String] = []) throws {
        guard let python = Self.python else { throw HarnessError("SLBCERT_TEST_PYTHON is not set") }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("slbcert-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificates = directory.appendingPathComponent("tls").path
        try Self.run(python, ["-m", "slbcert_emulator.devcerts", "--out", certificates])
        caBundle = certificates + "/ca.pem"

        child = try ChildProcess(python, ["-m", "slbcert_emulator", "--host", "127.0.0.1", "--port", "0",
                                          "--data-dir", directory.appendingPathComponent("data").path,
                                          "--access-key", "\(Self.accessKeyId):\(Self.accessKeySecret)",
                                          "--tls-cert", certificates + "/server.pem", "--tls-key", certificates + "/server-key.pem"] + extraArguments)
        // The first stdout line is the base URL; wait for it at most 20 s.
        let firstLine = child.readLine(timeoutSeconds: 20)
        guard let firstLine, firstLine.hasPrefix("https://") else {
            child.stop()
            throw HarnessError("the emulator did not start (got \(firstLine ?? "nothing"))")
        }
        url = firstLine
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

    // MARK: Plumbing

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let child = try ChildProcess(executable, arguments)
        guard child.wait(timeoutSeconds: 60) == 0 else { throw HarnessError("\(arguments.joined(separator: " ")) failed") }
    }
}

/// A child process started with posix_spawn. Foundation's Process.waitUntilExit() can hang on Linux
/// when called off the main thread, so the harness waits with waitpid itself, within a bound.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private let output: Int32
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

    init(_ executable: String, _ arguments: [String]) throws {
        _ = Self.cleanup
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw HarnessError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_addclose(&actions, pipe[1])
        // Nothing else of this process reaches the child: a long-lived emulator holding another
        // thread's pipe (an openssl run's stdout) open would keep that reader waiting for EOF forever.
        guard let closeFrom = Self.addCloseFrom, closeFrom(&actions, 3) == 0 else {
            close(pipe[0]); close(pipe[1])
            throw HarnessError("posix_spawn_file_actions_addclosefrom_np is not available")
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(pipe[1])
        guard result == 0 else { close(pipe[0]); throw HarnessError("cannot start \(executable): error \(result)") }
        self.pid = pid
        output = pipe[0]
        Self.running.mutate { _ = $0.insert(pid) }
    }

    /// One line of the child's stdout, or nil when none comes in time.
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

    /// The exit status, or nil when the child is still running after the timeout.
    func wait(timeoutSeconds: Double) -> Int32? {
        lock.lock(); defer { lock.unlock() }
        if let status { return status }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        repeat {
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid {
                status = (raw >> 8) & 0xff
                Self.running.mutate { _ = $0.remove(pid) }
                close(output)
                return status
            }
            usleep(20_000)
        } while Date() < deadline
        return nil
    }

    /// SIGTERM, then SIGKILL if it has not exited within 5 s.
    func stop() {
        guard wait(timeoutSeconds: 0) == nil else { return }
        kill(pid, SIGTERM)
        if wait(timeoutSeconds: 5) == nil {
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
