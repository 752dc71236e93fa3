import Foundation
import Testing
@testable import SLBCert

/// The client against the emulator over HTTPS on loopback: every operation, the fault matrix,
/// connection reuse, threads, and what reaches the logs.
@Suite(.serialized, .enabled(if: EmulatorProcess.available, "needs SLBCERT_TEST_PYTHON (make test sets it)"))
struct ClientEndToEndTests {
    static let emulator = Result { try EmulatorProcess() }

    let emulator: EmulatorProcess
    let pki: TestPKI

    init() throws {
        emulator = try Self.emulator.get()
        try emulator.reset()
        try emulator.faults("[]")
        pki = try TestPKI.get()
    }

    /// The standard test leaf with its chain, as an operator would have it (fullchain + key).
    func bundle(_ leaf: IssuedCertificate? = nil) throws -> CertificateBundle {
        let leaf = leaf ?? pki.leaf
        return CertificateBundle.parse(certificate: leaf.certificatePEM + pki.intermediate.certificatePEM, privateKey: leaf.keyPEM)
    }

    @Test("upload, describe, rename and delete", arguments: [(SignatureVersion.v1, ParameterPlacement.body), (.v3, .body), (.v1, .query), (.v3, .query)])
    func operations(version: SignatureVersion, placement: ParameterPlacement) throws {
        let client = try emulator.client(signatureVersion: version, placement: placement)
        let bundle = try bundle()
        let uploaded = try client.upload(bundle, options: UploadOptions(name: "e2e-cert", tags: [.init(key: "env", value: "test")]))
        #expect(uploaded.uploaded)
        let certificate = uploaded.certificate
        #expect(certificate.fingerprint == bundle.leaf?.fingerprint)
        #expect(certificate.commonName == TestPKI.leafCommonName)
        #expect(certificate.subjectAlternativeNames == TestPKI.leafDNSNames)
        #expect(certificate.expireTimeStamp == bundle.leaf?.notAfter)
        #expect(certificate.expireTime == bundle.leaf?.notAfterText)
        #expect(!certificate.serverCertificateId.isEmpty && !certificate.requestId.isEmpty)

        let listed = try client.describe().certificates
        #expect(listed.map(\.serverCertificateId) == [certificate.serverCertificateId])
        #expect(listed.first?.tags == [.init(key: "env", value: "test")])
        #expect(try client.describe(DescribeFilter(tags: [.init(key: "env", value: "prod")])).certificates.isEmpty)
        #expect(try client.describe(DescribeFilter(serverCertificateId: certificate.serverCertificateId)).certificates.count == 1)

        try client.rename(serverCertificateId: certificate.serverCertificateId, to: "renamed.cert-2")
        #expect(try client.describe().certificates.first?.serverCertificateName == "renamed.cert-2")

        try client.delete(serverCertificateId: certificate.serverCertificateId)
        #expect(try client.describe().certificates.isEmpty)
    }

    @Test("ensure: a second upload of the same certificate uploads nothing")
    func ensureSkipsDuplicates() throws {
        let client = try emulator.client()
        let first = try client.upload(try bundle())
        let second = try client.upload(try bundle())
        #expect(first.uploaded && !second.uploaded)
        #expect(second.certificate.serverCertificateId == first.certificate.serverCertificateId)
        #expect(second.regionCertificates.map(\.fingerprint) == [first.certificate.fingerprint])
        #expect(second.attempts == 0)
        #expect(try emulator.storedFingerprints().count == 1)
    }

