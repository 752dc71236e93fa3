import Foundation
import Testing
@testable import SLBCert

/// The README's Swift snippet is this test's code, run unchanged against the emulator: only the
/// environment (SLBCERT_ENDPOINT, SLBCERT_CA_BUNDLE, the AccessKey) points it there.
@Suite(.serialized, .enabled(if: EmulatorProcess.available, "needs SLBCERT_TEST_PYTHON (make test sets it)"))
struct ReadmeSnippetTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The lines of the README's first swift block, without the import.
    static func readmeSnippet() throws -> [String] {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "\n## Swift\n"))
        let open = try #require(readme.range(of: "```swift\n", range: start.upperBound..<readme.endIndex))
        let close = try #require(readme.range(of: "```", range: open.upperBound..<readme.endIndex))
        return readme[open.upperBound..<close.lowerBound].split(separator: "\n").map(String.init)
            .filter { !$0.isEmpty && !$0.hasPrefix("import ") }
    }

    /// The lines between the markers below, without their indentation.
    static func mirroredSnippet() throws -> [String] {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let begin = try #require(source.range(of: "// README snippet begins\n"))
        let end = try #require(source.range(of: "// README snippet ends", range: begin.upperBound..<source.endIndex))
        return source[begin.upperBound..<end.lowerBound].split(separator: "\n")
            .map { $0.drop { $0 == " " } }.map(String.init).filter { !$0.isEmpty }
    }

    @Test("the README's Swift snippet is this code, and it uploads to the emulator unchanged")
    func swiftSnippet() throws {
        #expect(try Self.readmeSnippet() == Self.mirroredSnippet())
        let emulator = try EmulatorProcess()
        defer { emulator.stop() }
        let pki = try TestPKI.get()
        let variables = ["SLBCERT_ENDPOINT": emulator.url, "SLBCERT_CA_BUNDLE": emulator.caBundle,
                         "ALIBABA_CLOUD_ACCESS_KEY_ID": EmulatorProcess.accessKeyId,
                         "ALIBABA_CLOUD_ACCESS_KEY_SECRET": EmulatorProcess.accessKeySecret]
        let saved = variables.keys.map { ($0, getenv($0).map { String(cString: $0) }) }
        for (name, value) in variables { setenv(name, value, 1) }
        defer { for (name, value) in saved { if let value { setenv(name, value, 1) } else { unsetenv(name) } } }
        let chainPEM = pki.leaf.certificatePEM + pki.intermediate.certificatePEM, keyPEM = pki.leaf.keyPEM

        // README snippet begins
        let bundle = CertificateBundle.parse(certificate: chainPEM, privateKey: keyPEM)
        let client = try SLBClient(settings: ClientSettings(region: "cn-hangzhou"))    // credentials: the default chain
        let result = try client.upload(bundle, options: UploadOptions(name: "www-2026"))
        print(result.outcome, result.certificate.serverCertificateId)
        // README snippet ends

        #expect(result.outcome == .uploaded && client.baseURL == emulator.url)
        #expect(try emulator.storedFingerprints() == [bundle.leaf!.fingerprint])
    }
}
