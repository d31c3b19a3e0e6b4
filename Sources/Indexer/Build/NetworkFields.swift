// The per-packet path for the default fields: read what BPF reads, at the offsets BPF reads it, and
// fill the packet's row (plus a pair for each VLAN id and the rare second IPv6 protocol). A field
// whose bytes were not captured is simply not indexed for the packet, which is what BPF does too
// (its out-of-bounds load rejects the packet).

extension SegmentIndexBuilder {
    /// Finds the network layer (as BPF does for this link type) and records its fields in `row`.
    ///
    /// Sets `row.suspect` when the packet may be encapsulated (tunnel protocol or port, MPLS,
    /// PPPoE, more than two VLAN tags, 802.3 LLC, a link type only the decoder reads): the caller
    /// then runs ``indexEncapsulated(_:_:_:)``, which keeps this reading unless the decoder
    /// confirms an encapsulation. `@_transparent`: with the slow path's call in `add`, the
    /// compiler no longer honoured `@inline(__always)` here (+6 % instructions per packet).
    @_transparent
    func indexNetworkFields(_ bytes: UnsafeRawBufferPointer, _ ordinal: UInt32, _ row: inout PacketRow) {
        let n = bytes.count
        let probe = wantTunnels
        guard let p = bytes.baseAddress, n > 0 else {
            if link != .ipv4Only && link != .ipv6Only && link != .unsupported { row.network = RowNetwork.noLinkHeader.rawValue }
            else if link == .ipv4Only { indexIPv4(nil, 0, 0, &row, probe: false) }
            else if link == .ipv6Only { indexIPv6(nil, 0, 0, ordinal, &row, probe: false) }
            return
        }
        var type: UInt16
        var offset: Int
        switch link {
        case .ethernet:
            guard n >= 14 else { return markNoLinkHeader(&row) }
            type = loadBE16(p, 12)
            offset = 12
            var depth = 0
            while isVLANTagType(type) {
                if depth == 0 { row.flags |= PacketRow.Flags.tagged }
                // BPF `vlan N` reads the 12-bit id of the tag at this depth; `vlan and vlan N` the next.
                if wantVLAN && depth < 2 && n >= offset + 4 {
                    let id = loadBE16(p, offset + 2) & 0x0FFF
                    // QinQ with the same id twice: one posting (lists must be strictly ascending).
                    if depth == 0 || id != loadBE16(p, offset - 2) & 0x0FFF {
                        vlan.append(id, ordinal)
                    }
                }
                depth += 1
                offset += 4
                // Past two tags BPF no longer sees the network layer; the decoder does (slow path).
                guard depth <= 2 else {
                    if probe { row.suspect = 1 }
                    return
                }
                guard n >= offset + 2 else { return }
                type = loadBE16(p, offset)
            }
            offset += 2
        case .linuxSLL:
            guard n >= 16 else { return markNoLinkHeader(&row) }
            type = loadBE16(p, 14)
            offset = 16
        case .linuxSLL2:
            guard n >= 2 else { return markNoLinkHeader(&row) }
            type = loadBE16(p, 0)
            offset = 20
        case .null(let bigEndian):
            guard n >= 4 else { return markNoLinkHeader(&row) }
            let raw = p.loadUnaligned(as: UInt32.self)
            type = Self.loopbackType(bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw))
            offset = 4
        case .loop:
            guard n >= 4 else { return markNoLinkHeader(&row) }
            type = Self.loopbackType(loadBE32(p, 0))
            offset = 4
        case .raw:
            let version = p.load(as: UInt8.self) >> 4
            type = version == 4 ? NetworkKey.ipv4 : version == 6 ? NetworkKey.ipv6 : 0
            offset = 0
        case .ipv4Only:
            type = NetworkKey.ipv4
            offset = 0
        case .ipv6Only:
            type = NetworkKey.ipv6
            offset = 0
        case .decoded:
            row.suspect = 1
            return
        case .unsupported:
            return
        }
        switch type {
        case NetworkKey.ipv4: indexIPv4(p, n, offset, &row, probe: probe)
        case NetworkKey.ipv6: indexIPv6(p, n, offset, ordinal, &row, probe: probe)
        case NetworkKey.arp: indexARP(p, n, offset, .arp, &row)
        case NetworkKey.rarp: indexARP(p, n, offset, .rarp, &row)
        case 0x8847, 0x8848, 0x8864:  // MPLS unicast/multicast, PPPoE session
            if probe { row.suspect = 1 }
        default:
            // An 802.3 length field: LLC, perhaps SNAP carrying an EtherType.
            if probe && type < 0x0600 && link == .ethernet { row.suspect = 1 }
        }
    }

    /// UDP destination ports of the tunnels the decoder walks: VXLAN, Geneve, GTP-U.
    @inline(__always)
    static func isTunnelPort(_ port: UInt16) -> Bool { port == 4789 || port == 6081 || port == 2152 }

    /// libpcap's loopback families: AF_INET 2; AF_INET6 as numbered by the BSDs and macOS
    /// (24, 28, 30). Linux's 10 is not among them: BPF `ip6` does not match it on these links.
    @inline(__always)
    static func loopbackType(_ family: UInt32) -> UInt16 {
        switch family {
        case 2: NetworkKey.ipv4
        case 24, 28, 30: NetworkKey.ipv6
        default: 0
        }
    }

    @inline(__always)
    private func markNoLinkHeader(_ row: inout PacketRow) {
        row.network = RowNetwork.noLinkHeader.rawValue
    }

    /// IPv4 as BPF reads it: protocol at +9, addresses at +12/+16, and for TCP/UDP/SCTP packets that
    /// are not a non-first fragment (`ip[6:2] & 0x1fff == 0`) the ports at +IHL*4. No check of the
    /// version nibble, header length or total length, exactly like the generated filter.
    /// With `probe`, sets `row.suspect` when the packet may carry a tunnel (IP-in-IP, GRE, a
    /// tunnel port).
    @inline(__always)
    func indexIPv4(_ p: UnsafeRawPointer?, _ n: Int, _ o: Int, _ row: inout PacketRow, probe: Bool) {
        row.network = RowNetwork.ipv4.rawValue
        guard let p, n >= o + 10 else { return }
        let proto = p.load(fromByteOffset: o + 9, as: UInt8.self)
        if wantProtocol {
            row.proto = proto
            row.flags |= PacketRow.Flags.proto
        }
        if wantAddresses {
            if n >= o + 16 { row.src4 = loadBE32(p, o + 12); row.flags |= PacketRow.Flags.src4 }
            if n >= o + 20 { row.dst4 = loadBE32(p, o + 16); row.flags |= PacketRow.Flags.dst4 }
        }
        if wantPorts && (proto == 6 || proto == 17 || proto == 132) && loadBE16(p, o + 6) & 0x1FFF == 0 {
            let transport = o + Int(p.load(fromByteOffset: o, as: UInt8.self) & 0x0F) * 4
            if n >= transport + 2 { row.srcPort = loadBE16(p, transport); row.flags |= PacketRow.Flags.srcPort }
            if n >= transport + 4 { row.dstPort = loadBE16(p, transport + 2); row.flags |= PacketRow.Flags.dstPort }
        }
        guard probe else { return }
        if proto == 4 || proto == 41 || proto == 47 {
            row.suspect = 1
        } else if proto == 17 && loadBE16(p, o + 6) & 0x1FFF == 0 {
            let transport = o + Int(p.load(fromByteOffset: o, as: UInt8.self) & 0x0F) * 4
            if n >= transport + 4 && Self.isTunnelPort(loadBE16(p, transport + 2)) { row.suspect = 1 }
        }
    }

    /// IPv6 as BPF reads it: the fixed header's next header, plus the next header of one fragment
    /// header right after it (`tcp`, `proto N`); ports only when the fixed header's next header is
    /// TCP/UDP/SCTP (`port N` looks at +40/+42 and nothing else).
    /// With `probe`, sets `row.suspect` when the packet may carry a tunnel. (Left out of line in
    /// `add` by the compiler; forcing it inline measured 7 % more instructions per packet.)
    @inline(__always)
    func indexIPv6(_ p: UnsafeRawPointer?, _ n: Int, _ o: Int, _ ordinal: UInt32, _ row: inout PacketRow, probe: Bool) {
        row.network = RowNetwork.ipv6.rawValue
        guard let p, n >= o + 7 else { return }
        let next = p.load(fromByteOffset: o + 6, as: UInt8.self)
        if wantProtocol {
            row.proto = next
            row.flags |= PacketRow.Flags.proto
            if next == 44 && n >= o + 41 {
                let afterFragment = p.load(fromByteOffset: o + 40, as: UInt8.self)
                if afterFragment != 44 { extraProtocol.append(0x600 | UInt16(afterFragment), ordinal) }
            }
        }
        if wantAddresses {
            if n >= o + 24 { src6.append(Pair128(hi: loadBE64(p, o + 8), lo: loadBE64(p, o + 16), ordinal: ordinal)) }
            if n >= o + 40 { dst6.append(Pair128(hi: loadBE64(p, o + 24), lo: loadBE64(p, o + 32), ordinal: ordinal)) }
        }
        if wantPorts && (next == 6 || next == 17 || next == 132) {
            if n >= o + 42 { row.srcPort = loadBE16(p, o + 40); row.flags |= PacketRow.Flags.srcPort }
            if n >= o + 44 { row.dstPort = loadBE16(p, o + 42); row.flags |= PacketRow.Flags.dstPort }
        }
        if probe && (next == 4 || next == 41 || next == 47 || (next == 17 && n >= o + 44 && Self.isTunnelPort(loadBE16(p, o + 42)))) {
            row.suspect = 1
        }
    }

    /// ARP / RARP: BPF `host` compares the sender (+14) and target (+24) protocol addresses at fixed
    /// offsets (Ethernet/IPv4 ARP layout), as `src` and `dst` respectively.
    @inline(__always)
    func indexARP(_ p: UnsafeRawPointer, _ n: Int, _ o: Int, _ kind: RowNetwork, _ row: inout PacketRow) {
        row.network = kind.rawValue
        guard wantAddresses else { return }
        // BPF reads the IPv4 addresses where Ethernet's 6-byte hardware addresses put them. On the
        // links only the decoder reads, the header's own address lengths place them, as tshark
        // does: IPoIB's hardware addresses are 20 bytes (on FDDI and 802.11 they are 6 anyway).
        var sender = o + 14, target = o + 24
        if link == .decoded && n >= o + 6 && p.load(fromByteOffset: o + 5, as: UInt8.self) == 4 {
            let hardwareLength = Int(p.load(fromByteOffset: o + 4, as: UInt8.self))
            sender = o + 8 + hardwareLength
            target = sender + 4 + hardwareLength
        }
        if n >= sender + 4 { row.src4 = loadBE32(p, sender); row.flags |= PacketRow.Flags.src4 }
        if n >= target + 4 { row.dst4 = loadBE32(p, target); row.flags |= PacketRow.Flags.dst4 }
    }

    /// Ethernet addresses (`ether src` at 6, `ether dst` at 0).
    @inline(__always)
    func indexMACs(_ bytes: UnsafeRawBufferPointer, _ ordinal: UInt32) {
        guard let p = bytes.baseAddress else { return }
        let n = bytes.count
        if n >= 6 { dstMAC.append(Pair64(key: UInt64(loadBE32(p, 0)) << 16 | UInt64(loadBE16(p, 4)), ordinal: ordinal)) }
        if n >= 12 { srcMAC.append(Pair64(key: UInt64(loadBE32(p, 6)) << 16 | UInt64(loadBE16(p, 10)), ordinal: ordinal)) }
    }
}
