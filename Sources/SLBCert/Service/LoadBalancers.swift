/// The Classic Load Balancer reads and writes a deploy needs (docs/clb-listeners.md section 3): load
/// balancers, their HTTPS listeners with the SNI domain extensions, and the two minimal Set calls.
/// Lists are read in both nestings the service uses (section 2), and every integer field is taken
/// as an integer or a decimal string.

/// A load balancer as DescribeLoadBalancers reports it: the fields a deploy decides on.
public struct LoadBalancer: Sendable, Equatable {
    public let loadBalancerId: String
    public let name: String
    /// `active`, `inactive` or `locked`.
    public let status: String
    /// Empty on a shared-performance instance (which has no SNI).
    public let spec: String
    /// The IP clients connect to.
    public let address: String
    public let regionId: String
    public let tags: [ServerCertificate.Tag]

    init(json: JSON) {
        loadBalancerId = json["LoadBalancerId"]?.string ?? ""
        name = json["LoadBalancerName"]?.string ?? ""
        status = json["LoadBalancerStatus"]?.string ?? ""
        spec = json["LoadBalancerSpec"]?.string ?? ""
        address = json["Address"]?.string ?? ""
        regionId = json["RegionId"]?.string ?? ""
        tags = ServerCertificate.list(json["Tags"], "Tag").map {
            ServerCertificate.Tag(key: $0["TagKey"]?.string ?? "", value: $0["TagValue"]?.string ?? "")
        }
    }
}

/// An SNI domain extension of an HTTPS listener.
public struct DomainExtension: Sendable, Equatable {
    public let domainExtensionId: String
    /// An exact host name or a `*.` wildcard.
    public let domain: String
    public let serverCertificateId: String
}

/// One HTTPS listener as DescribeLoadBalancerHTTPSListenerAttribute reports it: its certificates
/// and, as text, every other scalar attribute (the snapshot a deploy compares after a change).
public struct HTTPSListener: Sendable, Equatable {
    public let loadBalancerId: String
    public let port: Int
    public let status: String
    /// The default certificate: served when no extension matches the client's SNI name.
    public let serverCertificateId: String
    public let domainExtensions: [DomainExtension]
    /// Every other scalar attribute by name, as text (`15` and `"15"` read the same).
    public let attributes: [String: String]

    /// Read elsewhere, or identity: not part of what a certificate switch may change.
    static let notCompared: Set<String> = ["LoadBalancerId", "ListenerPort", "ServerCertificateId", "Status", "RequestId"]

    init(json: JSON, loadBalancerId: String, port: Int) {
        self.loadBalancerId = json["LoadBalancerId"]?.string ?? loadBalancerId
        self.port = json["ListenerPort"]?.int64.flatMap { Int(exactly: $0) } ?? port
        status = json["Status"]?.string ?? ""
        serverCertificateId = json["ServerCertificateId"]?.string ?? ""
        domainExtensions = ServerCertificate.list(json["DomainExtensions"], "DomainExtension").map {
            DomainExtension(domainExtensionId: $0["DomainExtensionId"]?.string ?? "", domain: $0["Domain"]?.string ?? "",
                            serverCertificateId: $0["ServerCertificateId"]?.string ?? "")
        }
        var attributes: [String: String] = [:]
        if case .object(let members) = json {
            for (name, value) in members where !Self.notCompared.contains(name) {
                switch value {
                case .string, .number, .bool: attributes[name] = value.string
                default: break  // lists (extensions, tags, ACL ids, rules) are not listener settings a Set sends
                }
            }
        }
        self.attributes = attributes
    }

    /// The certificate a binding slot uses now: the default (nil) or an extension; nil when the
    /// extension is gone.
    func certificate(forExtension extensionId: String?) -> String? {
        guard let extensionId else { return serverCertificateId }
        return domainExtensions.first { $0.domainExtensionId == extensionId }?.serverCertificateId
    }
}

extension SLBClient {
    /// Listener settings SetLoadBalancerHTTPSListenerAttribute takes (docs/clb-listeners.md section 3):
    /// the only attributes a deploy ever re-sends, and only those that drifted.
    static let settableListenerAttributes: Set<String> = [
        "Bandwidth", "Scheduler", "StickySession", "StickySessionType", "Cookie", "CookieTimeout", "HealthCheck",
        "HealthCheckDomain", "HealthCheckURI", "HealthCheckHttpCode", "HealthCheckMethod", "HealthCheckConnectPort",
        "HealthCheckInterval", "HealthCheckTimeout", "HealthyThreshold", "UnhealthyThreshold", "Gzip", "EnableHttp2",
        "TLSCipherPolicy", "IdleTimeout", "RequestTimeout", "Description", "VServerGroupId", "AclStatus", "AclType",
        "AclId", "XForwardedFor", "XForwardedFor_SLBIP", "XForwardedFor_SLBID", "XForwardedFor_SLBPORT",
        "XForwardedFor_proto", "XForwardedFor_ClientSrcPort", "CACertificateId",
    ]

