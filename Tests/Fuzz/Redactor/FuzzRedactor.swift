// The redactor, in Swift (Redactor.redact) and through the C ABI (slbcert_redact).
//
// Input: any text. Properties, besides "no crash, no sanitizer report, linear time":
// - slbcert_redact gives the bytes Redactor.redact gives (up to the first NUL, where a C string ends);
// - a secret planted in the text in one of the forms the redactor promises to handle never survives,
//   whatever comes before and after it. The first byte picks the form and the secret's name; the rest
//   of the input, cut in half, is the text before and after. The forms: a query or form parameter
//   (`&Name=secret&`), the same once and twice percent-encoded as in a V1 string-to-sign
//   (`%26Name%3Dsecret%26`, `%2526Name%253Dsecret%2526`), a header line (`Name: secret`), and a PEM
//   private-key block.
import CSLBCert
import FuzzSupport
import SLBCert

private let names = ["AccessKeySecret", "access_key_secret", "x-acs-security-token", "SecurityToken", "security_token",
                     "sts_token", "Signature", "Authorization", "PrivateKey", "private_key", "X-aliyun-ecs-metadata-token"]
/// Letters and digits only, so that no form can end the value early.
private let secret = "Zq7sEcReTmArK0f9"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRedactor(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.input(data, size)
    let text = String(decoding: input, as: UTF8.self)
    let redacted = Redactor.redact(text)
    compareWithC(input, redacted)

    guard let selector = input.first else { return 0 }
    let rest = input.dropFirst()
    let middle = rest.startIndex + rest.count / 2
    let before = String(decoding: rest[..<middle], as: UTF8.self)
    let after = String(decoding: rest[middle...], as: UTF8.self)
    guard !Fuzz.contains(before.utf8, secret.utf8), !Fuzz.contains(after.utf8, secret.utf8) else { return 0 }
    let name = names[Int(selector >> 3) % names.count]
    let planted: String
    switch selector & 7 {
    case 0: planted = "&\(name)=\(secret)&"
    case 1: planted = "%26\(name)%3D\(secret)%26"
    case 2: planted = "%2526\(name)%253D\(secret)%2526"
    case 3: planted = "\n\(name): \(secret)\n"
    case 4: planted = "\r\n\(name):\t\(secret)\r\n"
    case 5: planted = "-----BEGIN RSA PRIVATE KEY-----\n\(secret)\n-----END RSA PRIVATE KEY-----"
    case 6: planted = "-----BEGIN%20PRIVATE%20KEY-----%0A\(secret)%0A-----END%20PRIVATE%20KEY-----"
    default: planted = "?\(name)=\(secret) "
    }
    let output = Redactor.redact(before + planted + after)
    Fuzz.check(!Fuzz.contains(output.utf8, secret.utf8),
               "the secret survived: \(String(reflecting: before + planted + after)) -> \(String(reflecting: output))")
    return 0
}

private func compareWithC(_ input: [UInt8], _ swift: String) {
    var out: UnsafeMutablePointer<CChar>?
    let status = input.withUnsafeBytes { slbcert_redact(&out, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
    Fuzz.check(status == 0, "slbcert_redact failed: \(status)")
    guard let out else { Fuzz.fail("slbcert_redact returned OK and no string") }
    defer { slbcert_string_free(out) }
    let fromC = Fuzz.bytes(cString: out)
    let fromSwift = Array(swift.utf8.prefix { $0 != 0 })
    Fuzz.check(fromC == fromSwift, "slbcert_redact and Redactor.redact differ")
}
