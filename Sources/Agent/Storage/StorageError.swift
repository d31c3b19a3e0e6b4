import SystemIO

/// An error of the packet store, with the path it concerns and the OS error when there is one.
public struct StorageError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case cannotCreate = "cannot create store"
        case readOnly = "store is read-only"
        case noSpace = "no space left on device"
        case io = "I/O error"
        case locked = "store is in use by another vigie-agent process"
        case notAStore = "not a Vigie store"
        case badCatalog = "catalog is unreadable"
    }

    public var code: Code
    public var path: String
    /// errno, when the error came from a system call.
    public var errno: Int32?
    public var detail: String

    public init(_ code: Code, path: String, errno: Int32? = nil, detail: String = "") {
        self.code = code
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    /// Classifies a failed system call.
    public init(_ error: SystemError) {
        let code: Code = error.isNoSpace ? .noSpace : error.isNotWritable ? .readOnly : .io
        self.init(code, path: error.path, errno: error.code, detail: error.detail)
    }

    /// Runs file calls of the system layer, their failure as a storage error.
    public static func io<T>(_ body: () throws(SystemError) -> T) throws(StorageError) -> T {
        do { return try body() } catch { throw StorageError(error) }
    }

    public var description: String {
        detail.isEmpty ? "\(path): \(code.rawValue)" : "\(path): \(code.rawValue): \(detail)"
    }

    /// A full disk may clear up (retention, an operator); a read-only store will not.
    public var isRetriable: Bool { code == .noSpace }
}
