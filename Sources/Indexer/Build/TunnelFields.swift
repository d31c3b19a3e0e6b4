import PacketDecoding

// The slow path: packets the fast path (NetworkFields.swift) flags as possibly encapsulated go
// through ``PacketDecoder`` (into the builder's reused ``DecodedPacket``: no allocation). When the
// decoder confirms an encapsulation, the row describes the innermost packet — read with the same
// BPF-style readers, at the innermost network offset — and the outer IP layer and the tunnel
// identities go to the tunnel columns below. When it does not, the fast path's reading (BPF's)
// stays, so untunnelled traffic keeps tcpdump's selection.

/// The `(key, ordinal)` pairs of the tunnel sections (``FieldID/encapsulation`` ... ``FieldID/tunnelID``).
/// Only encapsulated packets add pairs, so on ordinary traffic they stay empty. The 16-bit fields
/// are grouped with the counting sort of the row fields (each packet adds at most one pair per key
/// to them, as that sort requires); the wider ones are radix-sorted.
final class TunnelColumns {
    let encapsulation = Key16Column(capacity: 256)
    let outerSrcPort = Key16Column(capacity: 256)
    let outerDstPort = Key16Column(capacity: 256)
    let outerProtocol = Key16Column(capacity: 256)
    let outerSrc4 = FlatBuffer<Pair64>(capacity: 256)
    let outerDst4 = FlatBuffer<Pair64>(capacity: 256)
    let tunnelID = FlatBuffer<Pair64>(capacity: 256)
    let outerSrc6 = FlatBuffer<Pair128>(capacity: 64)
    let outerDst6 = FlatBuffer<Pair128>(capacity: 64)

    var key16: [Key16Column] { [encapsulation, outerSrcPort, outerDstPort, outerProtocol] }
    var pairs64: [FlatBuffer<Pair64>] { [outerSrc4, outerDst4, tunnelID] }

    func swapStorage(with other: TunnelColumns) {
        for (a, b) in zip(key16, other.key16) { a.swapStorage(with: b) }
        for (a, b) in zip(pairs64, other.pairs64) { a.swapStorage(with: b) }
        outerSrc6.swapStorage(with: other.outerSrc6)
        outerDst6.swapStorage(with: other.outerDst6)
    }

    func removeAll() {
        for a in key16 { a.removeAll() }
        for a in pairs64 { a.removeAll() }
        outerSrc6.removeAll()
        outerDst6.removeAll()
    }

    /// The column of a 16-bit tunnel section.
    func key16(for field: FieldID) -> Key16Column? {
        switch field {
        case .encapsulation: encapsulation
        case .outerSrcPort: outerSrcPort
        case .outerDstPort: outerDstPort
        case .outerProtocol: outerProtocol
        default: nil
        }
    }

    /// The buffer of a 64-bit-pair tunnel section (nil for the 128-bit ones and other fields).
    func pairs64(for field: FieldID) -> FlatBuffer<Pair64>? {
        switch field {
        case .outerSrc4: outerSrc4
        case .outerDst4: outerDst4
        case .tunnelID: tunnelID
        default: nil
        }
    }

    func pairs128(for field: FieldID) -> FlatBuffer<Pair128>? {
        switch field {
        case .outerSrc6: outerSrc6
        case .outerDst6: outerDst6
        default: nil
        }
    }
}

/// Where each tunnel column stood at one moment (for snapshot chunks).
struct TunnelMarks {
    var counts = [Int](repeating: 0, count: 9)

    init() {}

    init(of c: TunnelColumns) {
        counts = c.key16.map(\.count) + c.pairs64.map(\.count) + [c.outerSrc6.count, c.outerDst6.count]
    }

    func count(_ field: FieldID) -> Int {
        switch field {
        case .encapsulation: counts[0]
        case .outerSrcPort: counts[1]
        case .outerDstPort: counts[2]
        case .outerProtocol: counts[3]
        case .outerSrc4: counts[4]
        case .outerDst4: counts[5]
        case .tunnelID: counts[6]
        case .outerSrc6: counts[7]
        case .outerDst6: counts[8]
        default: 0
        }
    }
}

