import Foundation
import Testing
@testable import SLBCert

/// `SLBClient.init(settings:)` is the one place that applies defaults, reads the environment,
/// resolves the region and checks ranges; these tests pin each rule there.
@Suite struct ClientSettingsTests {
    let credentials = StaticCredentialsProvider(Credentials(accessKeyId: "id", accessKeySecret: "secret"))

    func settings(_ environment: [String: String] = [:], configure: (inout ClientSettings) -> Void = { _ in }) -> ClientSettings {
        var settings = ClientSettings(region: "cn-hangzhou", credentials: credentials)
        settings.environment = environment
        configure(&settings)
        return settings
    }

    @Test("nil means the default, for every numeric setting")
    func defaults() throws {
        let configuration = try SLBClient(settings: settings()).configuration
        #expect(configuration.transport.connectTimeoutMilliseconds == ClientSetting.connectTimeout.defaultValue)
        #expect(configuration.requestTimeoutMilliseconds == ClientSetting.requestTimeout.defaultValue)
        #expect(configuration.uploadTimeoutMilliseconds == ClientSetting.uploadTimeout.defaultValue)
        #expect(configuration.uploadSettleMilliseconds == ClientSetting.uploadSettle.defaultValue)
        #expect(configuration.retry.deadlineMilliseconds == ClientSetting.deadline.defaultValue)
        #expect(configuration.retry.maxAttempts == ClientSetting.maxAttempts.defaultValue)
        #expect(configuration.signatureVersion == .v1 && configuration.placement == .body)
        #expect(configuration.baseURL == "https://slb.aliyuncs.com")
    }

    static func keyPath(_ setting: ClientSetting) -> WritableKeyPath<ClientSettings, Int?> {
        switch setting {
        case .connectTimeout: return \.connectTimeoutMilliseconds
        case .requestTimeout: return \.requestTimeoutMilliseconds
        case .uploadTimeout: return \.uploadTimeoutMilliseconds
        case .deadline: return \.deadlineMilliseconds
        case .uploadSettle: return \.uploadSettleMilliseconds
        case .maxAttempts: return \.maxAttempts
        }
    }

    @Test("every numeric setting accepts its bounds and refuses what lies outside, naming itself", arguments: ClientSetting.allCases)
    func ranges(_ setting: ClientSetting) throws {
        let keyPath = Self.keyPath(setting)
        for value in [setting.range.lowerBound, setting.range.upperBound] {
            #expect(throws: Never.self) { _ = try SLBClient(settings: settings { $0[keyPath: keyPath] = value }) }
        }
        for value in [setting.range.lowerBound - 1, setting.range.upperBound + 1, -1, Int.max, Int.min] {
            let error = #expect(throws: SLBCertError.self) { _ = try SLBClient(settings: settings { $0[keyPath: keyPath] = value }) }
            #expect(error?.kind == .invalidArgument && error?.reason == .settingOutOfRange)
            #expect(error?.argument == setting.rawValue && error?.value == String(value))
            #expect(error?.message.contains("\(setting.range.upperBound)") == true)
        }
    }

    @Test("the deadline at its maximum cannot overflow the clock arithmetic")
    func largestDeadlineIsSafe() throws {
        let client = try SLBClient(settings: settings { $0.deadlineMilliseconds = ClientSetting.deadline.range.upperBound })
        let deadline = Deadline(fromNow: client.configuration.retry.deadlineMilliseconds)
        #expect(deadline.remaining > 0)
    }

    @Test("region: the argument, then ALIBABA_CLOUD_REGION_ID, then the credentials profile")
    func regionOrder() throws {
        let home = try ScratchHome()
        try home.write(".aliyun/config.json", cliConfig)
        let environment = ["HOME": home.url.path, "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"]
        func region(_ argument: String?, _ extra: [String: String]) throws -> String {
            var settings = ClientSettings(region: argument)
            settings.environment = environment.merging(extra) { $1 }
            return try SLBClient(settings: settings).configuration.regionId
        }
        #expect(try region(nil, [:]) == "cn-hangzhou")
        #expect(try region(nil, ["ALIBABA_CLOUD_REGION_ID": "us-west-1"]) == "us-west-1")
        #expect(try region("cn-qingdao", ["ALIBABA_CLOUD_REGION_ID": "us-west-1"]) == "cn-qingdao")
        var settings = ClientSettings()
        settings.environment = environment
        settings.profile = "arn-less"
        #expect { _ = try SLBClient(settings: settings) } throws: { ($0 as? SLBCertError)?.reason == .noSuchProfile }

        var none = ClientSettings(credentials: credentials)
        none.environment = [:]
        let error = #expect(throws: SLBCertError.self) { _ = try SLBClient(settings: none) }
        #expect(error?.reason == .noRegion && error?.argument == "region")
    }

