// The JSON decoder (JSON.parse) and the client's reading of the service's answers.
//
// Input: the body of an answer. Each run:
// 1. JSON.parse; every accessor of every value is read; a document with finite numbers is written
//    (compact and pretty) and parsed back to an equal value;
// 2. the body is the answer to a DescribeServerCertificates call (HTTP 200) and to a
//    SetServerCertificateName call (an HTTP status chosen by the body's length), through SLBClient with a
//    transport that returns it: ServiceAnswer.decode and ServerCertificate(json:) run as in a real call.
//    A 2xx JSON document without a Code is a success with one certificate per item of its list, equal to
//    what the JSON tree gives (the client reads answers straight from their bytes); anything else is a
//    service or protocol error with a message; no error and no log line holds the secret.
import FuzzSupport
import SLBCert

private let accessKeySecret = "fuzz-secret-Zq7wXy"
private let statuses = [200, 200, 204, 400, 403, 404, 414, 500, 502, 503]

/// Returns the fuzzed body whatever the request, as one server would.
private struct AnswerTransport: HTTPTransport {
    let response: HTTPResponse
    func send(_ request: HTTPRequest) throws(SLBCertError) -> HTTPResponse { response }
}

/// Collects log lines (the client logs each attempt through the Redactor).
private final class LogLines: @unchecked Sendable {
    var lines: [String] = []
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = Fuzz.input(data, size)
    let parsed = JSON.parse(body)
    if let parsed {
        var finite = true
        walk(parsed, finite: &finite)
        if finite {
            for pretty in [false, true] {
                let text = parsed.serialized(pretty: pretty)
                guard let again = JSON.parse(text) else { Fuzz.fail("JSON.serialized wrote what JSON.parse refuses: \(text)") }
                Fuzz.check(again == parsed, "writing and reading back changed the value: \(text)")
            }
        }
    }
    let secretGiven = Fuzz.contains(body, accessKeySecret.utf8)

    let log = LogLines()
    let describeClient = client(status: 200, body: body, log: log)
    do {
        let (certificates, requestId) = try describeClient.describe()
        guard let parsed, parsed["Code"] == nil else { Fuzz.fail("describe succeeded on an answer that is not JSON without Code") }
        Fuzz.check(certificates.count == listCount(parsed["ServerCertificates"], "ServerCertificate"),
                   "describe returned \(certificates.count) certificates for a list of another length")
        // The client reads answers straight from their bytes; the tree must give the same certificates.
        let treeRequestId = parsed["RequestId"]?.string ?? ""
        let fromTree = ServerCertificate.list(parsed["ServerCertificates"], "ServerCertificate")
            .map { ServerCertificate(json: $0, requestId: treeRequestId) }
        Fuzz.check(requestId == treeRequestId, "describe's RequestId \(requestId) is not the tree's \(treeRequestId)")
        Fuzz.check(certificates == fromTree, "describe read other certificates than the JSON tree gives")
        for certificate in certificates { _ = certificate.json.serialized() }
    } catch {
        check(error, secretGiven: secretGiven)
    }

    let status = statuses[body.count % statuses.count]
    do {
        _ = try client(status: status, body: body, log: log).rename(serverCertificateId: "123_abc", to: "fuzz")
        Fuzz.check((200..<300).contains(status) && parsed?["Code"] == nil, "rename succeeded on HTTP \(status)")
    } catch {
        check(error, secretGiven: secretGiven)
    }
    if !secretGiven {
        for line in log.lines { Fuzz.check(!line.contains(accessKeySecret), "a log line holds the secret: \(line)") }
    }
    return 0
}

private func client(status: Int, body: [UInt8], log: LogLines) -> SLBClient {
    let credentials = StaticCredentialsProvider(Credentials(accessKeyId: "fuzz-id", accessKeySecret: accessKeySecret))
    var settings = ClientSettings(region: "cn-hangzhou", credentials: credentials)
    settings.maxAttempts = 1
    settings.environment = [:]  // nothing from this process's environment (SLBCERT_ENDPOINT, ...)
    settings.logger = Logger(level: .debug) { _, line in log.lines.append(line) }
    let response = HTTPResponse(status: status, headers: [HTTPHeader("content-type", "application/json"),
                                                          HTTPHeader("x-acs-retry-after", String(body.count))], body: body)
    do {
        return try SLBClient(settings: settings, transport: AnswerTransport(response: response))
    } catch {
        Fuzz.fail("SLBClient refused a fixed configuration: \(error)")
    }
}

private func check(_ error: SLBCertError, secretGiven: Bool) {
    Fuzz.check(error.kind == .service || error.kind == .protocol, "an answer gave a \(error.kind) error: \(error)")
    Fuzz.check(!error.message.isEmpty, "an error without a message")
    if !secretGiven {
        Fuzz.check(!"\(error)".contains(accessKeySecret), "an error holds the secret")
    }
}

/// How many items the service's list wrapper holds: {"Name": [...]} or a bare array; anything else is none.
private func listCount(_ wrapper: JSON?, _ name: String) -> Int {
    guard let wrapper else { return 0 }
    if let direct = wrapper.array { return direct.count }
    return wrapper[name]?.array?.count ?? 0
}

/// Reads every accessor of every value (none may trap), and notes whether every number is finite.
private func walk(_ value: JSON, finite: inout Bool) {
    _ = value.string
    _ = value.int64
    _ = value.bool
    _ = value["ServerCertificateId"]
    switch value {
    case .number(let number): if !number.isFinite { finite = false }
    case .array(let values): for item in values { walk(item, finite: &finite) }
    case .object(let members):
        for (_, item) in members { walk(item, finite: &finite) }
    default: break
    }
}
