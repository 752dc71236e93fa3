import CSLBCert
import SLBCert

/// What `slbcert_deploy_report *` points at: the report, with every string the getters hand out made once.
final class DeployReportHandle {
    struct Binding {
        let loadBalancerId: OwnedCString
        let port: Int
        let domainExtensionId: OwnedCString?
        let domain: OwnedCString?
        let from: OwnedCString
        let to: OwnedCString
        let result: Int32
    }

    struct Check {
        let address: OwnedCString
        let port: Int
        let serverName: OwnedCString?
        let fingerprint: OwnedCString?
        let ok: Bool
    }

    struct Drift {
        let loadBalancerId: OwnedCString
        let port: Int
        let attribute: OwnedCString
        let expected: OwnedCString
        let found: OwnedCString
        let restored: Bool
    }

    let report: DeployReport
    let outcomeName, certificateId, fingerprint, failureMessage, failureServiceCode, failureReason, failureRequestId, json: OwnedCString
    let journal: OwnedCString?
    let replaced, deleted, warnings: [OwnedCString]
    let bindings: [Binding]
    let checks: [Check]
    let drift: [Drift]

    init(_ report: DeployReport) {
        self.report = report
        outcomeName = OwnedCString(report.outcome.rawValue)
        certificateId = OwnedCString(report.certificateId)
        fingerprint = OwnedCString(report.fingerprint)
        let failure = report.failure.map(CWording.apply(to:))
        failureMessage = OwnedCString(failure?.message ?? "")
        failureServiceCode = OwnedCString(report.failure?.serviceCode ?? "")
        failureReason = OwnedCString(report.failure?.reason.rawValue ?? "")
        failureRequestId = OwnedCString(report.failure?.requestId ?? "")
        json = OwnedCString(report.json.serialized(pretty: true))
        journal = report.journal.map { OwnedCString($0) }
        replaced = report.replaced.map { OwnedCString($0) }
        deleted = report.deleted.map { OwnedCString($0) }
        warnings = report.warnings.map { OwnedCString($0) }
        bindings = report.bindings.map { binding in
            Binding(loadBalancerId: OwnedCString(binding.loadBalancerId), port: binding.listenerPort,
                    domainExtensionId: binding.domainExtensionId.map { OwnedCString($0) }, domain: binding.domain.map { OwnedCString($0) },
                    from: OwnedCString(binding.from), to: OwnedCString(binding.to), result: Self.code(binding.result))
        }
        checks = report.verified.map { check in
            Check(address: OwnedCString(check.address), port: check.port, serverName: check.serverName.map { OwnedCString($0) },
                  fingerprint: check.fingerprint.map { OwnedCString($0) }, ok: check.ok)
        }
        drift = report.drift.map { item in
            Drift(loadBalancerId: OwnedCString(item.loadBalancerId), port: item.listenerPort, attribute: OwnedCString(item.attribute),
                  expected: OwnedCString(item.expected), found: OwnedCString(item.found), restored: item.restored)
        }
    }

    static func code(_ outcome: DeployOutcome) -> Int32 {
        switch outcome {
        case .deployed: return Int32(SLBCERT_DEPLOY_DEPLOYED.rawValue)
        case .alreadyDeployed: return Int32(SLBCERT_DEPLOY_ALREADY_DEPLOYED.rawValue)
        case .nothingToDeploy: return Int32(SLBCERT_DEPLOY_NOTHING_TO_DEPLOY.rawValue)
        case .rolledBack: return Int32(SLBCERT_DEPLOY_ROLLED_BACK.rawValue)
        case .partial: return Int32(SLBCERT_DEPLOY_PARTIAL.rawValue)
        case .planned: return Int32(SLBCERT_DEPLOY_PLANNED.rawValue)
        }
    }

