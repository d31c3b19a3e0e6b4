import PacketDecoding
@testable import Analytics
import VigieTestSupport

/// A sink that keeps everything it is told, for assertions.
final class RecordingSink: FlowEventSink {
    var connections: [ConnSummary] = []
    var transactions: [TransactionSummary] = []
    var observations: [ServiceObservation] = []
    var clocks: [Int64] = []

    func connection(_ summary: ConnSummary) { connections.append(summary) }
    func transaction(_ summary: TransactionSummary) { transactions.append(summary) }
    func observe(_ observation: ServiceObservation) { observations.append(observation) }
    func clock(_ nanos: Int64) { clocks.append(nanos) }

    var finals: [ConnSummary] { connections.filter { !$0.isInterim } }
    func kinds(excludingTraffic: Bool = true) -> [ServiceObservation.Kind] {
        observations.map(\.kind).filter { !excludingTraffic || $0 != .traffic }
    }
}

/// TCP flag bits for the builders.
enum F {
    static let fin: UInt16 = 0x01, syn: UInt16 = 0x02, rst: UInt16 = 0x04, psh: UInt16 = 0x08, ack: UInt16 = 0x10
}

/// Drives a ``FlowAnalyzer`` with hand-built packets between a client and a server.
final class Harness {
    let sink = RecordingSink()
    let analyzer: FlowAnalyzer
    var client = "10.0.0.1", server = "10.0.0.2"
    var clientPort: UInt16 = 40000, serverPort: UInt16 = 80
    /// Base time: 2026-01-01T00:00:00Z.
    static let t0: Int64 = 1_767_225_600_000_000_000

    init(config: AnalyticsConfig = AnalyticsConfig()) {
        analyzer = FlowAnalyzer(config: config, sink: sink)
    }

    func feed(_ frame: [UInt8], ms: Double, segment: Int64 = -1) {
        frame.withUnsafeBytes {
            analyzer.process(packetBytes: $0, linkType: .ethernet, timestampNanos: Self.t0 + Int64(ms * 1_000_000),
                             segmentID: segment)
        }
    }

    /// A TCP segment from the client (`fromClient`) or the server.
    func tcp(_ fromClient: Bool, _ flags: UInt16, seq: UInt32, ack: UInt32 = 0, payload: Int = 0, window: UInt16 = 65535,
             ms: Double, segment: Int64 = -1) {
        let t = Build.tcp(src: fromClient ? clientPort : serverPort, dst: fromClient ? serverPort : clientPort,
                          seq: seq, ack: ack, flags: flags, window: window,
                          payload: [UInt8](repeating: 0x41, count: payload))
        let ipPacket = Build.ipv4(src: fromClient ? client : server, dst: fromClient ? server : client, proto: 6, payload: t)
        feed(Build.ethernet(type: 0x0800) + ipPacket, ms: ms, segment: segment)
    }

    /// A UDP datagram.
    func udp(_ fromClient: Bool, payload: Int = 20, ms: Double) {
        let u = Build.udp(src: fromClient ? clientPort : serverPort, dst: fromClient ? serverPort : clientPort,
                          payload: [UInt8](repeating: 0x42, count: payload))
        let ipPacket = Build.ipv4(src: fromClient ? client : server, dst: fromClient ? server : client, proto: 17, payload: u)
        feed(Build.ethernet(type: 0x0800) + ipPacket, ms: ms)
    }

    /// Client SYN (ISN 100), server SYN-ACK (ISN 500), client ACK at the given times.
    func handshake(syn: Double = 0, synAck: Double = 10, ack: Double = 12) {
        tcp(true, F.syn, seq: 100, ms: syn)
        tcp(false, F.syn | F.ack, seq: 500, ack: 101, ms: synAck)
        tcp(true, F.ack, seq: 101, ack: 501, ms: ack)
    }

    func finish() { analyzer.finish() }
    func advance(ms: Double) { analyzer.advance(toNanos: Self.t0 + Int64(ms * 1_000_000)) }
    func only() -> ConnSummary? { sink.finals.count == 1 ? sink.finals[0] : nil }
}
