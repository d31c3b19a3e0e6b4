// The decode loop of `vigie-bench decode`, standalone, so two versions of Sources/PacketDecoding can
// be compiled with the same loop and the same flags (decoder-ab.sh). Classic pcap only.
#if canImport(Glibc)
import Glibc
#endif

@main
struct DecoderLoop {
    static func main() {
        let path = CommandLine.arguments[1]
        let rounds = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 7 : 7
        guard let file = fopen(path, "rb") else { fatalError("cannot open \(path)") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            bytes += chunk[0 ..< n]
        }
        fclose(file)
        func u32(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 | Int(bytes[o + 2]) << 16 | Int(bytes[o + 3]) << 24 }
        let link = LinkType(rawValue: UInt32(u32(20)))
        var offsets: [Int] = [], lengths: [Int] = []
        var o = 24
        while o + 16 <= bytes.count {
            let length = u32(o + 8)
            guard o + 16 + length <= bytes.count else { break }
            offsets.append(o + 16); lengths.append(length)
            o += 16 + length
        }
        var best = Double.infinity
        var checksum = 0
        for _ in 0 ..< rounds {
            var packet = DecodedPacket()
            var sum = 0
            var t0 = timespec(), t1 = timespec()
            bytes.withUnsafeBytes { all in
                clock_gettime(CLOCK_MONOTONIC, &t0)
                for i in 0 ..< offsets.count {
                    PacketDecoder.decode(UnsafeRawBufferPointer(rebasing: all[offsets[i] ..< offsets[i] + lengths[i]]),
                                         linkType: link, into: &packet)
                    sum &+= Int(packet.srcPort) &+ Int(truncatingIfNeeded: packet.src.low) &+ packet.payloadLength
                }
                clock_gettime(CLOCK_MONOTONIC, &t1)
            }
            best = min(best, Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9)
            checksum = sum
        }
        print(String(best / Double(offsets.count) * 1e9) + " ns/packet, checksum \(checksum)")
    }
}
