import Foundation
@testable import SLBCert
import Testing

/// Behaviour of the byte-level fast paths (hex, header lines, percent-encoding) against simple references.
@Suite("Support fast paths")
struct SupportFastPathTests {
    @Test("Hex.encode matches a String(format:) reference, with and without a separator")
    func hex() {
        let bytes = (0...255).map { UInt8($0) }
        let reference = bytes.map { String(format: "%02x", $0) }
        #expect(Hex.encode(bytes) == reference.joined())
        #expect(Hex.encode(bytes, separator: ":") == reference.joined(separator: ":"))
        #expect(Hex.encode(bytes, separator: ", ") == reference.joined(separator: ", "))
        #expect(Hex.encode([UInt8]()) == "")
        #expect(Hex.encode([UInt8]([0xAB]), separator: ":") == "ab")
        #expect(Hex.encode(bytes[250...]) == "fafbfcfdfeff")
    }

    @Test("Header lines: names lower-cased, values trimmed of spaces, tabs, CR and LF")
    func headerLines() {
        let sink = ResponseSink(limit: 1 << 20)
        func feed(_ line: String) {
            var bytes = Array(line.utf8).map { CChar(bitPattern: $0) }
            let length = bytes.count
            let taken = bytes.withUnsafeMutableBufferPointer {
                ResponseSink.headerCallback($0.baseAddress, 1, length, Unmanaged.passUnretained(sink).toOpaque())
            }
            #expect(taken == length)
        }
        feed("HTTP/1.1 100 Continue\r\n")
        feed("X-Early: dropped\r\n")
        feed("HTTP/1.1 200 OK\r\n")
        feed("Content-Type: application/json;charset=utf-8\r\n")
        feed("X-Acs-Request-Id:\t 4C2F-é \t\r\n")
        feed("X-Empty:   \r\n")
        feed("X-Colon: a: b\r\n")
        feed("\r\n")
        #expect(sink.headers == [
            HTTPHeader("content-type", "application/json;charset=utf-8"),
            HTTPHeader("x-acs-request-id", "4C2F-é"),
            HTTPHeader("x-empty", ""),
            HTTPHeader("x-colon", "a: b"),
        ])
    }

    @Test("Percent-encoding of pairs matches a byte-by-byte reference, over non-contiguous input too")
    func pairs() {
        func reference(_ text: String) -> String {
            text.utf8.map { PercentEncoding.isUnreserved($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }
                .joined()
        }
        let values = ["", "a b+c/d=e&f~g", "-----BEGIN CERTIFICATE-----\nMIIB+/x=\n", "é😀\u{0}\u{7f}", String(repeating: "x", count: 5000)]
        let pairs = values.enumerated().map { ("k\($0.offset) é", $0.element) }
        #expect(PercentEncoding.encodePairs(pairs) == pairs.map { reference($0.0) + "=" + reference($0.1) }.joined(separator: "&"))
        var output: [UInt8] = [1, 2]
        PercentEncoding.append(bytes: "a b".utf8.reversed(), to: &output)  // not contiguous
        #expect(output == [1, 2] + Array("b%20a".utf8))
    }

    @Test("Duplicate parameter names are found by bytes, for a few parameters and for many")
    func duplicates() {
        let credentials = Credentials(accessKeyId: "id", accessKeySecret: "secret")
        func error(_ names: [String]) -> String? {
            let request = RPCRequest(action: "A", apiVersion: "v", host: "h", parameters: names.map { ($0, "x") })
            do {
                _ = try RequestSigner.sign(request, credentials: credentials)
                return nil
            } catch {
                return error.description
            }
        }
        for padding in [0, 30] {  // 30 extra names take the Set path
            let extra = (0..<padding).map { "P\($0)" }
            #expect(error(extra + ["a", "b", "c"]) == nil)
            // "é" precomposed and decomposed are equal Strings but different bytes: not a duplicate.
            #expect(error(extra + ["\u{E9}", "e\u{301}"]) == nil)
            #expect(error(extra + ["a", "b", "b", "a"])?.contains("the parameter b is given twice") == true)
            #expect(error(extra + ["\u{E9}", "x", "\u{E9}"])?.contains("given twice") == true)
        }
    }
}
