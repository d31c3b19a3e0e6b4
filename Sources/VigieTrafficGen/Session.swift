/// What a TCP connection does once the current message has been delivered.
enum PlanAction: UInt8 {
    case send
    case closeByClient, closeByServer
    case resetByClient, resetByServer
}

/// The next step of a connection's script.
struct Plan {
    var action: PlanAction = .send
    var fromServer = false
    /// `true`: the step is the peer's immediate reaction to the previous message and starts
    /// `delay` after its last data segment was seen (plus one RTT when the client reacts to
    /// the server, since the capture point sits next to the servers). `false`: it starts
    /// `delay` after the previous message has been fully acknowledged (think time).
    var reacts = false
    var delay: UInt64 = 0
    var message = Message()
}

/// The kind of conversation a session slot holds.
enum SessionKind: UInt8 {
    /// An accepted TCP connection running an application script.
    case tcp
    /// A SYN answered by RST/ACK.
    case refused
    /// A SYN (plus retransmissions) that is never answered.
    case unanswered
    /// A DNS query over UDP, answered or not.
    case dns
}

/// Application protocol of an accepted TCP connection.
enum AppProtocol: UInt8 {
    case http, https, postgres, mysql, ssh
}

/// DNS transaction outcome.
enum DNSOutcome: UInt8 {
    case answer, nxdomain, unanswered
}

/// Which packet a session emits next.
enum Phase: UInt8 {
    case syn, synAck, handshakeAck, transfer
    case finFirst, finAckOnly, finSecond, finLast, reset, refusedReset
    case dnsQuery, dnsResponse
}

/// One conversation in progress. A plain value (no references), copied in and out of the
/// session table around each step.
struct Session {
    var kind: SessionKind = .tcp
    var app: AppProtocol = .http
    var phase: Phase = .syn
    /// App-specific variant (e.g. SSH interactive vs. bulk).
    var mode: UInt8 = 0
    var isV6 = false
    /// 802.1Q VLAN id, 0 for untagged.
    var vlan: UInt16 = 0
    var client: UInt32 = 0
    /// Server index (TCP) or resolver index (DNS).
    var server: UInt32 = 0
    var clientPort: UInt16 = 0
    var serverPort: UInt16 = 0
    /// Host-name index.
    var name: UInt32 = 0
    var salt: UInt64 = 0
    /// Time of the first packet (ns from capture start).
    var start: UInt64 = 0
    /// Time of the next packet.
    var nextTime: UInt64 = 0
    /// Round-trip time between the capture point and the client (DNS: resolver latency).
    var rtt: UInt64 = 0
    /// Spacing of back-to-back data segments from each side.
    var gapClient: UInt64 = 0
    var gapServer: UInt64 = 0
    /// Time the server takes to ACK client data (fixed per connection, so ACKs keep the
    /// spacing of the segments they acknowledge).
    var ackLagServer: UInt64 = 0
    var ttlClient: UInt8 = 64
    var ipIDClient: UInt16 = 0
    var ipIDServer: UInt16 = 0
    var flowLabel: UInt32 = 0
    /// Advertised windows (scaled by 2^7 after the handshake).
    var windowClient: UInt16 = 0
    var windowServer: UInt16 = 0
    var isnClient: UInt32 = 0
    var isnServer: UInt32 = 0
    /// Next sequence number each side sends.
    var seqClient: UInt32 = 0
    var seqServer: UInt32 = 0
    var tsBaseClient: UInt32 = 0
    var tsBaseServer: UInt32 = 0
    var tsLastClient: UInt32 = 0
    var tsLastServer: UInt32 = 0
    var cwndClient: UInt16 = 10
    var cwndServer: UInt16 = 10
    var cwndMax: UInt16 = 64
    /// Segments received by each side (receivers ACK every segment for the first 16).
    var receivedByClient: UInt16 = 0
    var receivedByServer: UInt16 = 0
    /// Index of the next script step.
    var step: UInt16 = 0
    /// Request/response exchanges after the handshake (or SYN retransmissions).
    var loops: UInt16 = 0
    /// Phase-local counter (SYN/DNS retransmissions sent).
    var counter: UInt8 = 0
    var closerIsServer = false
    var dnsOutcome: DNSOutcome = .answer
    var dnsID: UInt16 = 0
    var dnsAAAA = false

    // Transfer of the current message.
    var current = Plan()
    var upcoming = Plan()
    /// Bytes of the current message sent.
    var sent: UInt32 = 0
    /// Segments sent and not yet acknowledged.
    var inflight: UInt16 = 0
    /// Segments received since the receiver's last ACK.
    var unacked: UInt16 = 0
    /// The receiver's last ACK is carried by its next message instead of a pure ACK.
    var omitFinalAck = false
    var nextSendAt: UInt64 = 0
    /// Time of the last data segment of the current (or previous) message.
    var lastDataAt: UInt64 = 0
    var lastFromServer = false
    /// Pending receiver ACKs (FIFO in the engine's ring storage).
    var ringHead: UInt16 = 0
    var ringCount: UInt16 = 0
    var ringTailTime: UInt64 = 0
    /// A segment lost after the capture point, retransmitted at `retxAt` (0: none).
    var retxAt: UInt64 = 0
    var holeSeq: UInt32 = 0
    var holeLength: UInt16 = 0
    var holeOffset: UInt32 = 0
    /// Encrypted SSH segments sent by each side (see `SSHLengthMask`).
    var sshSegmentsClient: UInt32 = 0
    var sshSegmentsServer: UInt32 = 0

    /// TCP payload of a full segment: 1500-byte MTU minus IP, TCP and timestamp option.
    var mss: Int { isV6 ? 1428 : 1448 }
}
