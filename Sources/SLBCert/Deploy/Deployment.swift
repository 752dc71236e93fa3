#if canImport(Glibc)
import Glibc
#endif

extension SLBClient {
    /// Puts a certificate on every HTTPS listener default and SNI domain extension that uses a
    /// certificate it replaces, verifies what is served, and undoes every switch when a step fails.
    ///
    /// The order (docs/clb-listeners.md section 9): check the bundle (an error finding, or a leaf
    /// outside its validity, stops everything); upload it duplicate-safely; decide what it replaces;
    /// find and snapshot the bindings; refuse an unsafe plan before anything changes; switch one
    /// binding at a time with the minimal parameters, recording each in the journal before the next;
    /// verify (re-read, and with `verifyTLS` a handshake); on a failure put every switched binding
    /// back; with `deleteOld`, delete the replaced certificates nothing references any more, last.
    ///
    /// Throws when nothing was changed (bad bundle, refused plan, discovery failed). Once a binding
    /// may have changed it returns a report: a failed step is `rolledBack` or `partial` with `failure`.
    public func deploy(_ bundle: CertificateBundle, options: DeployOptions = DeployOptions()) throws(SLBCertError) -> DeployReport {
        try Deployment(client: self, options: options).deploy(bundle)
    }

    /// Puts every binding a deploy journal records back on the certificate it had before, and
    /// verifies it. Running it again is harmless. Certificates the deploy deleted cannot come back.
    public func rollback(journal path: String, options: DeployOptions = DeployOptions()) throws(SLBCertError) -> DeployReport {
        try Deployment(client: self, options: options).rollback(journalAt: path)
    }
}

/// One deploy or rollback run: the plan, what was done, and what a person should hear about.
final class Deployment {
    let client: SLBClient
    let options: DeployOptions
    let budgets: DeployBudgets
    private(set) var warnings: [String] = []
    private(set) var drift: [ListenerDrift] = []

    /// Answers of an instance that is busy with an earlier change: wait and send again (docs/clb-listeners.md section 4).
    static let busyCodes: Set<String> = ["ServiceIsConfiguring", "OperationBusy", "BackendServer.configuring", "ServiceIsStopping",
                                         "ProcessingSameRequest", "OperationFailed.ListenerStatusNotSupport",
                                         "DomainExtensionProcessing", "SystemBusy"]
    /// Tags of instances Kubernetes' cloud controller manages: it re-applies its own certificate.
    static let managedTagKey = "kubernetes.do.not.delete"
    static let managedTagPrefix = "ack.aliyun.com"

    init(client: SLBClient, options: DeployOptions) throws(SLBCertError) {
        self.client = client
        self.options = options
        budgets = try DeployBudgets(options)
    }

    private var logger: Logger? { client.configuration.logger }
    private var region: String { client.configuration.regionId }

    private func warn(_ text: String) {
        warnings.append(text)
        logger?.log(.warning, text)
    }

    /// A binding of the plan.
    struct Item {
        let key: BindingKey
        let domain: String?
        var from: String
        var to: String
        var result: DeployBinding.Result
        /// The listener's attributes before its default certificate was switched.
        var snapshot: [String: String]?

        var record: DeployJournal.Switch { DeployJournal.Switch(key: key, domain: domain, from: from, to: to, snapshot: snapshot) }
        var binding: DeployBinding {
            DeployBinding(loadBalancerId: key.loadBalancerId, listenerPort: key.port, domainExtensionId: key.domainExtensionId,
                          domain: domain, from: from, to: to, result: result)
        }
        var name: String { "\(key.loadBalancerId):\(key.port) " + (domain.map { "\($0) (\(key.domainExtensionId ?? ""))" } ?? "(default certificate)") }
    }

    // MARK: - Deploy

