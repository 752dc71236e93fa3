import Foundation
import Testing
@testable import SLBCert

/// A scratch home directory per test; nothing touches the real $HOME or the process environment.
final class ScratchHome {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("slbcert-home-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ relative: String, _ text: String, mode: Int = 0o600) throws {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file.path)
    }

    func environment(_ variables: [String: String] = [:]) -> CredentialsEnvironment {
        CredentialsEnvironment(variables: variables, homeDirectory: url.path)
    }
}

let cliConfig = """
{"current": "default", "profiles": [
  {"name": "default", "mode": "AK", "access_key_id": "cli-id", "access_key_secret": "cli-secret", "region_id": "cn-hangzhou"},
  {"name": "sts", "mode": "StsToken", "access_key_id": "sts-id", "access_key_secret": "sts-secret", "sts_token": "sts-tok", "region_id": "eu-central-1"},
  {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "MyRole", "region_id": "cn-beijing"},
  {"name": "arn", "mode": "RamRoleArn", "access_key_id": "a", "access_key_secret": "b"},
  {"name": "broken", "mode": "AK", "access_key_id": "only-id"}], "meta_path": ""}
"""

let iniFile = """
# written by hand
[default]
type = access_key            # the plain kind
access_key_id = ini-id
access_key_secret = ini#secret   # a '#' inside a value stays
region_id = ap-southeast-1

[ecs]
type = ecs_ram_role
role_name = IniRole

[arn]
type = ram_role_arn
"""

/// A transport that must not be used (the sources under test never go to the network).
struct NoNetwork: HTTPTransport {
    func send(_ request: HTTPRequest) throws(SLBCertError) -> HTTPResponse {
        throw SLBCertError(.network, "unexpected request to \(request.url)")
    }
}

@Suite struct CredentialsSourceTests {
    func secret(_ credentials: Credentials) -> String { credentials.accessKeySecret.unsafeString() }

