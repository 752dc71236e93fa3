import Foundation
import Testing
@testable import SLBCert

/// The duplicate-safe upload under the faults that break naive "describe, then upload" logic: an
/// answer that arrives after the client gave up, concurrent callers, a lost answer on the last attempt.
@Suite(.serialized, .enabled(if: EmulatorProcess.available, "needs SLBCERT_TEST_PYTHON (make test sets it)"))
struct DuplicateSafetyTests {
    static let emulator = Result { try EmulatorProcess() }

    let emulator: EmulatorProcess
    let pki: TestPKI

    init() throws {
        emulator = try Self.emulator.get()
        try emulator.reset()
        try emulator.faults("[]")
        pki = try TestPKI.get()
    }

    /// A pair the region has never seen, so every test starts from "nothing stored".
    func freshBundle() throws -> CertificateBundle {
        let leaf = try pki.issueLeaf(name: "dup-\(UUID().uuidString.prefix(8))", keyAlgorithm: .rsa(2048))
        return CertificateBundle.parse(certificate: leaf.certificatePEM + pki.intermediate.certificatePEM, privateKey: leaf.keyPEM)
    }

    /// The stored copies of one fingerprint, once the emulator has finished every request in flight.
    func copies(of bundle: CertificateBundle, afterWaiting seconds: Double = 0) throws -> Int {
        if seconds > 0 { Thread.sleep(forTimeInterval: seconds) }
        return try emulator.storedFingerprints().filter { $0 == bundle.leaf!.fingerprint }.count
    }

    @Test("an upload that outlives the client's timeout is found, not sent again")
    func slowServerAfterTimeout() throws {
        // The server works 3 s on the first upload; the client gives up on it after 1 s.
        try emulator.faults(#"[{"action": "UploadServerCertificate", "fault": "delay", "delay_ms": 3000, "times": 1}]"#)
        let bundle = try freshBundle()
        let client = try emulator.client { $0.uploadTimeoutMilliseconds = 1000 }
        let result = try client.upload(bundle)
        #expect(result.certificate.fingerprint == bundle.leaf!.fingerprint)
        #expect(result.outcome == .found, "the first attempt's certificate is the one returned")
        #expect(try copies(of: bundle, afterWaiting: 3.5) == 1)
        let again = try client.upload(bundle)
        #expect(again.outcome == .found && again.attempts == 0)
        #expect(try copies(of: bundle) == 1)
    }

    @Test("8 threads sharing one client upload one copy")
    func threadsShareOneUpload() throws {
        try emulator.faults(#"[{"action": "UploadServerCertificate", "fault": "delay", "delay_ms": 400, "times": 8}]"#)
        let bundle = try freshBundle()
        let client = try emulator.client()
        let results = Locked<[Result<UploadResult, SLBCertError>]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let result = Result { () throws(SLBCertError) in try client.upload(bundle) }
            results.mutate { $0.append(result) }
        }
        let ids = Set(results.value.compactMap { try? $0.get().certificate.serverCertificateId })
        #expect(results.value.allSatisfy { (try? $0.get()) != nil }, "\(results.value)")
        #expect(ids.count == 1)
        #expect(results.value.filter { (try? $0.get().outcome) == .uploaded }.count == 1)
        #expect(try copies(of: bundle, afterWaiting: 0.5) == 1)
    }

    @Test("independent clients (as separate processes are) converge on one copy")
    func independentClientsConverge() throws {
        // Each client talks to the same emulator under another name, so nothing in this process
        // serialises them: only the service's own state can bring them to agree.
        try emulator.faults(#"[{"action": "UploadServerCertificate", "fault": "delay", "delay_ms": 400, "times": 4}]"#)
        let bundle = try freshBundle()
        let port = emulator.url.split(separator: ":").last!
        let names = ["127.0.0.1", "localhost", "127.0.0.1", "localhost"]
        let clients = try names.enumerated().map { index, host in
            try emulator.client { settings in
                settings.endpoint = "https://\(host):\(port)"
                settings.serializationScope = "client-\(index)"
            }
        }
        let results = Locked<[Int: Result<UploadResult, SLBCertError>]>([:])
        DispatchQueue.concurrentPerform(iterations: clients.count) { index in
            let result = Result { () throws(SLBCertError) in try clients[index].upload(bundle) }
            results.mutate { $0[index] = result }
        }
        let outcomes = try results.value.values.map { try $0.get() }
        #expect(Set(outcomes.map(\.certificate.serverCertificateId)).count == 1, "every caller returns the survivor")
        let removed = outcomes.flatMap(\.removed)
        #expect(!removed.contains(outcomes[0].certificate.serverCertificateId))
        #expect(try copies(of: bundle, afterWaiting: 0.5) == 1)
    }

    @Test("drop-after-commit on the only attempt: the stored certificate is found before failing")
    func lastAttemptLostAnswer() throws {
        try emulator.faults(#"[{"action": "UploadServerCertificate", "fault": "drop-after-commit", "times": 1}]"#)
        let bundle = try freshBundle()
        let result = try emulator.client { $0.maxAttempts = 1 }.upload(bundle)
        #expect(result.outcome == .found && result.attempts == 1)
        #expect(try copies(of: bundle) == 1)
    }

    @Test("when the deadline ends while an upload may still be stored, the call says so and sends no second copy")
    func unconfirmedWhenTheDeadlineEnds() throws {
        try emulator.faults(#"[{"action": "UploadServerCertificate", "fault": "delay", "delay_ms": 4000, "times": 1}]"#)
        let bundle = try freshBundle()
        let client = try emulator.client {
            $0.uploadTimeoutMilliseconds = 1000
            $0.deadlineMilliseconds = 2500
        }
        let started = Date()
        #expect { _ = try client.upload(bundle) } throws: { ($0 as? SLBCertError)?.kind == .unconfirmed }
        #expect(Date().timeIntervalSince(started) < 3.5, "one deadline covers the describes made while waiting")
        #expect(try copies(of: bundle, afterWaiting: 2.5) == 1, "the first attempt landed; nothing else was sent")
        let rerun = try emulator.client().upload(bundle)
        #expect(rerun.outcome == .found && rerun.attempts == 0)
    }

    @Test("an upload that failed for certain is retried once the settle window has passed")
    func retryAfterSettle() throws {
        // drop-before: the connection closes before the server processes anything.
        try emulator.faults(#"[{"action": "UploadServerCertificate", "fault": "drop-before", "times": 2}]"#)
        let bundle = try freshBundle()
        let result = try emulator.client { $0.uploadSettleMilliseconds = 600 }.upload(bundle)
        #expect(result.outcome == .uploaded)
        #expect(try copies(of: bundle) == 1)
    }
}