    func deploy(_ bundle: CertificateBundle) throws(SLBCertError) -> DeployReport {
        let leaf = try Self.checked(bundle)
        for id in options.replace { try Validation.checkId(id) }
        for id in options.loadBalancers { try Self.checkLoadBalancerId(id) }
        var place = try journalPlace(fingerprint: leaf.fingerprint)
        let earlier = place.earlier

        // Plan first, so that a refused plan changes nothing at all: not even the upload.
        let regionCertificates = try client.describe().certificates
        let copy = DuplicateSafeUpload.oldest(regionCertificates.filter { $0.fingerprint == leaf.fingerprint })
        var newId = copy?.serverCertificateId ?? ""
        let names = HostNames.served(by: leaf)
        let replaced = try replacedCertificates(regionCertificates, newId: newId, leaf: leaf, names: names, earlier: earlier)
        let scope = try loadBalancersInScope()
        let listeners = try readListeners(of: scope)
        var plan = makePlan(listeners, replaced: Set(replaced), newId: newId, earlier: earlier)
        skipManaged(&plan, scope: scope)
        try refuseUnsafe(plan, scope: scope, names: names, leaf: leaf)

        // Upload duplicate-safely (a dry run uploads nothing).
        var uploaded = earlier?.uploaded == true
        if !options.dryRun {
            var upload = options.upload
            upload.ensure = true
            let result = try client.upload(bundle, options: upload)
            uploaded = uploaded || result.outcome == .uploaded
            if result.certificate.serverCertificateId != newId {
                for index in plan.indices where plan[index].to == newId { plan[index].to = result.certificate.serverCertificateId }
                newId = result.certificate.serverCertificateId
            }
        }

        let toSwitch = plan.indices.filter { plan[$0].result == .pending || plan[$0].result == .planned }
        let onNew = plan.contains { $0.result == .switched || $0.result == .unchanged }
        func report(_ outcome: DeployOutcome, verified: [TLSVerification] = [], deleted: [String] = [], journal: String? = nil,
                    failure: SLBCertError? = nil) -> DeployReport {
            DeployReport(outcome: outcome, certificateId: newId, fingerprint: leaf.fingerprint, uploaded: uploaded, replaced: replaced,
                         bindings: plan.map(\.binding), verified: verified, deleted: deleted, journal: journal, drift: drift,
                         warnings: warnings, failure: failure)
        }
        if options.dryRun {
            if options.deleteOld { warn("A dry run deletes nothing; after a deploy, the replaced certificates nothing uses would be deleted.") }
            return report(!toSwitch.isEmpty ? .planned : onNew ? .alreadyDeployed : .nothingToDeploy)
        }
        let skipped = plan.filter { $0.result == .skipped }
        if toSwitch.isEmpty && !onNew {
            if !skipped.isEmpty {
                warn("Nothing was deployed: every binding of the replaced certificates is on a managed instance.")
            }
            try? place.journal?.append(DeployJournal.end(.nothingToDeploy))
            return report(.nothingToDeploy, journal: place.journal?.path)
        }

        // Switch, one binding at a time, each recorded before the next.
        var failure: SLBCertError?
        var attempted: [DeployJournal.Switch] = earlier.map { contents in contents.switches.filter { !contents.restored.contains($0.key) } } ?? []
        for index in toSwitch {
            let item = plan[index]
            let journal: DeployJournal
            do {
                journal = try place.ensureJournal(header: header(newId: newId, fingerprint: leaf.fingerprint, uploaded: uploaded, replaced: replaced))
                try journal.append(DeployJournal.record("switching", item.record))
            } catch {
                // Not one binding is attempted yet: nothing to undo, the caller gets the error.
                if attempted.isEmpty { throw error }
                failure = error
                break
            }
            if !attempted.contains(where: { $0.key == item.key }) { attempted.append(item.record) }
            do {
                let requestId = try whileBusy("switching \(item.name)", budget: budgets.busy) { () throws(SLBCertError) -> String in
                    try set(item.key, to: item.to)
                }
                try journal.append(DeployJournal.record("switched", item.record, requestId: requestId))
                plan[index].result = .switched
                logger?.log(.info, "switched \(item.name) from \(item.from) to \(item.to)")
            } catch {
                failure = Self.annotated(error, "Switching \(item.name) to \(item.to) failed")
                break
            }
        }

        // Verify: the control plane, then (when asked) the data plane.
        var verified: [TLSVerification] = []
        if failure == nil { failure = verifyControlPlane(plan, newId: newId) }
        if failure == nil, options.verifyTLS {
            let (checks, problem) = verifyDataPlane(plan, listeners: listeners, scope: scope, fingerprint: leaf.fingerprint)
            verified = checks
            failure = problem
        }

        if let failure {
            let (restored, failed, _) = restore(attempted, journal: place.journal)
            for index in plan.indices {
                if restored.contains(plan[index].key) { plan[index].result = .rolledBack }
                if failed.contains(plan[index].key) { plan[index].result = .failed }
            }
            let outcome: DeployOutcome = failed.isEmpty ? .rolledBack : .partial
            try? place.journal?.append(DeployJournal.end(outcome))
            logger?.log(.error, "deploy failed and was \(outcome == .rolledBack ? "rolled back" : "only partly rolled back"): \(failure.message)")
            return report(outcome, verified: verified, journal: place.journal?.path, failure: failure)
        }

        // Delete the replaced certificates nothing references any more: last, and only when asked.
        var deleted: [String] = []
        if options.deleteOld {
            let stillStored = replaced.filter { id in regionCertificates.contains { $0.serverCertificateId == id } }
            deleted = deleteUnreferenced(stillStored) { () throws(SLBCertError) -> DeployJournal in
                try place.ensureJournal(header: header(newId: newId, fingerprint: leaf.fingerprint, uploaded: uploaded, replaced: replaced))
            }
        }
        let switchedAny = plan.contains { $0.result == .switched }
        let outcome: DeployOutcome = switchedAny ? .deployed : .alreadyDeployed
        try? place.journal?.append(DeployJournal.end(outcome))
        return report(outcome, verified: verified, deleted: deleted, journal: place.journal?.path)
    }

    private func header(newId: String, fingerprint: String, uploaded: Bool, replaced: [String]) -> JSON {
        DeployJournal.header(endpoint: client.baseURL, regionId: region, certificateId: newId, fingerprint: fingerprint,
                             uploaded: uploaded, replaced: replaced)
    }

