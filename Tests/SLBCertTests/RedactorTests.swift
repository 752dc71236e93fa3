import Testing
@testable import SLBCert

@Suite struct RedactorTests {
    @Test(arguments: [
        ("GET /?AccessKeyId=id&Signature=abc%2B%3D&Timestamp=t", "GET /?AccessKeyId=id&Signature=[REDACTED]&Timestamp=t"),
        ("RegionId=cn&PrivateKey=-----BEGIN%20RSA%20PRIVATE%20KEY-----%0AMIIE%0A-----END%20RSA%20PRIVATE%20KEY-----&X=1",
         "RegionId=cn&PrivateKey=[REDACTED]&X=1"),
        ("SecurityToken=tok&SignatureNonce=n", "SecurityToken=[REDACTED]&SignatureNonce=n"),
        ("POST&%2F&AccessKeyId%3Did%26PrivateKey%3D-----BEGIN%2520RSA%2520PRIVATE%2520KEY-----%250AMIIE%250A-----END%2520RSA%2520PRIVATE%2520KEY-----%26SecurityToken%3Dsts%252F%26Version%3D1",
         "POST&%2F&AccessKeyId%3Did%26PrivateKey%3D[REDACTED]%26SecurityToken%3D[REDACTED]%26Version%3D1"),
        ("authorization: ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host,Signature=ff\nhost: h", "authorization: [REDACTED]\nhost: h"),
        ("x-acs-security-token:CAIS123\nx-acs-version:1", "x-acs-security-token:[REDACTED]\nx-acs-version:1"),
        ("{\"AccessKeyId\":\"STS.1\",\"AccessKeySecret\":\"s\\\"x\",\"SecurityToken\": \"t\"}",
         "{\"AccessKeyId\":\"STS.1\",\"AccessKeySecret\":\"[REDACTED]\",\"SecurityToken\": \"[REDACTED]\"}"),
        ("{'access_key_secret': 'abc', 'sts_token': 'x'}", "{'access_key_secret': '[REDACTED]', 'sts_token': '[REDACTED]'}"),
        ("key:\n-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\ndone", "key:\n[REDACTED]\ndone"),
        ("-----BEGIN EC PRIVATE KEY-----\nMHcC (truncated", "[REDACTED]"),
        ("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"),
        ("SignatureMethod=HMAC-SHA1&SignatureVersion=1.0", "SignatureMethod=HMAC-SHA1&SignatureVersion=1.0"),
    ])
    func redacts(input: String, expected: String) {
        #expect(Redactor.redact(input) == expected)
    }

