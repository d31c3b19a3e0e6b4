/// One pin: a packet-time range whose segments ring retention keeps (docs/pins.md).
public struct Pin: Codable, Sendable, Hashable {
    /// Who ordered the pin.
    public enum Origin: String, Codable, Sendable, Hashable {
        /// A watched service turned DOWN or DEGRADED (`pins.states`).
        case incident
        /// An operator through the API.
        case api
        /// The server (its drill-down credential), e.g. for an application it judged DOWN.
        case server
    }

    /// Stable id (16 hex digits), never reused.
    public var id: String
    /// Packet time covered, nanoseconds since the epoch, inclusive.
    public var from: Int64
    public var to: Int64
    public var reason: String
    /// Service id (`IP:PORT/proto`) the pin is about, when there is one.
    public var service: String?
    /// `DOWN` or `DEGRADED` for an incident pin.
    public var state: String?
    public var origin: Origin
    /// Wall time the pin was made, nanoseconds since the epoch: the oldest pins are evicted first.
    public var created: Int64
    /// Released through the API, its `released` record not written yet: the capturing process
    /// writes it and then drops the pin from the file. A released pin protects nothing.
    public var released: Bool?
    /// The `to` of the last `pin` record written for it (nil: its `created` record is still due).
    /// Lets the capturing process record changes made while it was not running.
    public var recordedTo: Int64?

    public init(id: String, from: Int64, to: Int64, reason: String, service: String? = nil, state: String? = nil,
                origin: Origin, created: Int64) {
        self.id = id
        self.from = from
        self.to = to
        self.reason = reason
        self.service = service
        self.state = state
        self.origin = origin
        self.created = created
    }

    /// True when a finished segment holding packets in `[first, last]` overlaps the pin.
    public func covers(_ s: SegmentInfo) -> Bool {
        guard let first = s.firstNanos, let last = s.lastNanos else { return false }
        return last >= from && first <= to
    }

    /// A fresh random id (64 bits, hex).
    public static func newID() -> String {
        let s = String(UInt64.random(in: 1...UInt64.max), radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

/// What happened to a pin, as its `pin` record says (docs/records.md).
public enum PinAction: String, Sendable, Hashable, Codable {
    case created, extended, released, evicted
}

/// A pin's change, for the `pin` record.
public struct PinEvent: Sendable, Hashable {
    public var action: PinAction
    public var pin: Pin
}

/// An error of the pin book, naming the file or field concerned.
public struct PinError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case io = "I/O error"
        case badFile = "pin file is unreadable"
        case notFound = "no such pin"
        case invalid = "invalid pin"
        case full = "too many pins"
    }

    public var code: Code
    /// The path, pin id or field concerned.
    public var context: String
    public var detail: String

    public init(_ code: Code, _ context: String, _ detail: String = "") {
        self.code = code
        self.context = context
        self.detail = detail
    }

    public var description: String {
        detail.isEmpty ? "\(context): \(code.rawValue)" : "\(context): \(code.rawValue): \(detail)"
    }
}
