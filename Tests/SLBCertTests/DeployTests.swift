import Foundation
import Testing
@testable import SLBCert

/// Deploy and rollback end to end against the emulator: load balancers, HTTPS listeners and SNI
/// extensions seeded through its admin API, switched through the API, checked through the
/// emulator's own view of what each listener serves and through TLS handshakes to its data plane.
@Suite(.serialized, .enabled(if: EmulatorProcess.available, "needs SLBCERT_TEST_PYTHON (make test sets it)"))
struct DeployTests {
    static let emulator = Result { try EmulatorProcess() }
    static let names = ["www.deploy.test", "api.deploy.test", "*.shop.deploy.test"]

    let emulator: EmulatorProcess
    let pki: TestPKI
    let journals: URL

    init() throws {
        emulator = try Self.emulator.get()
        try emulator.reset()
        try emulator.faults("[]")
        pki = try TestPKI.get()
        journals = pki.directory.appendingPathComponent("journals-\(UUID().uuidString.prefix(8))")
    }

    // MARK: Fixtures

    /// A leaf from the test intermediate with these DNS names (the shared test PKI's `issue-leaf`):
    /// valid from `startDays` for `days`; the key as PKCS#1, the form the emulator's seed takes.
    func leaf(_ names: [String], days: Int = 90, startDays: Int = -1) throws -> (chain: String, key: String) {
        let issued = try pki.issueLeaf(dnsNames: names, days: days, validFromDays: startDays)
        return (issued.certificatePEM + pki.intermediate.certificatePEM, try issued.keyPEM(form: "pkcs1"))
    }

    func bundle(_ pair: (chain: String, key: String)) -> CertificateBundle {
        CertificateBundle.parse(certificate: pair.chain, privateKey: pair.key)
    }

    static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// What the scenarios share: an old certificate on two guaranteed-performance load balancers
    /// (LB1: its default and two SNI domains, one a wildcard; LB2: its default and one SNI domain),
    /// and an unrelated certificate on a second listener of LB2 that a deploy must not touch.
    struct World: CustomStringConvertible {
        let old: String
        let other: String
        let lb1: String
        let lb2: String
        let port1: Int
        let port2: Int
        let port3: Int
        let new: (chain: String, key: String)
        /// Without the key, so a failed expectation never prints it.
        var description: String { "World(old: \(old), other: \(other), lb1: \(lb1):\(port1), lb2: \(lb2):\(port2),\(port3))" }
    }

    func seedWorld(oldNames: [String] = DeployTests.names, lb2Tags: [(String, String)] = [],
                   extraExtension: String? = nil) throws -> World {
        let old = try leaf(oldNames, days: 30)
        let other = try leaf(["other.deploy.test"], days: 30)
        let new = try leaf(Self.names, days: 90)
        let (port1, port2, port3) = (Self.freePort(), Self.freePort(), Self.freePort())
        var lb1Extensions: [JSON] = [.object([("Domain", .string("api.deploy.test")), ("ServerCertificate", .string("old"))]),
                                     .object([("Domain", .string("*.shop.deploy.test")), ("ServerCertificate", .string("old"))])]
        if let extraExtension { lb1Extensions.append(.object([("Domain", .string(extraExtension)), ("ServerCertificate", .string("old"))])) }
        let document = JSON.object([
            ("AccessKeyId", .string(EmulatorProcess.accessKeyId)), ("RegionId", .string(EmulatorProcess.region)),
            ("Certificates", .array([
                .object([("Ref", .string("old")), ("ServerCertificate", .string(old.chain)), ("PrivateKey", .string(old.key))]),
                .object([("Ref", .string("other")), ("ServerCertificate", .string(other.chain)), ("PrivateKey", .string(other.key))]),
            ])),
            ("LoadBalancers", .array([
                .object([("LoadBalancerName", .string("web1")), ("LoadBalancerSpec", .string("slb.s2.small")),
                         ("Listeners", .array([.object([("ListenerPort", .number(Double(port1))), ("ServerCertificate", .string("old")),
                                                        ("HealthCheckDomain", .string("health.deploy.test")),
                                                        ("DomainExtensions", .array(lb1Extensions))])]))]),
                .object([("LoadBalancerName", .string("web2")), ("LoadBalancerSpec", .string("slb.s2.small"))]
                        // Tags are request parameters of CreateLoadBalancer: Tag.N.Key and Tag.N.Value.
                        + lb2Tags.enumerated().flatMap { index, tag in
                            [("Tag.\(index + 1).Key", JSON.string(tag.0)), ("Tag.\(index + 1).Value", JSON.string(tag.1))]
                        }
                        + [("Listeners", .array([
                            .object([("ListenerPort", .number(Double(port2))), ("ServerCertificate", .string("old")),
                                     ("HealthCheckDomain", .string("health.deploy.test")),
                                     ("DomainExtensions", .array([.object([("Domain", .string("www.deploy.test")), ("ServerCertificate", .string("old"))])]))]),
                            .object([("ListenerPort", .number(Double(port3))), ("ServerCertificate", .string("other"))]),
                         ]))]),
            ])),
        ])
        let answer = try emulator.admin("POST", "seed", document.serialized())
        let balancers = answer["LoadBalancers"]?.array ?? []
        guard balancers.count == 2, let lb1 = balancers[0]["LoadBalancerId"]?.string, let lb2 = balancers[1]["LoadBalancerId"]?.string,
              let oldId = answer["Certificates"]?["old"]?["ServerCertificateId"]?.string,
              let otherId = answer["Certificates"]?["other"]?["ServerCertificateId"]?.string else {
            throw HarnessError("unexpected seed answer \(answer.serialized())")
        }
        return World(old: oldId, other: otherId, lb1: lb1, lb2: lb2, port1: port1, port2: port2, port3: port3, new: new)
    }