    @Test("throttling, then success")
    func throttlingThenSuccess() throws {
        try emulator.faults(#"[{"action": "UploadServerCertificate", "fault": "throttle", "times": 1}]"#)
        let result = try emulator.client().upload(try bundle())
        #expect(result.uploaded && result.attempts == 2)
        #expect(try emulator.storedFingerprints().count == 1)
    }

    @Test("two 503s, then success, and one certificate stored")
    func twoUnavailableThenSuccess() throws {
        try emulator.faults(#"[{"action": "UploadServerCertificate", "fault": "unavailable", "times": 2}]"#)
        let result = try emulator.client().upload(try bundle())
        #expect(result.uploaded && result.attempts == 3)
        #expect(try emulator.storedFingerprints().count == 1)
    }

    @Test("retries give up after max attempts with the service's error")
    func retriesEnd() throws {
        try emulator.faults(#"[{"action": "DescribeServerCertificates", "fault": "busy", "times": 5}]"#)
        #expect {
            _ = try emulator.client { $0.maxAttempts = 2 }.describe()
        } throws: { error in
            let error = error as? SLBCertError
            return error?.serviceCode == "SystemBusy" && error?.httpStatus == 449
        }
    }

    @Test("x-acs-retry-after is honoured")
    func retryAfter() throws {
        try emulator.faults(#"[{"action": "DescribeServerCertificates", "fault": "throttle", "times": 1, "retry_after_ms": 700}]"#)
        let started = Date()
        _ = try emulator.client().describe()
        #expect(Date().timeIntervalSince(started) >= 0.7)
    }

    @Test("a delay beyond the timeout is a timeout error within the timeout plus one second")
    func timeout() throws {
        try emulator.faults(#"[{"action": "DescribeServerCertificates", "fault": "delay", "delay_ms": 4000, "times": 1}]"#)
        let client = try emulator.client { $0.requestTimeoutMilliseconds = 1000; $0.maxAttempts = 1 }
        let started = Date()
        #expect(throws: SLBCertError.self) { _ = try client.describe() }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 1.0 && elapsed < 2.0, "took \(elapsed) s")
        do { _ = try client.describe() } catch { Issue.record("a call after the timeout failed: \(error)") }
    }

    @Test("drop-after-commit leaves exactly one certificate")
    func dropAfterCommit() throws {
        try emulator.faults(#"[{"action": "UploadServerCertificate", "fault": "drop-after-commit", "times": 1}]"#)
        let logs = LogCollector()
        let result = try emulator.client(logger: logs.logger).upload(try bundle())
        // The answer was lost, so the call cannot tell its copy from another's: it reports it found.
        #expect(result.outcome == .found)
        #expect(result.attempts == 1, "the stored certificate was found instead of uploading again")
        let fingerprint = try bundle().leaf!.fingerprint
        #expect(try emulator.storedFingerprints() == [fingerprint])
        #expect(result.certificate.fingerprint == fingerprint)
    }

    @Test("drop-before is retried and stores one certificate")
    func dropBefore() throws {
        try emulator.faults(#"[{"action": "UploadServerCertificate", "fault": "drop-before", "times": 1}]"#)
        let result = try emulator.client().upload(try bundle())
        // libcurl itself may resend on a fresh connection, so the attempt count is 1 or 2.
        #expect(result.uploaded && (1...2).contains(result.attempts))
        #expect(try emulator.storedFingerprints().count == 1)
    }

    @Test("without ensure an ambiguous failure is not retried")
    func noEnsureDoesNotRetryAmbiguous() throws {
        try emulator.faults(#"[{"action": "UploadServerCertificate", "fault": "drop-after-commit", "times": 1}]"#)
        #expect(throws: SLBCertError.self) { _ = try emulator.client().upload(try bundle(), options: UploadOptions(ensure: false)) }
        #expect(try emulator.storedFingerprints().count == 1)
    }

    @Test("a large chain in the query gets the gateway's HTML 414 as a protocol error; the body succeeds")
    func urlTooLong() throws {
        // An emulator with a smaller URL limit than the real gateway's, so a test chain exceeds it.
        let strict = try EmulatorProcess(extraArguments: ["--max-url-bytes", "4096"])
        defer { strict.stop() }
        let big = try TestPKI.rsa4096Leaf()
        let bundle = CertificateBundle.parse(certificate: big.certificatePEM + pki.intermediate.certificatePEM + pki.root.certificatePEM,
                                             privateKey: big.keyPEM)
        var options = UploadOptions()
        options.ensure = false
        #expect {
            _ = try strict.client(placement: .query).upload(bundle, options: options)
        } throws: { error in
            let error = error as? SLBCertError
            return error?.kind == .protocol && error?.httpStatus == 414 && error?.message.contains("414") == true
                && error?.hint.contains("body") == true
        }
        #expect(try strict.client(placement: .body).upload(bundle, options: options).uploaded)
    }

    @Test("the wrong CA is a TLS error")
    func wrongCA() throws {
        let client = try emulator.client(caBundle: pki.unrelatedCA.certificatePath)
        #expect { _ = try client.describe() } throws: { ($0 as? SLBCertError)?.kind == .tls }
    }

    @Test("a wrong secret is SignatureDoesNotMatch, with a hint and without the server's string-to-sign")
    func wrongSecret() throws {
        let client = try emulator.client(secret: "not-the-secret")
        do {
            _ = try client.upload(try bundle())
            Issue.record("the upload succeeded")
        } catch let error as SLBCertError {
            #expect(error.serviceCode == "SignatureDoesNotMatch" && error.httpStatus == 400)
            #expect(!error.requestId.isEmpty && error.hint.contains("AccessKeySecret"))
            #expect(!error.message.contains("PRIVATE KEY") && !error.message.contains("string to sign"))
        }
    }

    @Test("unknown ids and bound certificates give the service's codes")
    func serviceCodes() throws {
        let client = try emulator.client()
        #expect { try client.rename(serverCertificateId: "1234_nope", to: "name") } throws: { ($0 as? SLBCertError)?.serviceCode == "ServerCertificateId.NotFound" }
        #expect { try client.delete(serverCertificateId: "1234_nope") } throws: { ($0 as? SLBCertError)?.serviceCode == "ServerCertificateId.NotFound" }
        let stored = try client.upload(try bundle()).certificate
        try emulator.admin("POST", "bind", #"{"ServerCertificateId": "\#(stored.serverCertificateId)"}"#)
        #expect { try client.delete(serverCertificateId: stored.serverCertificateId) } throws: {
            ($0 as? SLBCertError)?.serviceCode == "CertificateAndPrivateKeyIsRefered"
        }
    }

    @Test("a bundle with an error finding is refused before anything is sent")
    func validationStopsUpload() throws {
        let mismatched = CertificateBundle.parse(certificate: pki.leaf.certificatePEM + pki.intermediate.certificatePEM, privateKey: pki.strayKeyPEM)
        let before = try emulator.stats()
        #expect { _ = try emulator.client().upload(mismatched) } throws: {
            ($0 as? SLBCertError)?.kind == .validation && ($0 as? SLBCertError)?.findings.first?.code == .keyMismatch
        }
        #expect(try emulator.stats()["requests"] == before["requests"])
    }

    @Test("one client reuses its connection across calls")
    func connectionReuse() throws {
        let client = try emulator.client()
        _ = try emulator.stats()  // the admin transport's own connection exists before we count
        let before = try emulator.connectionsAccepted
        for _ in 0..<10 { _ = try client.describe() }
        #expect(try emulator.connectionsAccepted - before == 1)
    }

    @Test("8 threads share one client")
    func threads() throws {
        let client = try emulator.client()
        let leaves = try (0..<8).map { try pki.issueLeaf(name: "thread-\($0)-\(UUID().uuidString.prefix(6))", keyAlgorithm: .rsa(2048)) }
        let bundles = try leaves.map { try bundle($0) }
        let failures = Locked<[String]>([])
        let before = try emulator.connectionsAccepted
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            do {
                for _ in 0..<3 { _ = try client.upload(bundles[index]) }  // ensure: one upload each
                for _ in 0..<5 { _ = try client.describe() }
            } catch {
                failures.mutate { $0.append("\(index): \(error)") }
            }
        }
        #expect(failures.value.isEmpty, "\(failures.value)")
        #expect(Set(try emulator.storedFingerprints()) == Set(bundles.map { $0.leaf!.fingerprint }))
        #expect(try emulator.storedFingerprints().count == 8)
        #expect(try emulator.connectionsAccepted - before <= 8)
    }

    @Test("a CAS reference uploads when the emulator knows it")
    func casReference() throws {
        try emulator.admin("POST", "cas", #"{"AliCloudCertificateId": "cas-123", "AliCloudCertificateName": "cas-cert", "RegionId": "cn-hangzhou", "ServerCertificate": \#(JSON.string(pki.leaf.certificatePEM).serialized())}"#)
        let result = try emulator.client().uploadCAS(certificateId: "cas-123", certificateName: "cas-cert")
        #expect(result.certificate.isAliCloudCertificate && result.certificate.aliCloudCertificateId == "cas-123")
    }

    @Test("no secret reaches a log line", arguments: [SignatureVersion.v1, .v3])
    func logsHoldNoSecret(version: SignatureVersion) throws {
        let logs = LogCollector()
        try emulator.faults(#"[{"action": "UploadServerCertificate", "fault": "unavailable", "times": 1}]"#)
        let client = try emulator.client(signatureVersion: version, placement: .query, logger: logs.logger)
        _ = try client.upload(try bundle())
        _ = try? emulator.client(secret: "wrong-secret", logger: logs.logger).describe()
        #expect(logs.lines.count >= 4)
        let keyBody = pki.leaf.keyPEM.split(separator: "\n")[1]
        for line in logs.lines {
            #expect(!line.contains(EmulatorProcess.accessKeySecret) && !line.contains("wrong-secret"))
            #expect(!line.contains("PRIVATE KEY") && !line.contains(keyBody) && !line.contains("Signature="))
        }
        #expect(logs.lines.contains { $0.contains("action=UploadServerCertificate") && $0.contains("status=503") && $0.contains("attempt=1") })
    }
}

/// A value guarded by a lock, for collecting results from threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return stored }
    func mutate(_ body: (inout Value) -> Void) { lock.lock(); body(&stored); lock.unlock() }
}
