import ArgumentParser
import SLBCert
#if canImport(Glibc)
import Glibc
#endif

/// Options every command that talks to the service shares. Credentials come only from the environment,
/// profile files or the ECS instance role, never from arguments.
struct ServiceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The region (default: ALIBABA_CLOUD_REGION_ID, then the profile's region_id).", valueName: "region"))
    var region: String?

    @Option(help: ArgumentHelp("A profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials (default: the credentials chain).", valueName: "name"))
    var profile: String?

    @Option(help: ArgumentHelp("The API endpoint URL, e.g. https://127.0.0.1:8443 for the local emulator (default: from the region).", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("A CA bundle to verify the endpoint with (default: ALIBABA_CLOUD_CA_BUNDLE, then the system's).", valueName: "file"))
    var caBundle: String?

    @Option(help: ArgumentHelp("v1 (HMAC-SHA1, default) or v3 (ACS3-HMAC-SHA256).", valueName: "v1|v3"))
    var signatureVersion: SignatureVersionArgument = .v1

    @Option(help: ArgumentHelp("Where parameters travel: body (default; keys never in a URL) or query (as the official SDKs).", valueName: "body|query"))
    var placement: PlacementArgument = .body

    @Option(help: ArgumentHelp("Seconds for one request (default: 10, uploads 30).", valueName: "seconds"))
    var timeout: Int?

    @Option(help: ArgumentHelp("Attempts per call, the first included (default 3; 1 disables retries).", valueName: "n"))
    var maxAttempts = 3

    @Flag(help: "Print one line per request attempt on stderr (secrets redacted).")
    var verbose = false

    func validate() throws {
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be positive.") }
        guard (1...20).contains(maxAttempts) else { throw ValidationError("--max-attempts must be 1 to 20.") }
    }

    func client() throws(SLBCertError) -> SLBClient {
        // A CA file that cannot be read is the caller's mistake, not a TLS failure.
        if let caBundle, access(caBundle, R_OK) != 0 {
            throw SLBCertError(.invalidArgument, "Cannot read the CA bundle \(caBundle): \(String(cString: strerror(errno))).")
        }
        let resolved = try credentials(profile: profile, region: region)
        guard let regionId = region ?? resolved.region else {
            throw SLBCertError(.invalidArgument, "No region given.", hint: "Pass --region, set ALIBABA_CLOUD_REGION_ID, or set region_id in the profile.")
        }
        var configuration = ClientConfiguration(regionId: regionId, endpoint: endpoint, credentials: resolved.provider)
        configuration.signatureVersion = signatureVersion.value
        configuration.placement = placement.value
        configuration.transport.caBundle = caBundle
        configuration.retry.maxAttempts = maxAttempts
        if let timeout {
            configuration.requestTimeoutMilliseconds = timeout * 1000
            configuration.uploadTimeoutMilliseconds = timeout * 1000
        }
        if verbose {
            configuration.logger = Logger(level: .info) { _, line in Output.standardError("slbcert: \(line)") }
        }
        return try SLBClient(configuration: configuration)
    }
}

enum SignatureVersionArgument: String, ExpressibleByArgument {
    case v1, v3
    var value: SignatureVersion { self == .v1 ? .v1 : .v3 }
}

enum PlacementArgument: String, ExpressibleByArgument {
    case body, query
    var value: ParameterPlacement { self == .body ? .body : .query }
}

/// KEY=VALUE arguments (tags, parameters).
struct KeyValue: ExpressibleByArgument {
    let key: String
    let value: String
    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else { return nil }
        key = String(argument[..<equals])
        value = String(argument[argument.index(after: equals)...])
    }
}

/// The credentials a command uses, with any warning about them (a profile file others can read) shown.
func credentials(profile: String?, region: String? = nil) throws(SLBCertError) -> ResolvedCredentials {
    let resolved = try ProcessCredentials.resolve(profile: profile, region: region)
    for warning in resolved.warnings { Output.standardError("slbcert: warning: \(warning)") }
    return resolved
}
