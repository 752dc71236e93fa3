/// How a deploy (or a rollback) ended.
public enum DeployOutcome: String, Sendable, Equatable, CaseIterable {
    /// Every binding that needed it now uses the new certificate, and it was verified.
    case deployed
    /// Nothing needed switching: every binding of the replaced certificates already uses the new one.
    case alreadyDeployed = "already-deployed"
    /// No binding uses a certificate the new one replaces, and the new one is bound nowhere: nothing
    /// was switched (never reported as a success).
    case nothingToDeploy = "nothing-to-deploy"
    /// A step failed, and every binding this deploy had switched is back on its old certificate.
    case rolledBack = "rolled-back"
    /// A step failed and putting everything back did not succeed either: the bindings whose result is
    /// `failed` are left on the new certificate (or in an unknown state).
    case partial
    /// A dry run: the bindings whose result is `planned` would be switched.
    case planned
}

/// One place a certificate is used: a listener's default certificate or one of its domain extensions.
public struct DeployBinding: Sendable, Equatable {
    public enum Result: String, Sendable, Equatable, CaseIterable {
        /// Now on the new certificate (by this run, or by the earlier run of the same journal).
        case switched
        /// Already on the new certificate; nothing was sent.
        case unchanged
        /// This run switched it (or tried to) and it is back on its old certificate.
        case rolledBack = "rolled-back"
        /// It could not be brought back: left on the new certificate, or in an unknown state.
        case failed
        /// On an instance another controller manages: not touched (see `DeployOptions.forceManaged`).
        case skipped
        /// A dry run would switch it.
        case planned
        /// Not attempted, because an earlier step failed: still on its old certificate.
        case pending
    }

    public let loadBalancerId: String
    public let listenerPort: Int
    /// nil for the listener's default certificate.
    public let domainExtensionId: String?
    /// The extension's domain; nil for the default certificate.
    public let domain: String?
    /// The certificate it used before the deploy.
    public let from: String
    /// The certificate the deploy puts there.
    public let to: String
    public internal(set) var result: Result
}

/// One TLS handshake with a listener, compared with the new certificate.
public struct TLSVerification: Sendable, Equatable {
    public let address: String
    public let port: Int
    /// The SNI name sent; nil when none was (no name was free of every extension's domain).
    public let serverName: String?
    /// SHA-1 of the served leaf (the service's Fingerprint form); nil when the listener was unreachable.
    public let fingerprint: String?
    /// The served leaf is the new certificate.
    public let ok: Bool
    /// Why not, when it is not ("" otherwise).
    public let problem: String
}

/// A listener attribute that a certificate switch changed although it was not sent.
public struct ListenerDrift: Sendable, Equatable {
    public let loadBalancerId: String
    public let listenerPort: Int
    public let attribute: String
    /// The value before the switch (sent back).
    public let expected: String
    /// The value read after the switch.
    public let found: String
    /// Whether re-sending it restored it.
    public let restored: Bool
}

/// What a deploy or rollback did: the outcome, every binding with its result, what the TLS check
/// saw, what was deleted, and the journal that lets `rollback` undo it.
public struct DeployReport: Sendable {
    public let outcome: DeployOutcome
    /// The new certificate's ServerCertificateId ("" in a dry run of a certificate not stored yet).
    public let certificateId: String
    /// Its SHA-1 fingerprint (the service's Fingerprint form).
    public let fingerprint: String
    /// This deploy (or the earlier run of its journal) uploaded it.
    public let uploaded: Bool
    /// The certificates it replaces.
    public let replaced: [String]
    public let bindings: [DeployBinding]
    public let verified: [TLSVerification]
    public let deleted: [String]
    /// The journal file; nil when nothing was changed (so nothing needs one).
    public let journal: String?
    public let drift: [ListenerDrift]
    /// What a person should know: skipped instances, unreachable listeners, certificates not deleted.
    public let warnings: [String]
    /// The step that failed (`rolledBack` and `partial`), else nil.
    public let failure: SLBCertError?

    /// The object `slbcert deploy --json` prints: the service's field names.
    package var json: JSON {
        let optional = { (text: String?) -> JSON in text.map(JSON.string) ?? .null }
        return .object([
            ("Outcome", .string(outcome.rawValue)),
            ("Certificate", .object([("ServerCertificateId", certificateId.isEmpty ? .null : .string(certificateId)),
                                     ("Fingerprint", .string(fingerprint)), ("Uploaded", .bool(uploaded))])),
            ("Replaced", .array(replaced.map(JSON.string))),
            ("Bindings", .array(bindings.map { binding in
                .object([("LoadBalancerId", .string(binding.loadBalancerId)), ("ListenerPort", .number(Double(binding.listenerPort))),
                         ("DomainExtensionId", optional(binding.domainExtensionId)), ("Domain", optional(binding.domain)),
                         ("From", .string(binding.from)), ("To", binding.to.isEmpty ? .null : .string(binding.to)),
                         ("Result", .string(binding.result.rawValue))])
            })),
            ("Verified", .array(verified.map { check in
                .object([("Address", .string(check.address)), ("Port", .number(Double(check.port))),
                         ("ServerName", optional(check.serverName)), ("Fingerprint", optional(check.fingerprint)), ("Ok", .bool(check.ok))])
            })),
            ("Deleted", .array(deleted.map(JSON.string))),
            ("Journal", optional(journal)),
        ])
    }
}
