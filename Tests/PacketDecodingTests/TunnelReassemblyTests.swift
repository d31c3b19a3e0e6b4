import Foundation
import PacketDecoding
import Testing
import VigieTestSupport

/// Outer IP reassembly before tunnel decoding, against tshark with its default reassembly
/// (`ip.defragment` and `ipv6.defragment` TRUE): tshark reports the inner packet on the frame that
/// completes a datagram, and so must the reassembler.
@Suite("Tunnel fragment reassembly")
struct TunnelReassemblyTests {
    /// One frame as the caller of the reassembler sees it: the inner packet when the frame carried or
    /// completed one, else nothing (a fragment still waiting).
    struct Seen: Equatable, CustomStringConvertible {
        var src: String, dst: String, srcPort: UInt16, dstPort: UInt16
        var description: String { "\(src):\(srcPort) > \(dst):\(dstPort)" }
    }

    static func decodeWithReassembly(_ path: String, limits: TunnelFragmentReassembler.Limits = .init())
        -> (frames: [Int: Seen], counters: TunnelFragmentReassembler.Counters)
    {
        guard let capture = TestCaptureReader(contentsOf: path) else { return ([:], .init()) }
        let reassembler = TunnelFragmentReassembler(limits: limits)
        var packet = DecodedPacket(), inner = DecodedPacket()
        var frames: [Int: Seen] = [:]
        for (index, frame) in capture.packets.enumerated() {
            frame.bytes.withUnsafeBytes { bytes in
                PacketDecoder.decode(bytes, linkType: frame.linkType, into: &packet)
                if TunnelFragmentReassembler.wants(packet) {
                    reassembler.add(bytes, packet, timeNanos: Int64(index) * 1_000_000, into: &inner) { _, whole in
                        frames[index + 1] = Seen(whole)
                    }
                } else {
                    frames[index + 1] = Seen(packet)
                }
            }
        }
        return (frames, reassembler.counters)
    }

    @Test("zeek_erspan.pcap: the inner packets of fragmented GRE equal tshark's, on the completing frames",
          .enabled(if: Corpus.directory != nil && Corpus.tshark != nil, "corpus or tshark absent: skipped"))
    func erspanCorpus() throws {
        let path = Corpus.directory! + "/zeek_erspan.pcap"
        let (ours, counters) = Self.decodeWithReassembly(path)
        let tshark = try Self.tsharkInnermost(path)
        #expect(counters.fragments == 55, "the capture holds 55 outer fragments")
        #expect(counters.reassembled == 16 && counters.expired == 0 && counters.malformed == 0)
        var compared = 0, completing = 0
        for (frame, theirs) in tshark {
            // tshark names the last IP layer it saw; on frames whose innermost packet is ARP that is
            // the outer one, which is not what we compare.
            guard let mine = ours[frame], theirs.innermostIsIP else { continue }
            #expect(mine == theirs.seen, "frame \(frame)")
            compared += 1
            if theirs.reassembled { completing += 1 }
        }
        #expect(compared > 200 && completing == 16, "compared \(compared), completing \(completing)")
        // Frames that only wait for more fragments have no packet yet, as in tshark.
        #expect(ours.count == tshark.count, "frames with a packet: \(ours.count) of ours, \(tshark.count) of tshark's")
    }

    @Test("Bounds: datagrams beyond the cap are evicted, incomplete ones expire, all counted")
    func bounds() throws {
        var limits = TunnelFragmentReassembler.Limits()
        limits.maxDatagrams = 2
        limits.timeoutNanos = 1_000
        let reassembler = TunnelFragmentReassembler(limits: limits)
        var packet = DecodedPacket(), inner = DecodedPacket()
        var completed = 0
        // First fragments (more fragments set) of GRE datagrams with ids 1...5, never completed.
        for id in 1...5 {
            let frame = Self.ipv4Fragment(id: UInt16(id), offsetWords: 0, more: true, payload: [UInt8](repeating: 0xAB, count: 16))
            frame.withUnsafeBytes { bytes in
                PacketDecoder.decode(bytes, linkType: .raw, into: &packet)
                #expect(TunnelFragmentReassembler.wants(packet))
                reassembler.add(bytes, packet, timeNanos: Int64(id) * 100, into: &inner) { _, _ in completed += 1 }
            }
        }
        #expect(completed == 0)
        #expect(reassembler.counters.evicted == 3, "two datagrams held at most")
        // Much later: the two held ones expire when the next fragment arrives.
        let late = Self.ipv4Fragment(id: 9, offsetWords: 2, more: false, payload: [1, 2, 3, 4])
        late.withUnsafeBytes { bytes in
            PacketDecoder.decode(bytes, linkType: .raw, into: &packet)
            reassembler.add(bytes, packet, timeNanos: 1_000_000, into: &inner) { _, _ in completed += 1 }
        }
        #expect(reassembler.counters.expired == 2 && completed == 0)
    }

