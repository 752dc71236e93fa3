#if canImport(Glibc)
import Glibc
#endif

/// A DescribeServerCertificates answer read straight from its bytes into `ServerCertificate`s (or a
/// `CertificateTable`), with no JSON tree in between: building the tree (an array per object, a
/// String per member name) and walking it took most of a describe of a few hundred certificates.
///
/// It gives exactly what `ServiceAnswer.decode` followed by the tree walk in `SLBClient.describe`
/// gives, or nil and leaves the answer to them: it steps through the document with `JSONReader`, the
/// grammar `JSON.parse` uses, reads the members it knows in place (the first `RequestId` and
/// `ServerCertificates`, `ServerCertificate` and `SubjectAlternativeName`, as `JSON.subscript` finds
/// them; every certificate field, the last repeat winning, as `ServerCertificate(json:)` sets them),
/// and parses any other value with `JSONReader.value(depth:)` and converts it with the same `JSON`
/// accessors. An answer that is not a JSON object, carries a `Code` member or is malformed anywhere
/// gives nil.
enum DescribeAnswer {
    static func decode(_ body: [UInt8]) -> (certificates: [ServerCertificate], requestId: String)? {
        var receiver = ServerCertificateReceiver()
        guard let requestId = decode(body, into: &receiver) else { return nil }
        return (receiver.certificates, requestId)
    }

    /// Fills `receiver` and returns the RequestId, or nil (and `receiver` is to be thrown away).
    static func decode<Receiver: CertificateReceiver>(_ body: [UInt8], into receiver: inout Receiver) -> String? {
        body.withUnsafeBufferPointer { bytes in
            var decoder = Decoder(reader: JSONReader(bytes), receiver: receiver)
            defer { receiver = decoder.receiver }
            return decoder.answer()
        }
    }

    /// An UploadServerCertificate answer, whose members are the certificate's fields and its RequestId:
    /// exactly `ServerCertificate(json: answer, requestId: answer["RequestId"]?.string ?? "")` of the
    /// answer `ServiceAnswer.decode` accepts, or nil under the same conditions as `decode`.
    static func uploadedCertificate(_ body: [UInt8]) -> ServerCertificate? {
        body.withUnsafeBufferPointer { bytes in
            var decoder = Decoder(reader: JSONReader(bytes), receiver: ServerCertificateReceiver())
            guard decoder.uploadAnswer() else { return nil }
            return decoder.receiver.certificates.first
        }
    }

    /// A member name: its bytes when they are plain ASCII (where String equality is byte equality),
    /// else the decoded String (compared as `JSON.subscript` compares, canonically).
    private enum Name {
        case ascii(UnsafeBufferPointer<UInt8>)
        case text(String)

        func `is`(_ expected: StaticString) -> Bool {
            switch self {
            case .ascii(let bytes):
                return bytes.count == expected.utf8CodeUnitCount
                    && (bytes.isEmpty || memcmp(bytes.baseAddress!, expected.utf8Start, bytes.count) == 0)
            case .text(let text):
                return text == expected.description
            }
        }

        var field: ServerCertificate.Field? {
            switch self {
            case .ascii(let bytes): return ServerCertificate.Field(asciiName: bytes)
            case .text(let text): return ServerCertificate.Field(name: text)
            }
        }
    }

    private struct Decoder<Receiver: CertificateReceiver> {
        var reader: JSONReader
        var receiver: Receiver
        /// For each field (and, last, the start of an object), the field that came next in the last
        /// certificate.
        var following = [ServerCertificate.Field?](repeating: nil, count: ServerCertificate.Field.allCases.count + 1)

        mutating func answer() -> String? {
            guard peek() == UInt8(ascii: "{") else { return nil }
            var requestId: String?
            var listed = false
            guard reader.take(UInt8(ascii: "{")) else { return nil }
            if !reader.take(UInt8(ascii: "}")) {
                repeat {
                    guard let name = memberName() else { return nil }
                    if name.is("Code") { return nil }  // an error answer: ServiceAnswer.decode words it
                    if name.is("RequestId") {
                        guard let value = stringValue(depth: 1) else { return nil }
                        if requestId == nil { requestId = value ?? "" }
                    } else if name.is("ServerCertificates"), !listed {
                        guard certificateList(depth: 1) else { return nil }
                        listed = true
                    } else {
                        guard skip(depth: 1) else { return nil }
                    }
                } while reader.take(UInt8(ascii: ","))
                guard reader.take(UInt8(ascii: "}")) else { return nil }
            }
            reader.skipSpace()
            guard reader.isAtEnd else { return nil }
            let id = requestId ?? ""
            receiver.finish(requestId: id)
            return id
        }

