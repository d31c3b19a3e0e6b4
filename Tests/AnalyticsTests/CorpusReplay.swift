#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PacketDecoding
import PcapFormat
@testable import Analytics
import VigieTestSupport

/// Replays a capture file through a ``FlowAnalyzer`` using PcapFormat's readers (with packet
/// timestamps), stopping quietly at a damaged record as tshark does.
enum CorpusReplay {
    struct Result {
        var connections: [ConnSummary]
        var transactions: [TransactionSummary]
        var observations: [ServiceObservation]
        var counters: FlowCounters
        var packets: Int
        var unpairedHTTPResponses: UInt64
        var informationalHTTPResponses: UInt64 = 0
        var reassembly = StreamReassemblyCounters()
    }

    static func run(_ path: String, config: AnalyticsConfig) -> Result? {
        let sink = RecordingSink()
        let analyzer = FlowAnalyzer(config: config, sink: sink)
        guard let packets = forEachPacket(path, { header, bytes, linkType in
            analyzer.process(packetBytes: bytes, linkType: linkType, timestampNanos: header.timestampNanos)
        }) else { return nil }
        analyzer.finish()
        let application = analyzer.applicationAnalyzer as? StandardApplicationAnalyzer
        return Result(connections: sink.connections, transactions: sink.transactions, observations: sink.observations, counters: analyzer.counters, packets: packets,
                      unpairedHTTPResponses: application?.unpairedHTTPResponses ?? 0,
                      informationalHTTPResponses: application?.informationalHTTPResponses ?? 0,
                      reassembly: application?.reassembly ?? StreamReassemblyCounters())
    }
}

/// tshark's view of the TCP connections of a file.
struct TsharkStream {
    var index: Int
    var endpoints: Set<String> = []
    var firstIsSYN = false
    var sawSYN = false
    var sawSYNACK = false
    var sawRST = false
    /// Seconds, as tshark prints it; nil when absent.
    var initialRTT: Double?
    /// Whether the packet that carried initial_rtt was a RST (tshark then measured SYN → RST).
    var rttFromRST = false
    /// Whether tshark's initial_rtt was set before any SYN-ACK: it then measured SYN → the first
    /// ACK-bearing packet (a bare ACK or RST answering the SYN), not a handshake.
    var rttBeforeSynAck = false

    /// Runs tshark over `file`. The display filter drops TCP quoted inside ICMP errors (not a
    /// connection). Tunnelled TCP is the inner conversation, as the decoder reports it: every field
    /// is taken at its innermost occurrence (`-E occurrence=l`), and the inner network layer is
    /// whichever of `ip` / `ipv6` comes last in `frame.protocols`.
    static func load(_ file: String, tshark: String) throws -> [TsharkStream] {
        let frames = try TsharkInnermostLayer.frames(
            file: file, filter: "tcp && !icmp && !icmpv6",
            fields: ["tcp.stream", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.reset", "tcp.analysis.initial_rtt"], tshark: tshark)
        var streams: [Int: TsharkStream] = [:]
        func flag(_ s: String) -> Bool { s == "1" || s == "True" }
        for frame in frames {
            guard let index = Int(frame["tcp.stream"]) else { continue }
            var s = streams[index] ?? TsharkStream(index: index)
            let syn = flag(frame["tcp.flags.syn"]), ack = flag(frame["tcp.flags.ack"]), rst = flag(frame["tcp.flags.reset"])
            if s.endpoints.isEmpty {
                s.endpoints = [Self.endpoint(frame.source, Substring(frame["tcp.srcport"])),
                               Self.endpoint(frame.destination, Substring(frame["tcp.dstport"]))]
                s.firstIsSYN = syn && !ack
            }
            if syn && !ack { s.sawSYN = true }
            if syn && ack { s.sawSYNACK = true }
            if rst { s.sawRST = true }
            if s.initialRTT == nil, let rtt = Double(frame["tcp.analysis.initial_rtt"]) {
                s.initialRTT = rtt
                s.rttFromRST = rst
                s.rttBeforeSynAck = !s.sawSYNACK
            }
            streams[index] = s
        }
        return streams.values.sorted { $0.index < $1.index }
    }

    /// tshark's retransmission (incl. fast and spurious) and out-of-order segment counts.
    static func sequenceAnalysis(_ file: String, tshark: String) throws -> (retransmissions: Int, outOfOrder: Int) {
        let output = try TsharkInnermostLayer.output(
            ["-n", "-r", file, "-Y", "(tcp.analysis.retransmission || tcp.analysis.out_of_order) && !icmp && !icmpv6",
             "-T", "fields", "-e", "tcp.analysis.retransmission", "-e", "tcp.analysis.out_of_order"], tshark: tshark)
        var r = 0, o = 0
        for line in output.split(separator: "\n") {
            let c = line.split(separator: "\t", omittingEmptySubsequences: false)
            if c.count > 0 && !c[0].isEmpty { r += 1 } else if c.count > 1 && !c[1].isEmpty { o += 1 }
        }
        return (r, o)
    }

    static func endpoint(_ address: String, _ port: Substring) -> String {
        "\(IPAddress(address)?.description ?? address)|\(port)"
    }
}

extension ConnSummary {
    var endpointSet: Set<String> {
        [TsharkStream.endpoint(originator.description, Substring(String(originatorPort))),
         TsharkStream.endpoint(responder.description, Substring(String(responderPort)))]
    }
    func historyHas(_ letters: String) -> Bool { history.contains { letters.contains($0) } }
    var sawSYN: Bool { historyHas("Ss") }
    var sawSYNACK: Bool { historyHas("Hh") }
    var sawRST: Bool { historyHas("RrIi") }
}

/// GROUND_TRUTH.tsv: `file → metric → value`.
enum GroundTruth {
    static let values: [String: [String: Int]] = {
        guard let dir = Corpus.directory,
              let text = try? String(contentsOfFile: dir + "/GROUND_TRUTH.tsv", encoding: .utf8) else { return [:] }
        var out: [String: [String: Int]] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let c = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard c.count >= 3, let v = Int(c[2]) else { continue }
            out[String(c[0]), default: [:]][String(c[1])] = v
        }
        return out
    }()
}

extension CorpusReplay {
    /// Reads every packet of a pcap or pcapng file, in order, until its end or the first corrupt
    /// record; nil when the file is not a capture our readers accept. Returns the packet count.
    static func forEachPacket(_ path: String, _ body: (PacketHeader, UnsafeRawBufferPointer, LinkType) -> Void) -> Int? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 4)
        guard pread(fd, &magic, 4, 0) == 4 else { return nil }
        let reader: any CaptureRecordReader
        do {
            switch CaptureFileFormat.detect(magic: magic) {
            case .pcap: reader = try ClassicPcapReader(fd: fd)
            case .pcapng: reader = try PcapngReader(fd: fd)
            case .other: return nil
            }
        } catch { return nil }
        var packets = 0
        loop: while true {
            let next: NextPacket
            do { next = try reader.next() } catch { break }
            switch next {
            case .packet(let header, let bytes):
                packets += 1
                body(header, bytes, LinkType(rawValue: reader.format.linkType & 0x03FF_FFFF))
            case .timeout: continue
            case .end: break loop
            }
        }
        return packets
    }
}