    @Test("Repeated and overlapping fragments count once against the byte cap; what is held never passes it")
    func byteCap() {
        var limits = TunnelFragmentReassembler.Limits()
        limits.maxBytes = 64
        let reassembler = TunnelFragmentReassembler(limits: limits)
        var packet = DecodedPacket(), inner = DecodedPacket()
        func add(offsetWords: UInt16) {
            let frame = Self.ipv4Fragment(id: 1, offsetWords: offsetWords, more: true, payload: [UInt8](repeating: 1, count: 16))
            frame.withUnsafeBytes { bytes in
                PacketDecoder.decode(bytes, linkType: .raw, into: &packet)
                reassembler.add(bytes, packet, timeNanos: 0, into: &inner) { _, _ in Issue.record("nothing completes") }
            }
        }
        for _ in 0 ..< 10 { add(offsetWords: 0) }
        #expect(reassembler.bytesHeld == 16 && reassembler.counters.overlaps == 9)
        // 16-byte chunks at 16, 32, 48 fill the cap; the next one would pass it: the datagram goes.
        for chunk in 1 ... 4 { add(offsetWords: UInt16(chunk * 2)) }
        #expect(reassembler.bytesHeld == 0 && reassembler.counters.evicted == 1)
        for chunk in 5 ... 6 { add(offsetWords: UInt16(chunk * 2)) }
        #expect(reassembler.bytesHeld == 32)
    }

    @Test("A GRE datagram cut into three fragments, delivered out of order, yields its inner packet once")
    func outOfOrder() throws {
        // GRE (IPv4 payload) carrying an IPv4/UDP packet 10.9.0.1:53 > 10.9.0.2:5353, 24 payload bytes.
        var inner: [UInt8] = [0x45, 0, 0, 52, 0, 1, 0, 0, 64, 17, 0, 0, 10, 9, 0, 1, 10, 9, 0, 2]
        inner += [0, 53, 0x14, 0xE9, 0, 32, 0, 0] + [UInt8](repeating: 7, count: 24)
        let gre: [UInt8] = [0, 0, 0x08, 0x00] + inner  // 56 bytes
        let parts = [(0, Array(gre[0..<24]), true), (3, Array(gre[24..<48]), true), (6, Array(gre[48...]), false)]
        let reassembler = TunnelFragmentReassembler()
        var packet = DecodedPacket(), whole = DecodedPacket()
        var results: [String] = []
        for index in [2, 0, 1] {
            let (offset, payload, more) = parts[index]
            let frame = Self.ipv4Fragment(id: 77, offsetWords: UInt16(offset), more: more, payload: payload)
            frame.withUnsafeBytes { bytes in
                PacketDecoder.decode(bytes, linkType: .raw, into: &packet)
                reassembler.add(bytes, packet, timeNanos: 0, into: &whole) { _, p in
                    results.append("\(p.src):\(p.srcPort) > \(p.dst):\(p.dstPort) \(p.tunnel.layers.contains(.gre)) \(p.tunnel.outerSrc) \(p.payloadLength)")
                }
            }
        }
        #expect(results == ["10.9.0.1:53 > 10.9.0.2:5353 true 192.0.2.1 24"])
        #expect(reassembler.bytesHeld == 0)
    }

    /// A raw IPv4 fragment of protocol 47 from 192.0.2.1 to 192.0.2.2.
    static func ipv4Fragment(id: UInt16, offsetWords: UInt16, more: Bool, payload: [UInt8]) -> [UInt8] {
        let total = 20 + payload.count
        let flags = (more ? 0x2000 : 0) | offsetWords
        return [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), UInt8(id >> 8), UInt8(id & 0xFF),
                UInt8(flags >> 8), UInt8(flags & 0xFF), 64, 47, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2] + payload
    }

    struct TsharkFrame {
        var seen: Seen
        var innermostIsIP: Bool
        var reassembled: Bool
    }

    /// tshark's innermost IP layer per frame (`-E occurrence=l`), with its default reassembly.
    static func tsharkInnermost(_ path: String) throws -> [Int: TsharkFrame] {
        let frames = try TsharkInnermostLayer.frames(file: path, options: ["-o", "ip.defragment:TRUE"],
                                                     fields: ["frame.number", "ip.flags.mf", "ip.frag_offset", "ip.fragment.count"])
        var result: [Int: TsharkFrame] = [:]
        for frame in frames {
            guard let number = Int(frame["frame.number"]) else { continue }
            let mf = frame["ip.flags.mf"], reassembly = frame["ip.fragment.count"]
            // A fragment that does not complete its datagram: its last IP layer is the fragment
            // itself (more fragments, or an offset), and it names no reassembly.
            if (mf == "1" || mf == "True" || (Int(frame["ip.frag_offset"]) ?? 0) > 0) && reassembly.isEmpty { continue }
            let protocols = frame.protocols
            let lastIP = protocols.lastIndex { $0 == "ip" || $0 == "ipv6" }
            let lastLink = protocols.lastIndex { $0 == "eth" }
            let innermostIsIP = lastIP != nil && (lastLink == nil || lastIP! > lastLink!)
            let seen = Seen(src: frame.source, dst: frame.destination,
                            srcPort: frame.sourcePort ?? 0, dstPort: frame.destinationPort ?? 0)
            result[number] = TsharkFrame(seen: seen, innermostIsIP: innermostIsIP, reassembled: !reassembly.isEmpty)
        }
        return result
    }
}

extension TunnelReassemblyTests.Seen {
    init(_ p: DecodedPacket) {
        func text(_ a: IPAddress) -> String { a.isIPv4 ? "\(a)".replacingOccurrences(of: "::ffff:", with: "") : "\(a)" }
        self.init(src: text(p.src), dst: text(p.dst), srcPort: p.srcPort, dstPort: p.dstPort)
    }
}
