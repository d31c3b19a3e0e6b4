import SystemIO

/// An export failure: what went wrong, where (a path, a sink, an option), and whether trying again
/// later can help.
public struct ExportError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case badConfig = "bad export configuration"
        case io = "spool I/O error"
        case spoolFull = "spool full"
        case kafka = "Kafka error"
        case http = "HTTP error"
        case corrupt = "corrupt spool data"
    }

    public var code: Code
    /// The file, sink name or option concerned.
    public var context: String
    public var detail: String
    /// Whether the same operation may succeed later (a broker outage, a 503) as opposed to needing
    /// a change (a bad option, a 400).
    public var isRetriable: Bool

    public init(_ code: Code, context: String, _ detail: String, retriable: Bool = false) {
        self.code = code
        self.context = context
        self.detail = detail
        self.isRetriable = retriable
    }

    /// A failed system call on the spool; retriable when the disk is full.
    init(_ error: SystemError) {
        self.init(.io, context: error.path, error.detail, retriable: error.isNoSpace)
    }

    /// Runs file calls of the system layer, their failure as an export error.
    static func io<T>(_ body: () throws(SystemError) -> T) throws(ExportError) -> T {
        do { return try body() } catch { throw ExportError(error) }
    }

    public var description: String {
        context.isEmpty ? "\(code.rawValue): \(detail)" : "\(code.rawValue) (\(context)): \(detail)"
    }
}
