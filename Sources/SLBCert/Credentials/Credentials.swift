/// One set of AccessKey credentials, as a signer uses them. The secret and the STS token are
/// `SecretBytes` so they are wiped when the last copy goes away.
public struct Credentials: Sendable {
    public var accessKeyId: String
    public var accessKeySecret: SecretBytes
    /// Set for STS credentials (an ECS instance role gives these too).
    public var securityToken: SecretBytes?
    /// When temporary credentials stop working, in ms since the epoch; nil for long-lived keys.
    public var expiration: Int64?

    public init(accessKeyId: String, accessKeySecret: SecretBytes, securityToken: SecretBytes? = nil,
                expiration: Int64? = nil) {
        self.accessKeyId = accessKeyId
        self.accessKeySecret = accessKeySecret
        self.securityToken = securityToken
        self.expiration = expiration
    }

    /// Convenience for callers that hold the values as strings (tests, the CLI's flags).
    public init(accessKeyId: String, accessKeySecret: String, securityToken: String? = nil, expiration: Int64? = nil) {
        self.init(accessKeyId: accessKeyId, accessKeySecret: SecretBytes(accessKeySecret),
                  securityToken: securityToken.map { SecretBytes($0) }, expiration: expiration)
    }
}
