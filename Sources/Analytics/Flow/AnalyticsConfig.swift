/// Tuning of the flow tracker. All times are in nanoseconds of *packet* time, so replaying a
/// capture gives the same records as watching it live.
///
/// The defaults follow Zeek where Zeek has an equivalent (`tcp_attempt_delay`,
/// `tcp_inactivity_timeout`, `udp_inactivity_timeout`, `icmp_inactivity_timeout`,
/// `tcp_close_delay`).
public struct AnalyticsConfig: Sendable, Hashable {
    /// Most flows tracked at once; when the table is full the flow idle for longest is evicted
    /// (its record is emitted with end reason `"evicted"`). Default 1,000,000. The table costs
    /// ≈ 248 bytes a flow (a 240-byte entry and ≈ 8 bytes of index), reserved up front and touched
    /// as flows arrive: ≈ 237 MiB when full (≈ 256 MiB process RSS); side tables come on top only
    /// for the flows that use them (extras 160 bytes, tunnels 64 bytes more, application state up
    /// to ``maxApplicationFlows``, stream buffers up to ``StreamReassemblyConfig/maxTotalBytes``).
    /// See docs/flows.md, "Memory per flow".
    public var maxFlows: Int = 1_000_000
    /// Most flows with application-analysis state at once (DNS / HTTP / TLS parsing state and the
    /// two TCP stream directions, ≈ 300 bytes each before buffers). A flow with payload that finds
    /// them all taken is tracked without application analysis (counted in
    /// ``StandardApplicationAnalyzer/flowStatesRefused``). Default 262,144 (≈ 100 MiB at most).
    public var maxApplicationFlows: Int = 262_144
    /// A TCP attempt (SYN seen, nothing from the responder) expires after this much silence and
    /// is reported `S0` / `.unanswered`. Default 5 s (Zeek `tcp_attempt_delay`).
    public var unansweredSYNTimeoutNanos: Int64 = 5_000_000_000
    /// Idle timeout of an established (or midstream) TCP flow. Default 5 min (Zeek
    /// `tcp_inactivity_timeout`).
    public var tcpIdleTimeoutNanos: Int64 = 300_000_000_000
    /// How long a TCP flow lingers after both FINs or a RST, so the last ACKs and repeated RSTs
    /// stay in it rather than opening a midstream flow. Default 5 s (Zeek `tcp_close_delay`).
    public var tcpClosingLingerNanos: Int64 = 5_000_000_000
    /// Idle timeout of UDP (and SCTP / other IP protocol) flows. Default 1 min (Zeek
    /// `udp_inactivity_timeout`).
    public var udpIdleTimeoutNanos: Int64 = 60_000_000_000
    /// Idle timeout of ICMP / ICMPv6 flows. Default 1 min (Zeek `icmp_inactivity_timeout`).
    public var icmpIdleTimeoutNanos: Int64 = 60_000_000_000
    /// Interval of interim `conn` records on long flows (`isInterim = true`); 0 disables them.
    /// Default 60 s.
    public var interimIntervalNanos: Int64 = 60_000_000_000
    /// A segment below the highest sequence seen that arrives within this time of the segment
    /// that advanced it counts as out-of-order rather than retransmitted, until the handshake
    /// RTT is known (then the RTT is the window), as Wireshark does. Default 3 ms.
    public var outOfOrderWindowNanos: Int64 = 3_000_000
    /// Slots of the table remembering first fragments (src, dst, protocol, id → flow), so later
    /// fragments (which carry no ports) are attributed. Rounded up to a power of two. Default 4096.
    public var fragmentSlots: Int = 4096
    /// A remembered first fragment is forgotten after this long. Default 30 s (Linux
    /// `ipfrag_time`).
    public var fragmentTimeoutNanos: Int64 = 30_000_000_000

    /// Whether DNS / HTTP / TLS transactions are analysed (``StandardApplicationAnalyzer``).
    /// Default true.
    public var applicationAnalysis = true

    /// Limits of the TCP stream reassembly feeding the application parsers (on by default).
    public var reassembly = StreamReassemblyConfig()

    /// Which tunnel identities separate tenants (part of the flow key and of service ids). Default:
    /// VXLAN VNI, Geneve VNI and GRE key (``TunnelAnalyticsConfig``).
    public var tunnels = TunnelAnalyticsConfig()

    /// Which worker of a sharded analyzer this is (flow ids); the default is unsharded.
    public var shard = AnalyzerShard()

    /// The defaults above.
    public init() {}

    /// Timeouts set to "never": what a capture analyser without timeouts (tshark) sees. Used to
    /// compare connection identification with tshark.
    public static var noTimeouts: AnalyticsConfig {
        var c = AnalyticsConfig()
        c.unansweredSYNTimeoutNanos = .max / 4
        c.tcpIdleTimeoutNanos = .max / 4
        c.tcpClosingLingerNanos = .max / 4
        c.udpIdleTimeoutNanos = .max / 4
        c.icmpIdleTimeoutNanos = .max / 4
        c.interimIntervalNanos = 0
        return c
    }
}