    /// Edge cases of the byte scanner, each checked against the four regexes it replaced.
    @Test(arguments: [
        // Names match in any ASCII case; `(?i)` also took the Kelvin sign for a `k`.
        ("SIGNATURE=abc&signature%3Dx&SecurityTOKEN%253Dt", "SIGNATURE=[REDACTED]&signature%3D[REDACTED]&SecurityTOKEN%253D[REDACTED]"),
        ("AUTHORIZATION: Bearer x\nHost: h", "AUTHORIZATION: [REDACTED]\nHost: h"),
        ("{\"SECURITYTOKEN\": \"t\", \"Private_Key\": 'k'}", "{\"SECURITYTOKEN\": \"[REDACTED]\", \"Private_Key\": '[REDACTED]'}"),
        ("Access\u{212A}eySecret=s", "Access\u{212A}eySecret=[REDACTED]"),
        // A name inside a longer name is not the name.
        ("MySignatureX=1&X-Signature=2&My_Signature=3&SignatureX=4&Signature2=5&.Signature=6",
         "MySignatureX=1&X-Signature=2&My_Signature=3&SignatureX=4&Signature2=5&.Signature=[REDACTED]"),
        // Encoded separators: `%26`/`%2526` end a value and may start a name, as may `%3F`.
        ("a%2526Signature%253Dsig%2526b%253D1", "a%2526Signature%253D[REDACTED]%2526b%253D1"),
        ("POST&%2F&AccessKeyId%3Did%26Signature%3Dsig%26X%3D1", "POST&%2F&AccessKeyId%3Did%26Signature%3D[REDACTED]%26X%3D1"),
        ("%3fSignature%3dx&y", "%3fSignature%3d[REDACTED]&y"),
        ("Signature=%2526x", "Signature=%2526x"),
        ("Signature=&Signature=[REDACTED]&Signature=", "Signature=&Signature=[REDACTED]&Signature="),
        // Any whitespace (Unicode White_Space), a quote, `<` or `>` ends a value.
        ("Signature=abc\u{3000}def Signature=x\u{A0}y", "Signature=[REDACTED]\u{3000}def Signature=[REDACTED]\u{A0}y"),
        ("Signature=a<b>c\"d", "Signature=[REDACTED]<b>c\"d"),
        // JSON escapes stay inside the quoted value.
        ("{\"Signature\":\"a\\\"b\\\\\",\"x\":1}", "{\"Signature\":\"[REDACTED]\",\"x\":1}"),
        // A header line takes the rest of the line; a quoted value right after the colon is JSON's,
        // but with blanks before the quote it is still a header (the regex gave one blank back).
        ("Signature: \"abc\"", "Signature:[REDACTED]"),
        ("Signature: \t'abc'", "Signature: [REDACTED]"),
        ("Signature:\"abc\"", "Signature:\"abc\""),
        ("x Signature: abc", "x Signature: abc"),
        ("{\"a\": 1,\n  \"Signature\": \"x\"}", "{\"a\": 1,\n  \"Signature\": \"[REDACTED]\"}"),
        ("  Authorization : x\r\nsignature:y\u{2028}z", "  Authorization : [REDACTED]\r\nsignature:[REDACTED]\u{2028}z"),
        // PEM: an unterminated block runs to the very end; a short END line does not end it.
        ("-----BEGIN PRIVATE KEY-----\nabc\n", "[REDACTED]"),
        ("-----BEGIN PRIVATE KEY-----\nabc\n-----END x----\nmore", "[REDACTED]"),
        ("-----BEGIN+EC+PRIVATE+KEY-----abc-----END+EC+PRIVATE+KEY-----&X=1", "[REDACTED]&X=1"),
        ("k=-----BEGIN%2520ENCRYPTED%2520PRIVATE%2520KEY-----x-----END%2520ENCRYPTED%2520PRIVATE%2520KEY-----%26Y%3D1",
         "k=[REDACTED]%26Y%3D1"),
        ("-----BEGIN%2BRSA%2BPRIVATE%2BKEY-----abc", "-----BEGIN%2BRSA%2BPRIVATE%2BKEY-----abc"),
        ("-----BEGIN private key-----abc", "-----BEGIN private key-----abc"),
        // An END line cut short right before the next block is no END: its dashes are the next BEGIN's
        // (found by the redactor fuzz target; the second key used to survive).
        ("-----BEGIN PRIVATE KEY-----\na\n-----END RSA P-----BEGIN RSA PRIVATE KEY-----\nsecret\n-----END RSA PRIVATE KEY-----\nafter",
         "[REDACTED]\nafter"),
        ("-----BEGIN PRIVATE KEY-----\na-----END-----BEGIN%20PRIVATE%20KEY-----%0Asecret%0A-----END%20PRIVATE%20KEY-----", "[REDACTED]"),
        ("-----BEGIN PRIVATE KEY-----\na\n-----END KEY-------BEGIN RSA PRIVATE KEY-----\nsecret\n-----END RSA PRIVATE KEY-----", "[REDACTED]"),
        ("-----BEGIN PRIVATE KEY-----\na\n-----END PRIVATE KEY----------BEGIN RSA PRIVATE KEY-----\nb\n-----END RSA PRIVATE KEY-----x",
         "[REDACTED][REDACTED]x"),
        // Scalars, not grapheme clusters: a combining mark after `&` no longer hides the `&`
        // (the regex took `&\u{301}b` into the value).
        ("Signature=a&\u{301}b", "Signature=[REDACTED]&\u{301}b"),
        // A value closes only at its own kind of quote.
        (#"{"Signature": "it's", "x": 1}"#, #"{"Signature": "[REDACTED]", "x": 1}"#),
        // A message cut in the middle of a secret: the rest of the line goes, the next line stays.
        ("{\"AccessKeySecret\": \"abcd1234\nnext line", "{\"AccessKeySecret\": \"[REDACTED]\nnext line"),
        ("error: {'SecurityToken': 'CAIS+abc", "error: {'SecurityToken': '[REDACTED]"),
    ])
    func edgeCases(input: String, expected: String) {
        #expect(Redactor.redact(input) == expected)
    }

    @Test func linearOnHostileInput() {
        let text = String(repeating: "-----BEGIN a \"Signature\":\"\\\" Signature%26\n-----END ", count: 2_000)
        #expect(Redactor.redact(text).hasPrefix("-----BEGIN a "))
    }

    @Test(arguments: [SignatureVersion.v1, .v3], [ParameterPlacement.query, .body])
    func signedRequestsLeaveNoSecretBehind(version: SignatureVersion, placement: ParameterPlacement) throws {
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowSECRETKEY+/=\n-----END RSA PRIVATE KEY-----"
        let signed = try RequestSigner.sign(
            RPCRequest(action: "UploadServerCertificate", apiVersion: "2014-05-15", host: "slb.aliyuncs.com",
                       parameters: [("RegionId", "cn-hangzhou"), ("PrivateKey", key)]),
            credentials: Credentials(accessKeyId: "id", accessKeySecret: "s", securityToken: "TOKENVALUE"),
            options: SigningOptions(signatureVersion: version, placement: placement))
        let dump = ([signed.method.rawValue + " " + signed.pathAndQuery] + signed.headers.map { "\($0.name): \($0.value)" }
                    + [String(decoding: signed.body, as: UTF8.self), signed.canonicalRequest, signed.stringToSign]).joined(separator: "\n")
        let redacted = Redactor.redact(dump)
        #expect(dump.contains("SECRETKEY") && dump.contains("TOKENVALUE"))
        #expect(dump.contains(signed.signature) || dump.contains(PercentEncoding.encode(signed.signature)))
        for secret in ["SECRETKEY", "TOKENVALUE", signed.signature, PercentEncoding.encode(signed.signature)] {
            #expect(!redacted.contains(secret), "\(secret) survived in \(redacted)")
        }
        #expect(redacted.contains("RegionId"))
    }
}
