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

/// One side of a flow: counters and TCP sequence tracking — the fields every packet of the side
/// touches. What only some packets need (retransmission, out-of-order and zero-window counts, the
/// FIN / RST sequence numbers, the time of the last packet while duplicate ACKs are counted) is in
/// the flow's ``FlowExtras``, allocated on first need.
///
/// The packet and byte counters keep their low 32 bits here and their high 32 bits in
/// ``EndpointExtras`` once they pass 2^32 (a carry takes the extras): exact 64-bit counts, read
/// through ``FlowAnalyzer/counts(_:isOrig:)``.
///
/// 48 bytes (TCPStateTests checks the layout).
struct FlowEndpoint {
    /// Packet time at which `nextSeq` last advanced (for the out-of-order heuristic).
    var advancedNanos: Int64 = 0
    var packetsLow: UInt32 = 0
    var bytesLow: UInt32 = 0
    var ipBytesLow: UInt32 = 0
    /// Highest sequence number + segment length seen (TCP), valid when `hasSequence`.
    var nextSeq: UInt32 = 0
    /// First sequence number seen (the ISN when the first packet was a SYN).
    var baseSeq: UInt32 = 0
    var lastSYNSeq: UInt32 = 0
    /// Last acknowledgment number this side sent (0: none yet, as Wireshark), and how many
    /// duplicate ACKs repeated it (Wireshark's fast-retransmission test). While `duplicateAcks`
    /// is not 0 the time of this side's packets is kept in ``FlowExtras`` (the test reads it only
    /// then: ``EndpointExtras/lastPacketNanos``).
    var lastAck: UInt32 = 0
    /// Zeek letters this side already recorded once (bit = letter - 'A').
    var lettersSeen: UInt32 = 0
    var duplicateAcks: UInt16 = 0
    /// Window field of this side's last packet, unscaled: 0 makes the peer's next 1-byte segment a
    /// zero-window probe; an ACK that changes it is a window update, not a duplicate ACK. Starts
    /// non-zero, so no probe is seen before this side has said anything.
    var advertisedWindow: UInt16 = .max
    var state: TCPEndpointState = .inactive
    var previousState: TCPEndpointState = .inactive
    var hasSequence = false
    /// This side's last segment was a keep-alive: the peer's ACK of it is no duplicate ACK.
    var lastWasKeepAlive = false

    @inline(__always)
    mutating func setState(_ s: TCPEndpointState) {
        previousState = state
        state = s
    }
}

/// The rarely used part of one side of a flow (in ``FlowExtras``).
struct EndpointExtras {
    /// Time of this side's last (non-RST) packet, kept while its ``FlowEndpoint/duplicateAcks`` is
    /// not 0: a fast retransmission answers duplicate ACKs less than 20 ms old.
    var lastPacketNanos: Int64 = 0
    var retransmissions: UInt32 = 0
    var outOfOrder: UInt32 = 0
    var zeroWindows: UInt32 = 0
    var lastFINSeq: UInt32 = 0
    var lastRSTSeq: UInt32 = 0
    /// The next retransmission / zero-window count at which T / W is recorded again (1, 10,
    /// 100…, then `UInt32.max`).
    var nextRetransmitMark: UInt32 = 1
    var nextZeroWindowMark: UInt32 = 1
    /// High 32 bits of the side's counters (``FlowEndpoint/packetsLow``…).
    var packetsHigh: UInt32 = 0
    var bytesHigh: UInt32 = 0
    var ipBytesHigh: UInt32 = 0
}

/// What a flow keeps only once it needs it: counters that are 0 for most flows, the state of
/// interim reports, the FIN / RST sequence numbers. Lives in ``FlowExtrasPool``, at most one per
/// flow (``FlowEntry/extrasSlot``); a flow without one reads every field as its default.
struct FlowExtras {
    /// Time of the last interim report (the flow's start until the first).
    var lastReportNanos: Int64 = 0
    /// Counters already reported in `.traffic` observations (the next one carries the delta).
    var reportedBytesToServer: UInt64 = 0
    var reportedBytesToClient: UInt64 = 0
    /// First response time when a later request (after a request at a negative packet time) took
    /// the entry's field: see ``FlowEntry/requestOrResponseNanos``.
    var spilledResponseTimeNanos: Int64 = -1
    var originator = EndpointExtras()
    var responder = EndpointExtras()
    var reportedRetransmissions: UInt32 = 0
    var icmpErrors: UInt32 = 0
    var fragments: UInt32 = 0
    /// The flow's tunnel in ``FlowAnalyzer/tunnels`` (``FlowTable/none``: untunnelled). A tunnelled
    /// flow takes its extras when it is created.
    var tunnelSlot: UInt32 = FlowTable.none
    /// Store segment ids when one did not fit the entry's 32 bits (``FlowFlags/wideSegments``).
    var firstSegment: Int64 = -1
    var lastSegment: Int64 = -1

