import PacketDecoding

// The per-packet path for flows and application names (only when an application field is on).
// The full decoder is needed here: the flow key uses the final IPv6 protocol and both ports, and
// the names live in the transport payload.

extension SegmentIndexBuilder {
    /// Which name section an entry belongs to (``NameEntry/field``).
    enum NameField: UInt8 {
        case dnsQueryName = 0
        case httpHost = 1
        case tlsServerName = 2

        var fieldID: FieldID {
            switch self {
            case .dnsQueryName: .dnsQueryName
            case .httpHost: .httpHost
            case .tlsServerName: .tlsServerName
            }
        }
    }

    @inline(never)  // optional fields, a full decode: keeps `add` small enough for its fast path to inline
    func indexFlow(_ bytes: UnsafeRawBufferPointer, _ ordinal: UInt32) {
        guard let decoderLink = decoderLinkType else { return }
        PacketDecoder.decode(bytes, linkType: decoderLink, into: &decoded)
        guard decoded.network == .ipv4 || decoded.network == .ipv6 else { return }
        let vlanID = decoded.vlanCount > 0 ? decoded.outerVLAN : 0
        let key = FlowHash.hash(vlan: vlanID, proto: decoded.ipProtocol,
                                decoded.src, decoded.srcPort, decoded.dst, decoded.dstPort)
        flow.append(Pair64(key: key, ordinal: ordinal))
        guard decoded.payloadLength > 0, decoded.transport == .tcp || decoded.transport == .udp,
              let base = bytes.baseAddress else { return }
        let payload = UnsafeRawBufferPointer(start: base + decoded.payloadOffset, count: decoded.payloadLength)
        var name = NameScratch(bytes: scratch)
        if wantDNS && (ApplicationNames.isDNSPort(decoded.srcPort) || ApplicationNames.isDNSPort(decoded.dstPort)) {
            if decoded.transport == .udp {
                ApplicationNames.forEachDNSQuestion(in: payload, scratch: &name) { addName(.dnsQueryName, key, $0) }
            } else {
                // DNS over TCP: 2-byte length prefix per message; read the messages this segment holds.
                var at = 0
                while at + 14 <= payload.count {
                    let length = Int(payload[at]) << 8 | Int(payload[at + 1])
                    guard length >= 12, at + 2 + length <= payload.count else { break }
                    let message = UnsafeRawBufferPointer(rebasing: payload[(at + 2)..<(at + 2 + length)])
                    ApplicationNames.forEachDNSQuestion(in: message, scratch: &name) { addName(.dnsQueryName, key, $0) }
                    at += 2 + length
                }
            }
        }
        if wantTLS && payload[0] == 22 && decoded.transport == .tcp {
            if ApplicationNames.tlsServerName(in: payload, into: &name) { addName(.tlsServerName, key, name) }
        } else if wantHTTP && payload[0] >= 0x41 && payload[0] <= 0x5A {
            // Over UDP too: SSDP and other HTTPU requests carry a Host header, and tshark reports it.
            if ApplicationNames.httpHost(in: payload, into: &name) { addName(.httpHost, key, name) }
        }
    }

    /// The decoder's link type, or nil when the decoder does not support this link type.
    var decoderLinkType: LinkType? {
        let type = LinkType(rawValue: linkType)
        return type.isSupported ? type : nil
    }

    /// Appends `name` (labels reversed) to the arena; names over 255 bytes were already refused.
    private func addName(_ field: NameField, _ flowKey: UInt64, _ name: NameScratch) {
        guard name.count > 0, nameBytes.count < Int(UInt32.max) - 512 else { return }
        let reversed = scratch + NameScratch.capacity
        ReversedName.reverse(name.buffer, into: reversed)
        let offset = UInt32(nameBytes.count)
        for i in 0..<name.count { nameBytes.append(reversed[i]) }
        names.append(NameEntry(flow: flowKey, offset: offset, length: UInt16(name.count), field: field.rawValue))
    }
}
