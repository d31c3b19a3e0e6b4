import PacketDecoding

/// Builds wire-format test packets byte by byte (checksums zero: nothing here checks them).
enum Build {
    static let macA: [UInt8] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]
    static let macB: [UInt8] = [0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB]

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func address(_ text: String) -> [UInt8] {
        guard let a = IPAddress(text) else { fatalError("bad test address \(text)") }
        return a.isIPv4 ? Array(a.bytes[12...]) : a.bytes
    }

    /// Ethernet header; `tags` are (TPID, VLAN id) pairs, outermost first.
    static func ethernet(type: UInt16, tags: [(UInt16, UInt16)] = [], dst: [UInt8] = macA, src: [UInt8] = macB) -> [UInt8] {
        var b = dst + src
        for (tpid, vid) in tags { b += be16(tpid) + be16(0x2000 | vid) }
        return b + be16(type)
    }

    static func sll(protocol type: UInt16) -> [UInt8] { be16(0) + be16(1) + be16(6) + macB + [0, 0] + be16(type) }
    static func sll2(protocol type: UInt16) -> [UInt8] { be16(type) + be16(0) + be32(3) + be16(1) + [0, 6] + macB + [0, 0] }

    static func ipv4(src: String = "192.0.2.1", dst: String = "198.51.100.2", proto: UInt8, payload: [UInt8],
                     id: UInt16 = 0x1234, moreFragments: Bool = false, fragmentOffset: Int = 0, options: [UInt8] = [],
                     ihl: Int? = nil, version: UInt8 = 4) -> [UInt8] {
        let headerLength = 20 + options.count
        let flags: UInt16 = (moreFragments ? 0x2000 : 0) | UInt16(fragmentOffset / 8)
        var b: [UInt8] = [version << 4 | UInt8(ihl ?? headerLength / 4), 0]
        b += be16(UInt16(headerLength + payload.count)) + be16(id) + be16(flags) + [64, proto, 0, 0]
        return b + address(src) + address(dst) + options + payload
    }

    static func ipv6(src: String = "2001:db8::1", dst: String = "2001:db8::2", next: UInt8, payload: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0] + be16(UInt16(payload.count)) + [next, 64] + address(src) + address(dst) + payload
    }

    static func ext6(next: UInt8) -> [UInt8] { [next, 0, 0, 0, 0, 0, 0, 0] }
    static func frag6(next: UInt8, offset: Int, more: Bool, id: UInt32 = 7) -> [UInt8] {
        [next, 0] + be16(UInt16(offset) & 0xFFF8 | (more ? 1 : 0)) + be32(id)
    }

    static func tcp(src: UInt16 = 40000, dst: UInt16 = 80, payload: [UInt8] = []) -> [UInt8] {
        be16(src) + be16(dst) + be32(1) + be32(2) + be16(5 << 12 | 0x18) + be16(65535) + [0, 0, 0, 0] + payload
    }

    static func udp(src: UInt16 = 5353, dst: UInt16 = 53, payload: [UInt8] = []) -> [UInt8] {
        be16(src) + be16(dst) + be16(UInt16(8 + payload.count)) + [0, 0] + payload
    }

    static func sctp(src: UInt16 = 2905, dst: UInt16 = 2906) -> [UInt8] { be16(src) + be16(dst) + be32(0xDEADBEEF) + be32(0) }

    static func icmp(type: UInt8 = 8) -> [UInt8] { [type, 0, 0, 0, 0, 1, 0, 1] + [UInt8](repeating: 0x61, count: 16) }

    /// ARP (Ethernet/IPv4) request or reply.
    static func arp(sender: String, target: String, op: UInt16 = 1) -> [UInt8] {
        be16(1) + be16(0x0800) + [6, 4] + be16(op) + macB + address(sender) + [0, 0, 0, 0, 0, 0] + address(target)
    }

    static func padded(_ frame: [UInt8]) -> [UInt8] {
        frame.count >= 60 ? frame : frame + [UInt8](repeating: 0, count: 60 - frame.count)
    }

    /// A DNS query for `name`.
    static func dnsQuery(_ name: String, id: UInt16 = 0x1234) -> [UInt8] {
        var b = be16(id) + be16(0x0100) + be16(1) + be16(0) + be16(0) + be16(0)
        for label in name.split(separator: ".") { b += [UInt8(label.utf8.count)] + Array(label.utf8) }
        return b + [0] + be16(1) + be16(1)
    }

    /// A TLS 1.2 ClientHello carrying `sni`.
    static func clientHello(sni: String) -> [UInt8] {
        let host = Array(sni.utf8)
        let serverName = be16(UInt16(host.count + 3)) + [0] + be16(UInt16(host.count)) + host
        let extensions = be16(0) + be16(UInt16(serverName.count)) + serverName
        var body: [UInt8] = [3, 3] + [UInt8](repeating: 7, count: 32) + [0] + be16(2) + [0x13, 0x01] + [1, 0]
        body += be16(UInt16(extensions.count)) + extensions
        let handshake: [UInt8] = [1, 0] + be16(UInt16(body.count)) + body
        return [22, 3, 1] + be16(UInt16(handshake.count)) + handshake
    }

    static func httpRequest(host: String, method: String = "GET") -> [UInt8] {
        Array("\(method) /index.html HTTP/1.1\r\nUser-Agent: test\r\nHost: \(host)\r\n\r\n".utf8)
    }
}