        // MARK: Steps, as JSONReader.object and JSONReader.array take them

        /// A member's name and the colon after it.
        mutating func memberName() -> Name? {
            guard let name = name() else { return nil }
            return reader.take(UInt8(ascii: ":")) ? name : nil
        }

        mutating func name() -> Name? {
            reader.skipSpace()
            if let plain = reader.plainString() {
                return plain.allSatisfy({ $0 < 0x80 }) ? .ascii(plain) : .text(String(decoding: plain, as: UTF8.self))
            }
            guard reader.next == UInt8(ascii: "\""), let text = reader.string() else { return nil }
            return .text(text)
        }

        enum Member {
            case field(ServerCertificate.Field)
            case other(Name)
        }

        /// What a certificate member names, and the colon after it; nil when malformed. Tries
        /// `predicted` first: certificates list their fields in the same order, so the name is mostly
        /// the one that followed the last field last time, and matching it costs one comparison
        /// instead of a scan and a lookup.
        mutating func member(predicted: ServerCertificate.Field?) -> Member? {
            let member: Member
            if let predicted, reader.takeString(predicted.name) {
                member = .field(predicted)
            } else {
                guard let name = name() else { return nil }
                member = name.field.map(Member.field) ?? .other(name)
            }
            return reader.take(UInt8(ascii: ":")) ? member : nil
        }

        /// The next byte that is not space.
        mutating func peek() -> UInt8? {
            reader.skipSpace()
            return reader.next
        }

        mutating func skip(depth: Int) -> Bool {
            reader.value(depth: depth) != nil
        }

        /// The value's `JSON.string` (nil inside when it has none); nil when it is malformed.
        mutating func stringValue(depth: Int) -> String?? {
            if peek() == UInt8(ascii: "\"") {
                guard let text = reader.string() else { return nil }
                return .some(text)
            }
            guard let value = reader.value(depth: depth) else { return nil }
            return .some(value.string)
        }

        // MARK: The answer's shapes

        /// `ServerCertificate.list(value, "ServerCertificate")`, each element a certificate.
        mutating func certificateList(depth: Int) -> Bool {
            switch peek() {
            case UInt8(ascii: "["):
                return certificateArray(depth: depth)
            case UInt8(ascii: "{"):
                return wrappedArray(named: "ServerCertificate", depth: depth) { $0.certificateArray(depth: $1) }
            default:
                return skip(depth: depth)
            }
        }

        /// An object that wraps a list, `{"NAME": [...]}`: the first member called `name` is read by
        /// `array` (at `depth + 1`) when it is an array, and only the first counts, an array or not;
        /// every other member is skipped.
        mutating func wrappedArray(named name: StaticString, depth: Int, _ array: (inout Self, Int) -> Bool) -> Bool {
            var found = false
            guard reader.take(UInt8(ascii: "{")) else { return false }
            if reader.take(UInt8(ascii: "}")) { return true }
            repeat {
                guard let member = memberName() else { return false }
                if !found, member.is(name) {
                    found = true
                    if peek() == UInt8(ascii: "[") {
                        guard array(&self, depth + 1) else { return false }
                        continue
                    }
                }
                guard skip(depth: depth + 1) else { return false }
            } while reader.take(UInt8(ascii: ","))
            return reader.take(UInt8(ascii: "}"))
        }

        mutating func certificateArray(depth: Int) -> Bool {
            guard reader.take(UInt8(ascii: "[")) else { return false }
            if reader.take(UInt8(ascii: "]")) { return true }
            repeat {
                receiver.beginCertificate()
                if peek() == UInt8(ascii: "{") {
                    guard certificate(depth: depth + 1) else { return false }
                } else {
                    guard skip(depth: depth + 1) else { return false }  // not an object: a certificate with no fields
                }
                receiver.endCertificate()
            } while reader.take(UInt8(ascii: ","))
            return reader.take(UInt8(ascii: "]"))
        }

