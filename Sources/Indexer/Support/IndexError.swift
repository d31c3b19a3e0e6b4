import SystemIO

/// Why an index could not be written, opened or read. A query treats any of these on one segment
/// as "no usable index" and scans that segment instead.
public struct IndexError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// A system call failed (see ``IndexError/errno``).
        case io = "I/O error"
        /// The file does not start with the index magic.
        case notAnIndex = "not a Vigie index"
        /// The file was written by an incompatible (newer) format version.
        case unsupportedVersion = "unsupported index version"
        /// The file is shorter than its header says (torn write, truncation).
        case truncated = "index truncated"
        /// A checksum does not match the bytes it covers.
        case checksumMismatch = "index checksum mismatch"
        /// A structure inside the index is inconsistent (offsets out of range, unsorted postings...).
        case corrupt = "index corrupt"
        /// The index describes a different link type than the segment it was opened for.
        case segmentMismatch = "index does not match its segment"
        /// The segment cannot be indexed (not a pcap file, or more records than the format holds).
        case badSegment = "segment cannot be indexed"
    }

    /// The kind of failure.
    public var code: Code
    /// The index (or segment) file concerned; empty for in-memory indexes.
    public var path: String
    /// errno, when a system call failed.
    public var errno: Int32?
    /// What exactly was wrong, for logs and operators.
    public var detail: String

    /// Creates an error.
    public init(_ code: Code, path: String = "", errno: Int32? = nil, detail: String = "") {
        self.code = code
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    /// A failed system call.
    public init(_ error: SystemError) {
        self.init(.io, path: error.path, errno: error.code, detail: error.detail)
    }

    /// Runs file calls of the system layer, their failure as an index error.
    static func io<T>(_ body: () throws(SystemError) -> T) throws(IndexError) -> T {
        do { return try body() } catch { throw IndexError(error) }
    }

    static func corrupt(_ detail: String) -> IndexError { IndexError(.corrupt, detail: detail) }

    /// The same error naming `path` (errors raised deep in the reader know no path).
    func at(_ path: String) -> IndexError {
        var copy = self
        if copy.path.isEmpty { copy.path = path }
        return copy
    }

    public var description: String {
        let prefix = path.isEmpty ? "" : path + ": "
        return detail.isEmpty ? prefix + code.rawValue : prefix + code.rawValue + ": " + detail
    }
}