    static func code(_ result: DeployBinding.Result) -> Int32 {
        switch result {
        case .switched: return Int32(SLBCERT_BINDING_SWITCHED.rawValue)
        case .unchanged: return Int32(SLBCERT_BINDING_UNCHANGED.rawValue)
        case .rolledBack: return Int32(SLBCERT_BINDING_ROLLED_BACK.rawValue)
        case .failed: return Int32(SLBCERT_BINDING_FAILED.rawValue)
        case .skipped: return Int32(SLBCERT_BINDING_SKIPPED.rawValue)
        case .planned: return Int32(SLBCERT_BINDING_PLANNED.rawValue)
        case .pending: return Int32(SLBCERT_BINDING_PENDING.rawValue)
        }
    }
}

/// The size of each version of slbcert_deploy_options.
private let deployOptionsSizes = [MemoryLayout<slbcert_deploy_options>.size]

/// `count` C strings; NULL is allowed only with a count of 0.
private func strings(_ items: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int, name: String, limit: Int) throws(SLBCertError) -> [String] {
    guard count != 0 else { return [] }
    guard count > 0, count <= limit else {
        var error = invalid("\(name): \(UInt(bitPattern: count)) given, at most \(limit).")
        error.argument = name
        throw error
    }
    guard let items else {
        var error = invalid("\(name) is NULL but its count is \(count).")
        error.argument = name
        throw error
    }
    var result: [String] = []
    for index in 0..<count {
        guard let text = string(items[index]), !text.isEmpty else {
            var error = invalid("\(name)[\(index)] is NULL or empty.")
            error.argument = name
            throw error
        }
        result.append(text)
    }
    return result
}

private func budget(_ value: Int) -> Int? { value == 0 ? nil : value }

private func deployOptions(_ pointer: UnsafePointer<slbcert_deploy_options>?) throws(SLBCertError) -> DeployOptions {
    guard let pointer else { return DeployOptions() }
    let options = try readOptions(pointer, name: "slbcert_deploy_options", sizes: deployOptionsSizes)
    var result = DeployOptions(replace: try strings(options.replace_ids, options.replace_count, name: "replace_ids", limit: 100),
                               loadBalancers: try strings(options.load_balancer_ids, options.load_balancer_count,
                                                          name: "load_balancer_ids", limit: 100),
                               deleteOld: options.delete_old != 0, verifyTLS: options.verify_tls != 0,
                               forceManaged: options.force_managed != 0, dryRun: options.dry_run != 0,
                               journalPath: string(options.journal_path), upload: UploadOptions(name: string(options.name)))
    result.busyTimeoutMilliseconds = budget(options.busy_timeout_ms)
    result.rollbackTimeoutMilliseconds = budget(options.rollback_timeout_ms)
    result.referenceTimeoutMilliseconds = budget(options.reference_timeout_ms)
    result.tlsTimeoutMilliseconds = budget(options.tls_timeout_ms)
    return result
}

@c @implementation
public func slbcert_deploy_options_init(_ options: UnsafeMutablePointer<slbcert_deploy_options>?, _ version: UInt32) -> Int32 {
    withStatus { () throws(SLBCertError) in
        var fresh = slbcert_deploy_options()
        fresh.version = version
        try writeOptions(fresh, to: options, name: "slbcert_deploy_options", sizes: deployOptionsSizes)
    }
}

@c @implementation
public func slbcert_deploy_option_range(_ field: UnsafePointer<CChar>?, _ default_value: UnsafeMutablePointer<Int>?,
                                        _ minimum: UnsafeMutablePointer<Int>?, _ maximum: UnsafeMutablePointer<Int>?) -> Int32 {
    withStatus { () throws(SLBCertError) in
        try writeRange(of: DeploySetting.self, field: field, default_value, minimum, maximum) {
            "\"\($0)\" is not a time budget of slbcert_deploy_options."
        }
    }
}

@c @implementation
public func slbcert_client_deploy(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ client: OpaquePointer?, _ bundle: OpaquePointer?,
                                  _ options: UnsafePointer<slbcert_deploy_options>?) -> Int32 {
    out?.pointee = nil
    return withStatus { () throws(SLBCertError) in
        guard let out else { throw invalid("out is NULL.") }
        guard let handle = borrowHandle(client, as: ClientHandle.self) else { throw invalid("client is NULL.") }
        guard let bundleHandle = borrowHandle(bundle, as: BundleHandle.self) else { throw invalid("bundle is NULL.") }
        let report = try handle.client.deploy(bundleHandle.bundle, options: try deployOptions(options))
        out.pointee = retainHandle(DeployReportHandle(report))
    }
}

