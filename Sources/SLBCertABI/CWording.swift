import SLBCert

/// How the C API words the core's errors: the core names its settings neutrally ("deadline"); a C
/// caller reads the struct fields and functions it actually uses.
enum CWording {
    /// The core's setting and argument names, as the fields of slbcert_client_options call them.
    static let fields: [String: String] = [
        ClientSetting.connectTimeout.rawValue: "connect_timeout_ms",
        ClientSetting.requestTimeout.rawValue: "request_timeout_ms",
        ClientSetting.uploadTimeout.rawValue: "upload_timeout_ms",
        ClientSetting.deadline.rawValue: "deadline_ms",
        ClientSetting.uploadSettle.rawValue: "upload_settle_ms",
        ClientSetting.maxAttempts.rawValue: "max_attempts",
        "region": "region_id",
        "endpoint": "endpoint",
        "userAgentSuffix": "user_agent_suffix",
        "caBundle": "ca_bundle",
        "within": "within_days",
        "expiryWarningDays": "expiry_warning_days",
        "now": "now_ms",
        DeploySetting.busyTimeout.rawValue: "busy_timeout_ms",
        DeploySetting.rollbackTimeout.rawValue: "rollback_timeout_ms",
        DeploySetting.referenceTimeout.rawValue: "reference_timeout_ms",
        DeploySetting.tlsTimeout.rawValue: "tls_timeout_ms",
        "replace": "replace_ids",
        "loadBalancers": "load_balancer_ids",
        "journal": "journal_path",
    ]

    static func apply(to error: SLBCertError) -> (message: String, hint: String, argument: String) {
        let field = fields[error.argument] ?? error.argument
        switch error.reason {
        case .settingOutOfRange where DeploySetting(rawValue: error.argument) != nil:
            let range = DeploySetting(rawValue: error.argument)?.range ?? 1...1
            return ("slbcert_deploy_options.\(field) is \(error.value); it must be \(range.lowerBound) to \(range.upperBound) (milliseconds), or 0 for the default.",
                    "", field)
        case .settingOutOfRange:
            guard let setting = ClientSetting(rawValue: error.argument) else {
                return ("\(field) is \(error.value): \(error.message)", error.hint, field)
            }
            let unit = setting.unit.isEmpty ? "" : " (milliseconds)"
            return ("slbcert_client_options.\(field) is \(error.value); it must be \(setting.range.lowerBound) to \(setting.range.upperBound)\(unit), or 0 for the default.",
                    "", field)
        case .invalidSetting:
            return ("slbcert_client_options.\(field): \(error.message)", error.hint, field)
        case .noRegion:
            return (error.message, "Set region_id in slbcert_client_options, or ALIBABA_CLOUD_REGION_ID, or region_id in the credentials profile.", field)
        case .caBundleUnreadable:
            return (error.message, "Check slbcert_client_options.ca_bundle (or SLBCERT_CA_BUNDLE / ALIBABA_CLOUD_CA_BUNDLE).", field)
        case .bundleHasErrors:
            return (error.message, "slbcert_bundle_finding() lists each problem and what to do about it.", field)
        case .missingPrivateKey:
            return (error.message, "Pass the key to slbcert_bundle_parse() along with the chain.", field)
        case .domainNotCovered:
            return (error.message, "Deploy a certificate that also covers that domain, or leave its load balancer out of load_balancer_ids.", field)
        case .loadBalancerNotInRegion:
            return (error.message, "Check load_balancer_ids and the client's region_id: a deploy works on the load balancers of its region only.", field)
        case .certificateNotInRegion:
            return (error.message, "slbcert_client_describe() lists the region's certificates; replace_ids takes ids from it.", field)
        case .loadBalancerLocked:
            return (error.message, "Unlock it first, or leave it out of load_balancer_ids.", field)
        case .stillBusy:
            return (error.message, "The instance stayed busy with another change: raise busy_timeout_ms, or run the same deploy again later.", field)
        case .journalMismatch:
            return (error.message, "Pass another journal_path, or finish the deploy it records (run it again) or undo it with slbcert_client_rollback().", field)
        case .noStateDirectory:
            return (error.message, "Set journal_path in slbcert_deploy_options, or SLBCERT_STATE_DIR.", field)
        default:
            break
        }
        var hint = error.hint
        if error.serviceCode == "SignatureDoesNotMatch" { hint += " slbcert_sign() shows the string-to-sign the service compares." }
        return (error.message, hint, field)
    }
}