    init(startNanos: Int64) { lastReportNanos = startNanos }
}

/// Bits of ``FlowEntry/flags``.
struct FlowFlags: OptionSet {
    var rawValue: UInt32
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
    /// A SYN-ACK at a packet time ≥ 0 was seen (the former `synAckNanos >= 0`): from then on
    /// ``FlowEntry/synOrServerRTTNanos`` holds the server leg.
    static let synAckSeen = FlowFlags(rawValue: 1 << 12)
    /// The client leg was measured: ``FlowEntry/synAckOrClientRTTNanos`` holds it.
    static let clientLegMeasured = FlowFlags(rawValue: 1 << 13)
    /// A request at a packet time ≥ 0 was seen (the former `requestNanos >= 0`).
    static let requestSeen = FlowFlags(rawValue: 1 << 14)
    /// The response time was measured: ``FlowEntry/requestOrResponseNanos`` holds it.
    static let responseMeasured = FlowFlags(rawValue: 1 << 15)
    /// The measured response time moved to ``FlowExtras/spilledResponseTimeNanos``.
    static let responseSpilled = FlowFlags(rawValue: 1 << 16)
    /// The flow's store segment ids are in ``FlowExtras/firstSegment`` / ``FlowExtras/lastSegment``
    /// (one was ≥ 2^32 − 1), not in the entry.
    static let wideSegments = FlowFlags(rawValue: 1 << 17)
    /// The originator is side B of the key (``FlowEntry/originatorIsA`` false).
    static let originatorIsB = FlowFlags(rawValue: 1 << 18)
    /// The entry holds a live flow (``FlowEntry/inUse``).
    static let inUse = FlowFlags(rawValue: 1 << 19)
    // Bits 20–27 hold ``FlowEntry/transport`` (3 bits), ``FlowEntry/timeoutClass`` (3 bits) and
    // ``FlowEntry/application`` (2 bits).
    static let enumShift: UInt32 = 20
}

/// Everything the tracker keeps per flow. Stored in a preallocated array and addressed by
/// index; plain value fields only, so the table allocates nothing per flow.
///
/// 240 bytes (was 440): the fields every packet touches are here; what few flows need is in
/// ``FlowExtras`` (``extrasSlot``, which also holds a tunnelled flow's slot in ``TunnelPool``), application and
/// stream-reassembly state in the application analyzer's own side table. Times that are dead
/// once another is known share a field (the SYN time and then the server leg; the SYN-ACK time
/// and then the client leg; the request time and then the response time), with flags telling
/// which it holds, so every value reported is exact. Layout checked by TunnelLayoutTests.
struct FlowEntry {
    var key: FlowKey = .empty
    /// The flow's ``FlowExtras`` in ``FlowAnalyzer/extraPool`` (``FlowTable/none`` until needed).
    var extrasSlot: UInt32 = FlowTable.none
    /// Flags, and in bits 20–27 the transport, timeout class and application.
    var flags = FlowFlags(rawValue: FlowEntry.defaultEnumBits)
    var flowID: UInt64 = 0
    var startNanos: Int64 = 0
    var lastNanos: Int64 = 0
    var originator = FlowEndpoint()
    var responder = FlowEndpoint()
    var history = FlowHistory()
    /// The latest SYN time (-1: none) until ``FlowFlags/synAckSeen``, then the server leg (-1: none).
    var synOrServerRTTNanos: Int64 = -1
    /// The SYN-ACK time until ``FlowFlags/clientLegMeasured``, then the client leg (-1: none).
    /// ICMP flows (which have no handshake) keep the type and code of their first packet here.
    var synAckOrClientRTTNanos: Int64 = -1
    /// The request time while no response was measured, then the response time
    /// (``FlowFlags/responseMeasured``).
    var requestOrResponseNanos: Int64 = -1
    /// Store segment ids + 1 (0: none) of the flow's first and last packets; an id that does not
    /// fit moves both to ``FlowExtras`` (``FlowFlags/wideSegments``).
    var firstSegmentPlusOne: UInt32 = 0
    var lastSegmentPlusOne: UInt32 = 0
    // Intrusive list links (entry index, `FlowTable.none` for none).
    var activityPrev: UInt32 = FlowTable.none
    var activityNext: UInt32 = FlowTable.none
    var interimPrev: UInt32 = FlowTable.none
    var interimNext: UInt32 = FlowTable.none

