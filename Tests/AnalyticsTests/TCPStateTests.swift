import Testing
import PacketDecoding
@testable import Analytics
import VigieTestSupport

/// One hand-built TCP exchange and the Zeek `conn_state` / history it must produce.
enum TCPScenario: String, CaseIterable, Sendable {
    case sf, s0, rej, rsto, rstr, rstos0, rstrh, sh, shr, s1, s2, s3, oth

    func play(_ h: Harness) {
        switch self {
        case .sf:
            h.handshake()
            h.tcp(true, F.psh | F.ack, seq: 101, ack: 501, payload: 10, ms: 20)
            h.tcp(false, F.psh | F.ack, seq: 501, ack: 111, payload: 30, ms: 50)
            h.tcp(true, F.fin | F.ack, seq: 111, ack: 531, ms: 60)
            h.tcp(false, F.fin | F.ack, seq: 531, ack: 112, ms: 61)
            h.tcp(true, F.ack, seq: 112, ack: 532, ms: 62)
        case .s0:
            h.tcp(true, F.syn, seq: 100, ms: 0)
        case .rej:
            h.tcp(true, F.syn, seq: 100, ms: 0)
            h.tcp(false, F.rst | F.ack, seq: 0, ack: 101, ms: 1)
        case .rsto:
            h.handshake()
            h.tcp(true, F.rst | F.ack, seq: 101, ack: 501, ms: 20)
        case .rstr:
            h.handshake()
            h.tcp(false, F.rst, seq: 501, ms: 20)
        case .rstos0:
            h.tcp(true, F.syn, seq: 100, ms: 0)
            h.tcp(true, F.rst, seq: 101, ms: 5)
        case .rstrh:
            h.tcp(false, F.syn | F.ack, seq: 500, ack: 101, ms: 0)
            h.tcp(false, F.rst, seq: 501, ms: 5)
        case .sh:
            h.tcp(true, F.syn, seq: 100, ms: 0)
            h.tcp(true, F.fin, seq: 101, ms: 5)
        case .shr:
            h.tcp(false, F.syn | F.ack, seq: 500, ack: 101, ms: 0)
            h.tcp(false, F.fin | F.ack, seq: 501, ack: 101, ms: 5)
        case .s1:
            h.handshake()
        case .s2:
            h.handshake()
            h.tcp(true, F.fin | F.ack, seq: 101, ack: 501, ms: 20)
        case .s3:
            h.handshake()
            h.tcp(false, F.fin | F.ack, seq: 501, ack: 101, ms: 20)
        case .oth:
            h.tcp(true, F.psh | F.ack, seq: 7000, ack: 9000, payload: 5, ms: 0)
            h.tcp(false, F.psh | F.ack, seq: 9000, ack: 7005, payload: 5, ms: 1)
        }
    }

    var expected: (state: String, history: String) {
        switch self {
        case .sf: ("SF", "ShADdFf")
        case .s0: ("S0", "S")
        case .rej: ("REJ", "Sr")
        case .rsto: ("RSTO", "ShAR")
        case .rstr: ("RSTR", "ShAr")
        case .rstos0: ("RSTOS0", "SR")
        case .rstrh: ("RSTRH", "^hr")
        case .sh: ("SH", "SF")
        case .shr: ("SHR", "^hf")
        case .s1: ("S1", "ShA")
        case .s2: ("S2", "ShAF")
        case .s3: ("S3", "ShAf")
        case .oth: ("OTH", "Dd")
        }
    }
}

@Suite struct TCPStateTests {
    @Test(arguments: TCPScenario.allCases)
    func connStateAndHistory(_ scenario: TCPScenario) throws {
        let h = Harness()
        scenario.play(h)
        h.finish()
        let c = try #require(h.only())
        #expect(c.connState == scenario.expected.state)
        #expect(c.history == scenario.expected.history)
        #expect(c.transport == .tcp)
    }

    @Test func sfRecordDetails() throws {
        let h = Harness()
        TCPScenario.sf.play(h)
        // Closing linger (5 s) then the record is emitted with reason "fin".
        h.advance(ms: 62 + 5_001)
        let c = try #require(h.only())
        #expect(c.endReason == "fin")
        #expect(c.originator == ip("10.0.0.1") && c.originatorPort == 40000)
        #expect(c.responder == ip("10.0.0.2") && c.responderPort == 80)
        #expect(c.serverRTTNanos == 10_000_000)
        #expect(c.clientRTTNanos == 2_000_000)
        #expect(c.responseTimeNanos == 30_000_000)
        #expect(c.originatorPackets == 5 && c.responderPackets == 3)
        #expect(c.originatorBytes == 10 && c.responderBytes == 30)
        #expect(c.originatorIPBytes == 5 * 40 + 10)
        #expect(h.sink.kinds() == [.attempt, .established])
        let est = try #require(h.sink.observations.first { $0.kind == .established })
        #expect(est.latencyNanos == 10_000_000)
        #expect(est.service.id == "10.0.0.2:80/tcp")
        let traffic = h.sink.observations.filter { $0.kind == .traffic }
        #expect(traffic.count == 1 && traffic.first?.bytesToServer == 10 && traffic.first?.bytesToClient == 30)
    }

