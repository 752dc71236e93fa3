import ArgumentParser
import SLBCert
#if canImport(Glibc)
import Glibc
#endif

/// Options every command that talks to the service shares. They map onto `ClientSettings` and
/// nothing more: defaults, the environment and ranges are the core's. Credentials come only from the
/// environment, profile files or the ECS instance role, never from arguments.
struct ServiceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The region (default: ALIBABA_CLOUD_REGION_ID, then the profile's region_id).", valueName: "region"))
    var region: String?

    @Option(help: ArgumentHelp("A profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials (default: the credentials chain).", valueName: "name"))
    var profile: String?

    @Option(help: ArgumentHelp("The API endpoint URL, e.g. https://127.0.0.1:8443 for the local emulator (default: SLBCERT_ENDPOINT, then the region's).", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("A CA bundle to verify the endpoint with (default: SLBCERT_CA_BUNDLE, ALIBABA_CLOUD_CA_BUNDLE, then the system's).", valueName: "file"))
    var caBundle: String?

    @Option(help: ArgumentHelp("v1 (HMAC-SHA1, default) or v3 (ACS3-HMAC-SHA256).", valueName: "v1|v3"))
    var signatureVersion: SignatureVersionArgument?

    @Option(help: ArgumentHelp("Where parameters travel: body (default; keys never in a URL) or query (as the official SDKs).", valueName: "body|query"))
    var placement: PlacementArgument?

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds for one request (default: \(Flags.seconds(.requestTimeout)), uploads \(Flags.seconds(.uploadTimeout)); at most \(Flags.maximumSeconds(.requestTimeout))).", valueName: "seconds"))
    var timeout: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds for one whole command's call, retries and waits included (default \(Flags.seconds(.deadline)); at most \(Flags.maximumSeconds(.deadline))).", valueName: "seconds"))
    var deadline: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Attempts per call, the first included (default \(ClientSetting.maxAttempts.defaultValue); \(ClientSetting.maxAttempts.range.lowerBound) to \(ClientSetting.maxAttempts.range.upperBound); 1 disables retries).", valueName: "n"))
    var maxAttempts: Int?

    @Flag(help: "Print one line per request attempt on stderr (secrets redacted).")
    var verbose = false

    func client() throws(SLBCertError) -> SLBClient {
        var settings = ClientSettings(region: region, endpoint: endpoint)
        settings.profile = profile
        settings.caBundle = caBundle
        settings.signatureVersion = signatureVersion?.value
        settings.placement = placement?.value
        settings.requestTimeoutMilliseconds = timeout.map(Flags.milliseconds)
        settings.uploadTimeoutMilliseconds = timeout.map(Flags.milliseconds)
        settings.deadlineMilliseconds = deadline.map(Flags.milliseconds)
        settings.maxAttempts = maxAttempts
        // Every line with --verbose; otherwise warnings (retries, credential files) when a person watches stderr.
        let level: LogLevel? = verbose ? .info : (isatty(2) == 1 ? .warning : nil)
        if let level {
            settings.logger = Logger(level: level) { lineLevel, line in
                Output.standardError(lineLevel <= .warning ? "slbcert: warning: \(line)" : "slbcert: \(line)")
            }
        }
        do {
            let client = try SLBClient(settings: settings)
            if level == nil { for warning in client.configuration.credentialWarnings { Output.standardError("slbcert: warning: \(warning)") } }
            return client
        } catch {
            throw Flags.reword(error, options: self)
        }
    }
}

/// How the CLI words the core's settings: seconds and flag names instead of the core's milliseconds.
enum Flags {
    static func seconds(_ setting: ClientSetting) -> Int { setting.defaultValue / 1000 }
    static func maximumSeconds(_ setting: ClientSetting) -> Int { setting.range.upperBound / 1000 }

    /// Seconds as the core's milliseconds; a value too large to convert stays too large (out of range).
    static func milliseconds(_ seconds: Int) -> Int {
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? (seconds < 0 ? Int.min : Int.max) : product
    }

    static let flags: [String: String] = [
        ClientSetting.requestTimeout.rawValue: "--timeout", ClientSetting.uploadTimeout.rawValue: "--timeout",
        ClientSetting.deadline.rawValue: "--deadline", ClientSetting.maxAttempts.rawValue: "--max-attempts",
        "region": "--region", "endpoint": "--endpoint", "caBundle": "--ca-bundle",
    ]

    static func reword(_ error: SLBCertError, options: ServiceOptions) -> SLBCertError {
        var error = error
        let flag = flags[error.argument] ?? error.argument
        switch error.reason {
        case .settingOutOfRange:
            guard let setting = ClientSetting(rawValue: error.argument) else { break }
            if setting.unit == "ms" {
                let given = setting == .deadline ? options.deadline : options.timeout
                error.message = "\(flag) \(given.map(String.init) ?? error.value) is out of range: it must be \(max(1, setting.range.lowerBound / 1000)) to \(setting.range.upperBound / 1000) seconds."
            } else {
                error.message = "\(flag) \(error.value) is out of range: it must be \(setting.range.lowerBound) to \(setting.range.upperBound)."
            }
        default:
            break
        }
        return error
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
func credentials(profile: String?) throws(SLBCertError) -> ResolvedCredentials {
    let resolved = try ProcessCredentials.resolve(profile: profile)
    for warning in resolved.warnings { Output.standardError("slbcert: warning: \(warning)") }
    return resolved
}
