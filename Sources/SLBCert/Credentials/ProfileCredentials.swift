/// Named profiles from the two files Alibaba's tools write: the aliyun CLI's `~/.aliyun/config.json`
/// and the credentials SDK's ini file `~/.alibabacloud/credentials`.
public enum ProfileCredentials {
    /// The CLI file's profile, or nil when the file does not exist (or ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true).
    /// - Parameter profile: the name; nil means ALIBABA_CLOUD_PROFILE, then the file's `current`.
    public static func resolveCLIProfile(_ profile: String?, environment: CredentialsEnvironment,
                                         metadata: ECSMetadataOptions) throws(SLBCertError) -> ResolvedCredentials? {
        if environment.isTrue("ALIBABA_CLOUD_CLI_PROFILE_DISABLED") { return nil }
        let path = environment.homePath(".aliyun/config.json")
        guard let file = try CredentialsFile.readIfPresent(path, source: "profile") else { return nil }
        guard let config = CLIConfig(json: JSON.parse(file.bytes)) else {
            throw SLBCertError(.credentials, "profile: \(path) is not valid JSON of the aliyun CLI's form")
        }
        guard let name = profile ?? environment["ALIBABA_CLOUD_PROFILE"] ?? config.current.flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw SLBCertError(.credentials, "profile: \(path) names no current profile; pass one or set ALIBABA_CLOUD_PROFILE")
        }
        guard let entry = config.profiles?.first(where: { $0.name == name }) else {
            var error = SLBCertError(.credentials, "profile: no profile \(name) in \(path)")
            error.reason = .noSuchProfile
            throw error
        }
        let source = "profile:\(name)"
        let mode = entry.mode ?? ""
        let provider: any CredentialsProvider
        switch mode {
        case "AK", "StsToken":
            guard let id = entry.access_key_id, !id.isEmpty, let secret = entry.access_key_secret, !secret.isEmpty else {
                throw SLBCertError(.credentials, "\(source): access_key_id or access_key_secret is missing in \(path)")
            }
            var token: String?
            if mode == "StsToken" {
                guard let sts = entry.sts_token, !sts.isEmpty else {
                    throw SLBCertError(.credentials, "\(source): mode StsToken without sts_token in \(path)")
                }
                token = sts
            }
            provider = StaticCredentialsProvider(Credentials(accessKeyId: id, accessKeySecret: secret, securityToken: token),
                                                 sourceName: source)
        case "EcsRamRole":
            provider = try ecsProvider(roleName: entry.ram_role_name, metadata: metadata, source: source)
        default:
            throw SLBCertError(.credentials, "unsupported credential mode \(mode.isEmpty ? "(none)" : mode) in profile \(name)",
                               hint: "slbcert reads the modes AK, StsToken and EcsRamRole; use one of them or the environment")
        }
        return ResolvedCredentials(provider: provider, region: entry.region_id.flatMap { $0.isEmpty ? nil : $0 },
                                   warnings: file.permissionWarning.map { [$0] } ?? [])
    }

    /// The ini file's profile, or nil when there is no file (a file named by ALIBABA_CLOUD_CREDENTIALS_FILE
    /// must exist). - Parameter profile: nil means ALIBABA_CLOUD_PROFILE, then `default`.
    public static func resolveINIProfile(_ profile: String?, environment: CredentialsEnvironment,
                                         metadata: ECSMetadataOptions) throws(SLBCertError) -> ResolvedCredentials? {
        let file: CredentialsFile
        if let named = environment["ALIBABA_CLOUD_CREDENTIALS_FILE"] {
            guard let present = try CredentialsFile.readIfPresent(named, source: "ini") else {
                throw SLBCertError(.credentials, "ini: ALIBABA_CLOUD_CREDENTIALS_FILE names \(named), which does not exist")
            }
            file = present
        } else if let present = try CredentialsFile.readIfPresent(environment.homePath(".alibabacloud/credentials"), source: "ini") {
            file = present
        } else if let present = try CredentialsFile.readIfPresent(environment.homePath(".alibabacloud/credentials.ini"), source: "ini") {
            file = present
        } else {
            return nil
        }
        let name = profile ?? environment["ALIBABA_CLOUD_PROFILE"] ?? "default"
        let sections = parseINI(file.bytes)
        guard let section = sections[name] else {
            throw SLBCertError(.credentials, "ini: no section [\(name)] in \(file.path)")
        }
        let source = "ini:\(name)"
        let type = section["type"] ?? ""
        let provider: any CredentialsProvider
        switch type {
        case "access_key":
            guard let id = section["access_key_id"], let secret = section["access_key_secret"] else {
                throw SLBCertError(.credentials, "\(source): access_key_id or access_key_secret is missing in \(file.path)")
            }
            provider = StaticCredentialsProvider(Credentials(accessKeyId: id, accessKeySecret: secret), sourceName: source)
        case "ecs_ram_role":
            provider = try ecsProvider(roleName: section["role_name"], metadata: metadata, source: source)
        default:
            throw SLBCertError(.credentials, "unsupported credential type \(type.isEmpty ? "(none)" : type) in profile \(name) of \(file.path)",
                               hint: "slbcert reads the types access_key and ecs_ram_role")
        }
        return ResolvedCredentials(provider: provider, region: section["region_id"],
                                   warnings: file.permissionWarning.map { [$0] } ?? [])
    }

    static func ecsProvider(roleName: String?, metadata: ECSMetadataOptions, source: String) throws(SLBCertError) -> ECSRoleCredentialsProvider {
        guard let transport = metadata.transport else {
            throw SLBCertError(.credentials, "\(source): an ECS instance role needs an HTTP transport")
        }
        return ECSRoleCredentialsProvider(roleName: roleName, options: metadata, transport: transport)
    }

    /// Sections of `key = value` lines; `#` and `;` start comment lines, and ` #` an inline comment
    /// (a `#` inside a value, as secrets may have, stays). Empty values count as absent.
    static func parseINI(_ bytes: [UInt8]) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            var line = Substring(rawLine)
            if let comment = line.indices.first(where: { index in
                line[index] == "#" && (index == line.startIndex || line[line.index(before: index)] == " "
                                       || line[line.index(before: index)] == "\t")
            }) {
                line = line[..<comment]
            }
            let text = line.trimmedWhitespace
            if text.isEmpty || text.hasPrefix(";") { continue }
            if text.hasPrefix("[") && text.hasSuffix("]") {
                let name = text.dropFirst().dropLast().trimmedWhitespace
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
                continue
            }
            guard let current, let equals = text.firstIndex(of: "=") else { continue }
            let key = text[..<equals].trimmedWhitespace, value = text[text.index(after: equals)...].trimmedWhitespace
            if !value.isEmpty { sections[current, default: [:]][key] = value }
        }
        return sections
    }

    /// The parts of the aliyun CLI's config.json slbcert reads.
    struct CLIConfig {
        var current: String?
        var profiles: [CLIProfile]?

        init?(json: JSON?) {
            guard let json, case .object = json else { return nil }
            current = json["current"]?.string
            if let list = json["profiles"] {
                guard let items = list.array else { return nil }
                profiles = items.map(CLIProfile.init)
            }
        }
    }

    struct CLIProfile {
        var name, mode, access_key_id, access_key_secret, sts_token, ram_role_name, region_id: String?

        init(json: JSON) {
            name = json["name"]?.string
            mode = json["mode"]?.string
            access_key_id = json["access_key_id"]?.string
            access_key_secret = json["access_key_secret"]?.string
            sts_token = json["sts_token"]?.string
            ram_role_name = json["ram_role_name"]?.string
            region_id = json["region_id"]?.string
        }
    }
}
