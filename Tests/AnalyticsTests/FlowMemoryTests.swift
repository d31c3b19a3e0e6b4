import Testing
import PacketDecoding
@testable import Analytics

/// Issue 18: the flow table's entry stays within its budget; the side tables (extras, application
/// state) recycle their slots, are bounded, and count what their bound refuses; packing loses
/// nothing.
@Suite struct FlowMemoryTests {
    @Test func entryLayout() {
        print("layout FlowEntry stride \(MemoryLayout<FlowEntry>.stride), FlowEndpoint \(MemoryLayout<FlowEndpoint>.stride), FlowHistory \(MemoryLayout<FlowHistory>.stride), FlowExtras \(MemoryLayout<FlowExtras>.stride), ApplicationFlowState \(MemoryLayout<ApplicationFlowState>.stride)")
        #expect(MemoryLayout<FlowEntry>.stride <= 240)
        #expect(MemoryLayout<FlowHistory>.stride == 16)
    }

    @Test func extrasPoolRecyclesSlots() {
        let pool = FlowExtrasPool(capacity: 4)
        let a = pool.take(startNanos: 7), b = pool.take(startNanos: 8)
        #expect(a != b && pool.count == 2 && pool.peak == 2)
        #expect(pool[a].pointee.lastReportNanos == 7)
        pool[a].pointee.icmpErrors = 3
        pool.release(a)
        let c = pool.take(startNanos: 9)
        #expect(c == a, "the freed slot is taken again")
        #expect(pool[c].pointee.icmpErrors == 0 && pool[c].pointee.lastReportNanos == 9, "reset on reuse")
        pool.release(FlowTable.none)
        #expect(pool.count == 2 && pool.peak == 2 && pool.taken == 3)
    }

    @Test func flowsGiveTheirExtrasBack() throws {
        let h = Harness()
        h.handshake()
        h.tcp(true, F.ack, seq: 101, ack: 501, payload: 10, ms: 20)
        h.tcp(true, F.ack, seq: 101, ack: 501, payload: 10, ms: 300)  // a retransmission
        #expect(h.analyzer.sideTables.extras == 1)
        h.tcp(true, F.fin | F.ack, seq: 111, ack: 501, ms: 400)
        h.finish()
        #expect(h.analyzer.sideTables.extras == 0 && h.analyzer.sideTables.peakExtras == 1)
        let c = try #require(h.only())
        #expect(c.originatorRetransmissions == 1 && c.history == "ShADTF")
    }

    @Test func handshakeFlowNeedsNoExtras() throws {
        let h = Harness()
        h.handshake(syn: 0, synAck: 10, ack: 12)
        #expect(h.analyzer.sideTables.extras == 0)
        h.finish()
        let c = try #require(h.only())
        #expect(c.serverRTTNanos == 10_000_000 && c.clientRTTNanos == 2_000_000)
    }

    @Test func countersCarryIntoTheExtras() throws {
        let h = Harness()
        h.handshake()
        let index = h.analyzer.table.find(Self.key(h), hash: Self.key(h).hash32)
        try #require(index != FlowTable.none)
        let e = h.analyzer.table.entries + Int(index)
        e.pointee.originator.bytesLow = UInt32.max - 9
        e.pointee.originator.packetsLow = UInt32.max
        h.tcp(true, F.ack, seq: 101, ack: 501, payload: 100, ms: 20)
        h.finish()
        let c = try #require(h.only())
        #expect(c.originatorBytes == (UInt64(1) << 32) + 90)
        #expect(c.originatorPackets == UInt64(1) << 32)
    }

    @Test func wideSegmentIDsAreKept() throws {
        let h = Harness()
        h.tcp(true, F.syn, seq: 100, ms: 0, segment: 5)
        h.tcp(false, F.syn | F.ack, seq: 500, ack: 101, ms: 10, segment: Int64(UInt32.max) + 7)
        h.finish()
        let c = try #require(h.only())
        #expect(c.firstSegment == 5 && c.lastSegment == Int64(UInt32.max) + 7)
        let n = Harness()
        n.tcp(true, F.syn, seq: 100, ms: 0, segment: 0)
        n.tcp(false, F.syn | F.ack, seq: 500, ack: 101, ms: 10, segment: Int64(UInt32.max) - 1)
        n.finish()
        let d = try #require(n.only())
        #expect(d.firstSegment == 0 && d.lastSegment == Int64(UInt32.max) - 1)
    }

    @Test func historyKeepsTwentyFourLetters() {
        var h = FlowHistory()
        let letters = Array("^ShADadFfRrIiQqTtWwCcGgHh".utf8)
        for l in letters { h.append(l) }
        #expect(Int(h.count) == FlowHistory.capacity)
        #expect(h.string == String(decoding: letters.prefix(24), as: UTF8.self))
        var s = FlowHistory()
        for l in "SR".utf8 { s.append(l) }
        #expect(s.matchesRSTOS0 && s.count == 2)
    }

    @Test func applicationStatesAreBoundedAndRefusalsCounted() throws {
        var config = AnalyticsConfig()
        config.maxApplicationFlows = 1
        let h = Harness(config: config)
        let app = try #require(h.analyzer.applicationAnalyzer as? StandardApplicationAnalyzer)
        let request = Array("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n".utf8)
        h.handshake()
        h.tcpPayload(true, seq: 101, ack: 501, request, ms: 20)
        // A second connection while the first holds the only state: tracked, not analysed.
        h.clientPort = 40001
        h.handshake(syn: 30, synAck: 31, ack: 32)
        h.tcpPayload(true, seq: 101, ack: 501, request, ms: 40)
        h.tcpPayload(true, seq: 101 + UInt32(request.count), ack: 501, request, ms: 41)
        #expect(app.flowStatesRefused == 1, "one refusal: the flow is then left alone")
        #expect(app.flowStates == 1 && app.peakFlowStates == 1)
        h.finish()
        let byPort = Dictionary(uniqueKeysWithValues: h.sink.finals.map { ($0.originatorPort, $0) })
        #expect(byPort[40000]?.application == .http && byPort[40001]?.application == ApplicationProtocol.none)
        #expect(app.flowStates == 0)
        // The state was given back: a new flow is analysed again.
        h.clientPort = 40002
        h.handshake(syn: 50, synAck: 51, ack: 52)
        h.tcpPayload(true, seq: 101, ack: 501, request, ms: 60)
        h.finish()
        #expect(h.sink.finals.last?.application == .http && app.flowStatesRefused == 1)
    }

    static func key(_ h: Harness) -> FlowKey {
        FlowKey.make(src: IPAddress(h.client)!, srcPort: h.clientPort, dst: IPAddress(h.server)!, dstPort: h.serverPort,
                     ipProtocol: 6, outerVLAN: 0, innerVLAN: 0).key
    }
}
