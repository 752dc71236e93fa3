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
