#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: the errno it left, what was being done, and the path concerned.
/// Module errors (`StorageError`, `IndexError`, `ExportError`) wrap it with their own codes.
public struct SystemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The errno value.
    public var code: Int32
    /// The operation that failed ("open", "write", "fsync", "rename"...).
    public var operation: String
    /// The file or directory concerned.
    public var path: String

    public init(_ code: Int32, _ operation: String, path: String) {
        self.code = code
        self.operation = operation
        self.path = path
    }

    /// The error from the current `errno`.
    public static func last(_ operation: String, path: String) -> SystemError {
        SystemError(errno, operation, path: path)
    }

    /// The system's text for `code` (strerror).
    public var reason: String { String(cString: strerror(code)) }

    /// `operation: reason`, the detail the module errors print after their own code.
    public var detail: String { "\(operation): \(reason)" }

    /// True for ENOSPC and EDQUOT: more room may appear later.
    public var isNoSpace: Bool { code == ENOSPC || code == EDQUOT }

    /// True for EROFS, EACCES and EPERM.
    public var isNotWritable: Bool { code == EROFS || code == EACCES || code == EPERM }

    public var description: String { "\(path): \(detail)" }
}
