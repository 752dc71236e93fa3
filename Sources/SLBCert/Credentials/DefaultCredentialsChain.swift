/// Alibaba's default credentials chain, in the order of the official credentials SDK: explicit keys,
/// the environment, the CLI profile file, the ini file, then the ECS instance role. The first source
/// that is configured wins; a configured but broken source is an error, not a reason to fall through
/// (falling through would silently use other keys than the user meant).
public struct DefaultCredentialsChain: Sendable {
    public var environment: CredentialsEnvironment
    /// Explicit credentials, used as they are.
    public var explicit: Credentials?
    /// A profile name for both files; nil: ALIBABA_CLOUD_PROFILE, then each file's default.
    public var profile: String?
    public var metadata: ECSMetadataOptions

    public init(environment: CredentialsEnvironment = .process, explicit: Credentials? = nil, profile: String? = nil,
                metadataTransport: (any HTTPTransport)? = nil,
                metadataEndpoint: String = ECSMetadataOptions.defaultEndpoint) {
        self.environment = environment
        self.explicit = explicit
        self.profile = profile
        metadata = ECSMetadataOptions(transport: metadataTransport, endpoint: metadataEndpoint,
                                      disableIMDSv1: environment.isTrue("ALIBABA_CLOUD_IMDSV1_DISABLED"))
    }

    /// Finds the source and checks that it yields credentials (for an instance role: asks once).
    public func resolve() throws(SLBCertError) -> ResolvedCredentials {
        let found = try firstConfiguredSource()
        _ = try found.provider.credentials()
        return found
    }

    private func firstConfiguredSource() throws(SLBCertError) -> ResolvedCredentials {
        if let explicit { return ResolvedCredentials(provider: StaticCredentialsProvider(explicit)) }
        if let found = try EnvironmentCredentials.resolve(environment) { return found }
        if let found = try ProfileCredentials.resolveCLIProfile(profile, environment: environment, metadata: metadata) {
            return found
        }
        if let found = try ProfileCredentials.resolveINIProfile(profile, environment: environment, metadata: metadata) {
            return found
        }
        if !environment.isTrue("ALIBABA_CLOUD_ECS_METADATA_DISABLED"), metadata.transport != nil {
            return ResolvedCredentials(provider: try ProfileCredentials.ecsProvider(
                roleName: environment["ALIBABA_CLOUD_ECS_METADATA"], metadata: metadata, source: "ecs_ram_role"))
        }
        // Say what was tried, so the reader knows which source to set up.
        let instanceRole = environment.isTrue("ALIBABA_CLOUD_ECS_METADATA_DISABLED")
            ? "the ECS instance role is disabled (ALIBABA_CLOUD_ECS_METADATA_DISABLED)"
            : "the ECS instance role is not available here"
        throw SLBCertError(.credentials, "no credentials found: ALIBABA_CLOUD_ACCESS_KEY_ID is not set, there is "
                           + "neither \(environment.homePath(".aliyun/config.json")) nor "
                           + "\(environment.homePath(".alibabacloud/credentials")) (or ALIBABA_CLOUD_CREDENTIALS_FILE), "
                           + "and \(instanceRole)",
                           hint: "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run `aliyun configure`")
    }
}