    @Test("SLBCERT_ENDPOINT points an unchanged program elsewhere; an explicit endpoint wins")
    func endpointOverride() throws {
        #expect(try SLBClient(settings: settings(["SLBCERT_ENDPOINT": "https://127.0.0.1:8443"])).baseURL == "https://127.0.0.1:8443")
        #expect(try SLBClient(settings: settings(["SLBCERT_ENDPOINT": "https://127.0.0.1:8443"]) { $0.endpoint = "https://127.0.0.2:9" }).baseURL
                == "https://127.0.0.2:9")
        #expect(try SLBClient(settings: settings { $0.region = "eu-central-1" }).baseURL == "https://slb.eu-central-1.aliyuncs.com")
    }

    @Test("CA bundle: SLBCERT_CA_BUNDLE, then ALIBABA_CLOUD_CA_BUNDLE; an unreadable file is refused at once")
    func caBundle() throws {
        let home = try ScratchHome()
        try home.write("a.pem", "x")
        try home.write("b.pem", "x")
        let a = home.url.path + "/a.pem", b = home.url.path + "/b.pem"
        #expect(try SLBClient(settings: settings(["SLBCERT_CA_BUNDLE": a, "ALIBABA_CLOUD_CA_BUNDLE": b])).configuration.transport.caBundle == a)
        #expect(try SLBClient(settings: settings(["ALIBABA_CLOUD_CA_BUNDLE": b])).configuration.transport.caBundle == b)
        #expect(try SLBClient(settings: settings(["ALIBABA_CLOUD_CA_BUNDLE": b]) { $0.caBundle = a }).configuration.transport.caBundle == a)
        let error = #expect(throws: SLBCertError.self) { _ = try SLBClient(settings: settings { $0.caBundle = home.url.path + "/missing.pem" }) }
        #expect(error?.reason == .caBundleUnreadable)
    }

    @Test("a user agent suffix cannot start a header line of its own", arguments: ["x\r\nX-Evil: 1", "x\nX-Evil: 1", "x\r", "tab\u{7f}", String(repeating: "a", count: 257)])
    func userAgentInjection(_ suffix: String) {
        let error = #expect(throws: SLBCertError.self) { _ = try SLBClient(settings: settings { $0.userAgentSuffix = suffix }) }
        #expect(error?.reason == .invalidSetting && error?.argument == "userAgentSuffix")
    }

    @Test("the transport refuses a header holding CR or LF before connecting")
    func transportRefusesControlCharacters() throws {
        let transport = CurlTransport(options: TransportOptions())
        for header in [HTTPHeader("X-Test", "a\r\nInjected: 1"), HTTPHeader("Bad Name", "v"), HTTPHeader("X:Y", "v")] {
            let request = HTTPRequest(method: "POST", url: "https://127.0.0.1:9/", headers: [header], timeoutMilliseconds: 100)
            #expect { _ = try transport.send(request) } throws: { ($0 as? SLBCertError)?.kind == .invalidArgument }
        }
    }

    @Test("plain http only to an address that is loopback, parsed as an address", arguments: [
        "http://127.attacker.example", "http://127.0.0.1.nip.io:80", "http://[::1].evil:80", "http://localhost.evil",
        "http://127.0.0.1@evil.example", "http://0x7f.0.0.1", "http://127.1", "http://[::ffff:10.0.0.1]", "http://10.0.0.1",
    ])
    func plainHTTPRefused(_ endpoint: String) {
        let error = #expect(throws: SLBCertError.self) { _ = try Endpoints.parse(endpoint) }
        #expect(error?.argument == "endpoint")
    }

    @Test("loopback endpoints over plain http are accepted", arguments: [
        "http://127.0.0.1", "http://127.0.0.1:8443", "http://127.9.8.7:80/", "http://localhost:1", "http://[::1]:8443", "http://[0:0:0:0:0:0:0:1]",
    ])
    func loopbackAccepted(_ endpoint: String) throws {
        let (baseURL, _) = try Endpoints.parse(endpoint)
        #expect(baseURL.hasPrefix("http://"))
    }

    @Test("malformed authorities are refused", arguments: ["https://", "https://host:0", "https://host:65536", "https://host:8x", "https://[::1", "https://h/p", "https://a b"])
    func malformed(_ endpoint: String) {
        #expect(throws: SLBCertError.self) { _ = try Endpoints.parse(endpoint) }
    }
}

/// The one table of numeric defaults and ranges is `ClientSetting`; the header and the README quote
/// it, and these tests keep the quotes true (the CLI's --help computes its text from the table).
@Suite struct SettingsTableQuotes {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fields: [ClientSetting: String] = [
        .connectTimeout: "connect_timeout_ms", .requestTimeout: "request_timeout_ms", .uploadTimeout: "upload_timeout_ms",
        .deadline: "deadline_ms", .uploadSettle: "upload_settle_ms", .maxAttempts: "max_attempts",
    ]

    /// Rows "| field | default | low to high |" (the README wraps field names in backquotes).
    static func rows(_ file: String) throws -> [String: (Int, Int, Int)] {
        let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
        var found: [String: (Int, Int, Int)] = [:]
        for line in text.split(separator: "\n") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "`", with: "") }
            guard cells.count >= 3, fields.values.contains(cells.first { !$0.hasPrefix("*") } ?? "") else { continue }
            let name = cells.first { !$0.hasPrefix("*") }!
            let values = cells.dropFirst(cells.firstIndex(of: name)! + 1)
            guard let defaultValue = Int(values.first ?? ""), let range = values.dropFirst().first?.components(separatedBy: " to "),
                  range.count == 2, let low = Int(range[0]), let high = Int(range[1]) else { continue }
            found[name] = (defaultValue, low, high)
        }
        return found
    }

    @Test("the header's and the README's tables are the core's", arguments: ["include/slbcert.h", "README.md"])
    func quotes(_ file: String) throws {
        let quoted = try Self.rows(file)
        for setting in ClientSetting.allCases {
            let field = try #require(Self.fields[setting])
            let row = try #require(quoted[field], "\(file) has no row for \(field)")
            #expect(row.0 == setting.defaultValue && row.1 == setting.range.lowerBound && row.2 == setting.range.upperBound,
                    "\(file): \(field) is \(row), the core says \(setting.defaultValue), \(setting.range)")
        }
    }
}
