#if canImport(Glibc)
import Glibc
#endif

/// Certificates as NUL-terminated UTF-8 strings packed into a few large blocks, with their numbers:
/// the shape the C API hands out. `DescribeAnswer` fills one straight from an answer's bytes, so a
/// describe for a C caller makes no Swift String or array per field (a few hundred certificates made
/// thousands of each, and as many frees); `add(_:)` copies a `ServerCertificate` in (upload results,
/// answers read through the JSON tree). Every string is the UTF-8 of the `ServerCertificate` field
/// the same answer gives. Immutable: the pointers stay valid while the table lives.
package final class CertificateTable: @unchecked Sendable {
    package struct Record {
        package var id, name, fingerprint, commonName, createTime, expireTime, aliCloudId, aliCloudName: UnsafePointer<CChar>
        package var regionId, regionIdAlias, resourceGroupId, requestId: UnsafePointer<CChar>
        package var createTimeStamp: Int64 = 0
        package var expireTimeStamp: Int64 = 0
        package var isAliCloudCertificate = false
        /// Into `names` and `tags`.
        package var nameRange = 0..<0
        package var tagRange = 0..<0

        init(empty: UnsafePointer<CChar>) {
            (id, name, fingerprint, commonName, createTime, expireTime) = (empty, empty, empty, empty, empty, empty)
            (aliCloudId, aliCloudName, regionId, regionIdAlias, resourceGroupId, requestId) = (empty, empty, empty, empty, empty, empty)
        }
    }

    package let records: [Record]
    package let names: [UnsafePointer<CChar>]
    package let tags: [(key: UnsafePointer<CChar>, value: UnsafePointer<CChar>)]
    package let requestId: UnsafePointer<CChar>
    private let blocks: [UnsafeMutablePointer<CChar>]

    package init(_ builder: consuming Builder) {
        records = builder.records
        names = builder.names
        tags = builder.tags
        requestId = builder.requestId
        blocks = builder.blocks
    }

    /// A table of these certificates (each keeping its own RequestId), listed by `requestId`.
    package convenience init(_ certificates: [ServerCertificate], requestId: String) {
        var builder = Builder()
        for certificate in certificates { builder.add(certificate) }
        builder.requestId = builder.store(requestId)
        self.init(builder)
    }

    deinit {
        for block in blocks { block.deallocate() }
    }

    /// Fills a table: a value, so that its many small writes need no exclusivity checks at run time.
    /// Its blocks belong to the table made from it (a builder thrown away without one leaks them).
    package struct Builder {
        fileprivate(set) var records: [Record] = []
        fileprivate(set) var names: [UnsafePointer<CChar>] = []
        fileprivate(set) var tags: [(key: UnsafePointer<CChar>, value: UnsafePointer<CChar>)] = []
        fileprivate(set) var requestId: UnsafePointer<CChar>
        fileprivate var blocks: [UnsafeMutablePointer<CChar>] = []
        private var cursor: UnsafeMutablePointer<CChar>?
        private var room = 0
        /// The empty string, which most tables hold many times.
        let empty: UnsafePointer<CChar>
        private static let blockSize = 16 * 1024

        package init() {
            let empty = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
            empty.pointee = 0
            blocks.append(empty)
            self.empty = UnsafePointer(empty)
            requestId = self.empty
        }

        /// A NUL-terminated copy of `bytes`, valid while the table lives.
        mutating func store(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafePointer<CChar> {
            guard let source = bytes.baseAddress, !bytes.isEmpty else { return empty }
            if bytes.count >= room {
                // Small first (an upload result holds one certificate), growing to `blockSize`.
                let size = max(bytes.count + 1, min(Self.blockSize, 1024 << min(blocks.count, 4)))
                let block = UnsafeMutablePointer<CChar>.allocate(capacity: size)
                blocks.append(block)
                cursor = block
                room = size
            }
            let start = cursor!
            UnsafeMutableRawPointer(start).copyMemory(from: source, byteCount: bytes.count)
            start[bytes.count] = 0
            cursor = start + bytes.count + 1
            room -= bytes.count + 1
            return UnsafePointer(start)
        }

        mutating func store(_ text: String) -> UnsafePointer<CChar> {
            if let stored = text.utf8.withContiguousStorageIfAvailable({ store($0) }) { return stored }
            var copy = text
            return copy.withUTF8 { store($0) }
        }

        /// Appends a certificate's fields.
        package mutating func add(_ certificate: ServerCertificate) {
            var record = Record(empty: empty)
            record.id = store(certificate.serverCertificateId)
            record.name = store(certificate.serverCertificateName)
            record.fingerprint = store(certificate.fingerprint)
            record.commonName = store(certificate.commonName)
            record.createTime = store(certificate.createTime)
            record.expireTime = store(certificate.expireTime)
            record.aliCloudId = store(certificate.aliCloudCertificateId)
            record.aliCloudName = store(certificate.aliCloudCertificateName)
            record.regionId = store(certificate.regionId)
            record.regionIdAlias = store(certificate.regionIdAlias)
            record.resourceGroupId = store(certificate.resourceGroupId)
            record.requestId = store(certificate.requestId)
            record.createTimeStamp = certificate.createTimeStamp
            record.expireTimeStamp = certificate.expireTimeStamp
            record.isAliCloudCertificate = certificate.isAliCloudCertificate
            record.nameRange = addNames(certificate.subjectAlternativeNames)
            record.tagRange = addTags(certificate.tags)
            records.append(record)
        }

        mutating func append(_ record: Record) { records.append(record) }

        mutating func addNames(_ list: [String]) -> Range<Int> {
            let start = names.count
            for name in list { names.append(store(name)) }
            return start..<names.count
        }

        mutating func addName(_ name: UnsafePointer<CChar>) { names.append(name) }

        mutating func addTags(_ list: [ServerCertificate.Tag]) -> Range<Int> {
            let start = tags.count
            for tag in list { tags.append((store(tag.key), store(tag.value))) }
            return start..<tags.count
        }

        /// Every record's RequestId: an answer names it once.
        package mutating func setRequestId(_ id: String) {
            requestId = store(id)
            for index in records.indices { records[index].requestId = requestId }
        }
    }
}

/// What `DescribeAnswer` fills, one certificate at a time: the Swift result type, or a `CertificateTable`.
/// Each field arrives either as the bytes of a JSON string without escapes or as a JSON value, and is
/// converted exactly as `ServerCertificate.set(_:_:)` converts `.string` of those bytes or the value.
protocol CertificateReceiver {
    mutating func beginCertificate()
    mutating func endCertificate()
    /// A text field (not a number, flag, list or the tags) given as a plain JSON string.
    mutating func set(_ field: ServerCertificate.Field, plainText: UnsafeBufferPointer<UInt8>)
    mutating func set(_ field: ServerCertificate.Field, _ value: JSON)
    /// The subject alternative names start over: a later member replaces an earlier one.
    mutating func clearNames()
    mutating func addName(plainText: UnsafeBufferPointer<UInt8>)
    mutating func addName(_ text: String)
    mutating func finish(requestId: String)
}

/// Fills `[ServerCertificate]`. Equal values of a field are one String: most certificates of an
/// account share their region, resource group or expiry, and the name mostly repeats the common
/// name, so an equal String is taken again instead of allocated again.
struct ServerCertificateReceiver: CertificateReceiver {
    var certificates: [ServerCertificate] = []
    private var current = ServerCertificate()
    /// The last String made for each field.
    private var recent = [String](repeating: "", count: ServerCertificate.Field.allCases.count)

    mutating func beginCertificate() { current = ServerCertificate() }

    mutating func endCertificate() {
        var finished = ServerCertificate()
        swap(&finished, &current)  // moved into the list, not copied (a copy retains every String)
        certificates.append(finished)
    }

    /// The String of `plain`, taken from `recent[slot]` or `recent[alsoSlot]` when it has the same bytes.
    private mutating func text(_ plain: UnsafeBufferPointer<UInt8>, slot: Int, alsoSlot: Int? = nil) -> String {
        func matches(_ slot: Int) -> Bool {
            recent[slot].utf8.count == plain.count && recent[slot].utf8.withContiguousStorageIfAvailable { bytes in
                bytes.isEmpty || memcmp(bytes.baseAddress!, plain.baseAddress!, bytes.count) == 0
            } == true
        }
        if matches(slot) { return recent[slot] }
        if let alsoSlot, matches(alsoSlot) { return recent[alsoSlot] }
        let made = String(decoding: plain, as: UTF8.self)
        recent[slot] = made
        return made
    }

    mutating func set(_ field: ServerCertificate.Field, plainText: UnsafeBufferPointer<UInt8>) {
        let alsoSlot = field == .commonName ? ServerCertificate.Field.serverCertificateName.rawValue : nil
        current.set(field, text: text(plainText, slot: field.rawValue, alsoSlot: alsoSlot))
    }

    mutating func set(_ field: ServerCertificate.Field, _ value: JSON) { current.set(field, value) }

    mutating func clearNames() { current.subjectAlternativeNames = [] }

    mutating func addName(plainText: UnsafeBufferPointer<UInt8>) {
        current.subjectAlternativeNames.append(text(plainText, slot: ServerCertificate.Field.subjectAlternativeNames.rawValue,
                                                    alsoSlot: ServerCertificate.Field.commonName.rawValue))
    }

    mutating func addName(_ text: String) { current.subjectAlternativeNames.append(text) }

    mutating func finish(requestId: String) {
        for index in certificates.indices { certificates[index].requestId = requestId }
    }
}

/// Fills a `CertificateTable.Builder`: plain ASCII text is copied as it is (its String would hold the
/// same bytes); anything else goes through the String `ServerCertificate` would hold.
struct CertificateTableReceiver: CertificateReceiver {
    var builder = CertificateTable.Builder()
    private var record: CertificateTable.Record
    /// Takes the fields given as JSON values, converted by `ServerCertificate.set`.
    private var scratch = ServerCertificate()

    init() {
        record = CertificateTable.Record(empty: builder.empty)
    }

    mutating func beginCertificate() { record = CertificateTable.Record(empty: builder.empty) }

    mutating func endCertificate() { builder.append(record) }

    private mutating func setText(_ field: ServerCertificate.Field, _ pointer: UnsafePointer<CChar>) {
        switch field {
        case .serverCertificateId: record.id = pointer
        case .serverCertificateName: record.name = pointer
        case .fingerprint: record.fingerprint = pointer
        case .commonName: record.commonName = pointer
        case .createTime: record.createTime = pointer
        case .expireTime: record.expireTime = pointer
        case .aliCloudCertificateId: record.aliCloudId = pointer
        case .aliCloudCertificateName: record.aliCloudName = pointer
        case .regionId: record.regionId = pointer
        case .regionIdAlias: record.regionIdAlias = pointer
        case .resourceGroupId: record.resourceGroupId = pointer
        default: break
        }
    }

    mutating func set(_ field: ServerCertificate.Field, plainText: UnsafeBufferPointer<UInt8>) {
        // ASCII is its own String; a fingerprint keeps it only without capitals (it is lower-cased).
        let asIs = field == .fingerprint
            ? !plainText.contains { $0 >= 0x80 || $0 &- UInt8(ascii: "A") < 26 }
            : !plainText.contains { $0 >= 0x80 }
        if asIs {
            setText(field, builder.store(plainText))
        } else {
            set(field, .string(String(decoding: plainText, as: UTF8.self)))
        }
    }

    mutating func set(_ field: ServerCertificate.Field, _ value: JSON) {
        scratch.set(field, value)
        switch field {
        case .serverCertificateId: record.id = builder.store(scratch.serverCertificateId)
        case .serverCertificateName: record.name = builder.store(scratch.serverCertificateName)
        case .fingerprint: record.fingerprint = builder.store(scratch.fingerprint)
        case .commonName: record.commonName = builder.store(scratch.commonName)
        case .subjectAlternativeNames: record.nameRange = builder.addNames(scratch.subjectAlternativeNames)
        case .createTime: record.createTime = builder.store(scratch.createTime)
        case .createTimeStamp: record.createTimeStamp = scratch.createTimeStamp
        case .expireTime: record.expireTime = builder.store(scratch.expireTime)
        case .expireTimeStamp: record.expireTimeStamp = scratch.expireTimeStamp
        case .isAliCloudCertificate: record.isAliCloudCertificate = scratch.isAliCloudCertificate
        case .aliCloudCertificateId: record.aliCloudId = builder.store(scratch.aliCloudCertificateId)
        case .aliCloudCertificateName: record.aliCloudName = builder.store(scratch.aliCloudCertificateName)
        case .regionId: record.regionId = builder.store(scratch.regionId)
        case .regionIdAlias: record.regionIdAlias = builder.store(scratch.regionIdAlias)
        case .resourceGroupId: record.resourceGroupId = builder.store(scratch.resourceGroupId)
        case .tags: record.tagRange = builder.addTags(scratch.tags)
        }
    }

    mutating func clearNames() { record.nameRange = builder.names.count..<builder.names.count }

    mutating func addName(plainText: UnsafeBufferPointer<UInt8>) {
        if plainText.contains(where: { $0 >= 0x80 }) { return addName(String(decoding: plainText, as: UTF8.self)) }
        appendName(builder.store(plainText))
    }

    mutating func addName(_ text: String) { appendName(builder.store(text)) }

    /// Names of one certificate are added one after another, so its range only grows at the end.
    private mutating func appendName(_ pointer: UnsafePointer<CChar>) {
        if record.nameRange.upperBound != builder.names.count { record.nameRange = builder.names.count..<builder.names.count }
        builder.addName(pointer)
        record.nameRange = record.nameRange.lowerBound..<builder.names.count
    }

    mutating func finish(requestId: String) { builder.setRequestId(requestId) }
}
