/// Credentials as this process resolves them: its environment (or one given), and the ECS metadata
/// service reached with libcurl (its address overridable with SLBCERT_ECS_METADATA_ENDPOINT, so tests
/// can point it at a loopback server).
public enum ProcessCredentials {
    public static func chain(explicit: Credentials? = nil, profile: String? = nil,
                             environment variables: [String: String]? = nil) -> DefaultCredentialsChain {
        let environment = variables.map(CredentialsEnvironment.init(variables:)) ?? CredentialsEnvironment.process
        let endpoint = environment["SLBCERT_ECS_METADATA_ENDPOINT"] ?? ECSMetadataOptions.defaultEndpoint
        return DefaultCredentialsChain(environment: environment, explicit: explicit, profile: profile,
                                       metadataTransport: CurlTransport(), metadataEndpoint: endpoint)
    }

    /// What a caller who may name a profile gets: that profile when named, else the default chain.
    public static func resolve(profile name: String?, environment: [String: String]? = nil) throws(SLBCertError) -> ResolvedCredentials {
        if let name { return try profile(name, environment: environment) }
        return try chain(environment: environment).resolve()
    }

    /// A named profile (or the files' default one), from the aliyun CLI file or else the ini file; the
    /// environment's keys are not consulted, because the caller named what to use.
    public static func profile(_ name: String?, environment: [String: String]? = nil) throws(SLBCertError) -> ResolvedCredentials {
        let chain = chain(profile: name, environment: environment)
        var found = try ProfileCredentials.resolveCLIProfile(name, environment: chain.environment, metadata: chain.metadata)
        if found == nil {
            found = try ProfileCredentials.resolveINIProfile(name, environment: chain.environment, metadata: chain.metadata)
        }
        guard let found else {
            var error = SLBCertError(.credentials, "No profile \(name.map { "\"\($0)\"" } ?? "(default)") in \(chain.environment.homePath(".aliyun/config.json")) or \(chain.environment.homePath(".alibabacloud/credentials")).",
                                     hint: "Create it with `aliyun configure --profile NAME`, or name an existing profile.")
            error.reason = .noSuchProfile
            throw error
        }
        _ = try found.provider.credentials()
        return found
    }
}
