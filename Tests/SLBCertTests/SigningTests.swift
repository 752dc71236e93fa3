import Foundation
import Testing
@testable import SLBCert

@Suite struct PercentEncodingTests {
    @Test(arguments: [
        ("", ""), ("AZaz09-_.~", "AZaz09-_.~"), (" ", "%20"), ("+", "%2B"), ("*", "%2A"), ("/", "%2F"),
        ("=", "%3D"), ("&", "%26"), ("%", "%25"), ("\n", "%0A"), ("\r\n", "%0D%0A"), ("\u{0}", "%00"),
        ("é", "%C3%A9"), ("中", "%E4%B8%AD"), ("🔐", "%F0%9F%94%90"), ("\u{7f}", "%7F"), ("ÿ", "%C3%BF"),
        ("a b+c", "a%20b%2Bc"),
    ])
    func encodes(input: String, expected: String) {
        #expect(PercentEncoding.encode(input) == expected)
    }

    @Test func everyByteIsEitherUnreservedOrUpperHex() {
        for byte in UInt8.min...UInt8.max {
            var out: [UInt8] = []
            PercentEncoding.append(bytes: [byte], to: &out)
            let text = String(decoding: out, as: UTF8.self)
            let isUnreserved = (65...90).contains(byte) || (97...122).contains(byte) || (48...57).contains(byte)
                || "-_.~".utf8.contains(byte)
            #expect(PercentEncoding.isUnreserved(byte) == isUnreserved)
            #expect(text == (isUnreserved ? String(UnicodeScalar(byte)) : "%" + String(format: "%02X", byte)))
        }
    }

    @Test func pairsKeepTheirOrder() {
        #expect(PercentEncoding.encodePairs([("b", "1 2"), ("a", ""), ("é", "=")]) == "b=1%202&a=&%C3%A9=%3D")
    }
}

@Suite struct RequestSignerTests {
    let credentials = Credentials(accessKeyId: "testid", accessKeySecret: "testsecret")
    let stsCredentials = Credentials(accessKeyId: "testid", accessKeySecret: "testsecret", securityToken: "tok/+=")
    let request = RPCRequest(action: "UploadServerCertificate", apiVersion: "2014-05-15", host: "slb.aliyuncs.com",
                             parameters: [("RegionId", "cn-hangzhou"), ("PrivateKey", "-----BEGIN RSA PRIVATE KEY-----\nAB+/=\n-----END RSA PRIVATE KEY-----")])
    let fixed = (nonce: "00112233445566778899aabbccddeeff", timestamp: "2024-01-01T12:00:00Z")

    func options(_ version: SignatureVersion, _ placement: ParameterPlacement, method: RequestMethod = .post) -> SigningOptions {
        SigningOptions(signatureVersion: version, placement: placement, method: method,
                       nonce: fixed.nonce, timestamp: fixed.timestamp)
    }

    @Test(arguments: [SignatureVersion.v1, .v3])
    func bodyPlacementKeepsThePrivateKeyOutOfTheURL(version: SignatureVersion) throws {
        let signed = try RequestSigner.sign(request, credentials: credentials, options: options(version, .body))
        #expect(!signed.pathAndQuery.contains("PrivateKey"))
        #expect(!signed.pathAndQuery.contains("RegionId"))
        let body = String(decoding: signed.body, as: UTF8.self)
        #expect(body == "RegionId=cn-hangzhou&PrivateKey=-----BEGIN%20RSA%20PRIVATE%20KEY-----%0AAB%2B%2F%3D%0A-----END%20RSA%20PRIVATE%20KEY-----")
        let contentType = signed.headers.first { $0.name.lowercased() == "content-type" }?.value
        #expect(contentType == "application/x-www-form-urlencoded")
        #expect(signed.method == .post)
    }

