/// Where a region's SLB API lives (spec section 4), and what an explicit endpoint URL means.
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
        let valid = !region.isEmpty && region.count <= 64 && region.utf8.allSatisfy {
            ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45
        }
        guard valid else {
            throw SLBCertError(.invalidArgument, "\"\(region)\" is not a region id (e.g. cn-hangzhou).",
                               hint: "Give --region, ALIBABA_CLOUD_REGION_ID or a profile's region_id.")
        }
    }

    /// The base URL ("https://host[:port]") and the host as signed, from an explicit endpoint.
    /// Plain http is refused except on loopback: the request carries a private key.
    static func parse(_ endpoint: String) throws(SLBCertError) -> (baseURL: String, host: String) {
        var text = endpoint
        while text.hasSuffix("/") { text.removeLast() }
        let scheme: String
        if text.hasPrefix("https://") { scheme = "https" } else if text.hasPrefix("http://") { scheme = "http" } else {
            throw SLBCertError(.invalidArgument, "The endpoint \"\(endpoint)\" must start with https:// (or http:// for a loopback emulator).")
        }
        let host = String(text.dropFirst(scheme.count + 3))
        guard !host.isEmpty, !host.contains("/"), !host.contains("?"), !host.contains("@"),
              host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw SLBCertError(.invalidArgument, "The endpoint \"\(endpoint)\" must be scheme://host[:port] with no path.")
        }
        if scheme == "http", !isLoopback(host) {
            throw SLBCertError(.invalidArgument, "Refusing plain http:// to \(host): requests carry keys and signatures. Use https://.")
        }
        return ("\(scheme)://\(host)", host)
    }

    static func isLoopback(_ hostAndPort: String) -> Bool {
        var host = hostAndPort
        if host.hasPrefix("[") { host = String(host.dropFirst().prefix { $0 != "]" }) }
        else if let colon = host.lastIndex(of: ":") { host = String(host[..<colon]) }
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
