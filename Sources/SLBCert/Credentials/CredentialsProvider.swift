/// A source of credentials. `credentials()` may be called for every request: providers of
/// temporary credentials cache them and refresh before they expire.
public protocol CredentialsProvider: Sendable {
    /// "static", "environment", "profile:NAME", "ini:NAME" or "ecs_ram_role:ROLE".
    var sourceName: String { get }
    /// The region the source names (a profile's region_id), if any.
    var region: String? { get }
    func credentials() throws(SLBCertError) -> Credentials
}

extension CredentialsProvider {
    public var region: String? { nil }
}

/// Credentials given directly (flags, the C API's static constructor, a source that read fixed keys).
public struct StaticCredentialsProvider: CredentialsProvider {
    public let sourceName: String
    private let value: Credentials

    public init(_ credentials: Credentials, sourceName: String = "static") {
        value = credentials
        self.sourceName = sourceName
    }

    public func credentials() throws(SLBCertError) -> Credentials { value }
}

/// The outcome of resolving a source: the provider, the region the source names, and warnings
/// (a credentials file readable by others) for the CLI or the C API to show.
public struct ResolvedCredentials: Sendable {
    public let provider: any CredentialsProvider
    public let region: String?
    public let warnings: [String]

    public var sourceName: String { provider.sourceName }

    public init(provider: any CredentialsProvider, region: String? = nil, warnings: [String] = []) {
        self.provider = provider
        self.region = region
        self.warnings = warnings
    }
}

/// A resolved source is itself a provider that knows its region, so a client can take either.
extension ResolvedCredentials: CredentialsProvider {
    public func credentials() throws(SLBCertError) -> Credentials { try provider.credentials() }
}
