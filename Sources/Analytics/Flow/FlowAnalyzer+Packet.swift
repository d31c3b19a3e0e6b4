import PacketDecoding

extension FlowAnalyzer {
    /// Routes one IP packet: non-first fragments to the flow of their first fragment, ICMP errors
    /// to the flow they quote, everything else to its own flow.
    @inline(__always)
    func track(_ p: DecodedPacket, bytes: UnsafeRawBufferPointer, t: Int64, segment: Int64) {
        if p.fragment.isNonFirst {
            trackNonFirstFragment(p, t: t, segment: segment)
            return
        }
        if (p.transport == .icmp || p.transport == .icmpv6) && p.quoted.isPresent, attributeICMPError(p, t: t, segment: segment) {
            return
        }
        let transport = Self.transport(of: p)
        let ports = transport == .tcp || transport == .udp || transport == .sctp
        let tenantKey = tenant(of: p)
        let (key, fromA) = FlowKey.make(src: p.src, srcPort: ports ? p.srcPort : 0, dst: p.dst, dstPort: ports ? p.dstPort : 0,
                                        ipProtocol: p.ipProtocol, outerVLAN: p.vlanCount > 0 ? p.outerVLAN : 0,
                                        innerVLAN: p.vlanCount > 1 ? p.innerVLAN : 0, tenant: tenantKey)
        let hash = key.hash32
        var index = table.find(key, hash: hash)
        if index != FlowTable.none, transport == .tcp, isReuse(index, p, fromA: fromA) {
            storedCounters.flowsReused &+= 1
            endFlow(index, reason: "reused")
            index = FlowTable.none
        }
        if index == FlowTable.none {
            index = createFlow(key, hash: hash, fromA: fromA, transport: transport, p, t: t)
            if index == FlowTable.none { return }
        }
        let e = table.entries + Int(index)
        let isOrig = fromA == e.pointee.originatorIsA
        account(e, isOrig: isOrig, p, t: t, segment: segment)
        if p.fragment.isFragment {
            extras(of: e).pointee.fragments &+= 1
            fragments.remember(p, key: key, fromA: fromA, nanos: t)
        }
        switch transport {
        case .tcp: trackTCP(index, isOrig: isOrig, p, bytes: bytes, t: t)
        case .icmp, .icmpv6: table.touch(index, class: .icmp)
        default: trackDatagram(index, isOrig: isOrig, p, bytes: bytes, t: t)
        }
    }

    static func transport(of p: DecodedPacket) -> FlowTransport {
        switch p.transport {
        case .tcp: .tcp
        case .udp: .udp
        case .sctp: .sctp
        case .icmp: .icmp
        case .icmpv6: .icmpv6
        default:
            // A packet cut before its ports (truncatedTransport) keeps its protocol's flow only if
            // the ports were read; otherwise it is an "other" flow of that protocol number.
            .other
        }
    }

    /// Packet, byte and segment accounting common to every transport.
    @inline(__always)
    func account(_ e: UnsafeMutablePointer<FlowEntry>, isOrig: Bool, _ p: DecodedPacket, t: Int64, segment: Int64) {
        let payload = UInt64(max(0, p.payloadWireLength))
        let ipBytes = UInt64(max(0, p.payloadOffset - p.networkOffset)) &+ payload
        let payload32 = UInt32(truncatingIfNeeded: payload), ip32 = UInt32(truncatingIfNeeded: ipBytes)
        let c0: Bool, c1: Bool, c2: Bool
        if isOrig {
            (e.pointee.originator.packetsLow, c0) = e.pointee.originator.packetsLow.addingReportingOverflow(1)
            (e.pointee.originator.bytesLow, c1) = e.pointee.originator.bytesLow.addingReportingOverflow(payload32)
            (e.pointee.originator.ipBytesLow, c2) = e.pointee.originator.ipBytesLow.addingReportingOverflow(ip32)
        } else {
            (e.pointee.responder.packetsLow, c0) = e.pointee.responder.packetsLow.addingReportingOverflow(1)
            (e.pointee.responder.bytesLow, c1) = e.pointee.responder.bytesLow.addingReportingOverflow(payload32)
            (e.pointee.responder.ipBytesLow, c2) = e.pointee.responder.ipBytesLow.addingReportingOverflow(ip32)
        }
        if c0 || c1 || c2 || ipBytes >> 32 != 0 {
            carry(e, isOrig: isOrig, packets: c0, bytes: c1, ipBytes: c2, payloadHigh: payload >> 32, ipBytesHigh: ipBytes >> 32)
        }
        if t > e.pointee.lastNanos { e.pointee.lastNanos = t }
        if segment >= 0 { recordSegment(e, segment) }
        storedCounters.flowPackets &+= 1
    }

