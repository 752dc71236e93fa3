/// Host names as TLS matches them (docs/clb-listeners.md section 7): case-insensitive, and a `*.`
/// wildcard stands for exactly one label.
enum HostNames {
    static func normal(_ name: String) -> String {
        var lower = name.lowercased()
        while lower.hasSuffix(".") { lower.removeLast() }
        return lower
    }

    /// Whether a certificate name (or an extension's domain) matches a concrete host name.
    static func matches(pattern: String, name: String) -> Bool {
        let pattern = normal(pattern), name = normal(name)
        guard pattern.hasPrefix("*.") else { return pattern == name }
        guard let dot = name.firstIndex(of: "."), dot != name.startIndex else { return false }
        return name[name.index(after: dot)...] == pattern.dropFirst(2)
    }

    /// The names a certificate serves to TLS clients: its DNS (and IP) SANs, else its CN.
    static func served(by certificate: CertificateInfo) -> [String] {
        let sans = certificate.dnsNames + certificate.ipAddresses
        return sans.isEmpty ? (certificate.commonName.isEmpty ? [] : [certificate.commonName]) : sans
    }

    /// Whether a certificate with `names` is valid for every client an extension for `domain`
    /// receives: an exact domain needs a matching name, a wildcard domain that very wildcard.
    static func covers(_ names: [String], domain: String) -> Bool {
        let domain = normal(domain)
        if domain.hasPrefix("*.") { return names.contains { normal($0) == domain } }
        return names.contains { matches(pattern: $0, name: domain) }
    }

    /// Whether `names` cover every name of a stored certificate (its CN and its SANs).
    static func coversAll(_ names: [String], of stored: ServerCertificate) -> Bool {
        let wanted = ([stored.commonName] + stored.subjectAlternativeNames).filter { !$0.isEmpty }
        return !wanted.isEmpty && wanted.allSatisfy { covers(names, domain: $0) }
    }

    /// A concrete name an extension for `domain` receives: the domain, or one label under a wildcard.
    static func example(for domain: String) -> String {
        let domain = normal(domain)
        return domain.hasPrefix("*.") ? "slbcert-check" + domain.dropFirst(1) : domain
    }

    /// The extension that serves an SNI name: an exact domain first, then a wildcard (section 7).
    static func extensionServing(_ name: String, among extensions: [DomainExtension]) -> DomainExtension? {
        extensions.first { !$0.domain.hasPrefix("*.") && matches(pattern: $0.domain, name: name) }
            ?? extensions.first { $0.domain.hasPrefix("*.") && matches(pattern: $0.domain, name: name) }
    }
}
