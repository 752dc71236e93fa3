/// AccessKeys from environment variables: Alibaba's current names first, then the older ones other
/// tools (the Go SDK, Terraform, the aliyun CLI of old) still read.
public enum EnvironmentCredentials {
    struct Names: Sendable {
        let id: String, secret: String, token: String?
    }

    static let nameSets: [Names] = [
        Names(id: "ALIBABA_CLOUD_ACCESS_KEY_ID", secret: "ALIBABA_CLOUD_ACCESS_KEY_SECRET", token: "ALIBABA_CLOUD_SECURITY_TOKEN"),
        Names(id: "ALIBABACLOUD_ACCESS_KEY_ID", secret: "ALIBABACLOUD_ACCESS_KEY_SECRET", token: "ALIBABACLOUD_SECURITY_TOKEN"),
        Names(id: "ALICLOUD_ACCESS_KEY_ID", secret: "ALICLOUD_ACCESS_KEY_SECRET", token: "ALICLOUD_SECURITY_TOKEN"),
        Names(id: "ALICLOUD_ACCESS_KEY", secret: "ALICLOUD_SECRET_KEY", token: "ALICLOUD_SECURITY_TOKEN"),
        Names(id: "ALIYUN_ACCESS_KEY_ID", secret: "ALIYUN_ACCESS_KEY_SECRET", token: nil),
    ]

    /// nil when no set of variables is present; throws when a set is half there (an id without a
    /// secret), since falling through to another source would hide the mistake.
    public static func resolve(_ environment: CredentialsEnvironment) throws(SLBCertError) -> ResolvedCredentials? {
        for names in nameSets {
            let id = environment[names.id], secret = environment[names.secret]
            if id == nil && secret == nil { continue }
            guard let id else {
                throw SLBCertError(.credentials, "environment: \(names.secret) is set but \(names.id) is not")
            }
            guard let secret else {
                throw SLBCertError(.credentials, "environment: \(names.id) is set but \(names.secret) is not")
            }
            let token = names.token.flatMap { environment[$0] }
            let credentials = Credentials(accessKeyId: id, accessKeySecret: secret, securityToken: token)
            return ResolvedCredentials(provider: StaticCredentialsProvider(credentials, sourceName: "environment"))
        }
        return nil
    }
}