extension SegmentIndexBuilder {
    /// The fields a query reads from an index built with ``IndexFieldSet/tunnels``.
    static let tunnelFieldIDs: [FieldID] = [.encapsulation, .outerSrc4, .outerDst4, .outerSrc6, .outerDst6,
                                            .outerSrcPort, .outerDstPort, .outerProtocol, .tunnelID]

    /// Decodes a packet the fast path flagged and fills `row` (and the tunnel columns) from it.
    ///
    /// A fragment of an outer IP datagram carrying a tunnel (protocol 4, 41, 47) goes to the
    /// segment's ``TunnelFragmentReassembler``: the frame that completes the datagram gets the
    /// inner packet's fields (where tshark shows the inner packet); the other fragments keep BPF's
    /// reading of the outer header.
    @inline(never)
    func indexEncapsulated(_ bytes: UnsafeRawBufferPointer, _ ordinal: UInt32, _ timeNanos: Int64) {
        let slot = rows.base + (rows.count - 1)
        var row = slot.pointee
        defer { slot.pointee = row }
        PacketDecoder.decode(bytes, linkType: LinkType(rawValue: linkType), into: &decoded)
        if wantTunnels && TunnelFragmentReassembler.wants(decoded) {
            var handled = false
            fragments.add(bytes, decoded, timeNanos: timeNanos, into: &reassembled) { datagram, inner in
                handled = indexDecoded(inner, in: datagram, ordinal, &row)
            }
            if handled { return }
        }
        // Not encapsulated after all (a tunnel port or protocol that carried no tunnel): the fast
        // path's reading stays, BPF's as for any packet.
        _ = indexDecoded(decoded, in: bytes, ordinal, &row)
    }

    /// Removes what the fast path appended for `ordinal` to the pair columns of the default fields
    /// (an outer IPv6 header's addresses and fragment protocol) before the innermost packet's go in.
    private func dropFastPathPairs(_ ordinal: UInt32) {
        func trailing<E>(_ b: FlatBuffer<E>, _ ordinalOf: (E) -> UInt32) -> Int {
            var k = 0
            while k < b.count && ordinalOf(b[b.count - 1 - k]) == ordinal { k += 1 }
            return k
        }
        src6.removeLast(trailing(src6) { $0.ordinal })
        dst6.removeLast(trailing(dst6) { $0.ordinal })
        let extra = trailing(extraProtocol.ordinals) { $0 }
        extraProtocol.keys.removeLast(extra)
        extraProtocol.ordinals.removeLast(extra)
    }

