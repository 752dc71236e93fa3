import Foundation
import Testing
@testable import SLBCert

/// Secrets live on pages of their own that core dumps leave out.
@Suite struct SecretMemoryTests {
    /// The VmFlags of the mapping that holds `address`, from /proc/self/smaps.
    static func flags(of address: UInt) throws -> [String] {
        // /proc files report size 0, so read until EOF rather than by the reported size.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        var inside = false
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if let range = fields.first, range.contains("-"), !line.hasPrefix("VmFlags") {
                let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
                inside = bounds.count == 2 && bounds[0] <= address && address < bounds[1]
            } else if inside, line.hasPrefix("VmFlags:") {
                return fields.dropFirst().map(String.init)
            }
        }
        throw HarnessError("no mapping holds \(String(address, radix: 16))")
    }

    @Test("key material is excluded from core dumps (MADV_DONTDUMP)")
    func secretsAreNotDumped() throws {
        let secret = SecretBytes("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n")
        let address = secret.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(try Self.flags(of: address).contains("dd"))
        // An ordinary allocation is dumped, so the flag above is the secret's own, not the heap's.
        let plain = [UInt8](repeating: 1, count: 64)
        let plainAddress = plain.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(try !Self.flags(of: plainAddress).contains("dd"))
    }

    @Test("a parsed bundle's normalised key is excluded too")
    func bundleKeyIsNotDumped() throws {
        let pki = try TestPKI.get()
        let bundle = CertificateBundle.parse(certificate: pki.leaf.certificatePEM, privateKey: pki.leaf.keyPEM)
        let key = try #require(bundle.normalizedPrivateKeyPEM)
        let address = key.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(try Self.flags(of: address).contains("dd"))
    }
}
