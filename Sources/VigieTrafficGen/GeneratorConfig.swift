import PcapFormat

/// Everything the generator needs to know, already validated.
struct GeneratorConfig {
    var output: String
    /// Stop once the file reaches this many bytes (headers included).
    var maxBytes: UInt64
    /// Stop after this many packets.
    var maxPackets: UInt64
    var seed: UInt64
    var clients: Int
    var servers: Int
    /// Capture start, nanoseconds since the epoch.
    var startEpochNanos: UInt64
    /// Target average packets per second of capture time (steers session arrivals).
    var ratePPS: Double
    var resolution: TimestampResolution
    /// An outage (`--outage`): every TCP attempt to one server host in `[from, to)` (ns after the
    /// start) is refused (SYN answered by RST/ACK) on the port it asked for: its services go down
    /// and come back. Decided after the random draws, so the rest of the capture is unchanged.
    var outage: Outage?

    struct Outage {
        var server: UInt32
        var from: UInt64
        var to: UInt64
    }

    /// Share of new sessions that are DNS transactions.
    var dnsShare = 0.55
    /// Shares of TCP attempts refused (RST/ACK) and never answered.
    var refusedShare = 0.02
    var unansweredShare = 0.01
    /// Share of sessions over IPv6 and with an 802.1Q tag.
    var ipv6Share = 0.05
    var vlanShare = 0.03
    /// Probability that a data segment (not the first of a message, not SSH) is lost before
    /// the capture point and retransmitted.
    var lossRate = 0.023
    /// DNS outcomes.
    var nxdomainShare = 0.05
    var dnsUnansweredShare = 0.02
}

/// Counters reported at the end.
struct GeneratorStats {
    var packets: UInt64 = 0
    var sessionsStarted: UInt64 = 0
    var tcpSessions: UInt64 = 0
    var dnsQueries: UInt64 = 0
    var nxdomain: UInt64 = 0
    var dnsUnanswered: UInt64 = 0
    var refused: UInt64 = 0
    /// Of the TCP attempts, those refused by the outage.
    var outageRefused: UInt64 = 0
    var unansweredSYN: UInt64 = 0
    var retransmissions: UInt64 = 0
    var resets: UInt64 = 0
    var ipv6Packets: UInt64 = 0
    var vlanPackets: UInt64 = 0
    var tcpPackets: UInt64 = 0
    var udpPackets: UInt64 = 0
    /// Time of the last packet, ns from capture start.
    var lastTime: UInt64 = 0
    var peakSessions = 0
    var sessionSamples: UInt64 = 0
    var sessionSum: UInt64 = 0
}
