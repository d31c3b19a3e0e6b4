import PacketDecoding

/// Zeek's TCP endpoint states (`TCP_ENDPOINT_*`), from which `conn_state` is derived.
enum TCPEndpointState: UInt8 {
    case inactive, synSent, synAckSent, partial, established, closed, reset
}

/// Which idle-timeout list a flow is on; each list is ordered by last activity, and all its
/// members share one timeout, so the head is always the next to expire.
enum TimeoutClass: UInt8, CaseIterable {
    /// TCP: SYN sent, nothing from the responder yet.
    case tcpAttempt
    /// TCP: established, midstream or half-closed.
    case tcpActive
    /// TCP: both FINs or a RST seen; lingers briefly before its record is emitted.
    case tcpClosing
    /// UDP, SCTP and other IP protocols.
    case datagram
    /// ICMP and ICMPv6.
    case icmp
}

/// One side of a flow: counters and TCP sequence tracking.
///
/// Field order keeps the stride at 96 bytes: `nextZeroWindowMark` fills the 4 bytes before
/// `advancedNanos`, `advertisedWindow` the 2 after `duplicateAcks`, `lastWasKeepAlive` the byte
/// after `hasSequence` (TCPStateTests checks the stride).
struct FlowEndpoint {
    var packets: UInt64 = 0
    var bytes: UInt64 = 0
    var ipBytes: UInt64 = 0
    /// Highest sequence number + segment length seen (TCP), valid when `hasSequence`.
    var nextSeq: UInt32 = 0
    /// First sequence number seen (the ISN when the first packet was a SYN).
    var baseSeq: UInt32 = 0
    var lastSYNSeq: UInt32 = 0
    var lastFINSeq: UInt32 = 0
    var lastRSTSeq: UInt32 = 0
    /// The next zero-window count at which W is recorded again (1, 10, 100…).
    var nextZeroWindowMark: UInt32 = 1
    /// Packet time at which `nextSeq` last advanced (for the out-of-order heuristic).
    var advancedNanos: Int64 = 0
    /// Time of this side's last (non-RST) packet: a fast retransmission answers duplicate ACKs
    /// less than 20 ms old.
    var lastPacketNanos: Int64 = 0
    /// Last acknowledgment number this side sent (0: none yet, as Wireshark), and how many
    /// duplicate ACKs repeated it (Wireshark's fast-retransmission test).
    var lastAck: UInt32 = 0
    var duplicateAcks: UInt16 = 0
    /// Window field of this side's last packet, unscaled: 0 makes the peer's next 1-byte segment a
    /// zero-window probe; an ACK that changes it is a window update, not a duplicate ACK. Starts
    /// non-zero, so no probe is seen before this side has said anything.
    var advertisedWindow: UInt16 = .max
    var retransmissions: UInt32 = 0
    var outOfOrder: UInt32 = 0
    var zeroWindows: UInt32 = 0
    var state: TCPEndpointState = .inactive
    var previousState: TCPEndpointState = .inactive
    var hasSequence = false
    /// This side's last segment was a keep-alive: the peer's ACK of it is no duplicate ACK.
    var lastWasKeepAlive = false
    /// Zeek letters this side already recorded once (bit = letter - 'A').
    var lettersSeen: UInt32 = 0
    /// The next retransmission count at which T is recorded again (1, 10, 100…).
    var nextRetransmitMark: UInt32 = 1

    @inline(__always)
    mutating func setState(_ s: TCPEndpointState) {
        previousState = state
        state = s
    }
}

