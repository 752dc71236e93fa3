/// The service's rules for names, ids and tags (docs/protocol.md section 1), checked before anything is sent so a
/// refusal costs no round trip and says exactly what to change.
enum Validation {
    static func checkName(_ name: String) throws(SLBCertError) {
        let bytes = Array(name.utf8)
        let isLetter = { (byte: UInt8) in (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) }
        let allowed = { (byte: UInt8) in isLetter(byte) || (byte >= 48 && byte <= 57) || byte == 46 || byte == 95 || byte == 45 }
        guard (1...80).contains(bytes.count), let first = bytes.first, isLetter(first), bytes.allSatisfy(allowed) else {
            throw SLBCertError(.invalidArgument, "The certificate name \"\(name)\" is not allowed: 1-80 characters, starting with a letter; letters, digits, '.', '_' and '-'.")
        }
    }

    static func checkId(_ id: String) throws(SLBCertError) {
        guard !id.isEmpty, id.count <= 256, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw SLBCertError(.invalidArgument, "\"\(id)\" is not a ServerCertificateId.")
        }
    }

    /// Tag.N.Key / Tag.N.Value parameters, after the service's rules.
    static func tagParameters(_ tags: [ServerCertificate.Tag], requireValue: Bool) throws(SLBCertError) -> [(String, String)] {
        guard tags.count <= 20 else { throw SLBCertError(.invalidArgument, "\(tags.count) tags given; the service allows at most 20.") }
        var parameters: [(String, String)] = []
        var keys = Set<String>()
        for (index, tag) in tags.enumerated() {
            guard (1...64).contains(tag.key.count) else { throw SLBCertError(.invalidArgument, "Tag key \"\(tag.key)\" must have 1-64 characters.") }
            guard tag.value.count <= 128 else { throw SLBCertError(.invalidArgument, "The value of tag \"\(tag.key)\" is over 128 characters.") }
            for text in [tag.key, tag.value] {
                let lower = text.lowercased()
                if lower.contains("http://") || lower.contains("https://") || lower.hasPrefix("aliyun") || lower.hasPrefix("acs:") {
                    throw SLBCertError(.invalidArgument, "Tag \"\(tag.key)\": keys and values may not contain http:// or https:// nor start with aliyun or acs:.")
                }
            }
            guard keys.insert(tag.key).inserted else { throw SLBCertError(.invalidArgument, "Tag key \"\(tag.key)\" is given twice.") }
            parameters.append(("Tag.\(index + 1).Key", tag.key))
            if requireValue || !tag.value.isEmpty { parameters.append(("Tag.\(index + 1).Value", tag.value)) }
        }
        return parameters
    }
}
