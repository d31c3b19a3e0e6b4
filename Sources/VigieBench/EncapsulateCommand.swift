import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// Writes the tunnelled twin of an Ethernet capture: every frame wrapped in one encapsulation, so
/// `decode` and `analytics` can price a tunnel layer on the same inner traffic. Outer endpoints
/// 198.51.100.1 and .2 (swapped per direction, as two tunnel endpoints would send), checksums 0.
struct EncapsulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encapsulate",
        abstract: "Wrap every frame of an Ethernet capture in one tunnel layer (for decode cost comparisons).")

    enum Tunnel: String, ExpressibleByArgument, CaseIterable {
        case vxlan, geneve, gre, greKey = "gre-key", erspan2, erspan3, mpls, ipip, gtpu
    }

    @Option(name: .customLong("in"), help: "Ethernet capture to wrap.") var input: String
    @Option(name: .customLong("out"), help: "Capture to write (pcap).") var output: String
    @Option(help: "vxlan, geneve, gre, gre-key, erspan2, erspan3, mpls, ipip, gtpu.") var tunnel: Tunnel

    func run() throws {
        let capture = try LoadedCapture(path: input)
        guard capture.linkType == 1 else { throw BenchError("\(input): not an Ethernet capture") }
        guard let file = fopen(output, "wb") else { throw BenchError("cannot create \(output)") }
        defer { fclose(file) }
        var out: [UInt8] = []
        le32(&out, 0xA1B2_3C4D); le16(&out, 2); le16(&out, 4); le32(&out, 0); le32(&out, 0); le32(&out, 262_144); le32(&out, 1)
        var frame: [UInt8] = []
        var written = 0
        for i in 0 ..< capture.offsets.count {
            let inner = Array(capture.bytes[capture.offsets[i] ..< capture.offsets[i] + capture.lengths[i]])
            guard wrap(inner, into: &frame) else { continue }
            let ts = capture.timestamps[i]
            le32(&out, UInt32(truncatingIfNeeded: ts / 1_000_000_000)); le32(&out, UInt32(truncatingIfNeeded: ts % 1_000_000_000))
            le32(&out, UInt32(frame.count)); le32(&out, UInt32(frame.count))
            out.append(contentsOf: frame)
            written += 1
            if out.count > 1 << 22 { try flush(&out, file) }
        }
        try flush(&out, file)
        print("wrote \(written) frames in \(tunnel.rawValue) to \(output)")
    }

    /// Builds the wrapped frame; false for a frame this tunnel cannot carry (IP-only tunnels need
    /// an untagged IPv4/IPv6 frame).
    private func wrap(_ inner: [UInt8], into frame: inout [UInt8]) -> Bool {
        frame.removeAll(keepingCapacity: true)
        guard inner.count >= 14 else { return false }
        let innerType = UInt16(inner[12]) << 8 | UInt16(inner[13])
        let carriesIP = innerType == 0x0800 || innerType == 0x86DD
        // Direction: the inner frame's lower source MAC byte picks which endpoint sends.
        let forward = inner[11] <= inner[5]
        let ip = Array(inner[14...])
        var body: [UInt8] = []
        var ipProtocol: UInt8 = 17
        switch tunnel {
        case .vxlan:
            body = udp(4789, 8 + inner.count) + [0x08, 0, 0, 0, 0, 0, 0x64, 0] + inner
        case .geneve:
            body = udp(6081, 8 + inner.count) + [0, 0, 0x65, 0x58, 0, 0, 0x64, 0] + inner
        case .gtpu:
            guard carriesIP else { return false }
            body = udp(2152, 8 + ip.count) + [0x30, 0xFF] + be16(UInt16(ip.count)) + [0, 0, 0x12, 0x34] + ip
        case .gre:
            guard carriesIP else { return false }
            ipProtocol = 47
            body = [0, 0] + be16(innerType) + ip
        case .greKey:
            guard carriesIP else { return false }
            ipProtocol = 47
            body = [0x20, 0] + be16(innerType) + [0, 0, 0, 7] + ip
        case .erspan2:
            ipProtocol = 47
            body = [0x10, 0, 0x88, 0xBE, 0, 0, 0, 1] + [0x10, 0x00, 0x00, 0x21, 0, 0, 0, 0] + inner
        case .erspan3:
            ipProtocol = 47
            body = [0x10, 0, 0x22, 0xEB, 0, 0, 0, 1] + [0x20, 0x00, 0x00, 0x2C, 0, 0, 0, 0, 0, 0, 0, 0] + inner
        case .ipip:
            guard carriesIP else { return false }
            ipProtocol = innerType == 0x0800 ? 4 : 41
            body = ip
        case .mpls:
            guard carriesIP else { return false }
            frame = Array(inner[0 ..< 12]) + [0x88, 0x47, 0x00, 0x06, 0x40, 0x40, 0x00, 0x0C, 0x81, 0x40] + ip
            return true
        }
        let a: [UInt8] = [198, 51, 100, 1], b: [UInt8] = [198, 51, 100, 2]
        frame = [0x02, 0, 0, 0, 0, forward ? 2 : 1, 0x02, 0, 0, 0, 0, forward ? 1 : 2, 0x08, 0x00]
        frame += [0x45, 0] + be16(UInt16(truncatingIfNeeded: 20 + body.count)) + [0, 0, 0x40, 0, 64, ipProtocol, 0, 0]
        frame += forward ? a + b : b + a
        frame += body
        return true
    }

    private func udp(_ port: UInt16, _ payload: Int) -> [UInt8] {
        [0xC0, 0x00] + be16(port) + be16(UInt16(truncatingIfNeeded: 8 + payload)) + [0, 0]
    }

    private func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    private func le16(_ out: inout [UInt8], _ v: UInt16) { out += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    private func le32(_ out: inout [UInt8], _ v: UInt32) {
        out += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
    }

    private func flush(_ out: inout [UInt8], _ file: UnsafeMutablePointer<FILE>) throws {
        guard fwrite(out, 1, out.count, file) == out.count else { throw BenchError("write to \(output) failed") }
        out.removeAll(keepingCapacity: true)
    }
}