@c @implementation
public func slbcert_client_rollback(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ client: OpaquePointer?,
                                    _ journal_path: UnsafePointer<CChar>?) -> Int32 {
    out?.pointee = nil
    return withStatus { () throws(SLBCertError) in
        guard let out else { throw invalid("out is NULL.") }
        guard let handle = borrowHandle(client, as: ClientHandle.self) else { throw invalid("client is NULL.") }
        guard let path = string(journal_path), !path.isEmpty else {
            var error = invalid("journal_path is NULL or empty.")
            error.argument = "journal"
            throw error
        }
        let report = try handle.client.rollback(journal: path)
        out.pointee = retainHandle(DeployReportHandle(report))
    }
}

private func report(_ pointer: OpaquePointer?) -> DeployReportHandle? { borrowHandle(pointer, as: DeployReportHandle.self) }

@c @implementation
public func slbcert_deploy_report_free(_ report: OpaquePointer?) { releaseHandle(report, as: DeployReportHandle.self) }

@c @implementation
public func slbcert_deploy_report_outcome(_ pointer: OpaquePointer?) -> Int32 {
    report(pointer).map { DeployReportHandle.code($0.report.outcome) } ?? -1
}

@c @implementation
public func slbcert_deploy_report_outcome_name(_ pointer: OpaquePointer?) -> UnsafePointer<CChar>? { report(pointer)?.outcomeName.borrowed }

@c @implementation
public func slbcert_deploy_report_certificate_id(_ pointer: OpaquePointer?) -> UnsafePointer<CChar>? { report(pointer)?.certificateId.borrowed }

@c @implementation
public func slbcert_deploy_report_certificate_fingerprint(_ pointer: OpaquePointer?) -> UnsafePointer<CChar>? {
    report(pointer)?.fingerprint.borrowed
}

@c @implementation
public func slbcert_deploy_report_certificate_uploaded(_ pointer: OpaquePointer?) -> Int32 {
    guard let handle = report(pointer) else { return -1 }
    return handle.report.uploaded ? 1 : 0
}

@c @implementation
public func slbcert_deploy_report_replaced_count(_ pointer: OpaquePointer?) -> Int { report(pointer)?.replaced.count ?? 0 }

@c @implementation
public func slbcert_deploy_report_replaced(_ pointer: OpaquePointer?, _ index: Int) -> UnsafePointer<CChar>? {
    report(pointer)?.replaced.at(index)?.borrowed
}

@c @implementation
public func slbcert_deploy_report_binding_count(_ pointer: OpaquePointer?) -> Int { report(pointer)?.bindings.count ?? 0 }

@c @implementation
public func slbcert_deploy_report_binding(_ pointer: OpaquePointer?, _ index: Int,
                                          _ load_balancer_id: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                          _ listener_port: UnsafeMutablePointer<Int>?,
                                          _ domain_extension_id: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                          _ domain: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                          _ from: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                          _ to: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                          _ result: UnsafeMutablePointer<Int32>?) -> Int32 {
    withStatus { () throws(SLBCertError) in
        guard let handle = report(pointer) else { throw invalid("report is NULL.") }
        guard let binding = handle.bindings.at(index) else {
            throw SLBCertError(.outOfRange, "Binding \(UInt(bitPattern: index)) does not exist; the report has \(handle.bindings.count).")
        }
        load_balancer_id?.pointee = binding.loadBalancerId.borrowed
        listener_port?.pointee = binding.port
        domain_extension_id?.pointee = binding.domainExtensionId?.borrowed
        domain?.pointee = binding.domain?.borrowed
        from?.pointee = binding.from.borrowed
        to?.pointee = binding.to.borrowed
        result?.pointee = binding.result
    }
}

@c @implementation
public func slbcert_deploy_report_verified_count(_ pointer: OpaquePointer?) -> Int { report(pointer)?.checks.count ?? 0 }

