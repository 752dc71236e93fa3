import Foundation
import Testing
@testable import SLBCert

/// The golden vectors of Fixtures/signing-vectors.json, produced by Alibaba's own SDKs (docs/protocol.md section 9).
struct SigningVectors: Decodable {
    struct Inputs: Decodable {
        let AccessKeyId: String
        let AccessKeySecret: String
        let SignatureNonce: String
        let Timestamp: String
        let RegionId: String
        let ServerCertificate: String
        let PrivateKey: String
        let ServerCertificateName: String
        let StsToken: String
    }
    struct V1Vector: Decodable {
        let method: String
        let signed_params: [String: String]
        let string_to_sign: String
        let signature: String
    }
    struct V3Vector: Decodable {
        let signed_headers: [String: String]
        let canonical_request: String
        let string_to_sign: String
        let authorization: String
    }
    let inputs: Inputs
    let v1: [String: V1Vector]
    let v3: [String: V3Vector]

    static func load() throws -> SigningVectors {
        let url = try #require(Bundle.module.url(forResource: "signing-vectors", withExtension: "json",
                                                 subdirectory: "Fixtures"))
        return try JSONDecoder().decode(SigningVectors.self, from: Data(contentsOf: url))
    }

    /// The operation parameters every vector signs, in the order a caller would pass them.
    var uploadParameters: [(String, String)] {
        [("RegionId", inputs.RegionId), ("ServerCertificate", inputs.ServerCertificate),
         ("PrivateKey", inputs.PrivateKey), ("ServerCertificateName", inputs.ServerCertificateName)]
    }

    func credentials(sts: Bool) -> Credentials {
        Credentials(accessKeyId: inputs.AccessKeyId, accessKeySecret: inputs.AccessKeySecret,
                    securityToken: sts ? inputs.StsToken : nil)
    }

    func request(extra: [(String, String)] = []) -> RPCRequest {
        RPCRequest(action: "UploadServerCertificate", apiVersion: "2014-05-15", host: "slb.aliyuncs.com",
                   parameters: uploadParameters + extra)
    }
}

@Suite struct SigningVectorTests {
    let vectors: SigningVectors

    init() throws { vectors = try SigningVectors.load() }

    @Test func allVectorsArePresent() {
        #expect(Set(vectors.v1.keys) == ["A_legacy_core_POST_Format_JSON_SignatureType_empty", "A2_legacy_core_GET",
                                         "B_tea_openapi_v2_POST_Format_json", "D1_legacy_core_POST_sts"])
        #expect(Set(vectors.v3.keys) == ["M1_minimal_headers", "M2_minimal_headers_sts"])
    }

    @Test(arguments: ["A_legacy_core_POST_Format_JSON_SignatureType_empty", "A2_legacy_core_GET",
                      "B_tea_openapi_v2_POST_Format_json", "D1_legacy_core_POST_sts"],
          [ParameterPlacement.query, .body])
    func v1Vector(name: String, placement: ParameterPlacement) throws {
        let vector = try #require(vectors.v1[name])
        let isGet = vector.method == "GET"
        if isGet && placement == .body { return }  // GET has no body
        let legacy = vector.signed_params["SignatureType"] != nil
        let format = try #require(vector.signed_params["Format"])
        let options = SigningOptions(signatureVersion: .v1, placement: placement, method: isGet ? .get : .post,
                                     v1LegacySignatureType: legacy, nonce: vectors.inputs.SignatureNonce,
                                     timestamp: vectors.inputs.Timestamp)
        let signed = try RequestSigner.sign(vectors.request(extra: format == "JSON" ? [] : [("Format", format)]),
                                            credentials: vectors.credentials(sts: vector.signed_params["SecurityToken"] != nil),
                                            options: options)
        #expect(signed.stringToSign == vector.string_to_sign)
        #expect(signed.signature == vector.signature)
        #expect(signed.serverComparableText == vector.string_to_sign)
        // What is sent carries exactly the signed parameters plus the Signature.
        var sent = try decodeForm(String(signed.pathAndQuery.dropFirst(2)))
        sent.append(contentsOf: try decodeForm(String(decoding: signed.body, as: UTF8.self)))
        let sentSignature = sent.first { $0.0 == "Signature" }?.1
        #expect(sentSignature == vector.signature)
        #expect(Dictionary(sent.filter { $0.0 != "Signature" }, uniquingKeysWith: { a, _ in a }) == vector.signed_params)
        #expect(sent.count == vector.signed_params.count + 1)
    }

    @Test(arguments: ["M1_minimal_headers", "M2_minimal_headers_sts"])
    func v3Vector(name: String) throws {
        let vector = try #require(vectors.v3[name])
        let options = SigningOptions(signatureVersion: .v3, placement: .query, nonce: vectors.inputs.SignatureNonce,
                                     timestamp: vectors.inputs.Timestamp)
        let signed = try RequestSigner.sign(vectors.request(),
                                            credentials: vectors.credentials(sts: vector.signed_headers["x-acs-security-token"] != nil),
                                            options: options)
        #expect(signed.canonicalRequest == vector.canonical_request)
        #expect(signed.stringToSign == vector.string_to_sign)
        #expect(signed.serverComparableText == vector.canonical_request)
        let authorization = signed.headers.first { $0.name == "authorization" }?.value
        #expect(authorization == vector.authorization)
        #expect(vector.authorization.hasSuffix("Signature=" + signed.signature))
        for (name, value) in vector.signed_headers {
            #expect(signed.headers.contains(HTTPHeader(name, value)), "header \(name)")
        }
        #expect(signed.headers.count == vector.signed_headers.count + 1)
        #expect(signed.body.isEmpty)
    }
}

/// Decodes `k=v&...` strictly as RFC 3986 percent-encoding (a `+` stays a `+`).
func decodeForm(_ text: String) throws -> [(String, String)] {
    if text.isEmpty { return [] }
    return try text.split(separator: "&", omittingEmptySubsequences: false).map { pair in
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        try #require(parts.count == 2, "pair without '=': \(pair)")
        return (try percentDecode(parts[0]), try percentDecode(parts[1]))
    }
}

func percentDecode(_ text: Substring) throws -> String {
    var bytes: [UInt8] = []
    let input = Array(text.utf8)
    var index = 0
    while index < input.count {
        let byte = input[index]
        index += 1
        if byte == UInt8(ascii: "%") {
            try #require(index + 2 <= input.count, "truncated escape in \(text)")
            let hex = String(decoding: input[index..<index + 2], as: UTF8.self)
            index += 2
            bytes.append(try #require(UInt8(hex, radix: 16)))
        } else {
            try #require(PercentEncoding.isUnreserved(byte), "unencoded byte \(byte) in \(text)")
            bytes.append(byte)
        }
    }
    return try #require(String(validating: bytes, as: UTF8.self))
}
