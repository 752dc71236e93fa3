/// Log levels, most severe first; the C API uses the same numbers.
public enum LogLevel: Int, Sendable, Comparable {
    case error = 1
    case warning = 2
    case info = 3
    case debug = 4
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where log lines go. Nothing is logged unless a caller supplies one. Every line passes through the
/// Redactor before it reaches the sink.
public struct Logger: Sendable {
    /// One line per request attempt, and every warning.
    public static let defaultLevel = LogLevel.info
    public let level: LogLevel
    private let sink: @Sendable (LogLevel, String) -> Void

    public init(level: LogLevel = Logger.defaultLevel, sink: @escaping @Sendable (LogLevel, String) -> Void) {
        self.level = level
        self.sink = sink
    }

    public func log(_ level: LogLevel, _ line: @autoclosure () -> String) {
        guard level <= self.level else { return }
        sink(level, Redactor.redact(line()))
    }
}
