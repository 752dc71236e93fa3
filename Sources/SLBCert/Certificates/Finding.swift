/// Something the checks noticed about a bundle. Errors stop an upload; warnings do not.
public struct Finding: Sendable, Equatable, Hashable, CustomStringConvertible {
    public enum Severity: Int, Sendable, Comparable {
        case warning = 1
        case error = 2
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
        public var name: String { self == .error ? "error" : "warning" }
    }

    /// Stable reason codes: callers and scripts match on these, so they are never renamed.
    public enum Code: String, Sendable, CaseIterable {
        case inputTooLarge = "INPUT_TOO_LARGE"
        case noCertificate = "NO_CERTIFICATE"
        case malformedBase64 = "MALFORMED_BASE64"
        case malformedDER = "MALFORMED_DER"
        case duplicateCertificate = "DUPLICATE_CERTIFICATE"
        case chainReordered = "CHAIN_REORDERED"
        case chainBroken = "CHAIN_BROKEN"
        case missingIntermediate = "MISSING_INTERMEDIATE"
        case leafIsCA = "LEAF_IS_CA"
        case leafExpired = "LEAF_EXPIRED"
        case leafNotYetValid = "LEAF_NOT_YET_VALID"
        case leafExpiresSoon = "LEAF_EXPIRES_SOON"
        case chainCertificateExpired = "CHAIN_CERTIFICATE_EXPIRED"
        case noPrivateKey = "NO_PRIVATE_KEY"
        case keyUnreadable = "KEY_UNREADABLE"
        case keyEncrypted = "KEY_ENCRYPTED"
        case keyPassphraseWrong = "KEY_PASSPHRASE_WRONG"
        case keyMismatch = "KEY_MISMATCH"
        case keyNotRSA = "KEY_NOT_RSA"
        case keySizeUnsupported = "KEY_SIZE_UNSUPPORTED"
        case extraBlockIgnored = "EXTRA_BLOCK_IGNORED"
        case chainTooLong = "CHAIN_TOO_LONG"
        case keyCostTooHigh = "KEY_COST_TOO_HIGH"
    }

    public let severity: Severity
    public let code: Code
    public let message: String

    public init(_ severity: Severity, _ code: Code, _ message: String) {
        self.severity = severity
        self.code = code
        self.message = message
    }

    public var description: String { "\(severity.name) \(code.rawValue): \(message)" }
}