    /// Every binding as the emulator has it: "lb:port" or "lb:port domain" -> certificate id.
    func bindings() throws -> [String: String] {
        var found: [String: String] = [:]
        for listener in try emulator.admin("GET", "listeners")["Listeners"]?.array ?? [] {
            let name = "\(listener["LoadBalancerId"]?.string ?? ""):\(listener["ListenerPort"]?.string ?? "")"
            found[name] = listener["ServerCertificateId"]?.string ?? ""
            for item in listener["DomainExtensions"]?.array ?? [] {
                found["\(name) \(item["Domain"]?.string ?? "")"] = item["ServerCertificateId"]?.string ?? ""
            }
        }
        return found
    }

    /// What each listener's data plane serves: "lb:port" or "lb:port domain" -> fingerprint.
    func served() throws -> [String: String] {
        var found: [String: String] = [:]
        for listener in try emulator.admin("GET", "listeners")["Listeners"]?.array ?? [] {
            let name = "\(listener["LoadBalancerId"]?.string ?? ""):\(listener["ListenerPort"]?.string ?? "")"
            for item in listener["DataPlane"]?["Served"]?.array ?? [] {
                found[item["ServerName"]?.string.map { "\(name) \($0)" } ?? name] = item["Fingerprint"]?.string ?? ""
            }
        }
        return found
    }

    func setCalls() throws -> Int {
        let requests = try emulator.stats()["requests"]
        return ["SetLoadBalancerHTTPSListenerAttribute", "SetDomainExtensionAttribute"].reduce(0) { $0 + Int(requests?[$1]?.int64 ?? 0) }
    }

    func client(_ configure: (inout ClientSettings) -> Void = { _ in }) throws -> SLBClient {
        try emulator.client { settings in
            settings.stateDirectory = journals.path
            configure(&settings)
        }
    }

    func options(_ change: (inout DeployOptions) -> Void = { _ in }) -> DeployOptions {
        var options = DeployOptions()
        options.busyTimeoutMilliseconds = 1_000
        options.rollbackTimeoutMilliseconds = 15_000
        options.referenceTimeoutMilliseconds = 10_000
        options.tlsTimeoutMilliseconds = 10_000
        change(&options)
        return options
    }

