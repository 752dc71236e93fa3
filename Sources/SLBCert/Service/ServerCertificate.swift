#if canImport(Glibc)
import Glibc
#endif

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
    package init(json: JSON, requestId: String) {
        self.requestId = requestId
        guard case .object(let members) = json else { return }
        for (key, value) in members {
            if let field = Field(name: key) { set(field, value) }
        }
    }

    /// The members of a certificate object that are read; the last of repeated members wins.
    enum Field: Int, CaseIterable {
        case serverCertificateId, serverCertificateName, fingerprint, commonName, subjectAlternativeNames, createTime,
             createTimeStamp, expireTime, expireTimeStamp, isAliCloudCertificate, aliCloudCertificateId,
             aliCloudCertificateName, regionId, regionIdAlias, resourceGroupId, tags

        var name: StaticString {
            switch self {
            case .serverCertificateId: return "ServerCertificateId"
            case .serverCertificateName: return "ServerCertificateName"
            case .fingerprint: return "Fingerprint"
            case .commonName: return "CommonName"
            case .subjectAlternativeNames: return "SubjectAlternativeNames"
            case .createTime: return "CreateTime"
            case .createTimeStamp: return "CreateTimeStamp"
            case .expireTime: return "ExpireTime"
            case .expireTimeStamp: return "ExpireTimeStamp"
            case .isAliCloudCertificate: return "IsAliCloudCertificate"
            case .aliCloudCertificateId: return "AliCloudCertificateId"
            case .aliCloudCertificateName: return "AliCloudCertificateName"
            case .regionId: return "RegionId"
            case .regionIdAlias: return "RegionIdAlias"
            case .resourceGroupId: return "ResourceGroupId"
            case .tags: return "Tags"
            }
        }

        init?(name: String) {
            switch name {
            case "ServerCertificateId": self = .serverCertificateId
            case "ServerCertificateName": self = .serverCertificateName
            case "Fingerprint": self = .fingerprint
            case "CommonName": self = .commonName
            case "SubjectAlternativeNames": self = .subjectAlternativeNames
            case "CreateTime": self = .createTime
            case "CreateTimeStamp": self = .createTimeStamp
            case "ExpireTime": self = .expireTime
            case "ExpireTimeStamp": self = .expireTimeStamp
            case "IsAliCloudCertificate": self = .isAliCloudCertificate
            case "AliCloudCertificateId": self = .aliCloudCertificateId
            case "AliCloudCertificateName": self = .aliCloudCertificateName
            case "RegionId": self = .regionId
            case "RegionIdAlias": self = .regionIdAlias
            case "ResourceGroupId": self = .resourceGroupId
            case "Tags": self = .tags
            default: return nil
            }
        }

        /// The field whose name is exactly these bytes; for ASCII bytes this is what `init?(name:)`
        /// answers (String equality of ASCII text is byte equality).
        init?(asciiName bytes: UnsafeBufferPointer<UInt8>) {
            // The length and the first byte leave at most one candidate; then compare every byte.
            let candidate: Field
            switch (bytes.count, bytes.first) {
            case (19, UInt8(ascii: "S")): candidate = .serverCertificateId
            case (21, UInt8(ascii: "S")): candidate = .serverCertificateName
            case (11, UInt8(ascii: "F")): candidate = .fingerprint
            case (10, UInt8(ascii: "C")) where bytes[1] == UInt8(ascii: "o"): candidate = .commonName
            case (23, UInt8(ascii: "S")): candidate = .subjectAlternativeNames
            case (10, UInt8(ascii: "C")): candidate = .createTime
            case (15, UInt8(ascii: "C")): candidate = .createTimeStamp
            case (10, UInt8(ascii: "E")): candidate = .expireTime
            case (15, UInt8(ascii: "E")): candidate = .expireTimeStamp
            case (21, UInt8(ascii: "I")): candidate = .isAliCloudCertificate
            case (21, UInt8(ascii: "A")): candidate = .aliCloudCertificateId
            case (23, UInt8(ascii: "A")): candidate = .aliCloudCertificateName
            case (8, UInt8(ascii: "R")): candidate = .regionId
            case (13, UInt8(ascii: "R")): candidate = .regionIdAlias
            case (15, UInt8(ascii: "R")): candidate = .resourceGroupId
            case (4, UInt8(ascii: "T")): candidate = .tags
            default: return nil
            }
            guard memcmp(candidate.name.utf8Start, bytes.baseAddress!, bytes.count) == 0 else { return nil }
            self = candidate
        }
    }

    /// Sets one field from its JSON value, as `init(json:requestId:)` reads it.
    mutating func set(_ field: Field, _ value: JSON) {
        switch field {
        case .serverCertificateId: serverCertificateId = value.string ?? ""
        case .serverCertificateName: serverCertificateName = value.string ?? ""
        case .fingerprint: fingerprint = Self.lowercased(value.string ?? "")
        case .commonName: commonName = value.string ?? ""
        case .subjectAlternativeNames:
            subjectAlternativeNames = Self.list(value, "SubjectAlternativeName").compactMap(\.string)
        case .createTime: createTime = value.string ?? ""
        case .createTimeStamp: createTimeStamp = value.int64 ?? 0
        case .expireTime: expireTime = value.string ?? ""
        case .expireTimeStamp: expireTimeStamp = value.int64 ?? 0
        case .isAliCloudCertificate: isAliCloudCertificate = value.bool ?? false
        case .aliCloudCertificateId: aliCloudCertificateId = value.string ?? ""
        case .aliCloudCertificateName: aliCloudCertificateName = value.string ?? ""
        case .regionId: regionId = value.string ?? ""
        case .regionIdAlias: regionIdAlias = value.string ?? ""
        case .resourceGroupId: resourceGroupId = value.string ?? ""
        case .tags:
            tags = Self.list(value, "Tag").map { Tag(key: $0["TagKey"]?.string ?? "", value: $0["TagValue"]?.string ?? "") }
        }
    }

    /// Sets a field from a JSON string, as `set(field, .string(text))` does.
    mutating func set(_ field: Field, text: consuming String) {
        switch field {
        case .serverCertificateId: serverCertificateId = text
        case .serverCertificateName: serverCertificateName = text
        case .fingerprint: fingerprint = Self.lowercased(text)
        case .commonName: commonName = text
        case .createTime: createTime = text
        case .expireTime: expireTime = text
        case .aliCloudCertificateId: aliCloudCertificateId = text
        case .aliCloudCertificateName: aliCloudCertificateName = text
        case .regionId: regionId = text
        case .regionIdAlias: regionIdAlias = text
        case .resourceGroupId: resourceGroupId = text
        default: set(field, .string(text))
        }
    }

    /// `text.lowercased()`, without a new String when there is nothing to change (fingerprints come in lower case).
    private static func lowercased(_ text: String) -> String {
        let unchanged = text.utf8.withContiguousStorageIfAvailable { bytes in
            // Bytes that are neither upper-case ASCII nor non-ASCII: b - 0x41 wraps above 25 for all but A-Z.
            !bytes.contains { $0 >= 0x80 || $0 &- UInt8(ascii: "A") < 26 }
        }
        return unchanged == true ? text : text.lowercased()
    }

    /// The service wraps lists as {"Name": [...]}; a missing or empty wrapper is an empty list.
    package static func list(_ wrapper: JSON?, _ name: String) -> [JSON] {
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
