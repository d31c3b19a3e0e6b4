/// An error from libpcap or from opening a capture source, re-wrapped with its context.
public struct PcapError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case openFailed = "cannot open capture file"
        case readFailed = "capture file is corrupt or truncated"
        case noSuchDevice = "no such interface"
        case permissionDenied = "no permission to capture"
        case activateFailed = "cannot start capture"
        case badFilter = "bad BPF filter expression"
        case captureFailed = "capture failed"
        case unsupportedLinkType = "unsupported link type"
    }

    public var code: Code
    /// The file path or interface name this error is about.
    public var source: String
    /// libpcap's own message.
    public var message: String
    /// Byte offset in a capture file where reading stopped, when known.
    public var offset: Int?
    /// Packets read from the source before the error.
    public var packetsRead: UInt64?

    public init(_ code: Code, source: String, message: String, offset: Int? = nil, packetsRead: UInt64? = nil) {
        self.code = code
        self.source = source
        self.message = message
        self.offset = offset
        self.packetsRead = packetsRead
    }

    public var description: String {
        var s = "\(source): \(code.rawValue): \(message)"
        if let packetsRead { s += " (after \(packetsRead) packets" + (offset.map { ", at byte \($0)" } ?? "") + ")" }
        return s
    }

    /// Errors that a caller may expect to go away if it tries again later (e.g. an interface not up yet).
    public var isRetriable: Bool { code == .noSuchDevice || code == .captureFailed }
}