    @Test func outcomesPerScenario() {
        let cases: [(TCPScenario, [ServiceObservation.Kind])] = [
            (.s0, [.attempt, .unanswered]), (.rej, [.attempt, .refused]), (.rsto, [.attempt, .established, .reset]),
            (.rstr, [.attempt, .established, .reset]), (.rstos0, [.attempt, .unanswered]), (.oth, []),
        ]
        for (scenario, kinds) in cases {
            let h = Harness()
            scenario.play(h)
            h.finish()
            #expect(h.sink.kinds() == kinds, "\(scenario)")
        }
    }

    @Test func unansweredSYNTimesOut() throws {
        let h = Harness()
        h.tcp(true, F.syn, seq: 100, ms: 0)
        h.tcp(true, F.syn, seq: 100, ms: 1000)  // retransmitted SYN, same ISN
        h.advance(ms: 5999)
        #expect(h.sink.finals.isEmpty)
        h.advance(ms: 6000)
        let c = try #require(h.only())
        #expect(c.connState == "S0" && c.endReason == "timeout" && c.history == "S")
        #expect(c.originatorRetransmissions == 1)
        #expect(h.sink.kinds() == [.attempt, .unanswered])
        #expect(h.analyzer.counters.flowsExpired == 1)
    }

    @Test func establishedIdleTimeoutAndClock() throws {
        var config = AnalyticsConfig()
        config.tcpIdleTimeoutNanos = 10_000_000_000
        let h = Harness(config: config)
        h.handshake()
        h.advance(ms: 9_000)
        #expect(h.sink.finals.isEmpty)
        h.advance(ms: 10_013)
        #expect(h.only()?.endReason == "timeout")
        #expect(h.only()?.connState == "S1")
        // The clock ticks at least once per second of packet time.
        #expect(h.sink.clocks.count >= 2)
    }

    @Test func retransmissionOutOfOrderZeroWindow() throws {
        let h = Harness()
        h.handshake()
        h.tcp(true, F.ack, seq: 101, ack: 501, payload: 100, ms: 20)
        h.tcp(true, F.ack, seq: 101, ack: 501, payload: 100, ms: 320)  // retransmitted after 300 ms
        h.tcp(false, F.ack, seq: 501, ack: 201, payload: 0, window: 0, ms: 330)  // zero window
        // Out of order: 301..<401 then 201..<301 within a millisecond.
        h.tcp(true, F.ack, seq: 301, ack: 501, payload: 100, ms: 400)
        h.tcp(true, F.ack, seq: 201, ack: 501, payload: 100, ms: 400.5)
        h.finish()
        let c = try #require(h.only())
        #expect(c.originatorRetransmissions == 1)
        #expect(c.originatorOutOfOrder == 1)
        #expect(c.responderZeroWindows == 1)
        #expect(c.history == "ShADTaw")
    }

