import PacketDecoding

/// The flow-tracking engine: decodes packets, keeps bidirectional flows in a bounded table,
/// tracks TCP in Zeek's vocabulary (`conn_state`, history), measures handshake RTT legs,
/// retransmissions, zero windows and response time, and reports `conn` records and service
/// observations to a ``FlowEventSink``.
///
/// **Single-threaded by design**: one analytics thread owns an instance and calls every method;
/// it is deliberately not `Sendable`. The sink is called synchronously from those calls.
///
/// Time is packet time only: timeouts and interim reports fire when a packet (or
/// ``advance(toNanos:)``) moves the clock past them, so a replayed file yields the same records
/// as live capture. Call ``finish()`` at the end of input to flush every open flow.
public final class FlowAnalyzer {
    public let config: AnalyticsConfig
    let sink: any FlowEventSink
    /// Optional application-layer analysis (DNS, HTTP, TLS).
    public var applicationAnalyzer: (any ApplicationAnalyzer)?
    let table: FlowTable
    var fragments: FragmentTable
    /// Tunnels of the open tunnelled flows (``FlowExtras/tunnelSlot``).
    var tunnels = TunnelPool()
    /// The cold part of the flows that need it (``FlowEntry/extrasSlot``).
    let extraPool: FlowExtrasPool
    /// Reassembles fragmented outer packets of IP-level tunnels (IP protocols 4, 41, 47), so the
    /// packet inside is analysed (a mirror session fragments full-size ERSPAN copies).
    let tunnelReassembler: TunnelFragmentReassembler
    /// ``TunnelAnalyticsConfig/tenantMask``, tested per packet before the config is touched.
    let tenantMask: UInt16
    /// Counters (``FlowCounters/activeFlows`` is filled on read).
    public var counters: FlowCounters {
        var c = storedCounters
        c.activeFlows = table.count
        return c
    }
    var storedCounters = FlowCounters()
    /// Latest packet time seen (timeouts use this; out-of-order timestamps never move it back).
    public private(set) var nowNanos: Int64 = .min
    var lastClockNanos: Int64 = .min
    var nextFlowID: UInt64
    /// Time of the timeout or interim event being fired by ``expireDue()`` (`.min` otherwise):
    /// the flow ends at that time, not at the packet that revealed it.
    var eventNanos: Int64 = .min
    /// The flow limit shared across workers, if sharded.
    let budget: FlowBudget?
    /// Timeout per class, indexed by `TimeoutClass.rawValue`.
    let timeouts: [Int64]
    private var decoded = DecodedPacket()

    /// Creates an analyzer reporting to `sink` (kept strongly; the sink must not own the
    /// analyzer strongly in return).
    /// `budget`: the flow limit shared with the other workers of a sharded analyzer (nil: this
    /// table's own capacity, ``AnalyticsConfig/maxFlows``, is the limit).
    public init(config: AnalyticsConfig = AnalyticsConfig(), sink: any FlowEventSink, budget: FlowBudget? = nil) {
        self.config = config
        self.sink = sink
        nextFlowID = config.shard.firstFlowID
        self.budget = budget
        table = FlowTable(capacity: max(1, config.maxFlows))
        extraPool = FlowExtrasPool(capacity: table.capacity)
        fragments = FragmentTable(slots: config.fragmentSlots, timeoutNanos: config.fragmentTimeoutNanos)
        var limits = TunnelFragmentReassembler.Limits()
        limits.timeoutNanos = config.fragmentTimeoutNanos
        tunnelReassembler = TunnelFragmentReassembler(limits: limits)
        tenantMask = config.tunnels.tenantMask
        var t = Array(repeating: Int64(0), count: TimeoutClass.allCases.count)
        t[Int(TimeoutClass.tcpAttempt.rawValue)] = config.unansweredSYNTimeoutNanos
        t[Int(TimeoutClass.tcpActive.rawValue)] = config.tcpIdleTimeoutNanos
        t[Int(TimeoutClass.tcpClosing.rawValue)] = config.tcpClosingLingerNanos
        t[Int(TimeoutClass.datagram.rawValue)] = config.udpIdleTimeoutNanos
        t[Int(TimeoutClass.icmp.rawValue)] = config.icmpIdleTimeoutNanos
        timeouts = t
        if config.applicationAnalysis {
            applicationAnalyzer = StandardApplicationAnalyzer(sink: sink, reassembly: config.reassembly,
                                                              maxFlowStates: config.maxApplicationFlows)
        }
    }

