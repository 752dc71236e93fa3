import Foundation
@testable import SLBCert
import Testing

/// The describe answer read straight from its bytes must give exactly what the JSON tree gives, and
/// leave every answer it cannot read that way (errors, malformed, unusual shapes) to the tree.
@Suite("Describe answer fast path")
struct DescribeAnswerTests {
    /// What `SLBClient.describe` made of a successful answer before the fast path: the tree walk.
    static func reference(_ body: [UInt8]) -> (certificates: [ServerCertificate], requestId: String)? {
        guard let json = JSON.parse(body), json["Code"] == nil else { return nil }
        let requestId = json["RequestId"]?.string ?? ""
        let items = ServerCertificate.list(json["ServerCertificates"], "ServerCertificate")
        return (items.map { ServerCertificate(json: $0, requestId: requestId) }, requestId)
    }

    /// Checks one answer; returns whether the fast path read it.
    @discardableResult
    static func check(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        check(Array(text.utf8), sourceLocation: sourceLocation)
    }

    /// The certificates a table holds, read back from its C strings.
    static func certificates(of table: CertificateTable) -> [[String]] {
        table.records.map { record in
            [record.id, record.name, record.fingerprint, record.commonName, record.createTime, record.expireTime,
             record.aliCloudId, record.aliCloudName, record.regionId, record.regionIdAlias, record.resourceGroupId,
             record.requestId].map { String(cString: $0) }
                + ["\(record.createTimeStamp)", "\(record.expireTimeStamp)", "\(record.isAliCloudCertificate)"]
                + table.names[record.nameRange].map { "name " + String(cString: $0) }
                + table.tags[record.tagRange].map { "tag " + String(cString: $0.key) + "=" + String(cString: $0.value) }
        }
    }

    static func strings(of certificates: [ServerCertificate]) -> [[String]] {
        certificates.map { c in
            [c.serverCertificateId, c.serverCertificateName, c.fingerprint, c.commonName, c.createTime, c.expireTime,
             c.aliCloudCertificateId, c.aliCloudCertificateName, c.regionId, c.regionIdAlias, c.resourceGroupId, c.requestId]
                + ["\(c.createTimeStamp)", "\(c.expireTimeStamp)", "\(c.isAliCloudCertificate)"]
                + c.subjectAlternativeNames.map { "name " + $0 } + c.tags.map { "tag " + $0.key + "=" + $0.value }
        }
    }