    // MARK: Checks before anything is sent

    static func checked(_ bundle: CertificateBundle) throws(SLBCertError) -> CertificateInfo {
        var errors = bundle.errors
        if errors.isEmpty, let leaf = bundle.leaf {
            // The bundle may have been parsed at another time (or with another clock): judge it now.
            let now = UTCTime.nowMilliseconds()
            if now > leaf.notAfter {
                errors.append(Finding(.error, .leafExpired, "The server certificate expired at \(leaf.notAfterText); a deploy needs a valid one."))
            } else if now < leaf.notBefore {
                errors.append(Finding(.error, .leafNotYetValid, "The server certificate is not valid until \(leaf.notBeforeText); clients would refuse it."))
            }
        }
        if !errors.isEmpty {
            var error = SLBCertError(.validation, "The certificate bundle has errors; nothing was sent: \(errors.map(\.description).joined(separator: " "))")
            error.findings = errors
            error.reason = .bundleHasErrors
            throw error
        }
        guard let leaf = bundle.leaf, bundle.normalizedPrivateKeyPEM != nil else { throw SLBClient.missingKeyError }
        return leaf
    }

    /// A load balancer id goes into a comma-separated filter: letters, digits, '-', '_' and '.' only.
    static func checkLoadBalancerId(_ id: String) throws(SLBCertError) {
        let allowed = { (byte: UInt8) in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 45 || byte == 95 || byte == 46
        }
        guard (1...64).contains(id.utf8.count), id.utf8.allSatisfy(allowed) else {
            var error = SLBCertError(.invalidArgument, "\"\(id)\" is not a LoadBalancerId.")
            error.argument = "loadBalancers"
            throw error
        }
    }

    static func refused(_ reason: SLBCertError.Reason, _ message: String, argument: String = "") -> SLBCertError {
        var error = SLBCertError(.refused, message + " Nothing was changed.")
        error.reason = reason
        error.argument = argument
        return error
    }

    static func annotated(_ error: SLBCertError, _ context: String) -> SLBCertError {
        var error = error
        error.message = "\(context): \(error.message)"
        return error
    }

    // MARK: What the new certificate replaces

    private func replacedCertificates(_ region: [ServerCertificate], newId: String, leaf: CertificateInfo, names: [String],
                                      earlier: DeployJournal.Contents?) throws(SLBCertError) -> [String] {
        var ids: [String] = []
        if !options.replace.isEmpty {
            for id in options.replace where !ids.contains(id) {
                guard id != newId else {
                    var error = SLBCertError(.invalidArgument, "\(id) is the new certificate itself; it cannot replace itself.")
                    error.argument = "replace"
                    throw error
                }
                guard let stored = region.first(where: { $0.serverCertificateId == id }) else {
                    throw Self.refused(.certificateNotInRegion, "The certificate \(id) does not exist in region \(self.region). Certificates are regional: a listener can only use one of its own region.",
                                       argument: "replace")
                }
                if !HostNames.coversAll(names, of: stored) {
                    warn("The new certificate does not cover every name of \(id) (\(([stored.commonName] + stored.subjectAlternativeNames).joined(separator: ", "))); its bindings are switched as asked.")
                }
                ids.append(id)
            }
        } else {
            for stored in region where stored.serverCertificateId != newId && stored.fingerprint != leaf.fingerprint
                && HostNames.coversAll(names, of: stored) {
                // Never a downgrade: a certificate valid for longer is not replaced unless named.
                if stored.expireTimeStamp > leaf.notAfter {
                    logger?.log(.info, "not replacing \(stored.serverCertificateId): it expires later (\(stored.expireTime)) than the new certificate")
                    continue
                }
                ids.append(stored.serverCertificateId)
            }
        }
        for id in earlier?.replaced ?? [] where !ids.contains(id) && id != newId { ids.append(id) }
        return ids
    }

    // MARK: Where the certificates are used

    private func loadBalancersInScope() throws(SLBCertError) -> [LoadBalancer] {
        guard !options.loadBalancers.isEmpty else {
            return try client.loadBalancers().sorted { $0.loadBalancerId.utf8.lexicographicallyPrecedes($1.loadBalancerId.utf8) }
        }
        var wanted: [String] = []
        for id in options.loadBalancers where !wanted.contains(id) { wanted.append(id) }
        let found = try client.loadBalancers(ids: wanted).filter { $0.regionId.isEmpty || $0.regionId == region }
        let missing = wanted.filter { id in !found.contains { $0.loadBalancerId == id } }
        guard missing.isEmpty else {
            throw Self.refused(.loadBalancerNotInRegion, "The load balancer\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) \(missing.count == 1 ? "does" : "do") not exist in region \(region). A certificate can only be used by load balancers of its own region (another region's would answer 404 ServerCertificateId.NotFound).",
                               argument: "loadBalancers")
        }
        return wanted.compactMap { id in found.first { $0.loadBalancerId == id } }
    }