    func allOn(_ id: String, _ world: World, _ state: [String: String]) -> Bool {
        let keys = ["\(world.lb1):\(world.port1)", "\(world.lb1):\(world.port1) api.deploy.test", "\(world.lb1):\(world.port1) *.shop.deploy.test",
                    "\(world.lb2):\(world.port2)", "\(world.lb2):\(world.port2) www.deploy.test"]
        return keys.allSatisfy { state[$0] == id }
    }

    /// The SLBCertError a call throws, or nil when it returns (or throws something else).
    func failure(_ body: () throws -> Any) -> SLBCertError? {
        do {
            _ = try body()
            return nil
        } catch let error as SLBCertError {
            return error
        } catch {
            return nil
        }
    }

    // MARK: Tests

    @Test("defaults and SNI extensions on two load balancers are switched, verified by handshake; a re-run changes nothing")
    func deploysEverywhere() throws {
        let world = try seedWorld()
        let client = try client()
        let bundle = bundle(world.new)
        let report = try client.deploy(bundle, options: options { $0.verifyTLS = true })
        #expect(report.outcome == .deployed, "\(report)")
        #expect(report.uploaded)
        #expect(report.replaced == [world.old])
        #expect(report.bindings.count == 5)
        #expect(report.bindings.allSatisfy { $0.result == .switched && $0.from == world.old && $0.to == report.certificateId })
        #expect(report.bindings.filter { $0.domainExtensionId == nil }.map(\.loadBalancerId).sorted() == [world.lb1, world.lb2].sorted())
        let state = try bindings()
        #expect(allOn(report.certificateId, world, state), "\(state)")
        #expect(state["\(world.lb2):\(world.port3)"] == world.other, "an unrelated certificate is left alone")
        // The emulator's data plane serves the new certificate for every name, the handshakes saw it too.
        let fingerprint = bundle.leaf!.fingerprint
        let servedNow = try served()
        for key in ["\(world.lb1):\(world.port1)", "\(world.lb1):\(world.port1) api.deploy.test", "\(world.lb1):\(world.port1) *.shop.deploy.test",
                    "\(world.lb2):\(world.port2)", "\(world.lb2):\(world.port2) www.deploy.test"] {
            #expect(servedNow[key] == fingerprint, "\(key)")
        }
        #expect(report.verified.count == 5)
        #expect(report.verified.allSatisfy { $0.ok && $0.fingerprint == fingerprint }, "\(report.verified)")
        #expect(Set(report.verified.compactMap(\.serverName)) == ["slbcert-check.invalid", "api.deploy.test", "slbcert-check.shop.deploy.test", "www.deploy.test"])
        #expect(try emulator.storedFingerprints().count == 3, "the old certificate stays without deleteOld")
        let journal = try #require(report.journal)
        let contents = try DeployJournal.read(journal)
        #expect(contents.switches.count == 5 && contents.switched.count == 5 && contents.finished)

        let sets = try setCalls()
        let again = try client.deploy(bundle, options: options { $0.verifyTLS = true })
        #expect(again.outcome == .alreadyDeployed)
        #expect(again.bindings.count == 5 && again.bindings.allSatisfy { $0.result == .unchanged })
        #expect(again.verified.count == 5 && again.verified.allSatisfy(\.ok))
        #expect(again.journal == nil, "a run that changes nothing needs no journal")
        #expect(try setCalls() == sets, "a re-run sends no Set")
    }

