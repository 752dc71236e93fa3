import ArgumentParser
import SLBCert

struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign any Alibaba Cloud RPC request and show what was signed (for SignatureDoesNotMatch).",
        discussion: """
        Prints the string-to-sign (V1) or the canonical request (V3) exactly as the server computes \
        it, the signature, and the request that would be sent (secrets redacted). Nothing is sent. \
        Credentials come from the environment or a profile (--profile), never from arguments.

        Examples:
          slbcert sign --action DescribeServerCertificates --api-version 2014-05-15 \\
                       --host slb.aliyuncs.com --param RegionId=cn-hangzhou
          slbcert sign --action UploadServerCertificate --api-version 2014-05-15 \\
                       --host slb.aliyuncs.com --param RegionId=cn-hangzhou \\
                       --param-file ServerCertificate=cert.pem --signature-version v3 \\
                       --placement query --nonce N --timestamp 2024-01-01T12:00:00Z
        """)

    @Option(help: ArgumentHelp("The RPC action, e.g. DescribeServerCertificates.", valueName: "action"))
    var action: String

    @Option(help: ArgumentHelp("The API version of the action, e.g. 2014-05-15.", valueName: "yyyy-mm-dd"))
    var apiVersion: String

    @Option(help: ArgumentHelp("The endpoint host, e.g. slb.aliyuncs.com (V3 signs it).", valueName: "host"))
    var host: String

    @Option(name: .customLong("param"), help: ArgumentHelp("A parameter KEY=VALUE (repeatable, in order).", valueName: "key=value"))
    var parameters: [KeyValue] = []

    @Option(name: .customLong("param-file"), help: ArgumentHelp("A parameter whose value is a file's content, KEY=FILE (repeatable).", valueName: "key=file"))
    var parameterFiles: [KeyValue] = []

    @Option(help: ArgumentHelp("v1 (HMAC-SHA1) or v3 (ACS3-HMAC-SHA256).", valueName: "v1|v3"))
    var signatureVersion: SignatureVersionArgument = .v1

    @Option(help: ArgumentHelp("body (form body, default) or query.", valueName: "body|query"))
    var placement: PlacementArgument = .body

    @Option(help: ArgumentHelp("POST (default) or GET (query placement only).", valueName: "method"))
    var method: String = "POST"

    @Flag(help: "V1: also send and sign an empty SignatureType= (as the legacy Python SDK core).")
    var legacySignatureType = false

    @Option(help: ArgumentHelp("A fixed nonce, to reproduce a signature.", valueName: "nonce"))
    var nonce: String?

    @Option(help: ArgumentHelp("A fixed timestamp yyyy-MM-ddTHH:mm:ssZ, to reproduce a signature.", valueName: "time"))
    var timestamp: String?

    @Option(help: ArgumentHelp("A profile to take the credentials from (default: the credentials chain).", valueName: "name"))
    var profile: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        guard let requestMethod = RequestMethod(rawValue: method.uppercased()) else {
            throw SLBCertError(.invalidArgument, "--method must be POST or GET.")
        }
        var pairs = parameters.map { ($0.key, $0.value) }
        for file in parameterFiles {
            pairs.append((file.key, String(decoding: try Inputs.read(file.value, what: "parameter \(file.key)"), as: UTF8.self)))
        }
        let resolved = try credentials(profile: profile)
        let options = SigningOptions(signatureVersion: signatureVersion.value, placement: placement.value, method: requestMethod,
                                     v1LegacySignatureType: legacySignatureType, nonce: nonce, timestamp: timestamp)
        let signed = try RequestSigner.sign(RPCRequest(action: action, apiVersion: apiVersion, host: host, parameters: pairs),
                                            credentials: try resolved.provider.credentials(), options: options)
        let baseURL = "https://" + host
        // The string-to-sign must be shown byte for byte to be useful, so secret parameters appear in it.
        if pairs.contains(where: { $0.0 == "PrivateKey" }) {
            Output.standardError("slbcert: warning: the string-to-sign below contains the PrivateKey value; do not paste it anywhere public.")
        }
        if json {
            Output.json(.object([("SignatureVersion", .string(signatureVersion.rawValue)),
                                 ("CanonicalRequest", .string(signed.canonicalRequest)),
                                 ("StringToSign", .string(signed.stringToSign)),
                                 ("Signature", .string(signed.signature)),
                                 ("CredentialsSource", .string(resolved.sourceName)),
                                 ("Request", .object(SignedRequestReport.json(signed, baseURL: baseURL)))]))
            return
        }
        if signed.signatureVersion == .v3 {
            print("Canonical request:\n\(signed.canonicalRequest)\n")
        }
        print("String to sign:\n\(signed.stringToSign)\n")
        print("Signature: \(signed.signature)")
        print("Credentials: \(resolved.sourceName) (AccessKeyId \(try resolved.provider.credentials().accessKeyId))\n")
        print("Request (secrets redacted):")
        print(SignedRequestReport.text(signed, baseURL: baseURL, redacted: true), terminator: "")
    }
}
