/// A server certificate as the service describes it (spec section 1). Times are kept both as the
/// service's string and as milliseconds.
public struct ServerCertificate: Sendable, Equatable {
    public var serverCertificateId = ""
    public var serverCertificateName = ""
    public var fingerprint = ""
    public var commonName = ""
    public var subjectAlternativeNames: [String] = []
    public var createTime = ""
    public var createTimeStamp: Int64 = 0
    public var expireTime = ""
    public var expireTimeStamp: Int64 = 0
    public var isAliCloudCertificate = false
    public var aliCloudCertificateId = ""
    public var aliCloudCertificateName = ""
    public var regionId = ""
    public var regionIdAlias = ""
    public var resourceGroupId = ""
    public var tags: [Tag] = []
    /// The RequestId of the call that returned it.
    public var requestId = ""

    public struct Tag: Sendable, Equatable {
        public var key: String
        public var value: String
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    public init() {}

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
    public var json: JSON {
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

/// What an upload did.
public struct UploadResult: Sendable {
    /// The stored certificate: the new one, or the existing one with the same fingerprint.
    public var certificate: ServerCertificate
    /// False when a certificate with the same fingerprint already existed and nothing was uploaded.
    public var uploaded: Bool
    /// Every certificate the account holds in the region (from the duplicate check's describe, with the
    /// new certificate added); empty when the duplicate check was skipped.
    public var regionCertificates: [ServerCertificate]
    /// How many upload requests were sent (0 when the certificate already existed).
    public var attempts: Int
}