    @Test("the old certificate is deleted only when asked, after a lingering reference clears")
    func deletesOldOnlyWhenAsked() throws {
        let world = try seedWorld()
        let client = try client()
        // The reference to the old certificate outlives the switch away from it by 1.5 s.
        try emulator.faults(#"[{"action": "*", "fault": "linger-reference", "duration_ms": 1500, "times": 100}]"#)
        let report = try client.deploy(bundle(world.new), options: options { $0.deleteOld = true })
        #expect(report.outcome == .deployed)
        #expect(report.deleted == [world.old])
        let ids = (try emulator.admin("GET", "certificates")["Certificates"]?.array ?? []).compactMap { $0["ServerCertificateId"]?.string }
        #expect(!ids.contains(world.old) && ids.contains(world.other))
        #expect(try emulator.stats()["faults_fired"]?["linger-reference"]?.int64 ?? 0 >= 1)
        #expect(try DeployJournal.read(try #require(report.journal)).deleted == [world.old])
    }

    @Test("a certificate still used outside the named load balancers is not deleted")
    func keepsWhatIsStillUsed() throws {
        let world = try seedWorld()
        let report = try client().deploy(bundle(world.new), options: options { $0.deleteOld = true; $0.loadBalancers = [world.lb1] })
        #expect(report.outcome == .deployed)
        #expect(report.bindings.count == 3 && report.bindings.allSatisfy { $0.loadBalancerId == world.lb1 })
        #expect(report.deleted.isEmpty)
        #expect(report.warnings.contains { $0.contains(world.old) && $0.contains("still used by") && $0.contains(world.lb2) })
        #expect(try bindings()["\(world.lb2):\(world.port2)"] == world.old)
    }

    @Test("ServiceIsConfiguring beyond the busy budget rolls every switch back")
    func busyBeyondBudgetRollsBack() throws {
        let world = try seedWorld()
        // LB1's first change makes it busy for 3 s: the next switch on it outlasts its 1 s budget.
        try emulator.faults(#"[{"action": "*", "fault": "busy-window", "duration_ms": 3000, "times": 1}]"#)
        let report = try client().deploy(bundle(world.new), options: options())
        #expect(report.outcome == .rolledBack, "\(report)")
        #expect(report.failure?.serviceCode == "ServiceIsConfiguring")
        #expect(report.failure?.reason == .stillBusy)
        let results = report.bindings.map(\.result)
        #expect(results.filter { $0 == .rolledBack }.count == 2, "the switched default and the failed switch: \(results)")
        #expect(results.filter { $0 == .pending }.count == 3)
        #expect(allOn(world.old, world, try bindings()))
        let journal = try DeployJournal.read(try #require(report.journal))
        #expect(journal.lastOutcome == "rolled-back" && journal.restored.count == 2)
    }

    @Test("an internal error on the second switch rolls the first back")
    func internalErrorRollsBack() throws {
        let world = try seedWorld()
        try emulator.faults(#"[{"action": "SetDomainExtensionAttribute", "fault": "internal", "times": 20}]"#)
        let report = try client { $0.maxAttempts = 2 }.deploy(bundle(world.new), options: options())
        #expect(report.outcome == .rolledBack)
        #expect(report.failure?.serviceCode == "InternalError")
        #expect(report.bindings.first?.result == .rolledBack && report.bindings.first?.domainExtensionId == nil)
        #expect(allOn(world.old, world, try bindings()))
        #expect(try served()["\(world.lb1):\(world.port1)"] != bundle(world.new).leaf!.fingerprint)
    }

    @Test("an SNI domain the new certificate does not cover is refused before anything changes")
    func uncoveredDomainRefused() throws {
        let world = try seedWorld(oldNames: Self.names + ["legacy.deploy.test"], extraExtension: "legacy.deploy.test")
        let before = try emulator.storedFingerprints().count
        // The old certificate has a name the new one lacks, so by default it is not replaced; naming it forces the question.
        let error = try #require(failure { try client().deploy(bundle(world.new), options: options { $0.replace = [world.old] }) })
        #expect(error.kind == .refused && error.reason == .domainNotCovered)
        #expect(error.message.contains("legacy.deploy.test"))
        #expect(try setCalls() == 0)
        #expect(try emulator.storedFingerprints().count == before, "nothing was uploaded either")
        let plain = try client().deploy(bundle(world.new), options: options())
        #expect(plain.outcome == .nothingToDeploy, "a certificate the new one does not cover is not replaced by default")
    }

    @Test("a dry run plans and changes nothing; an empty plan is nothing-to-deploy")
    func dryRunAndEmptyPlan() throws {
        let world = try seedWorld()
        let dry = try client().deploy(bundle(world.new), options: options { $0.dryRun = true })
        #expect(dry.outcome == .planned)
        #expect(dry.bindings.count == 5 && dry.bindings.allSatisfy { $0.result == .planned })
        #expect(dry.certificateId.isEmpty && !dry.uploaded && dry.journal == nil)
        #expect(try setCalls() == 0)
        #expect(try emulator.storedFingerprints().count == 2, "a dry run uploads nothing")

        let unrelated = try leaf(["elsewhere.test"])
        let empty = try client().deploy(bundle(unrelated), options: options())
        #expect(empty.outcome == .nothingToDeploy)
        #expect(empty.bindings.isEmpty && empty.replaced.isEmpty && empty.journal == nil)
        #expect(try setCalls() == 0)
    }

    @Test("another region's certificate id and load balancer are caught in the plan")
    func otherRegionCaught() throws {
        let world = try seedWorld()
        let far = try leaf(["www.deploy.test"], days: 30)
        let answer = try emulator.admin("POST", "seed", JSON.object([
            ("AccessKeyId", .string(EmulatorProcess.accessKeyId)), ("RegionId", .string("cn-shanghai")),
            ("Certificates", .array([.object([("Ref", .string("far")), ("ServerCertificate", .string(far.chain)), ("PrivateKey", .string(far.key))])])),
            ("LoadBalancers", .array([.object([("LoadBalancerName", .string("far")), ("LoadBalancerSpec", .string("slb.s2.small"))])])),
        ]).serialized())
        let farCertificate = try #require(answer["Certificates"]?["far"]?["ServerCertificateId"]?.string)
        let farBalancer = try #require(answer["LoadBalancers"]?.array?.first?["LoadBalancerId"]?.string)
        for (change, reason) in [({ (o: inout DeployOptions) in o.replace = [farCertificate] }, SLBCertError.Reason.certificateNotInRegion),
                                 ({ (o: inout DeployOptions) in o.loadBalancers = [world.lb1, farBalancer] }, .loadBalancerNotInRegion)] {
            let error = try #require(failure { try client().deploy(bundle(world.new), options: options(change)) })
            #expect(error.kind == .refused && error.reason == reason, "\(error)")
        }
        #expect(try setCalls() == 0)
        #expect(try emulator.stats()["requests"]?["UploadServerCertificate"]?.int64 ?? 0 == 0)
    }

    @Test("a locked instance is refused before anything changes")
    func lockedInstanceRefused() throws {
        let old = try leaf(Self.names, days: 30)
        let new = try leaf(Self.names, days: 90)
        _ = try emulator.admin("POST", "seed", JSON.object([
            ("AccessKeyId", .string(EmulatorProcess.accessKeyId)), ("RegionId", .string(EmulatorProcess.region)),
            ("Certificates", .array([.object([("Ref", .string("old")), ("ServerCertificate", .string(old.chain)), ("PrivateKey", .string(old.key))])])),
            ("LoadBalancers", .array([.object([("LoadBalancerSpec", .string("slb.s2.small")), ("LoadBalancerStatus", .string("locked")),
                                               ("Listeners", .array([.object([("ListenerPort", .number(Double(Self.freePort()))),
                                                                              ("ServerCertificate", .string("old"))])]))])])),
        ]).serialized())
        let error = try #require(failure { try client().deploy(bundle(new), options: options()) })
        #expect(error.kind == .refused && error.reason == .loadBalancerLocked, "\(error)")
        #expect(try setCalls() == 0)
    }

    @Test("instances Kubernetes' cloud controller manages are skipped unless forced")
    func managedInstancesSkipped() throws {
        let world = try seedWorld(lb2Tags: [("kubernetes.do.not.delete", "a1b2"), ("ack.aliyun.com", "c123")])
        let report = try client().deploy(bundle(world.new), options: options())
        #expect(report.outcome == .deployed)
        #expect(report.bindings.filter { $0.loadBalancerId == world.lb2 }.allSatisfy { $0.result == .skipped })
        #expect(report.warnings.contains { $0.contains(world.lb2) && $0.contains("kubernetes.do.not.delete") })
        #expect(try bindings()["\(world.lb2):\(world.port2)"] == world.old)
        let forced = try client().deploy(bundle(world.new), options: options { $0.forceManaged = true })
        #expect(forced.outcome == .deployed)
        #expect(allOn(forced.certificateId, world, try bindings()))
    }

    @Test("an attribute the switch reset although it was not sent is set back and reported")
    func driftRestored() throws {
        let world = try seedWorld()
        try emulator.faults(#"[{"action": "SetLoadBalancerHTTPSListenerAttribute", "fault": "healthcheck-domain-reset", "times": 1}]"#)
        let report = try client().deploy(bundle(world.new), options: options())
        #expect(report.outcome == .deployed)
        let drift = try #require(report.drift.first)
        #expect(drift.attribute == "HealthCheckDomain" && drift.expected == "health.deploy.test" && drift.found == "" && drift.restored)
        let attributes = try client().httpsListener(loadBalancerId: drift.loadBalancerId, port: drift.listenerPort).attributes
        #expect(attributes["HealthCheckDomain"] == "health.deploy.test")
    }

    @Test("rollback(journal) restores the state before a successful deploy, and again is harmless")
    func rollbackRestores() throws {
        let world = try seedWorld()
        let client = try client()
        let report = try client.deploy(bundle(world.new), options: options())
        #expect(report.outcome == .deployed)
        let journal = try #require(report.journal)
        let undone = try client.rollback(journal: journal, options: options())
        #expect(undone.outcome == .rolledBack)
        #expect(undone.bindings.count == 5 && undone.bindings.allSatisfy { $0.result == .rolledBack })
        #expect(allOn(world.old, world, try bindings()))
        let sets = try setCalls()
        let again = try client.rollback(journal: journal, options: options())
        #expect(again.outcome == .rolledBack)
        #expect(try setCalls() == sets, "nothing left to put back")
    }

    @Test("a run that stopped after its first switch is continued by the same deploy")
    func interruptedRunContinues() throws {
        let world = try seedWorld()
        let client = try client()
        let bundle = bundle(world.new)
        // What a run killed during its second Set leaves behind: the upload, LB1's default switched,
        // and the journal saying so (its second switch announced, never confirmed).
        let stored = try client.upload(bundle).certificate.serverCertificateId
        _ = try client.setListenerCertificate(loadBalancerId: world.lb1, port: world.port1, certificateId: stored)
        let path = journals.appendingPathComponent("interrupted.jsonl").path
        let first = DeployJournal.Switch(key: BindingKey(loadBalancerId: world.lb1, port: world.port1, domainExtensionId: nil),
                                         domain: nil, from: world.old, to: stored, snapshot: nil)
        let listener = try client.httpsListener(loadBalancerId: world.lb1, port: world.port1)
        let api = try #require(listener.domainExtensions.first { $0.domain == "api.deploy.test" })
        let second = DeployJournal.Switch(key: BindingKey(loadBalancerId: world.lb1, port: world.port1, domainExtensionId: api.domainExtensionId),
                                          domain: "api.deploy.test", from: world.old, to: stored, snapshot: nil)
        do {  // the journal's lock goes with it at the end of this block
            let journal = try DeployJournal.open(path, create: true)
            try journal.append(DeployJournal.header(endpoint: client.baseURL, regionId: EmulatorProcess.region, certificateId: stored,
                                                    fingerprint: bundle.leaf!.fingerprint, uploaded: true, replaced: [world.old]))
            try journal.append(DeployJournal.record("switching", first))
            try journal.append(DeployJournal.record("switched", first, requestId: "r1"))
            try journal.append(DeployJournal.record("switching", second))
        }
        // A half-written line, as a kill during a write leaves it.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("{\"Type\":\"swi".utf8))
        handle.closeFile()

        let report = try client.deploy(bundle, options: options { $0.journalPath = path })
        #expect(report.outcome == .deployed)
        #expect(report.uploaded, "the earlier run uploaded it")
        let lb1Default = try #require(report.bindings.first { $0.loadBalancerId == world.lb1 && $0.domainExtensionId == nil })
        #expect(lb1Default.result == .switched && lb1Default.from == world.old, "reported from the journal, not as unchanged")
        #expect(report.bindings.allSatisfy { $0.result == .switched })
        #expect(allOn(stored, world, try bindings()))
        // One journal covers both runs: rolling it back undoes the first run's switch too.
        let undone = try client.rollback(journal: path, options: options())
        #expect(undone.outcome == .rolledBack && undone.bindings.count == 5)
        #expect(allOn(world.old, world, try bindings()))
    }

    @Test("the default journal of an unfinished deploy is found by the next run of it")
    func defaultJournalFound() throws {
        let world = try seedWorld()
        // Busy beyond both budgets: the switch fails and so does its rollback (partial).
        try emulator.faults(#"[{"action": "*", "fault": "busy-window", "duration_ms": 2500, "times": 1}]"#)
        let client = try client()
        let report = try client.deploy(bundle(world.new), options: options { $0.rollbackTimeoutMilliseconds = 500 })
        #expect(report.outcome == .partial, "\(report)")
        let failed = report.bindings.filter { $0.result == .failed }
        #expect(failed.count == 1 && failed.first?.domainExtensionId == nil)
        let journal = try #require(report.journal)
        #expect(journal.hasPrefix(journals.path + "/deploy/deploy-\(EmulatorProcess.region)-"))
        #expect(try DeployJournal.read(journal).finished == false)
        Thread.sleep(forTimeInterval: 2.5)
        let again = try client.deploy(bundle(world.new), options: options())
        #expect(again.journal == journal, "the unfinished journal is continued")
        #expect(again.outcome == .deployed)
        #expect(allOn(again.certificateId, world, try bindings()))
        #expect(try DeployJournal.read(journal).finished)
    }

    @Test("an expired or not yet valid leaf is refused, however the bundle was parsed")
    func invalidLeafRefused() throws {
        let early = try leaf(["www.deploy.test"], days: 30, startDays: 2)
        let asIfLater = CertificateBundle.parse(certificate: early.chain, privateKey: early.key,
                                                options: CheckOptions(now: UTCTime.nowMilliseconds() + 3 * 86_400_000))
        #expect(!asIfLater.hasErrors)
        let notYet = try #require(failure { try client().deploy(asIfLater, options: options()) })
        #expect(notYet.kind == .validation && notYet.findings.map(\.code) == [.leafNotYetValid])
        let expired = try leaf(["www.deploy.test"], days: 1, startDays: -3)
        let parsedEarlier = CertificateBundle.parse(certificate: expired.chain, privateKey: expired.key,
                                                    options: CheckOptions(now: UTCTime.nowMilliseconds() - 5 * 86_400_000 / 2))
        let expiredError = try #require(failure { try client().deploy(parsedEarlier, options: options()) })
        #expect(expiredError.kind == .validation && expiredError.findings.map(\.code) == [.leafExpired])
        #expect(try emulator.stats()["requests"]?["DescribeServerCertificates"]?.int64 ?? 0 == 0, "refused before any request")
    }

    @Test("the TLS probe sees what each name is served; a closed port or a host name is unreachable")
    func tlsProbe() throws {
        let world = try seedWorld()
        let address = try #require(try client().loadBalancers(ids: [world.lb2]).first?.address)
        let other = try #require(try emulator.admin("GET", "certificates")["Certificates"]?.array?
            .first { $0["ServerCertificateId"]?.string == world.other }?["Fingerprint"]?.string)
        #expect(TLSProbe.probe(address: address, port: world.port3, serverName: "x.invalid", timeoutMilliseconds: 5_000) == .served(fingerprint: other))
        let old = try #require(try served()["\(world.lb2):\(world.port2) www.deploy.test"])
        #expect(TLSProbe.probe(address: address, port: world.port2, serverName: "www.deploy.test", timeoutMilliseconds: 5_000) == .served(fingerprint: old))
        #expect(TLSProbe.probe(address: address, port: world.port2, serverName: nil, timeoutMilliseconds: 5_000) == .served(fingerprint: old))
        let closed = Self.freePort()
        guard case .unreachable = TLSProbe.probe(address: "127.0.0.1", port: closed, serverName: nil, timeoutMilliseconds: 2_000) else {
            Issue.record("a closed port is unreachable")
            return
        }
        guard case .unreachable = TLSProbe.probe(address: "not-an-ip", port: 443, serverName: nil, timeoutMilliseconds: 2_000) else {
            Issue.record("a host name is not an address")
            return
        }
    }

    @Test("a listener the TLS check cannot reach is reported, not a failure")
    func unreachableIsReported() throws {
        let old = try leaf(Self.names, days: 30)
        let new = try leaf(Self.names, days: 90)
        let port = Self.freePort()
        let seeded = try emulator.admin("POST", "seed", JSON.object([
            ("AccessKeyId", .string(EmulatorProcess.accessKeyId)), ("RegionId", .string(EmulatorProcess.region)),
            ("Certificates", .array([.object([("Ref", .string("old")), ("ServerCertificate", .string(old.chain)), ("PrivateKey", .string(old.key))])])),
            ("LoadBalancers", .array([.object([("LoadBalancerSpec", .string("slb.s2.small")),
                                               ("Listeners", .array([.object([("ListenerPort", .number(Double(port))), ("ServerCertificate", .string("old")),
                                                                              ("Status", .string("stopped"))])]))])])),
        ]).serialized())
        let id = try #require(seeded["LoadBalancers"]?.array?.first?["LoadBalancerId"]?.string)
        let report = try client().deploy(bundle(new), options: options { $0.verifyTLS = true; $0.tlsTimeoutMilliseconds = 2_000 })
        #expect(report.outcome == .deployed)
        #expect(report.bindings.count == 1 && report.bindings.first?.loadBalancerId == id)
        let check = try #require(report.verified.first)
        #expect(!check.ok && check.fingerprint == nil && !check.problem.isEmpty)
        #expect(report.warnings.contains { $0.contains("could not connect") })
    }

    @Test("budgets are checked: an out-of-range value names the setting")
    func budgetsChecked() throws {
        let world = try seedWorld()
        let error = try #require(failure { try client().deploy(bundle(world.new), options: options { $0.busyTimeoutMilliseconds = 0 }) })
        #expect(error.reason == .settingOutOfRange && error.argument == "busyTimeout")
    }
}

@Suite("Host names and journals")
struct DeployUnitTests {
    @Test("a wildcard covers exactly one label, as TLS matches it")
    func wildcards() {
        #expect(HostNames.matches(pattern: "*.example.com", name: "a.example.com"))
        #expect(HostNames.matches(pattern: "*.EXAMPLE.com", name: "A.example.com."))
        #expect(!HostNames.matches(pattern: "*.example.com", name: "example.com"))
        #expect(!HostNames.matches(pattern: "*.example.com", name: "a.b.example.com"))
        #expect(HostNames.covers(["*.example.com"], domain: "api.example.com"))
        #expect(HostNames.covers(["*.example.com"], domain: "*.example.com"))
        #expect(!HostNames.covers(["api.example.com"], domain: "*.example.com"), "a wildcard domain needs the wildcard itself")
        #expect(!HostNames.covers(["*.example.com"], domain: "example.com"))
        #expect(HostNames.example(for: "*.shop.example.com") == "slbcert-check.shop.example.com")
    }

    @Test("the journal's last line cut short is ignored; a damaged line before it is an error")
    func journalReading() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slbcert-journal-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nested/j.jsonl").path
        let journal = try DeployJournal.open(path, create: true)
        try journal.append(DeployJournal.header(endpoint: "https://e", regionId: "cn-hangzhou", certificateId: "n", fingerprint: "f",
                                                uploaded: false, replaced: ["o"]))
        let item = DeployJournal.Switch(key: BindingKey(loadBalancerId: "lb-1", port: 443, domainExtensionId: "de-1"), domain: "a.example",
                                        from: "o", to: "n", snapshot: nil)
        try journal.append(DeployJournal.record("switching", item))
        var contents = try DeployJournal.read(path)
        #expect(contents.switches.count == 1 && !contents.finished && contents.replaced == ["o"])
        #expect(throws: SLBCertError.self, "a second run cannot take the lock") { try DeployJournal.open(path, create: false) }
        try journal.append(DeployJournal.end(.partial))
        #expect(try DeployJournal.read(path).finished == false, "partial is continued by the next run")
        try journal.append(DeployJournal.end(.deployed))
        contents = try DeployJournal.read(path)
        #expect(contents.finished)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        try Data("not json\n{\"Type\":\"end\"}\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: SLBCertError.self) { try DeployJournal.read(path) }
    }
}