    /// tshark 4.0's verdicts on the same exchanges (checked with captures built to match, same
    /// sequence numbers and times): fast retransmission only within 20 ms of the duplicate ACKs,
    /// changing windows are no duplicate ACKs, a zero-window probe does not move the sequence on,
    /// an already acknowledged segment is a (spurious) retransmission even if it moves the sequence
    /// on, a pure ACK moves it on, and more than one byte at next − 1 is new data.
    @Test(arguments: [
        ("fast retransmission 10 ms after the duplicate ACKs", 1, 0),
        ("30 ms after: out of order", 0, 1),
        ("window updates are no duplicate ACKs", 0, 1),
        ("zero-window probe", 0, 0),
        ("spurious retransmission", 1, 0),
        ("pure ACK past a gap", 1, 0),
        ("more than one byte at next - 1", 0, 0),
    ])
    func wiresharkSequenceRules(_ name: String, retransmissions: Int, outOfOrder: Int) throws {
        let h = Harness()
        func burstThenDuplicateAcks(windows: [UInt16]) {
            h.handshake(syn: 0, synAck: 50, ack: 100)  // RTT 100 ms
            for i in 0..<3 { h.tcp(true, F.ack, seq: 101 + UInt32(i) * 100, ack: 501, payload: 100, ms: 200 + Double(i)) }
            for (i, w) in windows.enumerated() { h.tcp(false, F.ack, seq: 501, ack: 101, window: w, ms: 250 + Double(i)) }
        }
        switch name {
        case "fast retransmission 10 ms after the duplicate ACKs":
            burstThenDuplicateAcks(windows: [65535, 65535, 65535])
            h.tcp(true, F.ack, seq: 101, ack: 501, payload: 100, ms: 262)
        case "30 ms after: out of order":
            burstThenDuplicateAcks(windows: [65535, 65535, 65535])
            h.tcp(true, F.ack, seq: 101, ack: 501, payload: 100, ms: 282)
        case "window updates are no duplicate ACKs":
            burstThenDuplicateAcks(windows: [900, 800, 700])
            h.tcp(true, F.ack, seq: 101, ack: 501, payload: 100, ms: 255)
        case "zero-window probe":
            h.handshake()
            h.tcp(true, F.ack, seq: 101, ack: 501, payload: 100, ms: 20)
            h.tcp(false, F.ack, seq: 501, ack: 201, window: 0, ms: 21)
            h.tcp(true, F.ack, seq: 201, ack: 501, payload: 1, ms: 30)  // probe
            h.tcp(false, F.ack, seq: 501, ack: 201, window: 0, ms: 31)
            h.tcp(false, F.ack, seq: 501, ack: 201, window: 1000, ms: 40)
            h.tcp(true, F.ack, seq: 201, ack: 501, payload: 100, ms: 41)  // the probed byte again, and more
        case "spurious retransmission":
            h.handshake()
            h.tcp(true, F.ack, seq: 101, ack: 501, payload: 100, ms: 20)
            h.tcp(false, F.ack, seq: 501, ack: 301, ms: 30)  // acknowledges 201..<301, not captured yet
            h.tcp(true, F.ack, seq: 301, ack: 501, payload: 100, ms: 40)
            h.tcp(true, F.ack, seq: 201, ack: 501, payload: 100, ms: 100)
        case "pure ACK past a gap":
            h.handshake()
            h.tcp(true, F.ack, seq: 101, ack: 501, payload: 100, ms: 20)
            h.tcp(true, F.ack, seq: 301, ack: 501, ms: 30)
            h.tcp(true, F.ack, seq: 201, ack: 501, payload: 100, ms: 100)
        default:
            h.handshake()
            h.tcp(true, F.ack, seq: 101, ack: 501, payload: 100, ms: 20)
            h.tcp(true, F.ack, seq: 200, ack: 501, payload: 100, ms: 100)
        }
        h.finish()
        let c = try #require(h.only())
        #expect(Int(c.originatorRetransmissions) == retransmissions, "\(name)")
        #expect(Int(c.originatorOutOfOrder) == outOfOrder, "\(name)")
    }

    /// An endpoint keeps its hot fields only (the rest is in the extras): 48 bytes.
    @Test func endpointStride() {
        #expect(MemoryLayout<FlowEndpoint>.stride == 48)
    }

    @Test func retransmissionLettersAreLogarithmic() throws {
        let h = Harness()
        h.handshake()
        h.tcp(true, F.ack, seq: 101, ack: 501, payload: 10, ms: 20)
        for i in 0..<10 { h.tcp(true, F.ack, seq: 101, ack: 501, payload: 10, ms: 100 + Double(i) * 100) }
        h.finish()
        let c = try #require(h.only())
        #expect(c.originatorRetransmissions == 10)
        #expect(c.history == "ShADTT")
    }

    @Test func synReuseWithNewISNStartsNewFlow() throws {
        let h = Harness()
        TCPScenario.sf.play(h)
        h.tcp(true, F.syn, seq: 9_000, ms: 100)  // same 5-tuple, new ISN, within the linger
        h.tcp(false, F.syn | F.ack, seq: 7_000, ack: 9_001, ms: 101)
        h.finish()
        #expect(h.sink.finals.count == 2)
        #expect(h.sink.finals.first?.endReason == "reused")
        #expect(h.sink.finals.first?.connState == "SF")
        #expect(h.sink.finals.last?.connState == "S1")
        #expect(h.analyzer.counters.flowsReused == 1)
    }

    @Test func segmentsAreRecorded() throws {
        let h = Harness()
        h.tcp(true, F.syn, seq: 100, ms: 0, segment: 7)
        h.tcp(false, F.syn | F.ack, seq: 500, ack: 101, ms: 1, segment: 8)
        h.tcp(true, F.ack, seq: 101, ack: 501, ms: 2, segment: 9)
        h.finish()
        let c = try #require(h.only())
        #expect(c.firstSegment == 7 && c.lastSegment == 9)
    }

    @Test func hostileSequenceNumbersDoNotTrap() {
        let h = Harness()
        let seqs: [UInt32] = [.max, 0, .max - 1, 1, 0x8000_0000, 0x7FFF_FFFF]
        for (i, s) in seqs.enumerated() {
            h.tcp(i % 2 == 0, F.ack | F.psh, seq: s, ack: s &+ 5, payload: 1400, ms: Double(i))
            h.tcp(true, F.syn | F.fin | F.rst | F.ack, seq: s, ms: Double(i) + 0.5)
        }
        h.finish()
        #expect(h.sink.finals.count >= 1)
    }
}