    /// Every HTTPS listener of the instances, in their order, then by port.
    private func readListeners(of scope: [LoadBalancer]) throws(SLBCertError) -> [HTTPSListener] {
        guard !scope.isEmpty else { return [] }
        let ports = try client.httpsListenerPorts(loadBalancerIds: scope.map(\.loadBalancerId))
        var listeners: [HTTPSListener] = []
        for instance in scope {
            for port in Set(ports.filter { $0.loadBalancerId == instance.loadBalancerId }.map(\.port)).sorted() {
                listeners.append(try client.httpsListener(loadBalancerId: instance.loadBalancerId, port: port))
            }
        }
        return listeners
    }

    private func makePlan(_ listeners: [HTTPSListener], replaced: Set<String>, newId: String, earlier: DeployJournal.Contents?) -> [Item] {
        var plan: [Item] = []
        for listener in listeners {
            let slots: [(id: String?, domain: String?, certificate: String)] = [(nil, nil, listener.serverCertificateId)]
                + listener.domainExtensions.sorted { $0.domain < $1.domain }.map { ($0.domainExtensionId, $0.domain, $0.serverCertificateId) }
            for slot in slots {
                let key = BindingKey(loadBalancerId: listener.loadBalancerId, port: listener.port, domainExtensionId: slot.id)
                let snapshot = slot.id == nil ? listener.attributes : nil
                if !newId.isEmpty && slot.certificate == newId {
                    if let contents = earlier, !contents.restored.contains(key),
                       let earlierSwitch = contents.switches.first(where: { $0.key == key && $0.to == newId }) {
                        // Switched by the earlier run of this journal.
                        plan.append(Item(key: key, domain: slot.domain, from: earlierSwitch.from, to: newId, result: .switched,
                                         snapshot: earlierSwitch.snapshot ?? snapshot))
                    } else {
                        plan.append(Item(key: key, domain: slot.domain, from: newId, to: newId, result: .unchanged, snapshot: snapshot))
                    }
                } else if replaced.contains(slot.certificate) {
                    plan.append(Item(key: key, domain: slot.domain, from: slot.certificate, to: newId,
                                     result: options.dryRun ? .planned : .pending, snapshot: snapshot))
                }
            }
        }
        return plan
    }

    static func managingTag(_ instance: LoadBalancer) -> String? {
        instance.tags.first { $0.key == managedTagKey || $0.key.hasPrefix(managedTagPrefix) }?.key
    }

    private func skipManaged(_ plan: inout [Item], scope: [LoadBalancer]) {
        for instance in scope {
            guard let tag = Self.managingTag(instance) else { continue }
            let waiting = plan.indices.filter { plan[$0].key.loadBalancerId == instance.loadBalancerId && (plan[$0].result == .pending || plan[$0].result == .planned) }
            guard !waiting.isEmpty else { continue }
            if options.forceManaged {
                warn("\(instance.loadBalancerId) is managed by Kubernetes' cloud controller (tag \(tag)); it is switched as forced, and the controller may put its own certificate back.")
            } else {
                for index in waiting { plan[index].result = .skipped }
                warn("Skipped \(instance.loadBalancerId): it is managed by Kubernetes' cloud controller (tag \(tag)), which would put its own certificate back. Change the certificate where the controller takes it from (the Service annotation), or force the switch.")
            }
        }
    }

    private func refuseUnsafe(_ plan: [Item], scope: [LoadBalancer], names: [String], leaf: CertificateInfo) throws(SLBCertError) {
        let waiting = plan.filter { $0.result == .pending || $0.result == .planned }
        let uncovered = waiting.filter { item in item.domain.map { !HostNames.covers(names, domain: $0) } ?? false }
        if !uncovered.isEmpty {
            let list = uncovered.map { "\($0.domain ?? "") on \($0.key.loadBalancerId):\($0.key.port) (\($0.key.domainExtensionId ?? ""))" }
            throw Self.refused(.domainNotCovered, "The new certificate (names: \(names.joined(separator: ", "))) does not cover the SNI domain\(uncovered.count == 1 ? "" : "s") \(list.joined(separator: "; ")): clients of \(uncovered.count == 1 ? "that domain" : "those domains") would get a certificate for other names.")
        }
        let locked = scope.filter { instance in instance.status == "locked" && waiting.contains { $0.key.loadBalancerId == instance.loadBalancerId } }
        if !locked.isEmpty {
            throw Self.refused(.loadBalancerLocked, "The load balancer\(locked.count == 1 ? " is" : "s are") locked and refuse every change: \(locked.map(\.loadBalancerId).joined(separator: ", ")).",
                               argument: "loadBalancers")
        }
    }

    // MARK: Switching

    private func set(_ key: BindingKey, to certificateId: String) throws(SLBCertError) -> String {
        if let extensionId = key.domainExtensionId {
            return try client.setDomainExtensionCertificate(domainExtensionId: extensionId, certificateId: certificateId)
        }
        return try client.setListenerCertificate(loadBalancerId: key.loadBalancerId, port: key.port, certificateId: certificateId)
    }