    /// Decodes one captured frame and tracks it.
    ///
    /// - Parameters:
    ///   - packetBytes: the captured bytes (not retained).
    ///   - linkType: the capture's link type.
    ///   - timestampNanos: packet time, ns since the Unix epoch.
    ///   - segmentID: the store segment holding the packet, or -1 when not stored.
    public func process(packetBytes: UnsafeRawBufferPointer, linkType: LinkType, timestampNanos: Int64,
                        segmentID: Int64 = -1) {
        PacketDecoder.decode(packetBytes, linkType: linkType, into: &decoded)
        process(decoded, bytes: packetBytes, timestampNanos: timestampNanos, segmentID: segmentID)
    }

    /// Tracks a packet the caller already decoded (`bytes` are the bytes it was decoded from).
    public func process(_ packet: DecodedPacket, bytes: UnsafeRawBufferPointer, timestampNanos: Int64,
                        segmentID: Int64 = -1) {
        storedCounters.packets &+= 1
        if packet.anomaly != .none { storedCounters.anomalies[Int(packet.anomaly.rawValue)] &+= 1 }
        advanceClock(timestampNanos)
        guard packet.network == .ipv4 || packet.network == .ipv6 else {
            storedCounters.nonIPPackets &+= 1
            return
        }
        if packet.fragment.isFragment && TunnelFragmentReassembler.wants(packet) {
            reassembleOuter(packet, bytes: bytes, t: timestampNanos, segment: segmentID)
            return
        }
        track(packet, bytes: bytes, t: timestampNanos, segment: segmentID)
    }

    /// A fragment of a tunnel's outer packet: held by the reassembler, not counted as an outer
    /// flow; the fragment that completes the datagram carries its inner packet into its flow (as
    /// tshark attributes it). Incomplete datagrams are dropped within the fragment timeout and the
    /// reassembler's bounds (counted in ``tunnelReassembly``).
    @inline(never)
    func reassembleOuter(_ fragment: DecodedPacket, bytes: UnsafeRawBufferPointer, t: Int64, segment: Int64) {
        var inner = DecodedPacket()
        tunnelReassembler.add(bytes, fragment, timeNanos: t, into: &inner) { datagram, inner in
            if inner.anomaly != .none && inner.anomaly != fragment.anomaly {
                storedCounters.anomalies[Int(inner.anomaly.rawValue)] &+= 1
            }
            guard inner.network == .ipv4 || inner.network == .ipv6 else {
                storedCounters.nonIPPackets &+= 1
                return
            }
            track(inner, bytes: datagram, t: t, segment: segment)
        }
    }

    /// The tenant of a packet: one mask test for untunnelled packets.
    @inline(__always)
    func tenant(of p: DecodedPacket) -> UInt64 {
        p.tunnel.layers.rawValue & tenantMask == 0 ? 0 : config.tunnels.slowTenant(of: p.tunnel).rawValue
    }

    /// What the outer-fragment reassembler did (fragments taken, datagrams reassembled, dropped).
    public var tunnelReassembly: TunnelFragmentReassembler.Counters { tunnelReassembler.counters }

    /// Moves packet time to `nanos` with no packet (an idle link): fires due timeouts and interim
    /// reports and ticks the sink's clock.
    public func advance(toNanos nanos: Int64) {
        advanceClock(nanos)
        if nanos > lastClockNanos {
            lastClockNanos = nanos
            sink.clock(nanos)
        }
    }

    /// End of input: reports every open flow (end reason `"shutdown"`, owed attempt outcomes as
    /// `.unanswered`) and empties the table.
    public func finish() {
        for c in TimeoutClass.allCases {
            while true {
                let head = table.activityHead[Int(c.rawValue)]
                if head == FlowTable.none { break }
                endFlow(head, reason: "shutdown")
            }
        }
        if nowNanos != .min { sink.clock(nowNanos) }
    }

    /// Advances `nowNanos`, expires flows and makes interim reports that became due, and calls
    /// `sink.clock` at least once per second of packet time.
    @inline(__always)
    func advanceClock(_ t: Int64) {
        guard t > nowNanos else { return }
        nowNanos = t
        expireDue()
        if lastClockNanos == .min || t &- lastClockNanos >= 1_000_000_000 {
            lastClockNanos = t
            sink.clock(t)
        }
    }

