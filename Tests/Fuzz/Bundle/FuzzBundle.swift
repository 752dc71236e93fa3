// The bundle parser through the C ABI, as a C caller uses it: slbcert_bundle_parse, then every
// slbcert_bundle_* and slbcert_certificate_* getter, in range and one past it.
//
// Input: one flags byte, then the chain, the key and the passphrase separated by "@@slbcert@@" (no
// separator: chain only; one: chain and key; two: all three).
// Flags: bit 0 allow_non_rsa; bits 1-2 expiry_warning_days (0, 30, 365, 36500: the range's ends); bits 3-4 now_ms
// (system clock, 1 ms, 2030-03-17, INT64_MAX).
//
// Properties, besides "no crash, no sanitizer report":
// - every getter answers for every index below its count and refuses the index at the count;
// - has_errors agrees with the findings' severities; codes are known names, messages are not empty;
// - fingerprints have the service's form; the normalised chain is nothing but 64-column certificate blocks;
// - a bundle without errors parses again from its own normalised PEMs to the same chain, the same key
//   facts and the same normalised text, without a reordering, duplicate or ignored-block finding.
import CSLBCert
import FuzzSupport
import SLBCert

private let separator = Array("@@slbcert@@".utf8)
/// Every reason code the library defines (a new one needs no change here).
private let knownCodes = Set(Finding.Code.allCases.map(\.rawValue))
/// Codes that depend on the clock: they may change between two parses that use the system clock.
private let clockCodes: Set<String> = ["LEAF_EXPIRED", "LEAF_NOT_YET_VALID", "LEAF_EXPIRES_SOON", "CHAIN_CERTIFICATE_EXPIRED"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundle(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.input(data, size)
    guard let flags = input.first else { return 0 }
    let parts = Fuzz.split(input.dropFirst(), separator: separator, limit: 3)
    var options = slbcert_check_options()
    Fuzz.check(slbcert_check_options_init(&options, UInt32(SLBCERT_CHECK_OPTIONS_VERSION)) == 0, "check options init failed")
    options.allow_non_rsa = Int32(flags & 1)
    options.expiry_warning_days = [0, 30, 365, 36_500][Int(flags >> 1) & 3]
    options.now_ms = [0, 1, 1_900_000_000_000, Int64.max][Int(flags >> 3) & 3]

    let chain = Array(parts[0])
    let key = parts.count > 1 ? Array(parts[1]) : nil
    let passphrase = parts.count > 2 ? Array(parts[2]) : nil
    guard let bundle = parse(chain, key, passphrase, &options) else { return 0 }
    defer { slbcert_bundle_free(bundle) }
    let facts = readBack(bundle)

    guard !facts.hasErrors, let certificatePEM = facts.normalizedCertificate else { return 0 }
    let keyPEM = facts.normalizedKey
    guard let again = parse(certificatePEM, keyPEM, nil, &options) else {
        Fuzz.fail("the normalised PEM of a bundle without errors is refused by slbcert_bundle_parse")
    }
    defer { slbcert_bundle_free(again) }
    let second = readBack(again)
    Fuzz.check(!second.hasErrors, "the normalised PEMs of a bundle without errors have errors: \(second.codes)")
    Fuzz.check(second.fingerprints == facts.fingerprints, "normalising changed the chain: \(facts.fingerprints) -> \(second.fingerprints)")
    Fuzz.check(second.keyAlgorithm == facts.keyAlgorithm && second.keyBits == facts.keyBits, "normalising changed the key")
    Fuzz.check(second.normalizedCertificate == facts.normalizedCertificate, "normalising the chain twice gives another text")
    Fuzz.check(second.normalizedKey == facts.normalizedKey, "normalising the key twice gives another text")
    for code in ["CHAIN_REORDERED", "DUPLICATE_CERTIFICATE", "EXTRA_BLOCK_IGNORED"] {
        Fuzz.check(!second.codes.contains(code), "the normalised PEM still gives \(code)")
    }
    let stable = { (codes: [String]) in Set(codes).subtracting(options.now_ms == 0 ? clockCodes : []) }
    Fuzz.check(stable(second.codes).isSubset(of: stable(facts.codes)), "normalising added findings: \(facts.codes) -> \(second.codes)")
    return 0
}

/// slbcert_bundle_parse on byte buffers of exactly their length; nil when it refuses the arguments.
private func parse(_ chain: [UInt8], _ key: [UInt8]?, _ passphrase: [UInt8]?, _ options: inout slbcert_check_options) -> OpaquePointer? {
    var bundle: OpaquePointer?
    let status = chain.withUnsafeBytes { chainBytes in
        withOptionalBytes(key) { keyPointer, keyLength in
            withOptionalBytes(passphrase) { passphrasePointer, passphraseLength in
                slbcert_bundle_parse(&bundle, chainBytes.baseAddress?.assumingMemoryBound(to: CChar.self), chainBytes.count,
                                     keyPointer, keyLength, passphrasePointer, passphraseLength, &options)
            }
        }
    }
    // Refusals are for the arguments, which this harness gets right except for the lengths it does not check.
    if status != 0 {
        Fuzz.check(bundle == nil, "a refused parse left a handle")
        let allowed = (passphrase?.count ?? 0) > 4096
        Fuzz.check(allowed, "slbcert_bundle_parse refused valid arguments: \(status) \(String(cString: slbcert_last_error_message()))")
        return nil
    }
    Fuzz.check(bundle != nil, "slbcert_bundle_parse returned OK without a handle")
    return bundle
}

/// NULL and 0 for nil (no key, no passphrase), else the buffer; a given but empty buffer gets a real
/// pointer, which the library must refuse.
private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafePointer<CChar>?, Int) -> R) -> R {
    guard let bytes else { return body(nil, 0) }
    if bytes.isEmpty { return withUnsafePointer(to: CChar(0)) { body($0, 0) } }
    return bytes.withUnsafeBytes { body($0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
}

private struct Facts {
    var hasErrors = false
    var codes: [String] = []
    var fingerprints: [String] = []
    var keyAlgorithm: String?
    var keyBits: Int32 = 0
    var normalizedCertificate: [UInt8]?
    var normalizedKey: [UInt8]?
}

private func text(_ pointer: UnsafePointer<CChar>?, _ what: String) -> String {
    guard let pointer else { Fuzz.fail("\(what) is NULL") }
    return String(cString: pointer)
}

private func bytes(_ pointer: UnsafePointer<CChar>?) -> [UInt8]? {
    pointer.map { Fuzz.bytes(cString: $0) }
}

/// Reads every getter, checks what can be checked, and returns what the second parse is compared on.
private func readBack(_ bundle: OpaquePointer) -> Facts {
    var facts = Facts()
    let findingCount = slbcert_bundle_finding_count(bundle)
    var anyError = false
    for index in 0..<findingCount {
        var severity: Int32 = -1
        var code: UnsafePointer<CChar>?
        var message: UnsafePointer<CChar>?
        Fuzz.check(slbcert_bundle_finding(bundle, index, &severity, &code, &message) == 0, "finding \(index) of \(findingCount) unreadable")
        let codeText = text(code, "finding code")
        Fuzz.check(knownCodes.contains(codeText), "unknown finding code \(codeText)")
        Fuzz.check(!text(message, "finding message").isEmpty, "empty message for \(codeText)")
        Fuzz.check(severity == Int32(SLBCERT_SEVERITY_ERROR.rawValue) || severity == Int32(SLBCERT_SEVERITY_WARNING.rawValue),
                   "severity \(severity) for \(codeText)")
        anyError = anyError || severity == Int32(SLBCERT_SEVERITY_ERROR.rawValue)
        facts.codes.append(codeText)
    }
    Fuzz.check(slbcert_bundle_finding(bundle, findingCount, nil, nil, nil) == Int32(SLBCERT_ERANGE.rawValue), "finding at the count")
    facts.hasErrors = slbcert_bundle_has_errors(bundle) == 1
    Fuzz.check(facts.hasErrors == anyError, "has_errors disagrees with the findings")

    let chainLength = slbcert_bundle_chain_length(bundle)
    for index in 0..<chainLength {
        guard let certificate = slbcert_bundle_certificate(bundle, index) else { Fuzz.fail("certificate \(index) of \(chainLength) is NULL") }
        let fingerprint = text(slbcert_certificate_fingerprint(certificate), "fingerprint")
        Fuzz.check(isFingerprint(fingerprint, bytes: 20), "fingerprint \(fingerprint)")
        Fuzz.check(isFingerprint(text(slbcert_certificate_fingerprint_sha256(certificate), "sha256"), bytes: 32), "sha256 fingerprint")
        facts.fingerprints.append(fingerprint)
        for getter in [slbcert_certificate_common_name, slbcert_certificate_subject, slbcert_certificate_issuer,
                       slbcert_certificate_serial, slbcert_certificate_not_before, slbcert_certificate_not_after,
                       slbcert_certificate_key_algorithm] {
            _ = text(getter(certificate), "a certificate text")
        }
        Fuzz.check(text(slbcert_certificate_not_before(certificate), "notBefore").utf8.count == 20, "notBefore text")
        Fuzz.check(text(slbcert_certificate_not_after(certificate), "notAfter").utf8.count == 20, "notAfter text")
        _ = slbcert_certificate_not_before_ms(certificate)
        _ = slbcert_certificate_not_after_ms(certificate)
        _ = slbcert_certificate_key_bits(certificate)
        Fuzz.check([0, 1].contains(slbcert_certificate_is_ca(certificate)), "is_ca")
        Fuzz.check([0, 1].contains(slbcert_certificate_is_self_signed(certificate)), "is_self_signed")
        let dnsCount = slbcert_certificate_dns_name_count(certificate)
        for name in 0..<dnsCount { _ = text(slbcert_certificate_dns_name(certificate, name), "DNS name") }
        Fuzz.check(slbcert_certificate_dns_name(certificate, dnsCount) == nil, "DNS name at the count")
        let ipCount = slbcert_certificate_ip_address_count(certificate)
        for address in 0..<ipCount { _ = text(slbcert_certificate_ip_address(certificate, address), "IP address") }
        Fuzz.check(slbcert_certificate_ip_address(certificate, ipCount) == nil, "IP address at the count")
    }
    Fuzz.check(slbcert_bundle_certificate(bundle, chainLength) == nil, "certificate at the chain length")

    let hasKey = slbcert_bundle_has_key(bundle) == 1
    facts.keyAlgorithm = slbcert_bundle_key_algorithm(bundle).map { String(cString: $0) }
    facts.keyBits = slbcert_bundle_key_bits(bundle)
    Fuzz.check(hasKey == (facts.keyAlgorithm != nil), "has_key disagrees with key_algorithm")
    facts.normalizedCertificate = bytes(slbcert_bundle_normalized_certificate_pem(bundle))
    facts.normalizedKey = bytes(slbcert_bundle_normalized_private_key_pem(bundle))
    Fuzz.check((facts.normalizedCertificate != nil) == (chainLength > 0), "normalised chain present iff a chain was read")
    Fuzz.check(facts.normalizedKey == nil || hasKey, "a normalised key without a key")
    if let pem = facts.normalizedCertificate { checkCanonical(pem) }
    return facts
}

private func isFingerprint(_ text: String, bytes: Int) -> Bool {
    let characters = Array(text.utf8)
    guard characters.count == bytes * 3 - 1 else { return false }
    return characters.enumerated().allSatisfy { offset, character in
        offset % 3 == 2 ? character == UInt8(ascii: ":")
            : (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(character) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(character)
    }
}

/// Certificate blocks only: BEGIN/END lines, base64 lines of at most 64 columns, LF endings.
private func checkCanonical(_ pem: [UInt8]) {
    let text = String(decoding: pem, as: UTF8.self)
    Fuzz.check(text.hasSuffix("-----END CERTIFICATE-----\n"), "normalised chain does not end with an END line")
    var inside = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
        if line == "-----BEGIN CERTIFICATE-----" { Fuzz.check(!inside, "nested BEGIN"); inside = true; continue }
        if line == "-----END CERTIFICATE-----" { Fuzz.check(inside, "END outside a block"); inside = false; continue }
        Fuzz.check(inside, "text outside the blocks: \(line)")
        Fuzz.check(!line.isEmpty && line.utf8.count <= 64, "a base64 line of \(line.utf8.count) columns")
        Fuzz.check(line.utf8.allSatisfy { isBase64($0) }, "not base64: \(line)")
    }
}

private func isBase64(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
        || byte == UInt8(ascii: "=")
}