    static func isBusy(_ error: SLBCertError) -> Bool {
        error.kind == .service && (busyCodes.contains(error.serviceCode) || error.serviceCode.hasPrefix("Throttling"))
    }

    /// Backoff for busy answers: 0.2 s doubling to 3 s, with a quarter of jitter.
    static func busyWait(afterAttempt attempt: Int) -> Int {
        let base = min(3_000, 200 << min(attempt - 1, 5))
        // Jitter needs no secret randomness: if the generator fails, wait the longest.
        guard let bytes = try? Digest.randomBytes(2) else { return base }
        let random = bytes.reduce(0) { $0 << 8 | Int($1) }
        return base - base / 4 + random % (base / 4 + 1)
    }

    /// Runs a change, sending it again (signed afresh by `call`) while the instance answers busy,
    /// within `budget` milliseconds.
    private func whileBusy<T>(_ what: String, budget: Int, _ body: () throws(SLBCertError) -> T) throws(SLBCertError) -> T {
        let deadline = Deadline(fromNow: budget)
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try body()
            } catch where Self.isBusy(error) {
                let wait = Self.busyWait(afterAttempt: attempt)
                guard wait < deadline.remaining else {
                    var error = error
                    error.reason = .stillBusy
                    error.message += " (still busy after \(SLBClient.seconds(budget)) of retries)"
                    throw error
                }
                logger?.log(.warning, "retrying \(what) in \(SLBClient.seconds(wait)) after \(error.serviceCode) (the instance is busy), attempt \(attempt + 1)")
                RetryPolicy.sleep(milliseconds: wait)
            }
        }
    }

    // MARK: Verifying

    /// Re-reads every listener a switch touched: the new certificate is there, and every other
    /// attribute is as before. A drifted attribute is sent back alone, and reported.
    private func verifyControlPlane(_ plan: [Item], newId: String) -> SLBCertError? {
        let switched = plan.filter { $0.result == .switched }
        var listeners: [(String, Int)] = []
        for item in switched where !listeners.contains(where: { $0 == (item.key.loadBalancerId, item.key.port) }) {
            listeners.append((item.key.loadBalancerId, item.key.port))
        }
        for (id, port) in listeners {
            let items = switched.filter { $0.key.loadBalancerId == id && $0.key.port == port }
            do {
                let after = try client.httpsListener(loadBalancerId: id, port: port)
                for item in items {
                    let now = after.certificate(forExtension: item.key.domainExtensionId)
                    guard now == newId else {
                        return verificationFailure("\(item.name) uses \(now ?? "nothing (the extension is gone)") after the switch, not \(newId)")
                    }
                }
                if let snapshot = items.first(where: { $0.key.domainExtensionId == nil })?.snapshot {
                    if let problem = restoreDrift(id: id, port: port, expected: snapshot, found: after.attributes) { return problem }
                }
            } catch {
                return Self.annotated(error, "Verifying \(id):\(port) failed")
            }
        }
        return nil
    }

    /// Sends back the settable attributes that differ from `expected`; nil when none is left drifted.
    private func restoreDrift(id: String, port: Int, expected: [String: String], found: [String: String]) -> SLBCertError? {
        let changed = expected.keys.filter { SLBClient.settableListenerAttributes.contains($0) && found[$0] != nil && found[$0] != expected[$0] }.sorted()
        guard !changed.isEmpty else { return nil }
        var after = found
        var problem: SLBCertError?
        do {
            _ = try whileBusy("restoring \(changed.joined(separator: ", ")) of \(id):\(port)", budget: budgets.busy) { () throws(SLBCertError) -> String in
                try client.setListener(loadBalancerId: id, port: port, changed.map { ($0, expected[$0] ?? "") })
            }
            after = try client.httpsListener(loadBalancerId: id, port: port).attributes
        } catch {
            problem = Self.annotated(error, "Restoring the drifted attributes of \(id):\(port) failed")
        }
        for name in changed {
            let restored = after[name] == expected[name]
            drift.append(ListenerDrift(loadBalancerId: id, listenerPort: port, attribute: name, expected: expected[name] ?? "",
                                       found: found[name] ?? "", restored: restored))
            warn("\(id):\(port): the switch changed \(name) from \"\(expected[name] ?? "")\" to \"\(found[name] ?? "")\" although it was not sent; \(restored ? "it was set back" : "setting it back failed").")
            if !restored && problem == nil { problem = verificationFailure("\(id):\(port) keeps \(name)=\"\(after[name] ?? "")\" after it was set back to \"\(expected[name] ?? "")\"") }
        }
        return problem
    }

    private func verificationFailure(_ text: String) -> SLBCertError {
        var error = SLBCertError(.protocol, "Verification failed: \(text).")
        error.reason = .verificationFailed
        return error
    }

    /// A TLS handshake with every listener that should serve the new certificate: once per domain
    /// extension on it (a concrete name under a wildcard) and once with a name no extension matches
    /// when its default is the new certificate. Polled until the new certificate is served or the
    /// budget ends; an unreachable listener is reported, not a failure.
    private func verifyDataPlane(_ plan: [Item], listeners: [HTTPSListener], scope: [LoadBalancer],
                                 fingerprint: String) -> ([TLSVerification], SLBCertError?) {
        struct Probe { let address: String; let port: Int; let serverName: String? }
        var probes: [Probe] = []
        for listener in listeners {
            let items = plan.filter { $0.key.loadBalancerId == listener.loadBalancerId && $0.key.port == listener.port
                && ($0.result == .switched || $0.result == .unchanged) }
            guard !items.isEmpty, let address = scope.first(where: { $0.loadBalancerId == listener.loadBalancerId })?.address,
                  !address.isEmpty else { continue }
            for item in items {
                if let domain = item.domain {
                    probes.append(Probe(address: address, port: listener.port, serverName: HostNames.example(for: domain)))
                } else {
                    let name = "slbcert-check.invalid"
                    let free = HostNames.extensionServing(name, among: listener.domainExtensions) == nil
                    probes.append(Probe(address: address, port: listener.port, serverName: free ? name : nil))
                }
            }
        }
        let deadline = Deadline(fromNow: budgets.tls)
        var checks: [TLSVerification] = []
        var failure: SLBCertError?
        for probe in probes {
            var outcome = TLSProbe.Outcome.unreachable("not tried")
            var unreachableTries = 0
            var pause = 200
            while true {
                outcome = TLSProbe.probe(address: probe.address, port: probe.port, serverName: probe.serverName,
                                         timeoutMilliseconds: max(1_000, min(5_000, deadline.remaining)))
                if case .served(let served) = outcome, served == fingerprint { break }
                if case .unreachable = outcome { unreachableTries += 1; if unreachableTries >= 3 { break } }
                if deadline.remaining <= 0 { break }
                RetryPolicy.sleep(milliseconds: min(pause, deadline.remaining))
                pause = min(pause * 2, 1_000)
            }
            let shownName = probe.serverName ?? "(no SNI)"
            switch outcome {
            case .served(let served):
                let ok = served == fingerprint
                checks.append(TLSVerification(address: probe.address, port: probe.port, serverName: probe.serverName, fingerprint: served,
                                              ok: ok, problem: ok ? "" : "serves \(served), not the new certificate"))
                if !ok && failure == nil {
                    failure = verificationFailure("\(probe.address):\(probe.port) serves \(served) to \(shownName) after \(SLBClient.seconds(budgets.tls)), not the new certificate \(fingerprint)")
                }
            case .unreachable(let why):
                checks.append(TLSVerification(address: probe.address, port: probe.port, serverName: probe.serverName, fingerprint: nil,
                                              ok: false, problem: why))
                warn("TLS check of \(probe.address):\(probe.port) (\(shownName)) could not connect: \(why). Only the control plane was verified there.")
            }
        }
        return (checks, failure)
    }

    // MARK: Putting bindings back

    /// Puts every binding back on its `from`, newest first, one listener at a time: each listener is
    /// read first (a binding already back, or never switched, needs nothing), then set, then read
    /// again to confirm. A binding someone else changed meanwhile is left alone and reported.
    func restore(_ switches: [DeployJournal.Switch], journal: DeployJournal?) -> (restored: Set<BindingKey>, failed: Set<BindingKey>, problem: SLBCertError?) {
        var groups: [(id: String, port: Int, items: [DeployJournal.Switch])] = []
        for item in switches.reversed() {
            if let index = groups.firstIndex(where: { $0.id == item.key.loadBalancerId && $0.port == item.key.port }) {
                groups[index].items.append(item)
            } else {
                groups.append((item.key.loadBalancerId, item.key.port, [item]))
            }
        }
        var restored = Set<BindingKey>()
        var failed = Set<BindingKey>()
        var problem: SLBCertError?
        func fail(_ key: BindingKey, _ error: SLBCertError?, _ text: String) {
            failed.insert(key)
            warn(text)
            if problem == nil {
                var first = error ?? SLBCertError(.protocol, text)
                if error == nil { first.reason = .verificationFailed } else { first.message = text }
                problem = first
            }
        }
        for group in groups {
            let name = "\(group.id):\(group.port)"
            let before: HTTPSListener
            do {
                before = try client.httpsListener(loadBalancerId: group.id, port: group.port)
            } catch {
                for item in group.items { fail(item.key, error, "Rollback of \(name) failed: it could not be read (\(error.message)); its bindings are left as they are.") }
                continue
            }
            var toConfirm: [DeployJournal.Switch] = []
            var setDefault = false
            for item in group.items {
                let slot = item.domain.map { "\($0) (\(item.key.domainExtensionId ?? ""))" } ?? "default certificate"
                guard let current = before.certificate(forExtension: item.key.domainExtensionId) else {
                    fail(item.key, nil, "Rollback of \(name) \(slot): the extension no longer exists; nothing to put back.")
                    continue
                }
                if current == item.from { restored.insert(item.key); continue }
                guard current == item.to else {
                    fail(item.key, nil, "Rollback of \(name) \(slot): it now uses \(current), neither \(item.from) nor \(item.to); someone else changed it, so it is left as it is.")
                    continue
                }
                do {
                    _ = try whileBusy("putting back \(name) \(slot)", budget: budgets.rollback) { () throws(SLBCertError) -> String in
                        try set(item.key, to: item.from)
                    }
                    toConfirm.append(item)
                    setDefault = setDefault || item.key.domainExtensionId == nil
                } catch {
                    fail(item.key, error, "Rollback of \(name) \(slot) to \(item.from) failed: \(error.message). It still uses \(item.to).")
                }
            }
            if !toConfirm.isEmpty {
                do {
                    let after = try client.httpsListener(loadBalancerId: group.id, port: group.port)
                    for item in toConfirm {
                        if after.certificate(forExtension: item.key.domainExtensionId) == item.from {
                            restored.insert(item.key)
                        } else {
                            fail(item.key, nil, "Rollback of \(name): \(item.domain ?? "the default certificate") does not use \(item.from) after it was set back.")
                        }
                    }
                    // Only what this rollback's own Set changed is drift: compare just before and just after it.
                    if setDefault { _ = restoreDrift(id: group.id, port: group.port, expected: before.attributes, found: after.attributes) }
                } catch {
                    for item in toConfirm { fail(item.key, error, "Rollback of \(name) could not be confirmed: \(error.message).") }
                }
            }
            for item in group.items where restored.contains(item.key) {
                do { try journal?.append(DeployJournal.record("restored", item)) } catch { warn(error.message) }
            }
        }
        return (restored, failed, problem)
    }

    func rollback(journalAt path: String) throws(SLBCertError) -> DeployReport {
        guard !path.isEmpty else {
            var error = SLBCertError(.invalidArgument, "The journal path is empty.")
            error.argument = "journal"
            throw error
        }
        _ = try DeployJournal.read(path)  // a clear error for a file that is not a journal, before locking it
        let journal = try DeployJournal.open(path, create: false)
        let contents = try DeployJournal.read(path)
        guard contents.regionId == region else {
            var error = SLBCertError(.invalidArgument, "The journal \(path) records a deploy in region \(contents.regionId); this client works in \(region).")
            error.reason = .journalMismatch
            error.argument = "journal"
            throw error
        }
        if contents.endpoint != client.baseURL {
            warn("The journal was written against \(contents.endpoint); rolling back through \(client.baseURL).")
        }
        if !contents.deleted.isEmpty {
            warn("The deploy deleted \(contents.deleted.joined(separator: ", ")); bindings that used \(contents.deleted.count == 1 ? "it" : "them") cannot be put back.")
        }
        let (restored, failed, failure) = restore(contents.switches, journal: journal)
        let outcome: DeployOutcome = failed.isEmpty ? .rolledBack : .partial
        try? journal.append(DeployJournal.end(outcome))
        let bindings = contents.switches.map { item in
            DeployBinding(loadBalancerId: item.key.loadBalancerId, listenerPort: item.key.port, domainExtensionId: item.key.domainExtensionId,
                          domain: item.domain, from: item.from, to: item.to,
                          result: restored.contains(item.key) ? .rolledBack : failed.contains(item.key) ? .failed : .pending)
        }
        return DeployReport(outcome: outcome, certificateId: contents.certificateId, fingerprint: contents.fingerprint, uploaded: contents.uploaded,
                            replaced: contents.replaced, bindings: bindings, verified: [], deleted: [], journal: path, drift: drift,
                            warnings: warnings, failure: failure)
    }

    // MARK: Deleting the replaced certificates

    /// Every reference in the region: certificate id -> where it is used.
    private func references() throws(SLBCertError) -> [String: [String]] {
        let instances = try client.loadBalancers()
        var found: [String: [String]] = [:]
        for listener in try readListeners(of: instances) {
            found[listener.serverCertificateId, default: []].append("\(listener.loadBalancerId):\(listener.port)")
            for item in listener.domainExtensions {
                found[item.serverCertificateId, default: []].append("\(listener.loadBalancerId):\(listener.port) \(item.domain) (\(item.domainExtensionId))")
            }
        }
        return found
    }

    /// Deletes each certificate the region no longer uses anywhere; a certificate still in use is
    /// listed and kept. A refusal while nothing uses it (a reference that outlives the unbind) is
    /// waited out within the reference budget; NotFound means it is gone already.
    private func deleteUnreferenced(_ ids: [String], journal: () throws(SLBCertError) -> DeployJournal) -> [String] {
        guard !ids.isEmpty else { return [] }
        var users: [String: [String]]
        do {
            users = try references()
        } catch {
            warn("Nothing was deleted: the region could not be scanned for references (\(error.message)).")
            return []
        }
        var deleted: [String] = []
        for id in ids {
            if let where_ = users[id] {
                warn("\(id) is not deleted: it is still used by \(where_.joined(separator: ", ")).")
                continue
            }
            let deadline = Deadline(fromNow: budgets.reference)
            var attempt = 0
            deleting: while true {
                attempt += 1
                do {
                    let record = try journal()
                    do {
                        try client.delete(serverCertificateId: id)
                    } catch where error.serviceCode == "ServerCertificateId.NotFound" {
                        // Already gone: done.
                    }
                    deleted.append(id)
                    logger?.log(.info, "deleted \(id)")
                    do { try record.append(DeployJournal.deleted(id)) } catch { warn(error.message) }
                    break deleting
                } catch where error.serviceCode == "CertificateAndPrivateKeyIsRefered" {
                    if let rescan = try? references() {
                        users = rescan
                        if let where_ = rescan[id] {
                            warn("\(id) is not deleted: it is still used by \(where_.joined(separator: ", ")).")
                            break deleting
                        }
                    }
                    let wait = Self.busyWait(afterAttempt: attempt)
                    guard wait < deadline.remaining else {
                        warn("\(id) is not deleted: the service still counts a reference to it after \(SLBClient.seconds(budgets.reference)) although no listener or extension uses it; delete it later.")
                        break deleting
                    }
                    logger?.log(.warning, "retrying the delete of \(id) in \(SLBClient.seconds(wait)) after CertificateAndPrivateKeyIsRefered (nothing uses it: the reference is lingering), attempt \(attempt + 1)")
                    RetryPolicy.sleep(milliseconds: wait)
                } catch {
                    warn("\(id) is not deleted: \(error.message)")
                    break deleting
                }
            }
        }
        return deleted
    }

    // MARK: The journal's place

    /// Where this deploy's journal is, and the unfinished earlier run it continues (if any).
    struct JournalPlace {
        let path: String
        let earlier: DeployJournal.Contents?
        /// A finished journal at an explicit path: emptied before this run writes it.
        let replaceFinished: Bool
        var journal: DeployJournal?
        var wroteHeader = false

        /// The journal, opened (and its header written) before the first change it records.
        mutating func ensureJournal(header: JSON) throws(SLBCertError) -> DeployJournal {
            if let journal, wroteHeader { return journal }
            let opened: DeployJournal
            if let journal { opened = journal } else { opened = try DeployJournal.open(path, create: true) }
            if replaceFinished { try opened.truncate() }
            journal = opened
            try opened.append(header)
            wroteHeader = true
            return opened
        }
    }

    private func journalPlace(fingerprint: String) throws(SLBCertError) -> JournalPlace {
        let matches = { (contents: DeployJournal.Contents) in
            contents.regionId == self.region && contents.fingerprint == fingerprint && contents.endpoint == self.client.baseURL
        }
        var place: JournalPlace
        if let explicit = options.journalPath, !explicit.isEmpty {
            if DeployJournal.exists(explicit) {
                let contents = try DeployJournal.read(explicit)
                if contents.finished {
                    place = JournalPlace(path: explicit, earlier: nil, replaceFinished: true)
                } else {
                    guard matches(contents) else {
                        var error = SLBCertError(.invalidArgument, "The journal \(explicit) holds an unfinished deploy of another certificate (\(contents.fingerprint) in \(contents.regionId) at \(contents.endpoint)). Finish it by running that deploy again, or roll it back, before reusing the file.")
                        error.reason = .journalMismatch
                        error.argument = "journal"
                        throw error
                    }
                    place = JournalPlace(path: explicit, earlier: contents, replaceFinished: false)
                }
            } else {
                place = JournalPlace(path: explicit, earlier: nil, replaceFinished: false)
            }
        } else {
            guard let state = client.configuration.stateDirectory else {
                var error = SLBCertError(.invalidArgument, "No journal path was given and there is no state directory to keep one in (none of SLBCERT_STATE_DIR, STATE_DIRECTORY, XDG_STATE_HOME and HOME is set).")
                error.reason = .noStateDirectory
                error.argument = "journal"
                throw error
            }
            let folder = state + "/deploy"
            let prefix = DeployJournal.prefix(regionId: region, fingerprint: fingerprint)
            var found: JournalPlace?
            for name in DeployJournal.files(in: folder).reversed() {
                guard let contents = try? DeployJournal.read(folder + "/" + name), !contents.finished,
                      contents.endpoint == client.baseURL, contents.regionId == region else { continue }
                if name.hasPrefix(prefix) && matches(contents) {
                    if found == nil { found = JournalPlace(path: folder + "/" + name, earlier: contents, replaceFinished: false) }
                } else {
                    warn("An unfinished deploy of another certificate (\(contents.fingerprint)) is recorded in \(folder)/\(name): run that deploy again to finish it, or roll it back.")
                }
            }
            place = found ?? JournalPlace(path: folder + "/" + DeployJournal.defaultName(regionId: region, fingerprint: fingerprint),
                                          earlier: nil, replaceFinished: false)
        }
        // Continuing a journal: hold its lock from now on, and read it again under the lock.
        if place.earlier != nil && !options.dryRun {
            let journal = try DeployJournal.open(place.path, create: false)
            let contents = try DeployJournal.read(place.path)
            place = JournalPlace(path: place.path, earlier: contents.finished ? nil : contents, replaceFinished: contents.finished, journal: journal)
            logger?.log(.info, "continuing the unfinished deploy recorded in \(place.path)")
        }
        return place
    }
}