    @Test func v1SignatureIsTheSameForBothPlacements() throws {
        let inQuery = try RequestSigner.sign(request, credentials: credentials, options: options(.v1, .query))
        let inBody = try RequestSigner.sign(request, credentials: credentials, options: options(.v1, .body))
        #expect(inQuery.signature == inBody.signature)
        #expect(inQuery.stringToSign == inBody.stringToSign)
        #expect(inQuery.body.isEmpty)
        #expect(inQuery.pathAndQuery.contains("PrivateKey=-----BEGIN%20RSA"))
        #expect(inBody.pathAndQuery.hasPrefix("/?AccessKeyId=testid&Action=UploadServerCertificate&Format=JSON&"))
        #expect(inBody.pathAndQuery.hasSuffix("&Signature=" + PercentEncoding.encode(inBody.signature)))
    }

    @Test func v3BodyPlacementSignsTheBodyAndContentType() throws {
        let signed = try RequestSigner.sign(request, credentials: credentials, options: options(.v3, .body))
        #expect(signed.pathAndQuery == "/")
        let hash = Hex.encode(Digest.sha256(signed.body))
        #expect(signed.headers.contains(HTTPHeader("x-acs-content-sha256", hash)))
        let lines = signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[2] == "")  // the canonical query is empty
        #expect(lines.contains("content-type:application/x-www-form-urlencoded"))
        #expect(lines.last.map(String.init) == hash)
        #expect(signed.headers.last?.value.contains("SignedHeaders=content-type;host;x-acs-action;") == true)
    }

    @Test(arguments: [SignatureVersion.v1, .v3])
    func getSignsTheMethod(version: SignatureVersion) throws {
        let get = try RequestSigner.sign(request, credentials: credentials, options: options(version, .query, method: .get))
        let post = try RequestSigner.sign(request, credentials: credentials, options: options(version, .query))
        #expect(get.method == .get)
        #expect(get.canonicalRequest.hasPrefix(version == .v3 ? "GET\n" : "AccessKeyId="))
        #expect(version == .v3 || get.stringToSign.hasPrefix("GET&%2F&"))
        #expect(get.signature != post.signature)
    }

    @Test(arguments: [SignatureVersion.v1, .v3])
    func getWithABodyIsRefused(version: SignatureVersion) {
        #expect(throws: SLBCertError.self) {
            try RequestSigner.sign(request, credentials: credentials, options: options(version, .body, method: .get))
        }
    }

    @Test func v1StsAddsTheSecurityToken() throws {
        let signed = try RequestSigner.sign(request, credentials: stsCredentials, options: options(.v1, .body))
        #expect(signed.pathAndQuery.contains("&SecurityToken=tok%2F%2B%3D&"))
        #expect(signed.stringToSign.contains("SecurityToken%3Dtok%252F%252B%253D"))
        let plain = try RequestSigner.sign(request, credentials: credentials, options: options(.v1, .body))
        #expect(!plain.pathAndQuery.contains("SecurityToken"))
    }

    @Test func v3StsAddsTokenAndAccessKeyHeaders() throws {
        let signed = try RequestSigner.sign(request, credentials: stsCredentials, options: options(.v3, .query))
        #expect(signed.headers.contains(HTTPHeader("x-acs-security-token", "tok/+=")))
        #expect(signed.headers.contains(HTTPHeader("x-acs-accesskey-id", "testid")))
        #expect(signed.canonicalRequest.contains("x-acs-security-token:tok/+=\n"))
    }

    @Test func callerFormatReplacesTheDefault() throws {
        var xml = request
        xml.parameters.append(("Format", "XML"))
        let signed = try RequestSigner.sign(xml, credentials: credentials, options: options(.v1, .body))
        #expect(signed.pathAndQuery.contains("&Format=XML&"))
        #expect(!signed.pathAndQuery.contains("Format=JSON"))
        #expect(!String(decoding: signed.body, as: UTF8.self).contains("Format"))
        #expect(signed.canonicalRequest.components(separatedBy: "Format=").count == 2)
    }

    @Test func legacyFlagSignsAnEmptySignatureType() throws {
        var legacy = options(.v1, .query)
        legacy.v1LegacySignatureType = true
        let signed = try RequestSigner.sign(request, credentials: credentials, options: legacy)
        #expect(signed.pathAndQuery.contains("&SignatureType=&"))
        #expect(signed.stringToSign.contains("%26SignatureType%3D%26"))
        let plain = try RequestSigner.sign(request, credentials: credentials, options: options(.v1, .query))
        #expect(!plain.pathAndQuery.contains("SignatureType"))
    }

    @Test(arguments: [SignatureVersion.v1, .v3])
    func freshNoncesAndTimestampsDiffer(version: SignatureVersion) throws {
        let fresh = SigningOptions(signatureVersion: version, placement: .query)
        let first = try RequestSigner.sign(request, credentials: credentials, options: fresh)
        let second = try RequestSigner.sign(request, credentials: credentials, options: fresh)
        #expect(first.signature != second.signature)
        let nonce = { (signed: SignedRequest) -> String? in
            version == .v3 ? signed.headers.first { $0.name == "x-acs-signature-nonce" }?.value
                : try? decodeForm(String(signed.pathAndQuery.dropFirst(2))).first { $0.0 == "SignatureNonce" }?.1
        }
        let firstNonce = try #require(nonce(first))
        #expect(firstNonce != nonce(second))
        #expect(firstNonce.count == 32 && firstNonce.allSatisfy { "0123456789abcdef".contains($0) })
        let date = version == .v3 ? first.headers.first { $0.name == "x-acs-date" }?.value
            : try decodeForm(String(first.pathAndQuery.dropFirst(2))).first { $0.0 == "Timestamp" }?.1
        let dateText = try #require(date)
        let instant = try #require(UTCTime.parse(dateText))
        #expect(abs(instant - UTCTime.nowMilliseconds()) < 60_000)
    }

    @Test func badInputsAreRefusedWithoutSecrets() {
        let cases: [(RPCRequest, Credentials, SigningOptions)] = [
            (RPCRequest(action: "", apiVersion: "v", host: "h"), credentials, options(.v1, .query)),
            (RPCRequest(action: "A\r\nX-Evil: 1", apiVersion: "v", host: "h"), credentials, options(.v3, .query)),
            (RPCRequest(action: "A", apiVersion: "v", host: "h", parameters: [("a", "1"), ("a", "2")]), credentials, options(.v1, .query)),
            (RPCRequest(action: "A", apiVersion: "v", host: "h", parameters: [("Signature", "x")]), credentials, options(.v1, .query)),
            (request, Credentials(accessKeyId: "", accessKeySecret: "testsecret"), options(.v1, .query)),
            (request, Credentials(accessKeyId: "id", accessKeySecret: ""), options(.v1, .query)),
            (request, Credentials(accessKeyId: "id", accessKeySecret: "testsecret", securityToken: "a\nb"), options(.v3, .query)),
            (request, credentials, SigningOptions(nonce: "has space")),
            (request, credentials, SigningOptions(timestamp: "2024-01-01 12:00:00")),
        ]
        for (request, credentials, options) in cases {
            do {
                _ = try RequestSigner.sign(request, credentials: credentials, options: options)
                Issue.record("accepted \(request.action) \(request.parameters)")
            } catch {
                #expect(error.kind == .invalidArgument || error.kind == .credentials)
                #expect(!error.message.contains("testsecret"))
            }
        }
    }

    @Test func v3SignatureParameterIsAllowed() throws {
        // Only V1 reserves its auth names; a V3 call may carry a parameter of any name.
        let signed = try RequestSigner.sign(RPCRequest(action: "A", apiVersion: "v", host: "h", parameters: [("Signature", "x")]),
                                            credentials: credentials, options: options(.v3, .query))
        #expect(signed.pathAndQuery == "/?Signature=x")
    }
}
