/// Removes secrets from text before it reaches a log line or an error message: the values of
/// AccessKeySecret, SecurityToken (and x-acs-security-token), Signature, Authorization and PrivateKey
/// in query strings, form bodies, V1 strings-to-sign (percent-encoded once or twice), headers and
/// JSON, and whole PEM private-key blocks, plain or percent-encoded.
public enum Redactor {
    public static let placeholder = "[REDACTED]"

    private static let names = "AccessKeySecret|access_key_secret|x-acs-security-token|SecurityToken|security_token|"
        + "sts_token|Signature|Authorization|PrivateKey|private_key|X-aliyun-ecs-metadata-token"
    private static let space = "(?:[ ]|%20|%2520|\\+)"

    nonisolated(unsafe) private static let pemBlock = try! Regex(
        "-----BEGIN\(space)(?:[A-Za-z0-9]+\(space))*PRIVATE\(space)KEY-----[\\s\\S]*?(?:-----END[^-]*-----|$)")
    /// "Name": "value" and 'Name': 'value' (JSON, Python reprs).
    nonisolated(unsafe) private static let quoted = try! Regex(
        "(?i)([\"'](?:\(names))[\"']\\s*:\\s*)([\"'])((?:\\\\.|[^\"'\\\\])*)([\"'])")
    /// Name=value in queries and bodies, and Name%3Dvalue inside an encoded canonical string.
    nonisolated(unsafe) private static let parameter = try! Regex(
        "(?i)((?:^|%26|%2526|%3F|[^A-Za-z0-9_-])(?:\(names))(?:=|%3D|%253D))((?:(?!%26|%2526)[^&\\s\"'<>])*)")
    /// Name: value header lines (and V3's canonical `name:value` lines).
    nonisolated(unsafe) private static let header = try! Regex(
        "(?im)(^[ \\t]*(?:\(names))[ \\t]*:[ \\t]*)(?![\"'])(.*)$")

    public static func redact(_ text: String) -> String {
        var result = text.replacing(pemBlock) { _ in placeholder }
        result = result.replacing(quoted) { match in
            "\(match.output[1].substring ?? "")\(match.output[2].substring ?? "")\(placeholder)\(match.output[4].substring ?? "")"
        }
        result = result.replacing(header) { match in "\(match.output[1].substring ?? "")\(placeholder)" }
        result = result.replacing(parameter) { match in
            let value = match.output[2].substring ?? ""
            return "\(match.output[1].substring ?? "")\(value.isEmpty || value == placeholder ? value : Substring(placeholder))"
        }
        return result
    }
}