    /// A counter passed 2^32: the high halves, in the extras (wrapping at 2^64, as the counters did).
    @inline(never)
    func carry(_ e: UnsafeMutablePointer<FlowEntry>, isOrig: Bool, packets: Bool, bytes: Bool, ipBytes: Bool,
               payloadHigh: UInt64, ipBytesHigh: UInt64) {
        withEndpointExtras(e, isOrig) { x in
            x.packetsHigh &+= packets ? 1 : 0
            x.bytesHigh &+= UInt32(truncatingIfNeeded: payloadHigh) &+ (bytes ? 1 : 0)
            x.ipBytesHigh &+= UInt32(truncatingIfNeeded: ipBytesHigh) &+ (ipBytes ? 1 : 0)
        }
    }

    /// The flow's first and last store segment: 32 bits in the entry, or both in the extras once
    /// an id does not fit.
    @inline(__always)
    func recordSegment(_ e: UnsafeMutablePointer<FlowEntry>, _ segment: Int64) {
        if segment < Int64(UInt32.max), !e.pointee.flags.contains(.wideSegments) {
            let id = UInt32(truncatingIfNeeded: segment) &+ 1
            if e.pointee.firstSegmentPlusOne == 0 { e.pointee.firstSegmentPlusOne = id }
            e.pointee.lastSegmentPlusOne = id
            return
        }
        let x = extras(of: e)
        if !e.pointee.flags.contains(.wideSegments) {
            x.pointee.firstSegment = Int64(e.pointee.firstSegmentPlusOne) - 1
            x.pointee.lastSegment = Int64(e.pointee.lastSegmentPlusOne) - 1
            e.pointee.flags.insert(.wideSegments)
        }
        if x.pointee.firstSegment < 0 { x.pointee.firstSegment = segment }
        x.pointee.lastSegment = segment
    }

    /// The flow's first and last store segment (-1: none).
    func segments(_ e: UnsafePointer<FlowEntry>) -> (first: Int64, last: Int64) {
        if e.pointee.flags.contains(.wideSegments), let x = existingExtras(of: e) {
            return (x.pointee.firstSegment, x.pointee.lastSegment)
        }
        return (Int64(e.pointee.firstSegmentPlusOne) - 1, Int64(e.pointee.lastSegmentPlusOne) - 1)
    }

    /// The exact packet and byte counts of one side of flow `e`.
    @inline(__always)
    func counts(_ e: UnsafePointer<FlowEntry>, isOrig: Bool) -> (packets: UInt64, bytes: UInt64, ipBytes: UInt64) {
        let ep = isOrig ? e.pointee.originator : e.pointee.responder
        var c = (packets: UInt64(ep.packetsLow), bytes: UInt64(ep.bytesLow), ipBytes: UInt64(ep.ipBytesLow))
        if let x = existingExtras(of: e) {
            let h = isOrig ? x.pointee.originator : x.pointee.responder
            c.packets |= UInt64(h.packetsHigh) << 32
            c.bytes |= UInt64(h.bytesHigh) << 32
            c.ipBytes |= UInt64(h.ipBytesHigh) << 32
        }
        return c
    }