        /// Reads the certificate object at the cursor into the receiver; false when it is malformed.
        mutating func certificate(depth: Int) -> Bool {
            guard reader.take(UInt8(ascii: "{")) else { return false }
            if reader.take(UInt8(ascii: "}")) { return true }
            var previous = following.count - 1  // the start of the object
            repeat {
                guard let member = member(predicted: following[previous]) else { return false }
                guard case .field(let field) = member else {
                    guard skip(depth: depth + 1) else { return false }
                    continue
                }
                following[previous] = field
                previous = field.rawValue
                guard value(of: field, depth: depth + 1) else { return false }
            } while reader.take(UInt8(ascii: ","))
            return reader.take(UInt8(ascii: "}"))
        }

        /// An upload answer: one certificate whose object is the whole answer, beside its RequestId.
        mutating func uploadAnswer() -> Bool {
            guard peek() == UInt8(ascii: "{"), reader.take(UInt8(ascii: "{")) else { return false }
            var requestId: String?
            receiver.beginCertificate()
            if !reader.take(UInt8(ascii: "}")) {
                var previous = following.count - 1
                repeat {
                    guard let member = member(predicted: following[previous]) else { return false }
                    switch member {
                    case .field(let field):
                        following[previous] = field
                        previous = field.rawValue
                        guard value(of: field, depth: 1) else { return false }
                    case .other(let name):
                        if name.is("Code") { return false }  // an error answer: ServiceAnswer.decode words it
                        if name.is("RequestId") {
                            guard let value = stringValue(depth: 1) else { return false }
                            if requestId == nil { requestId = value ?? "" }
                        } else {
                            guard skip(depth: 1) else { return false }
                        }
                    }
                } while reader.take(UInt8(ascii: ","))
                guard reader.take(UInt8(ascii: "}")) else { return false }
            }
            reader.skipSpace()
            guard reader.isAtEnd else { return false }
            receiver.endCertificate()
            receiver.finish(requestId: requestId ?? "")
            return true
        }

        /// A certificate field's value (at nesting `depth`), into the receiver; false when it is malformed.
        mutating func value(of field: ServerCertificate.Field, depth: Int) -> Bool {
            switch field {
            case .createTimeStamp, .expireTimeStamp, .isAliCloudCertificate:
                reader.skipSpace()
                if let number = reader.smallInteger() {
                    receiver.set(field, .number(Double(number)))
                    return true
                }
            case .subjectAlternativeNames:
                return nameList(depth: depth)
            case .tags:
                // Mostly none: `{"Tag":[]}` is no tags, as the tree walk finds.
                if reader.take("{\"Tag\":[]}") {
                    receiver.set(.tags, .array([]))
                    return true
                }
            default:
                if peek() == UInt8(ascii: "\"") {
                    if let plain = reader.plainString() {
                        receiver.set(field, plainText: plain)
                    } else {
                        guard let text = reader.string() else { return false }
                        receiver.set(field, .string(text))
                    }
                    return true
                }
            }
            guard let value = reader.value(depth: depth) else { return false }
            receiver.set(field, value)
            return true
        }

        /// `ServerCertificate.list(value, "SubjectAlternativeName").compactMap(\.string)`.
        mutating func nameList(depth: Int) -> Bool {
            receiver.clearNames()
            switch peek() {
            case UInt8(ascii: "["):
                return stringArray(depth: depth)
            case UInt8(ascii: "{"):
                // Mostly exactly one member: `{"SubjectAlternativeName":[...]}`.
                let start = reader
                if reader.take("{\"SubjectAlternativeName\":"), peek() == UInt8(ascii: "["),
                   stringArray(depth: depth + 1), reader.take(UInt8(ascii: "}")) {
                    return true
                }
                reader = start
                receiver.clearNames()
                return wrappedArray(named: "SubjectAlternativeName", depth: depth) { $0.stringArray(depth: $1) }
            default:
                return skip(depth: depth)
            }
        }

        mutating func stringArray(depth: Int) -> Bool {
            guard reader.take(UInt8(ascii: "[")) else { return false }
            if reader.take(UInt8(ascii: "]")) { return true }
            repeat {
                if peek() == UInt8(ascii: "\"") {
                    if let plain = reader.plainString() {
                        receiver.addName(plainText: plain)
                    } else {
                        guard let text = reader.string() else { return false }
                        receiver.addName(text)
                    }
                } else {
                    guard let value = reader.value(depth: depth + 1) else { return false }
                    if let text = value.string { receiver.addName(text) }
                }
            } while reader.take(UInt8(ascii: ","))
            return reader.take(UInt8(ascii: "]"))
        }
    }
}
