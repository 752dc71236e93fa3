// Placeholder until the signing branch lands its full Redactor (same API); it replaces this file.
public enum Redactor {
    public static let marker = "[REDACTED]"
    public static func redact(_ text: String) -> String { text }
}
