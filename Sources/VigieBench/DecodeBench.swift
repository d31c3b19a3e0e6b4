import ArgumentParser
import PacketDecoding

/// Per-packet decode cost alone (PacketDecoder over a capture held in memory, one reused
/// DecodedPacket): the figure a tunnel layer's cost is compared with (issue 16: one layer adds at
/// most 15 %; `encapsulate` makes the tunnelled twin of a capture).
struct DecodeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Packet decoder speed (headers only, no flow tracking) over a capture held in memory.")

    @Option(help: "Capture file (pcap or pcapng).") var pcap: String
    @Option(help: "Timed rounds (the best is reported).") var rounds = 7

    func run() throws {
        let capture = try LoadedCapture(path: pcap)
        let n = capture.offsets.count
        let linkType = LinkType(rawValue: capture.linkType)
        let offsets = capture.offsets, lengths = capture.lengths
        print("loaded \(n) packets, \(capture.bytes.count) bytes")
        var best = Double.infinity
        var checksum = 0
        var tunnelled = 0
        for _ in 1...max(1, rounds) {
            var packet = DecodedPacket()
            var sum = 0, inside = 0
            let elapsed = capture.bytes.withUnsafeBytes { all in
                let t0 = monotonicSeconds()
                for i in 0..<n {
                    PacketDecoder.decode(UnsafeRawBufferPointer(rebasing: all[offsets[i] ..< offsets[i] + lengths[i]]),
                                         linkType: linkType, into: &packet)
                    // Consume what a caller reads so nothing is optimised away.
                    sum &+= Int(packet.srcPort) &+ Int(truncatingIfNeeded: packet.src.low) &+ packet.payloadLength
                    if packet.tunnel.depth > 0 { inside &+= 1 }
                }
                return monotonicSeconds() - t0
            }
            best = min(best, elapsed)
            checksum = sum
            tunnelled = inside
        }
        print("best: \(String(format: "%.1f", best / Double(n) * 1e9)) ns/packet (\(String(format: "%.2f", Double(n) / best / 1e6)) M packets/s); \(tunnelled) packets inside a tunnel; checksum \(checksum)")
    }
}