    /// Ends flows whose idle timeout passed and emits due interim reports, in the order of their
    /// due times, each **at** its due time (`eventNanos`), not at the packet that revealed it.
    /// So the records do not depend on which packet moved the clock: a worker of a sharded
    /// analyzer that sees only its share of the packets (``ShardedAnalytics``) fires the same
    /// events with the same times as one analyzer seeing them all.
    func expireDue() {
        let now = nowNanos
        let interval = config.interimIntervalNanos
        let classCount = UInt8(TimeoutClass.allCases.count)
        while true {
            // The earliest due event among the heads of the timeout lists and the interim list.
            var dueIndex = FlowTable.none
            var due = Int64.max
            var dueClass: UInt8 = .max  // .max: the interim list
            for raw in 0 ..< classCount {
                let head = table.activityHead[Int(raw)]
                if head == FlowTable.none { continue }
                let d = table.entries[Int(head)].lastNanos &+ timeouts[Int(raw)]
                if d < due { due = d; dueIndex = head; dueClass = raw }
            }
            if interval > 0 {
                let head = table.interimHead
                if head != FlowTable.none {
                    let d = lastReportNanos(head) &+ interval
                    if d < due { due = d; dueIndex = head; dueClass = .max }
                }
            }
            if dueIndex == FlowTable.none || due > now { break }
            eventNanos = due
            if dueClass == .max {
                emitInterim(dueIndex, at: due)
                extras(of: table.entries + Int(dueIndex)).pointee.lastReportNanos = due
                table.appendInterim(dueIndex)
            } else if TimeoutClass(rawValue: dueClass) == .tcpClosing {
                endFlow(dueIndex, reason: table.entries[Int(dueIndex)].flags.contains(.sawRST) ? "rst" : "fin")
            } else {
                storedCounters.flowsExpired &+= 1
                endFlow(dueIndex, reason: "timeout")
            }
        }
        eventNanos = .min
    }
}

extension FlowAnalyzer {
    /// The extras of flow `e`, taken from the pool on first need.
    @inline(__always)
    func extras(of e: UnsafeMutablePointer<FlowEntry>) -> UnsafeMutablePointer<FlowExtras> {
        if e.pointee.extrasSlot == FlowTable.none { e.pointee.extrasSlot = extraPool.take(startNanos: e.pointee.startNanos) }
        return extraPool[e.pointee.extrasSlot]
    }

    /// The extras of flow `e` if it has any (else every field reads as its default).
    @inline(__always)
    func existingExtras(of e: UnsafePointer<FlowEntry>) -> UnsafeMutablePointer<FlowExtras>? {
        e.pointee.extrasSlot == FlowTable.none ? nil : extraPool[e.pointee.extrasSlot]
    }

    /// The tunnel of flow `e` (nil: untunnelled).
    @inline(__always)
    func tunnel(of e: UnsafePointer<FlowEntry>) -> TunnelSummary? {
        guard let x = existingExtras(of: e) else { return nil }
        return tunnels.tunnel(x.pointee.tunnelSlot)
    }

    /// Time of the flow's last interim report (its start before the first).
    @inline(__always)
    func lastReportNanos(_ index: UInt32) -> Int64 {
        let e = table.entries + Int(index)
        return existingExtras(of: e)?.pointee.lastReportNanos ?? e.pointee.startNanos
    }

    /// Bytes one flow occupies in the table's entry array (for memory reports).
    public static var entryStride: Int { MemoryLayout<FlowEntry>.stride }
    /// Bytes of one flow's extras (``FlowExtras``), taken only by flows that need them.
    public static var extrasStride: Int { FlowExtrasPool.stride }
    /// Index bytes per flow of capacity: `UInt32` slots, a power of two ≥ 2 × capacity.
    public var indexBytes: Int { table.slotCount * MemoryLayout<UInt32>.stride }

    /// Occupancy of the flow table's side tables, for memory reports.
    public struct SideTables: Sendable {
        /// Flows holding extras now, the most at once, and their size (``extrasStride``).
        public var extras: Int
        public var peakExtras: Int
        /// Tunnelled flows now, the tunnel pool's slots (its high-water mark) and their size.
        public var tunnels: Int
        public var tunnelSlots: Int
        public var tunnelStride: Int
    }

    public var sideTables: SideTables {
        SideTables(extras: extraPool.count, peakExtras: extraPool.peak, tunnels: tunnels.count,
                   tunnelSlots: tunnels.slots.count, tunnelStride: MemoryLayout<TunnelSummary>.stride)
    }
}