    /// Creates the flow of a packet not matching any; evicts the longest-idle flow when full.
    /// Returns `FlowTable.none` when a shared budget is spent and this worker has no flow to
    /// evict (the packet is counted in ``FlowCounters/untrackedPackets``).
    func createFlow(_ key: FlowKey, hash: UInt32, fromA: Bool, transport: FlowTransport, _ p: DecodedPacket, t: Int64) -> UInt32 {
        if let budget, !budget.take() {
            let victim = table.oldestIdle()
            guard victim != FlowTable.none else {
                storedCounters.untrackedPackets &+= 1
                return FlowTable.none
            }
            storedCounters.flowsEvicted &+= 1
            endFlow(victim, reason: "evicted")
            budget.force()
        }
        if table.isFull {
            let victim = table.oldestIdle()
            if victim != FlowTable.none {
                storedCounters.flowsEvicted &+= 1
                endFlow(victim, reason: "evicted")
            }
        }
        let index = table.insert(key, hash: hash)
        let e = table.entries + Int(index)
        e.pointee.transport = transport
        e.pointee.flowID = nextFlowID
        nextFlowID &+= config.shard.flowIDStride
        e.pointee.startNanos = t
        e.pointee.lastNanos = t
        e.pointee.originatorIsA = fromA
        var flip = false
        switch transport {
        case .tcp:
            // The SYN sender is the originator: a first packet that is a SYN-ACK comes from the
            // responder (Zeek flips and marks the history with '^'). Midstream (no SYN), a first
            // packet from a well-known port to an ephemeral one is the server talking.
            let syn = p.tcp.flags.contains(.syn)
            flip = syn ? p.tcp.flags.contains(.ack) : (p.srcPort < 1024 && p.dstPort >= 1024)
        case .udp, .sctp:
            // A first datagram from a well-known port to an ephemeral one is most likely a reply
            // whose request was not seen (Zeek's likely-server-port heuristic, simplified).
            flip = p.srcPort < 1024 && p.dstPort >= 1024
        case .icmp, .icmpv6:
            e.pointee.setICMP(type: p.icmpType, code: p.icmpCode)
        case .other:
            break
        }
        if flip {
            e.pointee.originatorIsA = !fromA
            e.pointee.flags.insert(.flipped)
            e.pointee.history.append(UInt8(ascii: "^"))
        }
        if p.tunnel.layers.rawValue != 0,
           let tunnel = TunnelAnalyticsConfig.summary(of: p.tunnel, tenant: TenantKey(rawValue: key.tenant),
                                                       reversed: (fromA != e.pointee.originatorIsA)) {
            extras(of: e).pointee.tunnelSlot = tunnels.store(tunnel)
        }
        table.appendInterim(index)
        storedCounters.flowsCreated &+= 1
        if transport == .udp || transport == .sctp, !flip {
            e.pointee.flags.insert([.attemptPending, .attemptEmitted])
            observe(.attempt, e, t: t)
        }
        return index
    }

    /// A later fragment: counted in the flow of its datagram's first fragment.
    func trackNonFirstFragment(_ p: DecodedPacket, t: Int64, segment: Int64) {
        guard let (key, fromA) = fragments.lookup(p, tenant: tenant(of: p), nanos: t) else {
            storedCounters.orphanFragments &+= 1
            return
        }
        let index = table.find(key, hash: key.hash32)
        guard index != FlowTable.none else {
            storedCounters.orphanFragments &+= 1
            return
        }
        let e = table.entries + Int(index)
        account(e, isOrig: fromA == e.pointee.originatorIsA, p, t: t, segment: segment)
        extras(of: e).pointee.fragments &+= 1
        table.touch(index, class: e.pointee.timeoutClass)
    }

    /// An ICMP error quoting a known flow: counted there; an unreachable answering an attempt
    /// refuses it. Returns false when the quoted flow is unknown (the caller then tracks the
    /// packet as an ICMP flow).
    func attributeICMPError(_ p: DecodedPacket, t: Int64, segment: Int64) -> Bool {
        let q = p.quoted
        let ports = q.hasPorts && (q.ipProtocol == 6 || q.ipProtocol == 17 || q.ipProtocol == 132)
        let (key, _) = FlowKey.make(src: q.src, srcPort: ports ? q.srcPort : 0, dst: q.dst, dstPort: ports ? q.dstPort : 0,
                                    ipProtocol: q.ipProtocol, outerVLAN: p.vlanCount > 0 ? p.outerVLAN : 0,
                                    innerVLAN: p.vlanCount > 1 ? p.innerVLAN : 0,
                                    tenant: tenant(of: p))
        let index = table.find(key, hash: key.hash32)
        guard index != FlowTable.none else {
            storedCounters.icmpErrorsUnattributed &+= 1
            return false
        }
        storedCounters.icmpErrorsAttributed &+= 1
        let e = table.entries + Int(index)
        extras(of: e).pointee.icmpErrors &+= 1
        if t > e.pointee.lastNanos { e.pointee.lastNanos = t }
        if segment >= 0 { recordSegment(e, segment) }
        let unreachable = (p.transport == .icmp && p.icmpType == 3) || (p.transport == .icmpv6 && p.icmpType == 1)
        if unreachable, e.pointee.flags.contains(.attemptPending) {
            e.pointee.flags.remove(.attemptPending)
            e.pointee.flags.insert(.refusedByICMP)
            observe(.refused, e, t: t)
        }
        table.touch(index, class: e.pointee.timeoutClass)
        return true
    }

    /// Emits a service observation about flow `e`.
    @inline(__always)
    func observe(_ kind: ServiceObservation.Kind, _ e: UnsafeMutablePointer<FlowEntry>, t: Int64, latency: Int64 = -1) {
        sink.observe(ServiceObservation(kind: kind, timeNanos: t, client: e.pointee.originatorAddress,
                                        service: e.pointee.service, application: e.pointee.application,
                                        latencyNanos: latency, tunnel: tunnel(of: e)))
    }
}
