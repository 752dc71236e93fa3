/// A server certificate as the service describes it (docs/protocol.md section 1). Times are kept
/// both as the service's string and as milliseconds. A value read from the service: immutable to
/// callers.
public struct ServerCertificate: Sendable, Equatable {
    public internal(set) var serverCertificateId = ""
    public internal(set) var serverCertificateName = ""
    public internal(set) var fingerprint = ""
    public internal(set) var commonName = ""
    public internal(set) var subjectAlternativeNames: [String] = []
    public internal(set) var createTime = ""
    public internal(set) var createTimeStamp: Int64 = 0
    public internal(set) var expireTime = ""
    public internal(set) var expireTimeStamp: Int64 = 0
    public internal(set) var isAliCloudCertificate = false
    public internal(set) var aliCloudCertificateId = ""
    public internal(set) var aliCloudCertificateName = ""
    public internal(set) var regionId = ""
    public internal(set) var regionIdAlias = ""
    public internal(set) var resourceGroupId = ""
    public internal(set) var tags: [Tag] = []
    /// The RequestId of the call that returned it.
    public internal(set) var requestId = ""

    public struct Tag: Sendable, Equatable {
        public let key: String
        public let value: String
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    init() {}

    /// Reads one certificate object of an Upload or Describe answer; unknown fields are ignored.
    /// One pass over the members with a switch: looking each field up by name would compare every
    /// name with every member (about 58k string comparisons for a describe of 200 certificates).
    init(json: JSON, requestId: String) {
        self.requestId = requestId
        guard case .object(let members) = json else { return }
        for (key, value) in members {
            switch key {
            case "ServerCertificateId": serverCertificateId = value.string ?? ""
            case "ServerCertificateName": serverCertificateName = value.string ?? ""
            case "Fingerprint": fingerprint = (value.string ?? "").lowercased()
            case "CommonName": commonName = value.string ?? ""
            case "SubjectAlternativeNames":
                subjectAlternativeNames = Self.list(value, "SubjectAlternativeName").compactMap(\.string)
            case "CreateTime": createTime = value.string ?? ""
            case "CreateTimeStamp": createTimeStamp = value.int64 ?? 0
            case "ExpireTime": expireTime = value.string ?? ""
            case "ExpireTimeStamp": expireTimeStamp = value.int64 ?? 0
            case "IsAliCloudCertificate": isAliCloudCertificate = value.bool ?? false
            case "AliCloudCertificateId": aliCloudCertificateId = value.string ?? ""
            case "AliCloudCertificateName": aliCloudCertificateName = value.string ?? ""
            case "RegionId": regionId = value.string ?? ""
            case "RegionIdAlias": regionIdAlias = value.string ?? ""
            case "ResourceGroupId": resourceGroupId = value.string ?? ""
            case "Tags":
                tags = Self.list(value, "Tag").map { Tag(key: $0["TagKey"]?.string ?? "", value: $0["TagValue"]?.string ?? "") }
            default: break
            }
        }
    }

    /// The service wraps lists as {"Name": [...]}; a missing or empty wrapper is an empty list.
    static func list(_ wrapper: JSON?, _ name: String) -> [JSON] {
        guard let wrapper else { return [] }
        if let direct = wrapper.array { return direct }
        return wrapper[name]?.array ?? []
    }

    /// The service's field names, for JSON output.
    package var json: JSON {
        .object([
            ("ServerCertificateId", .string(serverCertificateId)),
            ("ServerCertificateName", .string(serverCertificateName)),
            ("Fingerprint", .string(fingerprint)),
            ("CommonName", .string(commonName)),
            ("SubjectAlternativeNames", .array(subjectAlternativeNames.map(JSON.string))),
            ("CreateTime", .string(createTime)),
            ("CreateTimeStamp", .number(Double(createTimeStamp))),
            ("ExpireTime", .string(expireTime)),
            ("ExpireTimeStamp", .number(Double(expireTimeStamp))),
            ("IsAliCloudCertificate", .number(isAliCloudCertificate ? 1 : 0)),
            ("AliCloudCertificateId", .string(aliCloudCertificateId)),
            ("AliCloudCertificateName", .string(aliCloudCertificateName)),
            ("RegionId", .string(regionId)),
            ("RegionIdAlias", .string(regionIdAlias)),
            ("ResourceGroupId", .string(resourceGroupId)),
            ("Tags", .array(tags.map { .object([("TagKey", .string($0.key)), ("TagValue", .string($0.value))]) })),
        ])
    }
}

/// How an upload ended.
public enum UploadOutcome: String, Sendable, Equatable {
    /// This call stored the certificate.
    case uploaded
    /// A copy was already stored (or an earlier attempt of this call stored it): nothing new remains.
    case found
    /// This call stored a copy, then found an older one of another caller: it removed its own and
    /// returns the older one.
    case converged
}

/// What an upload did.
public struct UploadResult: Sendable {
    /// The stored certificate every caller agrees on: the oldest copy with the bundle's fingerprint.
    public let certificate: ServerCertificate
    public let outcome: UploadOutcome
    /// The ids of the copies this call stored and then deleted while converging.
    public let removed: [String]
    /// Other copies with the same fingerprint still stored when the call ended, which this call did
    /// not create and so left alone (their own callers converge on `certificate` too).
    public let duplicates: [String]
    /// Every certificate the account holds in the region, from the last describe (empty without ensure).
    public let regionCertificates: [ServerCertificate]
    /// How many upload requests were sent (0 when a stored copy was found first).
    public let attempts: Int

    /// True when the returned certificate is the one this call stored.
    public var uploaded: Bool { outcome == .uploaded }

    init(certificate: ServerCertificate, outcome: UploadOutcome, removed: [String] = [], duplicates: [String] = [],
         regionCertificates: [ServerCertificate] = [], attempts: Int) {
        self.certificate = certificate
        self.outcome = outcome
        self.removed = removed
        self.duplicates = duplicates
        self.regionCertificates = regionCertificates
        self.attempts = attempts
    }
}
