import PacketDecoding
import Testing
import VigieTestSupport

/// NFLOG (239) messages built by hand: both attribute byte orders, the payload attribute's bounds,
/// and the damaged messages that must give an anomaly (never a trap, never a wrong packet).
@Suite("NFLOG link type")
struct NFLOGTests {
    static let ipv4TCP = Build.ipv4(src: "10.0.2.15", dst: "93.184.216.34", proto: 6, payload: Build.tcp(src: 49762, dst: 80, payload: [1, 2, 3]))
    static let ipv6UDP = Build.ipv6(src: "2001:db8::1", dst: "2001:db8::2", next: 17, payload: Build.udp(src: 5353, dst: 53, payload: [9]))
    /// Offset of the payload attribute's value in `Build.nflog`: header 4, packet header 8, prefix 12, payload TLV header 4.
    static let payloadValueOffset = 4 + 8 + 12 + 4

    @Test(arguments: [true, false])
    func ipv4InEitherByteOrder(littleEndian: Bool) {
        let p = decode(Build.nflog(family: 2, packet: Self.ipv4TCP, littleEndian: littleEndian), .nflog)
        #expect(p.anomaly == .none && p.network == .ipv4 && p.networkOffset == Self.payloadValueOffset && !p.hasEthernet && p.etherType == 0)
        #expect(p.src == ip("10.0.2.15") && p.dst == ip("93.184.216.34") && p.transport == .tcp && p.srcPort == 49762 && p.dstPort == 80)
        #expect(p.payloadLength == 3 && p.payloadWireLength == 3)
    }

    @Test(arguments: [true, false])
    func ipv6InEitherByteOrder(littleEndian: Bool) {
        let p = decode(Build.nflog(family: 10, packet: Self.ipv6UDP, littleEndian: littleEndian), .nflog)
        #expect(p.anomaly == .none && p.network == .ipv6 && p.src == ip("2001:db8::1") && p.transport == .udp && p.dstPort == 53)
    }

    /// The padding after the payload attribute (here 3 bytes) is not the packet's: the IP header's
    /// own length and the attribute's both end before it.
    @Test func paddingAfterThePayloadIsNotPayload() {
        let packet = Build.ipv4(proto: 17, payload: Build.udp(payload: [7]))  // 29 bytes: padded to 32
        let message = Build.nflog(family: 2, packet: packet)
        #expect(message.count == Self.payloadValueOffset + 32)
        let p = decode(message, .nflog)
        #expect(p.anomaly == .none && p.payloadLength == 1 && p.payloadOffset + p.payloadLength == Self.payloadValueOffset + 29)
    }

    /// An IP total length beyond the payload attribute: the attribute's end bounds what is read (as
    /// a snap length would), whatever bytes follow it in the message.
    @Test func payloadIsBoundedByItsAttribute() {
        var packet = Self.ipv4TCP
        packet[2] = 0x05  // total length 1,280 + its low byte
        let message = Build.nflog(family: 2, packet: packet) + Build.nflogAttribute(type: 11, value: Build.be32(0))
        let p = decode(message, .nflog)
        #expect(p.network == .ipv4 && p.transport == .tcp)
        #expect(p.payloadOffset + p.payloadLength == Self.payloadValueOffset + packet.count)
    }

    @Test func otherFamiliesAreOpaque() {
        let p = decode(Build.nflog(family: 7, packet: [1, 2, 3, 4]), .nflog)  // NFPROTO_BRIDGE
        #expect(p.anomaly == .none && p.network == .other && p.networkOffset == Self.payloadValueOffset && p.payloadLength == 4)
    }

    @Test func familyAndPacketVersionDisagree() {
        #expect(decode(Build.nflog(family: 10, packet: Self.ipv4TCP), .nflog).anomaly != .none)
        #expect(decode(Build.nflog(family: 2, packet: Self.ipv6UDP), .nflog).anomaly == .badIPVersion)
    }

    @Test func headerCutShort() {
        for length in 0..<4 {
            let p = decode(Array(Build.nflog(family: 2, packet: Self.ipv4TCP).prefix(length)), .nflog)
            #expect(p.anomaly == .truncatedLink && p.network == .none, "\(length) bytes")
        }
    }

    @Test func unknownVersion() {
        var message = Build.nflog(family: 2, packet: Self.ipv4TCP)
        message[1] = 1
        #expect(decode(message, .nflog).anomaly == .badLinkHeader)
    }

    /// A length shorter than the attribute's own header (0 would never advance the walk).
    @Test(arguments: [UInt16(0), 1, 3])
    func attributeShorterThanItsHeader(length: UInt16) {
        let bad = Array(Build.be16(length).reversed()) + [11, 0] + Build.be32(0)
        let p = decode([2, 0, 0, 42] + bad + Build.nflogAttribute(type: 9, value: Self.ipv4TCP), .nflog)
        #expect(p.anomaly == .badLinkHeader && p.network == .none)
    }

    @Test func attributeLongerThanTheCapture() {
        let long = Array(Build.be16(400).reversed()) + [11, 0] + Build.be32(0)
        let p = decode([2, 0, 0, 42] + long + Build.nflogAttribute(type: 9, value: Self.ipv4TCP), .nflog)
        #expect(p.anomaly == .truncatedLink && p.network == .none)
    }

    /// The last attribute before the end needs padding (length 5 → 8) that was not captured.
    @Test func paddingBeyondThePacket() {
        let prefixAttribute = Build.nflogAttribute(type: 10, value: [0x41])
        #expect(prefixAttribute.count == 8)
        let p = decode([2, 0, 0, 42] + prefixAttribute.prefix(5), .nflog)
        #expect(p.anomaly == .truncatedLink && p.network == .none)
    }

    @Test func noPayloadAttribute() {
        let message = [2, 0, 0, 42] + Build.nflogAttribute(type: 1, value: [8, 0, 3, 0]) + Build.nflogAttribute(type: 11, value: Build.be32(0))
        #expect(decode(message, .nflog).anomaly == .truncatedLink)
        #expect(decode([2, 0, 0, 42], .nflog).anomaly == .truncatedLink)
    }

    /// The walk stops after 32 attributes: a payload behind them is not looked for.
    @Test func attributeCountIsBounded() {
        let filler = Build.nflogAttribute(type: 11, value: Build.be32(0))
        let payload = Build.nflogAttribute(type: 9, value: Self.ipv4TCP)
        let header: [UInt8] = [2, 0, 0, 42]
        #expect(decode(header + Array([[UInt8]](repeating: filler, count: 31).joined()) + payload, .nflog).network == .ipv4)
        let p = decode(header + Array([[UInt8]](repeating: filler, count: 32).joined()) + payload, .nflog)
        #expect(p.anomaly == .badLinkHeader && p.network == .none)
    }

    /// Flag bits on the types (nested 0x8000, network byte order 0x4000) do not change the type or
    /// the byte order found.
    @Test(arguments: [true, false])
    func typeFlagsAreMasked(littleEndian: Bool) {
        let flagged = Build.nflogAttribute(type: 0x8001, value: [8, 0, 3, 0], littleEndian: littleEndian)
            + Build.nflogAttribute(type: 0x4009, value: Self.ipv4TCP, littleEndian: littleEndian)
        let p = decode([2, 0, 0, 42] + flagged, .nflog)
        #expect(p.anomaly == .none && p.network == .ipv4 && p.dstPort == 80)
    }
}
