import PacketDecoding

/// The packets the decoder finds encapsulated — an IP-level tunnel, MPLS, PPPoE, 802.3 LLC/SNAP,
/// more than two VLAN tags — whose unqualified terms Vigie answers on the innermost packet
/// (docs/query-language.md, "Tunnels"), where tcpdump reads the outer one. Stated independently of
/// the indexer: the decoder's `TunnelInfo`, not the indexer's fast-path test.
enum Encapsulated {
    /// Link types whose native framing is LLC/SNAP (FDDI, 802.11, radiotap): LLC there is no
    /// encapsulation.
    static let llcLinks: Set<UInt32> = [10, 105, 127]

    /// Fragments of an outer datagram carrying a tunnel count on the frame that completes it (as
    /// the indexer and tshark attribute them).
    static func indexes(of pcap: TestPcap) -> Set<Int> {
        var out = Set<Int>()
        let link = LinkType(rawValue: pcap.linkType)
        var d = DecodedPacket(), inner = DecodedPacket()
        let fragments = TunnelFragmentReassembler()
        func encapsulated(_ d: DecodedPacket) -> Bool {
            var layers = d.tunnel.layers
            layers.remove(EncapsulationSet(.vlan))
            if llcLinks.contains(pcap.linkType) { layers.remove(EncapsulationSet(.llcSNAP)) }
            return d.tunnel.depth > 0 || !layers.isEmpty || d.tunnel.vlanIDs.count > 2
        }
        for (i, r) in pcap.records.enumerated() {
            r.data.withUnsafeBytes { bytes in
                PacketDecoder.decode(bytes, linkType: link, into: &d)
                if encapsulated(d) { out.insert(i) }
                if TunnelFragmentReassembler.wants(d) {
                    fragments.add(bytes, d, timeNanos: Int64(r.seconds) * 1_000_000_000, into: &inner) { _, whole in
                        if encapsulated(whole) { out.insert(i) }
                    }
                }
            }
        }
        return out
    }
}

extension SegmentUnderTest {
    /// `selection` without the encapsulated packets.
    func untunnelled(_ selection: [Int]) -> [Int] {
        let skip = Encapsulated.indexes(of: pcap)
        return selection.filter { !skip.contains($0) }
    }
}
