#if canImport(Glibc)
import Glibc
#endif

/// Where a region's SLB API lives (docs/protocol.md section 4), and what an explicit endpoint URL means.
public enum Endpoints {
    /// Regions served by the central endpoint; every other region has its own host.
    static let centralRegions: Set<String> = [
        "cn-qingdao", "cn-beijing", "cn-hangzhou", "cn-shanghai", "cn-shenzhen", "cn-hongkong",
        "ap-southeast-1", "us-east-1", "us-west-1",
        "cn-shanghai-finance-1", "cn-shenzhen-finance-1", "cn-north-2-gov-1",
    ]

    public static func host(forRegion region: String) -> String {
        centralRegions.contains(region) ? "slb.aliyuncs.com" : "slb.\(region).aliyuncs.com"
    }

    /// A region id as the service spells them: lower-case letters, digits and '-'.
    static func checkRegion(_ region: String) throws(SLBCertError) {
        let valid = !region.isEmpty && region.utf8.count <= 64 && region.utf8.allSatisfy {
            ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45
        }
        guard valid else {
            var error = SLBCertError(.invalidArgument, "\"\(region)\" is not a region id (e.g. cn-hangzhou).")
            error.reason = .invalidRegion
            error.argument = "region"
            throw error
        }
    }

    /// The base URL ("https://host[:port]") and the host as signed, from an explicit endpoint.
    /// Plain http is refused except to a loopback address: the request carries a private key.
    static func parse(_ endpoint: String) throws(SLBCertError) -> (baseURL: String, host: String) {
        func refuse(_ message: String, _ reason: SLBCertError.Reason = .invalidEndpoint) -> SLBCertError {
            var error = SLBCertError(.invalidArgument, message)
            error.reason = reason
            error.argument = "endpoint"
            return error
        }
        var text = endpoint
        while text.hasSuffix("/") { text.removeLast() }
        let scheme: String
        if text.hasPrefix("https://") { scheme = "https" } else if text.hasPrefix("http://") { scheme = "http" } else {
            throw refuse("The endpoint \"\(endpoint)\" must start with https:// (or http:// for a loopback emulator).")
        }
        let authority = String(text.dropFirst(scheme.count + 3))
        guard let (host, port) = splitAuthority(authority),
              authority.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw refuse("The endpoint \"\(endpoint)\" must be scheme://host[:port] with no path.")
        }
        if scheme == "http", !isLoopback(host) {
            throw refuse("Refusing plain http:// to \(host): requests carry keys and signatures. Use https:// (plain http is allowed only to 127.0.0.0/8, [::1] and localhost).",
                         .plainHTTPRefused)
        }
        _ = port
        return ("\(scheme)://\(authority)", authority)
    }

    /// Host and optional port of "host", "host:port", "[v6]" or "[v6]:port"; nil when malformed.
    static func splitAuthority(_ authority: String) -> (host: String, port: Int?)? {
        var host = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
            guard parseIPv6(host) != nil else { return nil }
        } else if let colon = authority.firstIndex(of: ":") {
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        }
        guard !host.isEmpty, !host.contains("/"), !host.contains("?"), !host.contains("@"), !host.contains("#") else { return nil }
        guard let portText else { return (host, nil) }
        guard (1...5).contains(portText.count), portText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let port = Int(portText), (1...65535).contains(port) else { return nil }
        return (host, port)
    }

    /// True for exactly "localhost", an IPv4 literal in 127.0.0.0/8, or the IPv6 literal ::1; the
    /// name is parsed as an address, never matched by prefix (127.attacker.example is not loopback).
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        if let address = parseIPv4(host) { return address >> 24 == 127 }
        if let address = parseIPv6(host) { return address == [UInt8](repeating: 0, count: 15) + [1] }
        return false
    }

    /// A dotted-quad IPv4 literal (inet_pton's strict form: four decimal parts) as a number.
    static func parseIPv4(_ text: String) -> UInt32? {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return UInt32(bigEndian: address.s_addr)
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}