    @discardableResult
    static func check(_ body: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let expected = reference(body)
        // The C API's table: read exactly when the Swift result is, holding the same strings.
        var receiver = CertificateTableReceiver()
        let tableRead = DescribeAnswer.decode(body, into: &receiver)
        let table = CertificateTable(receiver.builder)
        if let tableRead, let expected {
            #expect(tableRead == expected.requestId && String(cString: table.requestId) == expected.requestId, sourceLocation: sourceLocation)
            #expect(Self.certificates(of: table) == Self.strings(of: expected.certificates),
                    "\(String(decoding: body.prefix(300), as: UTF8.self))", sourceLocation: sourceLocation)
        }
        guard let fast = DescribeAnswer.decode(body) else {
            #expect(tableRead == nil, sourceLocation: sourceLocation)
            return false
        }
        #expect(tableRead != nil, sourceLocation: sourceLocation)
        #expect(expected != nil, "the fast path read an answer the tree refuses: \(String(decoding: body.prefix(300), as: UTF8.self))",
                sourceLocation: sourceLocation)
        if let expected {
            #expect(fast.requestId == expected.requestId, sourceLocation: sourceLocation)
            #expect(fast.certificates == expected.certificates, "\(String(decoding: body.prefix(300), as: UTF8.self))",
                    sourceLocation: sourceLocation)
        }
        return true
    }

    /// One certificate as the service (and the emulator) writes it.
    static func certificate(_ index: Int, tags: String = #"{"Tag":[]}"#) -> String {
        """
        {"ServerCertificateId":"1977355817442834_1a2335086e3_\(index)","ServerCertificateName":"bench-\(index).example.com",\
        "Fingerprint":"a5:98:f4:17:bf:1d:21:d0:1f:3e:37:be:07:5b:e1:d1:9a:d6:13:\(String(index % 100, radix: 16))",\
        "CommonName":"bench-\(index).example.com","SubjectAlternativeNames":{"SubjectAlternativeName":["bench-\(index).example.com"]},\
        "CreateTime":"2026-12-01T20:34:05Z","CreateTimeStamp":\(1796157245155 + index),"ExpireTime":"2027-12-01T19:31:48Z",\
        "ExpireTimeStamp":1827689508000,"IsAliCloudCertificate":0,"AliCloudCertificateId":"","AliCloudCertificateName":"",\
        "RegionId":"cn-hangzhou","RegionIdAlias":"cn-hangzhou","ResourceGroupId":"rg-acfmbbvh53hpch","Tags":\(tags)}
        """
    }

    static func answer(_ certificates: [String], requestId: String = #""RequestId":"6A0BCD3E-D6E0-46CF-AA4B-F6869488D0C9","#) -> String {
        #"{\#(requestId)"ServerCertificates":{"ServerCertificate":[\#(certificates.joined(separator: ","))]}}"#
    }

    @Test("the service's answers take the fast path and match the tree")
    func serviceAnswers() {
        #expect(Self.check(Self.answer([])))
        #expect(Self.check(Self.answer([Self.certificate(1)])))
        #expect(Self.check(Self.answer((0..<300).map { Self.certificate($0) })))
        #expect(Self.check(Self.answer([Self.certificate(7, tags: #"{"Tag":[{"TagKey":"env","TagValue":"prod"},{"TagKey":"team","TagValue":""}]}"#)])))
        #expect(Self.check(" \n\t" + Self.answer([Self.certificate(2)]) + " \r\n"))
        // The RequestId after the list, as another serialiser might write it.
        #expect(Self.check(#"{"ServerCertificates":{"ServerCertificate":[\#(Self.certificate(3))]},"RequestId":"late"}"#))
    }

    @Test("unusual but valid shapes give what the tree gives")
    func unusualShapes() {
        let cases = [
            // Lists given directly, wrappers with other or repeated members, a first member that is no list.
            #"{"RequestId":"r","ServerCertificates":[{"ServerCertificateId":"direct"}]}"#,
            #"{"RequestId":"r","ServerCertificates":{"Other":1,"ServerCertificate":[{"ServerCertificateId":"a"}],"ServerCertificate":[]}}"#,
            #"{"RequestId":"r","ServerCertificates":{"ServerCertificate":{"ServerCertificateId":"x"},"ServerCertificate":[{}]}}"#,
            #"{"RequestId":"r","ServerCertificates":"none"}"#,
            #"{"RequestId":"r","ServerCertificates":null,"ServerCertificates":{"ServerCertificate":[{}]}}"#,
            #"{"RequestId":"r"}"#,
            #"{}"#,
            // Repeated and unusual RequestIds: the first counts, whatever its type.
            #"{"RequestId":"first","RequestId":"second","ServerCertificates":{"ServerCertificate":[{}]}}"#,
            #"{"RequestId":12345678901234567,"ServerCertificates":{"ServerCertificate":[{}]}}"#,
            #"{"RequestId":{"a":1},"RequestId":"later","ServerCertificates":{"ServerCertificate":[{}]}}"#,
            #"{"RequestId":true,"ServerCertificates":{"ServerCertificate":[{}]}}"#,
            // Elements that are not objects are certificates without fields.
            #"{"ServerCertificates":{"ServerCertificate":[1,"x",null,[],{"ServerCertificateId":"y"}]}}"#,
            // Repeated fields: the last wins; unknown ones are ignored, however nested.
            #"{"ServerCertificates":{"ServerCertificate":[{"ServerCertificateId":"a","ServerCertificateId":"b","Extra":{"x":[1,{"y":null}]}}]}}"#,
            // Values of other types, converted as JSON.string / int64 / bool convert them.
            #"{"ServerCertificates":{"ServerCertificate":[{"ServerCertificateId":12,"ServerCertificateName":1.5,"CommonName":true,"RegionId":null,"ResourceGroupId":{"a":1},"ExpireTime":[1]}]}}"#,
            #"{"ServerCertificates":{"ServerCertificate":[{"CreateTimeStamp":"1796157245155","ExpireTimeStamp":1.7e12,"IsAliCloudCertificate":true}]}}"#,
            #"{"ServerCertificates":{"ServerCertificate":[{"CreateTimeStamp":-0,"ExpireTimeStamp":1234567890123456789,"IsAliCloudCertificate":"1"}]}}"#,
            #"{"ServerCertificates":{"ServerCertificate":[{"CreateTimeStamp":12.0,"ExpireTimeStamp":1e3,"IsAliCloudCertificate":2}]}}"#,
            #"{"ServerCertificates":{"ServerCertificate":[{"CreateTimeStamp":999999999999999,"ExpireTimeStamp":-999999999999999,"IsAliCloudCertificate":0.5}]}}"#,
            // Names: a list given directly, wrappers with other members, strings among other values.
            #"{"ServerCertificates":{"ServerCertificate":[{"SubjectAlternativeNames":["a.example",1,null,"b.example",true]}]}}"#,
            #"{"ServerCertificates":{"ServerCertificate":[{"SubjectAlternativeNames":{"x":1,"SubjectAlternativeName":["c"],"SubjectAlternativeName":["d"]}}]}}"#,
            #"{"ServerCertificates":{"ServerCertificate":[{"SubjectAlternativeNames":{"SubjectAlternativeName":"e"}}]}}"#,
            #"{"ServerCertificates":{"ServerCertificate":[{"SubjectAlternativeNames":"f","SubjectAlternativeNames":{ "SubjectAlternativeName" : [ "g" ] }}]}}"#,
            #"{"ServerCertificates":{"ServerCertificate":[{"Tags":{"Tag":[{"TagKey":"k"},1,{"TagValue":2,"TagKey":null}]}}]}}"#,
            #"{"ServerCertificates":{"ServerCertificate":[{"Tags":[{"TagKey":"k","TagValue":"v"}]}]}}"#,
            // Escapes in values and in names (a name is compared decoded, as the tree compares it).
            #"{"Request\u0049d":"esc","ServerCertificates":{"Server\u0043ertificate":[{"Server\u0043ertificateId":"\u00e9\ud83d\ude00\n\"","Fingerprint":"AB:CD:\u00C9"}]}}"#,
            // Non-ASCII text, upper-case fingerprints, and a name equal to "TagKey" only canonically (Kelvin sign).
            "{\"ServerCertificates\":{\"ServerCertificate\":[{\"CommonName\":\"例え.jp\",\"Fingerprint\":\"AA:BB\",\"Tags\":{\"Tag\":[{\"Tag\u{212A}ey\":\"kelvin\",\"TagValue\":\"v\"}]}}]}}",
            "{\"ServerCertificates\":{\"ServerCertificate\":[{\"Server\u{0043}ertificateId\":\"plain\",\"Region\u{0130}d\":\"dotted\"}]}}",
            // Whitespace everywhere the grammar allows it.
            "{ \"RequestId\" : \"ws\" , \"ServerCertificates\" : { \"ServerCertificate\" : [ { \"ServerCertificateId\" : \"a\" , \"Tags\" : { \"Tag\" : [ ] } } ] } }",
            // Nesting close to the limit inside an unknown member.
            #"{"ServerCertificates":{"ServerCertificate":[{"Deep":"# + String(repeating: "[", count: 58) + String(repeating: "]", count: 58) + "}]}}",
        ]
        for text in cases { Self.check(text) }
    }

    @Test("errors, malformed and refused answers are left to the tree")
    func leftToTheTree() {
        let good = Self.answer([Self.certificate(1), Self.certificate(2)])
        let refused = [
            #"{"Code":"Throttling","Message":"slow down","RequestId":"r"}"#,
            #"{"RequestId":"r","ServerCertificates":{"ServerCertificate":[]},"Code":null}"#,
            #"[1,2]"#, #""text""#, "", "   ", "null",
            good + "x", good + "}", String(good.dropLast()), "{" + good,
            #"{"RequestId":"r",}"#, #"{"RequestId" "r"}"#, #"{"ServerCertificates":{"ServerCertificate":[{},]}}"#,
            #"{"ServerCertificates":{"ServerCertificate":[{"ServerCertificateId":"a\x"}]}}"#,
            #"{"ServerCertificates":{"ServerCertificate":[{"CreateTimeStamp":01}]}}"#,
            #"{"ServerCertificates":{"ServerCertificate":[{"CreateTimeStamp":1.}]}}"#,
            #"{"ServerCertificates":{"ServerCertificate":[{"CreateTimeStamp":-}]}}"#,
            #"{"ServerCertificates":{"ServerCertificate":[{"Deep":"# + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}]}}",
            "{\"ServerCertificates\":{\"ServerCertificate\":[{\"CommonName\":\"tab\there\"}]}}",
        ]
        for text in refused {
            #expect(DescribeAnswer.decode(Array(text.utf8)) == nil || Self.reference(Array(text.utf8)) != nil, "\(text)")
            Self.check(text)
        }
        // Every cut of a real answer, and stray bytes at every place: never an answer the tree refuses.
        let bytes = Array(Self.answer([Self.certificate(5), Self.certificate(6)]).utf8)
        for cut in 0..<bytes.count { Self.check(Array(bytes[..<cut])) }
        for position in stride(from: 0, to: bytes.count, by: 3) {
            for stray: UInt8 in [0x22, 0x5C, 0x2C, 0x7D, 0x00, 0xFF, 0x20] {
                var changed = bytes
                changed[position] = stray
                Self.check(changed)
            }
        }
    }

    @Test("randomly shuffled and mutated answers give what the tree gives")
    func randomAnswers() {
        var generator = SeededGenerator(seed: 2024)
        let fields = ["\"ServerCertificateId\":\"id-%\"", "\"ServerCertificateName\":\"name-%\"", "\"Fingerprint\":\"Ab:%\"",
                      "\"CommonName\":\"cn-%\"", "\"SubjectAlternativeNames\":{\"SubjectAlternativeName\":[\"cn-%\",\"alt-%\"]}",
                      "\"CreateTime\":\"2026-01-01T00:00:00Z\"", "\"CreateTimeStamp\":%", "\"ExpireTime\":\"t-%\"",
                      "\"ExpireTimeStamp\":\"%\"", "\"IsAliCloudCertificate\":%", "\"AliCloudCertificateId\":\"\"",
                      "\"RegionId\":\"cn-hangzhou\"", "\"ResourceGroupId\":\"rg-%\"", "\"Tags\":{\"Tag\":[{\"TagKey\":\"k%\",\"TagValue\":\"v\"}]}",
                      "\"Unknown\":[%,{\"a\":\"%\"}]", "\"ServerCertificateId\":%"]
        var readFast = 0, readByTree = 0
        for round in 0..<400 {
            var certificates: [String] = []
            for index in 0..<Int(generator.next() % 6) {
                var members = fields.shuffled(using: &generator).prefix(Int(generator.next() % UInt64(fields.count + 1)))
                if generator.next() % 4 == 0, let repeated = members.randomElement(using: &generator) { members.append(repeated) }
                let value = ["\(round)-\(index)", "\(round)", "\(index)", "1", "0", "-0"][Int(generator.next() % 6)]
                certificates.append("{" + members.map { $0.replacingOccurrences(of: "%", with: value) }.joined(separator: ",") + "}")
            }
            let requestIds = [#""RequestId":"r\#(round)","#, "", #""RequestId":\#(round),"#]
            let text = Self.answer(certificates, requestId: requestIds[Int(generator.next() % 3)])
            if Self.check(text) { readFast += 1 }
            if Self.reference(Array(text.utf8)) != nil { readByTree += 1 }
            // A random byte changed: whatever the result, never one the tree disagrees with.
            var bytes = Array(text.utf8)
            bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
            Self.check(bytes)
        }
        // Every answer here the tree reads is an object without a Code: the fast path reads each of them.
        #expect(readFast == readByTree && readByTree > 200)
    }

    @Test("an upload answer read from its bytes is the certificate the tree reads")
    func uploadAnswers() {
        func reference(_ body: [UInt8]) -> ServerCertificate? {
            guard let json = JSON.parse(body), json["Code"] == nil else { return nil }
            return ServerCertificate(json: json, requestId: json["RequestId"]?.string ?? "")
        }
        let service = #"{"RequestId":"u1","ServerCertificateId":"123_abc","ServerCertificateName":"www.example.com","Fingerprint":"AB:cd","RegionId":"cn-hangzhou","CreateTimeStamp":1796157245155}"#
        var cases = [service, "{}", #"{"RequestId":1,"RequestId":"second","ServerCertificateId":"x","ServerCertificateId":"y"}"#,
                     #"{"ServerCertificateId":"x","Code":"Forbidden"}"#, #"[{"ServerCertificateId":"x"}]"#, service + " x",
                     #"{"SubjectAlternativeNames":{"SubjectAlternativeName":["a","b"]},"Tags":{"Tag":[{"TagKey":"k","TagValue":"v"}]},"Extra":[1]}"#]
        let bytes = Array(service.utf8)
        for cut in 0..<bytes.count { cases.append(String(decoding: bytes[..<cut], as: UTF8.self)) }
        var read = 0
        for text in cases {
            let body = Array(text.utf8)
            guard let fast = DescribeAnswer.uploadedCertificate(body) else { continue }
            read += 1
            #expect(fast == reference(body), "\(text)")
        }
        #expect(read == 4)  // the service's answer, {}, the repeated members and the names and tags
        #expect(DescribeAnswer.uploadedCertificate(Array(service.utf8))?.fingerprint == "ab:cd")
    }

    @Test("through the client's decoder, a service error is worded as the tree words it")
    func clientDecoder() throws {
        let error = HTTPResponse(status: 400, headers: [HTTPHeader("content-type", "application/json")],
                                 body: Array(#"{"Code":"InvalidRegionId.NotFound","Message":"no such region","RequestId":"r1"}"#.utf8))
        var fromFast: SLBCertError?
        var fromTree: SLBCertError?
        do { _ = try SLBClient.describeAnswer(error) } catch { fromFast = error }
        do { _ = try ServiceAnswer.decode(error) } catch { fromTree = error }
        #expect(fromFast != nil && fromFast?.serviceCode == fromTree?.serviceCode && fromFast?.message == fromTree?.message)
        #expect(fromFast?.hint == fromTree?.hint && fromFast?.requestId == "r1")
        let ok = HTTPResponse(status: 200, body: Array(Self.answer([Self.certificate(9)]).utf8))
        let answer = try SLBClient.describeAnswer(ok)
        #expect(answer.certificates.count == 1 && answer.certificates[0].requestId == "6A0BCD3E-D6E0-46CF-AA4B-F6869488D0C9")
        #expect(answer.certificates[0].createTimeStamp == 1796157245164 && answer.certificates[0].subjectAlternativeNames == ["bench-9.example.com"])
        // The table decoder: the same error, and the same certificates from the bytes or through the tree.
        var fromTable: SLBCertError?
        do { _ = try SLBClient.describeTableAnswer(error) } catch { fromTable = error }
        #expect(fromTable?.serviceCode == fromTree?.serviceCode && fromTable?.message == fromTree?.message)
        #expect(Self.certificates(of: try SLBClient.describeTableAnswer(ok)) == Self.strings(of: answer.certificates))
        let unusual = HTTPResponse(status: 200, body: Array(#"[{"ServerCertificateId":"x"}]"#.utf8))
        #expect(try SLBClient.describeTableAnswer(unusual).records.isEmpty)
        let escaped = HTTPResponse(status: 200, body: Array(#"{"RequestId":"A","ServerCertificates":[{"ServerCertificateId":"é","Code2":1}]}"#.utf8))
        let table = try SLBClient.describeTableAnswer(escaped)
        #expect(Self.certificates(of: table) == Self.strings(of: try SLBClient.describeAnswer(escaped).certificates))
        #expect(String(cString: table.requestId) == "A")
    }
}