    @Test func environmentCurrentNames() throws {
        let home = try ScratchHome()
        let found = try #require(try EnvironmentCredentials.resolve(home.environment([
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "env-id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-secret",
            "ALIBABA_CLOUD_SECURITY_TOKEN": "env-token", "ALIYUN_ACCESS_KEY_ID": "older"])))
        let credentials = try found.provider.credentials()
        #expect(credentials.accessKeyId == "env-id" && secret(credentials) == "env-secret")
        #expect(credentials.securityToken?.unsafeString() == "env-token")
        #expect(found.sourceName == "environment")
    }

    @Test(arguments: [("ALIBABACLOUD_ACCESS_KEY_ID", "ALIBABACLOUD_ACCESS_KEY_SECRET"), ("ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY"),
                      ("ALICLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY_SECRET"), ("ALIYUN_ACCESS_KEY_ID", "ALIYUN_ACCESS_KEY_SECRET")])
    func environmentOlderNames(id: String, secretName: String) throws {
        let found = try #require(try EnvironmentCredentials.resolve(try ScratchHome().environment([id: "old-id", secretName: "old-secret"])))
        #expect(try found.provider.credentials().accessKeyId == "old-id")
    }

    @Test func environmentHalfSetIsAnErrorThatNamesTheVariable() throws {
        #expect(try EnvironmentCredentials.resolve(try ScratchHome().environment([:])) == nil)
        let error = #expect(throws: SLBCertError.self) {
            try EnvironmentCredentials.resolve(try ScratchHome().environment(["ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s3cr3t"]))
        }
        #expect(error?.message.contains("ALIBABA_CLOUD_ACCESS_KEY_ID") == true)
        #expect(error?.message.contains("s3cr3t") == false)
    }

    func cli(_ profile: String?, _ home: ScratchHome, _ variables: [String: String] = [:]) throws -> ResolvedCredentials? {
        try ProfileCredentials.resolveCLIProfile(profile, environment: home.environment(variables),
                                                 metadata: ECSMetadataOptions(transport: NoNetwork()))
    }

    @Test func cliProfileModes() throws {
        let home = try ScratchHome()
        try home.write(".aliyun/config.json", cliConfig)
        let current = try #require(try cli(nil, home))
        #expect(current.sourceName == "profile:default" && current.region == "cn-hangzhou" && current.warnings.isEmpty)
        #expect(secret(try current.provider.credentials()) == "cli-secret")
        let sts = try #require(try cli(nil, home, ["ALIBABA_CLOUD_PROFILE": "sts"]))
        #expect(try sts.provider.credentials().securityToken?.unsafeString() == "sts-tok")
        #expect(sts.sourceName == "profile:sts" && sts.region == "eu-central-1")
        let ecs = try #require(try cli("ecs", home))
        #expect(ecs.provider is ECSRoleCredentialsProvider)
        #expect(ecs.provider.sourceName == "ecs_ram_role:MyRole")
    }

    @Test func cliProfileProblemsAreClear() throws {
        let home = try ScratchHome()
        #expect(try cli(nil, home) == nil)  // no file: not configured
        try home.write(".aliyun/config.json", cliConfig)
        let unsupported = #expect(throws: SLBCertError.self) { try cli("arn", home) }
        #expect(unsupported?.message == "unsupported credential mode RamRoleArn in profile arn")
        let missing = #expect(throws: SLBCertError.self) { try cli("broken", home) }
        #expect(missing?.message.contains("access_key_secret is missing") == true)
        let unknown = #expect(throws: SLBCertError.self) { try cli("nope", home) }
        #expect(unknown?.message.contains("no profile nope") == true)
        try home.write(".aliyun/config.json", "{\"current\": \"default\", \"profiles\": [")
        let bad = #expect(throws: SLBCertError.self) { try cli(nil, home) }
        #expect(bad?.message.contains("not valid JSON") == true)
        #expect(bad?.kind == .credentials)
    }

    @Test func widePermissionsGiveAWarning() throws {
        let home = try ScratchHome()
        try home.write(".aliyun/config.json", cliConfig, mode: 0o644)
        let found = try #require(try cli(nil, home))
        #expect(found.warnings.count == 1)
        #expect(found.warnings.first?.contains("chmod 600") == true)
        #expect(found.warnings.first?.contains("cli-secret") == false)
    }

    func ini(_ profile: String?, _ home: ScratchHome, _ variables: [String: String] = [:]) throws -> ResolvedCredentials? {
        try ProfileCredentials.resolveINIProfile(profile, environment: home.environment(variables),
                                                 metadata: ECSMetadataOptions(transport: NoNetwork()))
    }

    @Test func iniProfiles() throws {
        let home = try ScratchHome()
        #expect(try ini(nil, home) == nil)
        try home.write(".alibabacloud/credentials", iniFile, mode: 0o640)
        let found = try #require(try ini(nil, home))
        let credentials = try found.provider.credentials()
        #expect(credentials.accessKeyId == "ini-id" && secret(credentials) == "ini#secret")
        #expect(found.sourceName == "ini:default" && found.region == "ap-southeast-1")
        #expect(found.warnings.count == 1)
        #expect(try #require(try ini("ecs", home)).provider.sourceName == "ecs_ram_role:IniRole")
        let unsupported = #expect(throws: SLBCertError.self) { try ini("arn", home) }
        #expect(unsupported?.message.contains("unsupported credential type ram_role_arn in profile arn") == true)
        #expect(throws: SLBCertError.self) { try ini("absent", home) }
    }

    @Test func iniFileFromTheEnvironmentMustExist() throws {
        let home = try ScratchHome()
        try home.write("elsewhere.ini", "[work]\ntype = access_key\naccess_key_id = w\naccess_key_secret = ws\n")
        let found = try #require(try ini(nil, home, ["ALIBABA_CLOUD_CREDENTIALS_FILE": home.url.path + "/elsewhere.ini",
                                                    "ALIBABA_CLOUD_PROFILE": "work"]))
        #expect(found.sourceName == "ini:work")
        let error = #expect(throws: SLBCertError.self) {
            try ini(nil, home, ["ALIBABA_CLOUD_CREDENTIALS_FILE": home.url.path + "/missing.ini"])
        }
        #expect(error?.message.contains("missing.ini") == true)
    }

    @Test func chainOrder() throws {
        let home = try ScratchHome()
        let env = ["ALIBABA_CLOUD_ACCESS_KEY_ID": "env-id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-secret"]
        try home.write(".aliyun/config.json", cliConfig)
        try home.write(".alibabacloud/credentials", iniFile)
        func resolve(_ variables: [String: String], explicit: Credentials? = nil) throws -> ResolvedCredentials {
            try DefaultCredentialsChain(environment: home.environment(variables), explicit: explicit,
                                        metadataTransport: NoNetwork()).resolve()
        }
        #expect(try resolve(env, explicit: Credentials(accessKeyId: "x", accessKeySecret: "y")).sourceName == "static")
        #expect(try resolve(env).sourceName == "environment")
        #expect(try resolve([:]).sourceName == "profile:default")
        // The source reports its own region only; the client decides between it, the argument and the environment.
        #expect(try resolve([:]).region == "cn-hangzhou")
        #expect(try resolve(["ALIBABA_CLOUD_REGION_ID": "us-west-1"]).region == "cn-hangzhou")
        try FileManager.default.removeItem(at: home.url.appendingPathComponent(".aliyun"))
        #expect(try resolve([:]).sourceName == "ini:default")
        try FileManager.default.removeItem(at: home.url.appendingPathComponent(".alibabacloud"))
        // Next comes the instance role, which here cannot be reached: the error says so.
        let ecs = #expect(throws: SLBCertError.self) { try resolve([:]) }
        #expect(ecs?.message.contains("ecs_ram_role") == true)
        let none = #expect(throws: SLBCertError.self) { try resolve(["ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"]) }
        #expect(none?.message.hasPrefix("no credentials found") == true)
    }
}
