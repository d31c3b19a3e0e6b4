// Broadcom switch tag (LINKTYPE_DSA_TAG_BRCM, 281): frames captured on the CPU port of a Broadcom
// (ROBO) switch driven by Linux DSA.

extension PacketDecoder {
    /// Ethernet with the 4-byte Broadcom tag between the source MAC and the EtherType, as tcpdump's
    /// print-brcmtag.c reads it. The tag (an ingress or egress opcode, then traffic class and a
    /// port map or the source port) says which switch port the frame used; nothing after it depends
    /// on it, so it is skipped. Everything else is plain Ethernet: MACs, VLAN tags, LLC.
    static func decodeBroadcomTag(_ p: PacketBytes, _ out: inout DecodedPacket) {
        decodeEthernet(p, at: 0, switchTagLength: 4, &out)
    }
}
