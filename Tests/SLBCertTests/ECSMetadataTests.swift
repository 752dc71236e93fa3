import Foundation
import Testing
@testable import SLBCert

/// Runs Tests/interop/fake_imds.py on 127.0.0.1 for one test; stopped when the test ends.
final class FakeIMDS {
    let process = Process()
    let stdin = Pipe()
    let endpoint: String
    private let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("slbcert-imds-\(UUID().uuidString).out")

    static let python: String? = Interop.python ?? (FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : nil)

    init(_ arguments: [String] = []) throws {
        _ = FileManager.default.createFile(atPath: scratch.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: try #require(Self.python))
        process.arguments = [Interop.directory.appendingPathComponent("fake_imds.py").path] + arguments
        process.standardInput = stdin
        process.standardOutput = try FileHandle(forWritingTo: scratch)
        try process.run()
        var port: String?
        let deadline = Date().addingTimeInterval(10)
        while port == nil && Date() < deadline && process.isRunning {
            let text = String(decoding: (try? Data(contentsOf: scratch)) ?? Data(), as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PORT ") }) { port = String(line.dropFirst(5)) }
            else { Thread.sleep(forTimeInterval: 0.02) }
        }
        endpoint = "http://127.0.0.1:\(try #require(port, "fake_imds.py did not start"))"
    }

    deinit {
        try? stdin.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: scratch)
    }

    func stats() throws -> [String: Int] {
        let response = try CurlTransport().send(HTTPRequest(method: "GET", url: endpoint + "/_stats", timeoutMilliseconds: 2000))
        return try JSONDecoder().decode([String: Int].self, from: Data(response.body))
    }
}

/// A clock a test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value = UTCTime.nowMilliseconds()
    var now: Int64 { lock.withLock { value } }
    func advance(seconds: Int64) { lock.withLock { value += seconds * 1000 } }
}

@Suite(.enabled(if: FakeIMDS.python != nil, "needs python3 for the loopback metadata service"), .serialized)
struct ECSMetadataTests {
    func provider(_ imds: FakeIMDS, role: String? = nil, disableV1: Bool = false, clock: ManualClock = ManualClock()) -> ECSRoleCredentialsProvider {
        ECSRoleCredentialsProvider(roleName: role, options: ECSMetadataOptions(transport: CurlTransport(), endpoint: imds.endpoint,
                                                                               disableIMDSv1: disableV1),
                                   transport: CurlTransport(), clock: { clock.now })
    }

    @Test func v2TokenRoleDiscoveryAndCaching() throws {
        let imds = try FakeIMDS(["--require-v2"])
        let provider = provider(imds)
        let first = try provider.credentials()
        #expect(first.accessKeyId == "STS.fake1")
        #expect(first.securityToken != nil && first.expiration != nil)
        #expect(provider.sourceName == "ecs_ram_role:SLBCertRole")
        let second = try provider.credentials()
        #expect(second.accessKeyId == "STS.fake1")  // cached: 6 h left
        let stats = try imds.stats()
        #expect(stats["token"] == 1 && stats["role"] == 1 && stats["credentials"] == 1 && stats["without_token"] == 0)
    }

    @Test func refreshesBeforeExpiration() throws {
        let imds = try FakeIMDS(["--expires-in", "3600"])
        let clock = ManualClock()
        let provider = provider(imds, role: "SLBCertRole", clock: clock)
        #expect(try provider.credentials().accessKeyId == "STS.fake1")
        clock.advance(seconds: 40 * 60)  // 20 min left: still outside the 15 min margin
        #expect(try provider.credentials().accessKeyId == "STS.fake1")
        clock.advance(seconds: 6 * 60)   // 14 min left: refresh
        #expect(try provider.credentials().accessKeyId == "STS.fake2")
        #expect(try imds.stats()["role"] == 0)  // the role was given, not discovered
    }

    @Test func shortLivedCredentialsAreFetchedEveryTime() throws {
        let imds = try FakeIMDS(["--expires-in", "300"])
        let provider = provider(imds)
        _ = try provider.credentials()
        #expect(try provider.credentials().accessKeyId == "STS.fake2")
    }

    @Test func fallsBackToV1UnlessDisabled() throws {
        let imds = try FakeIMDS(["--no-v2"])
        #expect(try provider(imds).credentials().accessKeyId == "STS.fake1")
        #expect(try imds.stats()["without_token"] == 2)  // role listing and credentials
        let error = #expect(throws: SLBCertError.self) { try provider(imds, disableV1: true).credentials() }
        #expect(error?.message.contains("IMDSv1 is disabled") == true)
    }

    @Test func unknownRoleAndUnreachableServiceAreCredentialErrors() throws {
        let imds = try FakeIMDS()
        let unknown = #expect(throws: SLBCertError.self) { try provider(imds, role: "Other").credentials() }
        #expect(unknown?.kind == .credentials && unknown?.httpStatus == 404)
        let closed = ECSRoleCredentialsProvider(roleName: "R", options: ECSMetadataOptions(transport: CurlTransport(), endpoint: "http://127.0.0.1:9",
                                                                                          timeoutMilliseconds: 1000),
                                                transport: CurlTransport())
        let unreachable = #expect(throws: SLBCertError.self) { try closed.credentials() }
        #expect(unreachable?.message.contains("cannot reach the metadata service") == true)
    }

    @Test func chainUsesTheInstanceRoleLastAndReportsIt() throws {
        let imds = try FakeIMDS()
        let home = try ScratchHome()
        let resolved = try DefaultCredentialsChain(environment: home.environment(["ALIBABA_CLOUD_ECS_METADATA": "SLBCertRole"]),
                                                   metadataTransport: CurlTransport(), metadataEndpoint: imds.endpoint).resolve()
        #expect(resolved.sourceName == "ecs_ram_role:SLBCertRole")
        #expect(try resolved.provider.credentials().accessKeyId == "STS.fake1")
    }

    @Test func parallelCallersShareOneFetch() async throws {
        let imds = try FakeIMDS()
        let provider = provider(imds)
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try provider.credentials().accessKeyId } }
            for try await id in group { #expect(id == "STS.fake1") }
        }
        #expect(try imds.stats()["credentials"] == 1)
    }

    @Test func malformedAnswersAreRejectedWithoutSecrets() {
        for body in ["not json", "{\"Code\":\"Failed\"}", "{\"Code\":\"Success\",\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"topsecret\",\"SecurityToken\":\"t\"}"] {
            let error = #expect(throws: SLBCertError.self) { try ECSRoleCredentialsProvider.parseCredentials(Array(body.utf8), roleName: "R") }
            #expect(error?.kind == .credentials)
            #expect(error?.message.contains("topsecret") == false)
        }
    }
}