@c @implementation
public func slbcert_deploy_report_verified(_ pointer: OpaquePointer?, _ index: Int, _ address: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                           _ port: UnsafeMutablePointer<Int>?, _ server_name: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                           _ fingerprint: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                           _ ok: UnsafeMutablePointer<Int32>?) -> Int32 {
    withStatus { () throws(SLBCertError) in
        guard let handle = report(pointer) else { throw invalid("report is NULL.") }
        guard let check = handle.checks.at(index) else {
            throw SLBCertError(.outOfRange, "TLS check \(UInt(bitPattern: index)) does not exist; the report has \(handle.checks.count).")
        }
        address?.pointee = check.address.borrowed
        port?.pointee = check.port
        server_name?.pointee = check.serverName?.borrowed
        fingerprint?.pointee = check.fingerprint?.borrowed
        ok?.pointee = check.ok ? 1 : 0
    }
}

@c @implementation
public func slbcert_deploy_report_deleted_count(_ pointer: OpaquePointer?) -> Int { report(pointer)?.deleted.count ?? 0 }

@c @implementation
public func slbcert_deploy_report_deleted(_ pointer: OpaquePointer?, _ index: Int) -> UnsafePointer<CChar>? {
    report(pointer)?.deleted.at(index)?.borrowed
}

@c @implementation
public func slbcert_deploy_report_journal(_ pointer: OpaquePointer?) -> UnsafePointer<CChar>? { report(pointer)?.journal?.borrowed }

@c @implementation
public func slbcert_deploy_report_drift_count(_ pointer: OpaquePointer?) -> Int { report(pointer)?.drift.count ?? 0 }

@c @implementation
public func slbcert_deploy_report_drift(_ pointer: OpaquePointer?, _ index: Int, _ load_balancer_id: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                        _ listener_port: UnsafeMutablePointer<Int>?, _ attribute: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                        _ expected: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                        _ found: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                        _ restored: UnsafeMutablePointer<Int32>?) -> Int32 {
    withStatus { () throws(SLBCertError) in
        guard let handle = report(pointer) else { throw invalid("report is NULL.") }
        guard let item = handle.drift.at(index) else {
            throw SLBCertError(.outOfRange, "Drift \(UInt(bitPattern: index)) does not exist; the report has \(handle.drift.count).")
        }
        load_balancer_id?.pointee = item.loadBalancerId.borrowed
        listener_port?.pointee = item.port
        attribute?.pointee = item.attribute.borrowed
        expected?.pointee = item.expected.borrowed
        found?.pointee = item.found.borrowed
        restored?.pointee = item.restored ? 1 : 0
    }
}

@c @implementation
public func slbcert_deploy_report_warning_count(_ pointer: OpaquePointer?) -> Int { report(pointer)?.warnings.count ?? 0 }

@c @implementation
public func slbcert_deploy_report_warning(_ pointer: OpaquePointer?, _ index: Int) -> UnsafePointer<CChar>? {
    report(pointer)?.warnings.at(index)?.borrowed
}

@c @implementation
public func slbcert_deploy_report_failure_status(_ pointer: OpaquePointer?) -> Int32 {
    report(pointer)?.report.failure?.kind.status ?? SLBCERT_OK.rawValue
}

@c @implementation
public func slbcert_deploy_report_failure_message(_ pointer: OpaquePointer?) -> UnsafePointer<CChar>? { report(pointer)?.failureMessage.borrowed }

@c @implementation
public func slbcert_deploy_report_failure_service_code(_ pointer: OpaquePointer?) -> UnsafePointer<CChar>? {
    report(pointer)?.failureServiceCode.borrowed
}

@c @implementation
public func slbcert_deploy_report_failure_reason(_ pointer: OpaquePointer?) -> UnsafePointer<CChar>? { report(pointer)?.failureReason.borrowed }

@c @implementation
public func slbcert_deploy_report_failure_request_id(_ pointer: OpaquePointer?) -> UnsafePointer<CChar>? {
    report(pointer)?.failureRequestId.borrowed
}

@c @implementation
public func slbcert_deploy_report_json(_ pointer: OpaquePointer?) -> UnsafePointer<CChar>? { report(pointer)?.json.borrowed }