    /// A bound on paging, so a service that keeps answering full pages cannot keep a call going forever.
    private static let maxPages = 1_000

    private func callOnce(_ action: String, _ parameters: [(String, String)]) throws(SLBCertError) -> JSON {
        try call(action, parameters, timeout: configuration.requestTimeoutMilliseconds,
                 deadline: Deadline(fromNow: configuration.retry.deadlineMilliseconds))
    }

    /// The region's load balancers, or only those named (at most 10 per request); paged until a short page.
    func loadBalancers(ids: [String] = []) throws(SLBCertError) -> [LoadBalancer] {
        let groups: [[String]] = ids.isEmpty ? [[]] : stride(from: 0, to: ids.count, by: 10).map { Array(ids[$0..<min($0 + 10, ids.count)]) }
        var found: [LoadBalancer] = []
        for group in groups {
            for page in 1...Self.maxPages {
                var parameters: [(String, String)] = [("RegionId", configuration.regionId), ("PageNumber", String(page)), ("PageSize", "100")]
                if !group.isEmpty { parameters.append(("LoadBalancerId", group.joined(separator: ","))) }
                let answer = try callOnce("DescribeLoadBalancers", parameters)
                let items = ServerCertificate.list(answer["LoadBalancers"], "LoadBalancer")
                found += items.map(LoadBalancer.init(json:))
                if items.count < 100 { break }
            }
        }
        var seen = Set<String>()
        return found.filter { seen.insert($0.loadBalancerId).inserted }
    }

    /// The ports of the HTTPS listeners of these load balancers (DescribeLoadBalancerListeners, which
    /// answers plain arrays and names up to 10 instances per request).
    func httpsListenerPorts(loadBalancerIds: [String]) throws(SLBCertError) -> [(loadBalancerId: String, port: Int)] {
        var found: [(loadBalancerId: String, port: Int)] = []
        for start in stride(from: 0, to: loadBalancerIds.count, by: 10) {
            let group = loadBalancerIds[start..<min(start + 10, loadBalancerIds.count)]
            var token = ""
            for _ in 1...Self.maxPages {
                var parameters: [(String, String)] = [("RegionId", configuration.regionId), ("ListenerProtocol", "https"), ("MaxResults", "100")]
                for (index, id) in group.enumerated() { parameters.append(("LoadBalancerId.\(index + 1)", id)) }
                if !token.isEmpty { parameters.append(("NextToken", token)) }
                let answer = try callOnce("DescribeLoadBalancerListeners", parameters)
                for listener in answer["Listeners"]?.array ?? [] {
                    // The filter asked for https; a listener of another protocol has no certificate to switch.
                    if let protocolName = listener["ListenerProtocol"]?.string, protocolName.lowercased() != "https" { continue }
                    guard let id = listener["LoadBalancerId"]?.string, let port = listener["ListenerPort"]?.int64.flatMap({ Int(exactly: $0) }) else { continue }
                    found.append((id, port))
                }
                let next = answer["NextToken"]?.string ?? ""
                if next.isEmpty || next == token { break }
                token = next
            }
        }
        return found
    }

    /// One HTTPS listener, its domain extensions included.
    func httpsListener(loadBalancerId: String, port: Int) throws(SLBCertError) -> HTTPSListener {
        let answer = try callOnce("DescribeLoadBalancerHTTPSListenerAttribute", [("RegionId", configuration.regionId),
                                                                               ("LoadBalancerId", loadBalancerId), ("ListenerPort", String(port))])
        return HTTPSListener(json: answer, loadBalancerId: loadBalancerId, port: port)
    }

    /// Switches a listener's default certificate with exactly RegionId, LoadBalancerId, ListenerPort and
    /// ServerCertificateId (docs/clb-listeners.md section 5); returns the RequestId.
    func setListenerCertificate(loadBalancerId: String, port: Int, certificateId: String) throws(SLBCertError) -> String {
        try setListener(loadBalancerId: loadBalancerId, port: port, [("ServerCertificateId", certificateId)])
    }

    /// Sends only the given listener settings (the drifted ones, with their snapshot values).
    func setListener(loadBalancerId: String, port: Int, _ settings: [(String, String)]) throws(SLBCertError) -> String {
        let answer = try callOnce("SetLoadBalancerHTTPSListenerAttribute", [("RegionId", configuration.regionId),
                                                                          ("LoadBalancerId", loadBalancerId),
                                                                          ("ListenerPort", String(port))] + settings)
        return answer["RequestId"]?.string ?? ""
    }

    /// Switches a domain extension's certificate with exactly RegionId, DomainExtensionId and ServerCertificateId.
    func setDomainExtensionCertificate(domainExtensionId: String, certificateId: String) throws(SLBCertError) -> String {
        let answer = try callOnce("SetDomainExtensionAttribute", [("RegionId", configuration.regionId),
                                                                ("DomainExtensionId", domainExtensionId),
                                                                ("ServerCertificateId", certificateId)])
        return answer["RequestId"]?.string ?? ""
    }
}
