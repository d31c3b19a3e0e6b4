import PacketDecoding
import Testing
import VigieTestSupport

/// The corpus comparison must actually catch disagreements: feed it hand-made tshark rows.
@Suite("tshark comparison self-check")
struct TsharkComparisonTests {
    static let frame = Build.ethernet(type: 0x0800, tags: [(0x8100, 10)])
        + Build.ipv4(src: "10.0.0.1", dst: "10.0.0.2", proto: 6, payload: Build.tcp(src: 1000, dst: 80))
    static let agreeing: [String: [String]] = [
        "ip.src": ["10.0.0.1"], "ip.dst": ["10.0.0.2"], "ip.proto": ["6"],
        "tcp.srcport": ["1000"], "tcp.dstport": ["80"], "vlan.id": ["10"],
    ]

    @Test func agreeingRowPasses() {
        var c = TsharkComparison()
        c.compare(frame: 1, linkType: .ethernet, decode(Self.frame), Self.agreeing)
        #expect(c.mismatches.isEmpty && c.addressesCompared == 1 && c.portsCompared == 1)
    }

    @Test(arguments: [
        ("ip.src", ["10.0.0.9"]), ("ip.proto", ["17"]), ("tcp.dstport", ["81"]), ("vlan.id", ["11"]),
        ("vlan.id", ["10", "20"]), ("udp.srcport", ["53"]),
    ])
    func disagreementIsReported(field: String, value: [String]) {
        var row = Self.agreeing
        row[field] = value
        var c = TsharkComparison()
        c.compare(frame: 1, linkType: .ethernet, decode(Self.frame), row)
        if field == "udp.srcport" {
            // Extra UDP ports next to our TCP are not compared (tshark fields of other layers).
            #expect(c.mismatches.isEmpty)
        } else {
            #expect(c.mismatches.count == 1)
        }
    }

    @Test func tsharkSeeingIPWhereWeDoNotIsReported() {
        var c = TsharkComparison()
        c.compare(frame: 1, linkType: .ethernet, decode(Build.padded(Build.ethernet(type: 0x88B5))), ["ip.src": ["1.2.3.4"], "ip.dst": ["1.2.3.5"]])
        #expect(c.mismatches.count == 1)
    }

    @Test func ipv6FinalNextHeaderFollowsTheChain() {
        let row: [String: [String]] = ["ipv6.nxt": ["0"], "ipv6.hopopts.nxt": ["44"], "ipv6.fraghdr.nxt": ["58"]]
        #expect(TsharkComparison.finalNextHeader(row) == 58)
        #expect(TsharkComparison.finalNextHeader(["ipv6.nxt": ["60"]]) == nil)
    }

    /// Inside a tunnel the decoder walked, our fields are compared with tshark's innermost
    /// occurrences and the tunnel's outer endpoints with its outermost ones.
    @Test(arguments: [
        ("agree", "", [String]()), ("inner src", "ip.src", ["198.51.100.1", "10.1.0.9"]),
        ("outer dst", "ip.dst", ["198.51.100.9", "192.0.2.10"]), ("inner port", "tcp.dstport", ["81"]),
    ])
    func enteredTunnel(_ what: String, field: String, value: [String]) {
        let inner = Build.ipv4(src: "10.1.0.1", dst: "192.0.2.10", proto: 6, payload: Build.tcp(src: 40000, dst: 80))
        let frame = Build.ethernet(type: 0x0800) + Build.ipv4(src: "198.51.100.1", dst: "198.51.100.2", proto: 47, payload: [0, 0, 0x08, 0x00] + inner)
        var row: [String: [String]] = [
            "ip.src": ["198.51.100.1", "10.1.0.1"], "ip.dst": ["198.51.100.2", "192.0.2.10"], "ip.proto": ["47", "6"],
            "tcp.srcport": ["40000"], "tcp.dstport": ["80"],
        ]
        if !field.isEmpty { row[field] = value }
        var c = TsharkComparison()
        let p = decode(frame)
        #expect(p.tunnel.depth == 1)
        c.compare(frame: 1, linkType: .ethernet, p, row)
        #expect(c.enteredTunnelPackets == 1)
        #expect(c.mismatches.count == (field.isEmpty ? 0 : 1), "\(what): \(c.mismatches)")
    }
}