/// Bits of ``FlowEntry/flags``.
struct FlowFlags: OptionSet {
    var rawValue: UInt16
    static let sawSYN = FlowFlags(rawValue: 1 << 0)
    static let sawSYNACK = FlowFlags(rawValue: 1 << 1)
    static let sawRST = FlowFlags(rawValue: 1 << 2)
    /// An `.attempt` was emitted and its outcome is still owed.
    static let attemptPending = FlowFlags(rawValue: 1 << 3)
    static let attemptEmitted = FlowFlags(rawValue: 1 << 4)
    static let resetEmitted = FlowFlags(rawValue: 1 << 5)
    static let flipped = FlowFlags(rawValue: 1 << 6)
    /// The responder has sent at least one packet (UDP answer).
    static let responderSeen = FlowFlags(rawValue: 1 << 7)
    /// The client-leg RTT is being waited for (SYN-ACK seen, no ACK yet).
    static let awaitingHandshakeACK = FlowFlags(rawValue: 1 << 8)
    /// The originator sent payload and the responder's first payload after it is awaited.
    static let awaitingResponse = FlowFlags(rawValue: 1 << 9)
    /// The ICMP attribution refused the attempt (for the conn_state of UDP flows).
    static let refusedByICMP = FlowFlags(rawValue: 1 << 10)
    /// The application analyzer wants no more of this flow's TCP segments (nothing recognised,
    /// handshake reported, protocol switched): they are no longer handed to it.
    static let applicationDone = FlowFlags(rawValue: 1 << 11)
}

/// Everything the tracker keeps per flow. Stored in a preallocated array and addressed by
/// index; plain value fields only, so the table allocates nothing per flow.
struct FlowEntry {
    var key: FlowKey = .empty
    var hash: UInt32 = 0
    /// Whether the originator is side A of ``key``.
    var originatorIsA = true
    var transport: FlowTransport = .other
    var timeoutClass: TimeoutClass = .datagram
    var application: ApplicationProtocol = .none
    var flags: FlowFlags = []
    /// The flow's tunnel in ``FlowAnalyzer/tunnels`` (``FlowTable/none`` for an untunnelled flow).
    /// Here, in padding before `flowID`, it costs the entry nothing.
    var tunnelSlot: UInt32 = FlowTable.none
    var flowID: UInt64 = 0
    var startNanos: Int64 = 0
    var lastNanos: Int64 = 0
    var lastReportNanos: Int64 = 0
    var originator = FlowEndpoint()
    var responder = FlowEndpoint()
    var history = FlowHistory()
    var synNanos: Int64 = -1
    var synAckNanos: Int64 = -1
    var serverRTTNanos: Int64 = -1
    var clientRTTNanos: Int64 = -1
    var requestNanos: Int64 = -1
    var responseTimeNanos: Int64 = -1
    var icmpErrors: UInt32 = 0
    var fragments: UInt32 = 0
    /// ICMP flows: type and code of the first packet (reported as Zeek does, in the port fields).
    var icmpType: UInt8 = 0
    var icmpCode: UInt8 = 0
    var firstSegment: Int64 = -1
    var lastSegment: Int64 = -1
    /// Counters already reported in `.traffic` observations (the next one carries the delta).
    var reportedBytesToServer: UInt64 = 0
    var reportedBytesToClient: UInt64 = 0
    var reportedRetransmissions: UInt32 = 0
    // Intrusive list links (entry index, `FlowTable.nil` for none).
    var activityPrev: UInt32 = FlowTable.none
    var activityNext: UInt32 = FlowTable.none
    var interimPrev: UInt32 = FlowTable.none
    var interimNext: UInt32 = FlowTable.none
    var inUse = false

    init() {}

    /// The address and port of the originator / responder.
    var originatorAddress: IPAddress { originatorIsA ? key.addressA : key.addressB }
    var originatorPort: UInt16 { originatorIsA ? key.portA : key.portB }
    var responderAddress: IPAddress { originatorIsA ? key.addressB : key.addressA }
    var responderPort: UInt16 { originatorIsA ? key.portB : key.portA }

    /// The service (responder side) used by this flow.
    var service: ServiceKey {
        ServiceKey(address: responderAddress, port: transport == .icmp || transport == .icmpv6 ? 0 : responderPort,
                   transport: transport, tenant: TenantKey(rawValue: key.tenant))
    }
}