    /// Fills `row` and the tunnel columns from `d`, decoded from `bytes` (a frame, or a reassembled
    /// datagram). False, and nothing done, when `d` has no encapsulation (on a link the fast path
    /// reads).
    private func indexDecoded(_ d: DecodedPacket, in bytes: UnsafeRawBufferPointer, _ ordinal: UInt32, _ row: inout PacketRow) -> Bool {
        let t = d.tunnel
        let vlanBit: UInt16 = 1 << UInt16(EncapsulationKind.vlan.rawValue)
        let encapsulated = t.depth > 0 || t.layers.rawValue & ~vlanBit != 0 || t.vlanIDs.count > 2
        guard let p = bytes.baseAddress else { return false }
        let n = bytes.count
        if link != .decoded && !encapsulated { return false }
        let tagged = row.flags & PacketRow.Flags.tagged != 0 || t.layers.contains(.vlan)
        if row.network == RowNetwork.ipv6.rawValue { dropFastPathPairs(ordinal) }
        row = PacketRow()
        if tagged { row.flags = PacketRow.Flags.tagged }
        // The innermost IP layer *decoded*: when a tunnel's inner packet is cut before its network
        // header or is neither IP nor ARP, the outer layer is the innermost one there is (and the packet counts as not
        // tunnelled, so `outer T` and `T` agree on it). Without the tunnel fields (only links the
        // fast path cannot read get here), the fields describe the outermost IP layer, as BPF's.
        let innerReached = d.network == .ipv4 || d.network == .ipv6 || d.network == .arp
        let tunnelled = t.depth > 0 && innerReached
        let outermost = t.depth > 0 && (!wantTunnels || !innerReached)
        let network = outermost ? t.outerNetwork : d.network
        let offset = outermost ? t.outerNetworkOffset : d.networkOffset
        switch network {
        case .ipv4: indexIPv4(p, n, offset, &row, probe: false)
        case .ipv6: indexIPv6(p, n, offset, ordinal, &row, probe: false)
        case .arp: indexARP(p, n, offset, .arp, &row)
        case .none, .other: break
        }
        if wantVLAN {
            for i in 0..<t.vlanIDs.stored { appendVLANOnce(UInt16(truncatingIfNeeded: t.vlanIDs[i]) & 0x0FFF, ordinal) }
        }
        guard wantTunnels else { return true }
        let c = tunnel
        // VLAN tags are in the VLAN section; LLC/SNAP is the native framing of FDDI and 802.11.
        let llcBit: UInt16 = link == .decoded ? 1 << UInt16(EncapsulationKind.llcSNAP.rawValue) : 0
        var layers = t.layers.rawValue & ~vlanBit & ~llcBit
        while layers != 0 {
            let kind = layers.trailingZeroBitCount
            c.encapsulation.append(UInt16(kind), ordinal)
            layers &= layers - 1
        }
        func id(_ kind: EncapsulationKind, _ value: UInt32) {
            c.tunnelID.append(Pair64(key: UInt64(kind.rawValue) << 32 | UInt64(value), ordinal: ordinal))
        }
        if t.layers.contains(.vxlan) { id(.vxlan, t.vxlanVNI) }
        if t.layers.contains(.geneve) { id(.geneve, t.geneveVNI) }
        if t.hasGREKey { id(.gre, t.greKey) }
        if t.layers.contains(.erspan) && t.erspanType >= 2 { id(.erspan, UInt32(t.erspanSession)) }
        if t.layers.contains(.gtpU) { id(.gtpU, t.gtpTEID) }
        if t.layers.contains(.pppoe) { id(.pppoe, UInt32(t.pppoeSession)) }
        for i in 0..<t.mplsLabels.stored { id(.mpls, t.mplsLabels[i]) }
        guard tunnelled else { return true }
        c.encapsulation.append(EncapsulationKey.tunnelled, ordinal)
        let v6 = t.outerNetwork == .ipv6
        if t.outerNetwork == .ipv4 {
            c.encapsulation.append(EncapsulationKey.outerIPv4, ordinal)
            c.outerSrc4.append(Pair64(key: UInt64(UInt32(truncatingIfNeeded: t.outerSrc.low)), ordinal: ordinal))
            c.outerDst4.append(Pair64(key: UInt64(UInt32(truncatingIfNeeded: t.outerDst.low)), ordinal: ordinal))
        } else if v6 {
            c.encapsulation.append(EncapsulationKey.outerIPv6, ordinal)
            c.outerSrc6.append(Pair128(hi: t.outerSrc.high, lo: t.outerSrc.low, ordinal: ordinal))
            c.outerDst6.append(Pair128(hi: t.outerDst.high, lo: t.outerDst.low, ordinal: ordinal))
        } else {
            return true
        }
        c.outerProtocol.append((v6 ? 0x600 : 0x400) | UInt16(t.outerIPProtocol), ordinal)
        if t.outerIPProtocol == 17 {
            c.outerSrcPort.append(t.outerSrcPort, ordinal)
            c.outerDstPort.append(t.outerDstPort, ordinal)
        }
        return true
    }

    /// Adds a VLAN id the fast path may already have added for this packet (lists stay strictly
    /// ascending: one posting per id and packet).
    private func appendVLANOnce(_ id: UInt16, _ ordinal: UInt32) {
        var i = vlan.count - 1
        while i >= 0 && vlan.ordinals[i] == ordinal {
            if vlan.keys[i] == id { return }
            i -= 1
        }
        vlan.append(id, ordinal)
    }
}
