@testable import SLBCert
import Testing

/// The signers' word-at-a-time encoder and their cached OpenSSL objects, against simple references.
@Suite("Signing fast paths")
struct SigningFastPathTests {
    /// Percent-encoding one byte at a time, as docs/protocol.md section 3 defines it.
    static func reference(_ bytes: [UInt8]) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            if PercentEncoding.isUnreserved(byte) { out.append(byte) } else { out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]] }
        }
        return out
    }

    @Test("escapeMask flags exactly the bytes to escape, in every lane")
    func escapeMask() {
        for lane in 0..<8 {
            for byte in 0..<256 {
                // The other lanes hold a byte that is kept and one that is not, in turn.
                for filler: UInt64 in [0x41, 0x2B] {
                    var word: UInt64 = 0
                    for other in 0..<8 { word |= (other == lane ? UInt64(byte) : filler) << (8 * UInt64(other)) }
                    let flagged = (PercentEncoding.escapeMask(word) >> (8 * UInt64(lane) + 7)) & 1 == 1
                    #expect(flagged == !PercentEncoding.isUnreserved(UInt8(byte)), "byte \(byte) in lane \(lane)")
                }
            }
        }
    }

    @Test("encode and encodeTwice match the reference on every length, and write nothing past the room")
    func encoders() {
        var generator = SeededGenerator(seed: 14)
        let alphabets: [[UInt8]] = [Array(0...255), Array("ABCxyz019-_.~+/= \n%".utf8), Array("ABCDEFabcdef0123456789+/\n".utf8)]
        for trial in 0..<3000 {
            let count = trial < 200 ? trial : Int(generator.next() % 400)
            let alphabet = alphabets[trial % 3]
            let input = (0..<count).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let once = Self.reference(input), twice = Self.reference(once)
            let guardByte: UInt8 = 0xEE
            var out = [UInt8](repeating: guardByte, count: 3 * count + 16)
            var outOnce = [UInt8](repeating: guardByte, count: 3 * count + 16)
            var outTwice = [UInt8](repeating: guardByte, count: 5 * count + 16)
            let written = input.withUnsafeBufferPointer { source in
                out.withUnsafeMutableBufferPointer { PercentEncoding.encode(source, into: $0.baseAddress!) }
            }
            let (writtenOnce, writtenTwice) = input.withUnsafeBufferPointer { source in
                outOnce.withUnsafeMutableBufferPointer { first in
                    outTwice.withUnsafeMutableBufferPointer { PercentEncoding.encodeTwice(source, into: first.baseAddress!, andInto: $0.baseAddress!) }
                }
            }
            #expect(Array(out[..<written]) == once)
            #expect(Array(outOnce[..<writtenOnce]) == once)
            #expect(Array(outTwice[..<writtenTwice]) == twice)
            #expect(out[(3 * count)...].allSatisfy { $0 == guardByte }, "encode wrote past its room for \(count) bytes")
            #expect(outOnce[(3 * count)...].allSatisfy { $0 == guardByte })
            #expect(outTwice[(5 * count)...].allSatisfy { $0 == guardByte }, "encodeTwice wrote past its room for \(count) bytes")
        }
    }

    @Test("HMAC and SHA-256 through cached objects match OpenSSL's one-shot calls, keys longer than a block included")
    func crypto() {
        var generator = SeededGenerator(seed: 3)
        for trial in 0..<300 {
            let key = (0..<(trial % 150)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let message = (0..<Int(generator.next() % 9000)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            for sha256 in [false, true] {
                var mac = [UInt8](repeating: 0, count: 32)
                let length = key.withUnsafeBufferPointer { k in
                    message.withUnsafeBufferPointer { m in mac.withUnsafeMutableBufferPointer { SigningCrypto.hmac(sha256: sha256, key: k, message: m, into: $0.baseAddress!) } }
                }
                let expected = key.withUnsafeBufferPointer { k in
                    message.withUnsafeBufferPointer { sha256 ? Digest.hmacSHA256(key: k, message: $0) : Digest.hmacSHA1(key: k, message: $0) }
                }
                #expect(Array(mac[..<length]) == expected)
            }
            var digest = [UInt8](repeating: 0, count: 32)
            message.withUnsafeBufferPointer { m in digest.withUnsafeMutableBufferPointer { SigningCrypto.sha256(m, into: $0.baseAddress!) } }
            #expect(digest == Digest.sha256(message))
        }
    }

    @Test("nonces are 32 lower-hex characters and do not repeat over several bulk draws")
    func nonces() throws {
        var seen = Set<String>()
        for _ in 0..<(3 * NonceSource.bufferSize / 16 + 7) {
            let nonce = try RequestSigner.drawNonce()
            #expect(nonce.utf8.count == 32 && nonce.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) })
            #expect(seen.insert(nonce).inserted)
        }
    }
}
