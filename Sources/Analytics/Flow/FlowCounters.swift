import PacketDecoding

/// Running totals of a ``FlowAnalyzer``.
public struct FlowCounters: Sendable, Hashable {
    /// Packets given to the analyzer.
    public var packets: UInt64 = 0
    /// Packets attributed to a flow.
    public var flowPackets: UInt64 = 0
    /// Packets without an IPv4/IPv6 header (ARP, LLC, undecodable link…).
    public var nonIPPackets: UInt64 = 0
    public var flowsCreated: UInt64 = 0
    /// Flows ended by idle timeout.
    public var flowsExpired: UInt64 = 0
    /// Flows ended early because the table was full.
    public var flowsEvicted: UInt64 = 0
    /// TCP flows ended because a new SYN (different ISN) reused their 5-tuple.
    public var flowsReused: UInt64 = 0
    /// Packets of new flows not tracked: the flow budget shared by the workers was spent and this
    /// worker had no flow of its own to evict.
    public var untrackedPackets: UInt64 = 0
    /// Flows open now.
    public var activeFlows: Int = 0
    /// Non-first fragments whose first fragment was not seen (not attributed).
    public var orphanFragments: UInt64 = 0
    /// ICMP errors attributed to the flow they quote.
    public var icmpErrorsAttributed: UInt64 = 0
    /// ICMP errors quoting a flow the table does not know (tracked as ICMP flows instead).
    public var icmpErrorsUnattributed: UInt64 = 0
    /// Decoder anomalies by kind (index = `DecodeAnomaly.rawValue`; index 0 unused).
    public var anomalies: [UInt64] = Array(repeating: 0, count: DecodeAnomaly.allCases.count)

    public init() {}

    /// Count of packets that had `anomaly`.
    public func count(of anomaly: DecodeAnomaly) -> UInt64 { anomalies[Int(anomaly.rawValue)] }
}