    init() {}

    /// The address and port of the originator / responder.
    var originatorAddress: IPAddress { originatorIsA ? key.addressA : key.addressB }
    var originatorPort: UInt16 { originatorIsA ? key.portA : key.portB }
    var responderAddress: IPAddress { originatorIsA ? key.addressB : key.addressA }
    var responderPort: UInt16 { originatorIsA ? key.portB : key.portA }

    static let defaultEnumBits = UInt32(FlowTransport.other.rawValue) << FlowFlags.enumShift
        | UInt32(TimeoutClass.datagram.rawValue) << (FlowFlags.enumShift + 3)
        | UInt32(ApplicationProtocol.none.rawValue) << (FlowFlags.enumShift + 6)

    @inline(__always)
    private func enumBits(_ shift: UInt32, _ mask: UInt32) -> UInt8 {
        UInt8(truncatingIfNeeded: (flags.rawValue >> (FlowFlags.enumShift + shift)) & mask)
    }

    @inline(__always)
    private mutating func setEnumBits(_ shift: UInt32, _ mask: UInt32, _ value: UInt8) {
        let s = FlowFlags.enumShift + shift
        flags.rawValue = flags.rawValue & ~(mask << s) | (UInt32(value) & mask) << s
    }

    var transport: FlowTransport {
        @inline(__always) get { FlowTransport(rawValue: enumBits(0, 7)) ?? .other }
        @inline(__always) set { setEnumBits(0, 7, newValue.rawValue) }
    }

    /// Which idle-timeout list the flow is on.
    var timeoutClass: TimeoutClass {
        @inline(__always) get { TimeoutClass(rawValue: enumBits(3, 7)) ?? .datagram }
        @inline(__always) set { setEnumBits(3, 7, newValue.rawValue) }
    }

    var application: ApplicationProtocol {
        @inline(__always) get { ApplicationProtocol(rawValue: enumBits(6, 3)) ?? .none }
        @inline(__always) set { setEnumBits(6, 3, newValue.rawValue) }
    }

    /// Whether the originator is side A of ``key``.
    var originatorIsA: Bool {
        @inline(__always) get { !flags.contains(.originatorIsB) }
        set { if newValue { flags.remove(.originatorIsB) } else { flags.insert(.originatorIsB) } }
    }

    /// Whether the entry holds a live flow.
    var inUse: Bool {
        get { flags.contains(.inUse) }
        set { if newValue { flags.insert(.inUse) } else { flags.remove(.inUse) } }
    }

    /// ICMP flows: type and code of the first packet (reported as Zeek does, in the port fields).
    var icmpType: UInt8 { UInt8(truncatingIfNeeded: synAckOrClientRTTNanos) }
    var icmpCode: UInt8 { UInt8(truncatingIfNeeded: synAckOrClientRTTNanos >> 8) }

    /// Records an ICMP flow's type and code (no TCP handshake shares the field).
    mutating func setICMP(type: UInt8, code: UInt8) {
        synAckOrClientRTTNanos = Int64(type) | Int64(code) << 8
    }

    /// The server leg of the handshake RTT (-1: not measured).
    var serverRTTNanos: Int64 { flags.contains(.synAckSeen) ? synOrServerRTTNanos : -1 }
    /// The client leg of the handshake RTT (-1: not measured).
    var clientRTTNanos: Int64 { flags.contains(.clientLegMeasured) ? synAckOrClientRTTNanos : -1 }

    /// The service (responder side) used by this flow.
    var service: ServiceKey {
        ServiceKey(address: responderAddress, port: transport == .icmp || transport == .icmpv6 ? 0 : responderPort,
                   transport: transport, tenant: TenantKey(rawValue: key.tenant))
    }
}
