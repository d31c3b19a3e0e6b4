import PcapFormat

extension Engine {
    /// Largest frame the generator builds (VLAN + IPv6 + TCP with options + MSS payload).
    static let maxFrame = 2_048

    /// Emits one TCP segment of `s`. The payload, if any, is bytes
    /// `payloadOffset..<payloadOffset+payloadCount` of the current message.
    mutating func emitTCP(_ s: inout Session, at t: UInt64, fromServer: Bool, flags: UInt8, seq: UInt32, ack: UInt32,
                          options: TCPOptionSet, payloadOffset: Int = 0, payloadCount: Int = 0) throws {
        let record = try writer.reserve(PcapRecordHeader.size + Self.maxFrame)
        let frame = record + PcapRecordHeader.size
        let linkLength = Frame.linkLength(vlan: s.vlan)
        let ipLength = s.isV6 ? 40 : 20
        let ip = frame + linkLength
        let l4 = ip + ipLength
        let tcpLength = 20 + options.length
        if payloadCount > 0 {
            corpus.write(s.current.message, offset: payloadOffset, count: payloadCount, to: l4 + tcpLength)
            if s.current.message.body == .ssh {
                maskSSHLength(&s, fromServer: fromServer, payload: l4 + tcpLength, offset: payloadOffset,
                              count: payloadCount)
            }
        }
        let serverMAC = network.serverMAC(s.server)
        let routerMAC = network.routerMAC(vlan: s.vlan)
        _ = Frame.ethernet(frame, dst: fromServer ? routerMAC : serverMAC, src: fromServer ? serverMAC : routerMAC,
                           vlan: s.vlan, etherType: s.isV6 ? Frame.etherTypeIPv6 : Frame.etherTypeIPv4)

        let ms = UInt32(truncatingIfNeeded: (t &- s.start) / 1_000_000)
        let tsval: UInt32
        let tsecr: UInt32
        var window: UInt16
        if fromServer {
            tsval = s.tsBaseServer &+ ms
            tsecr = s.tsLastClient
            s.tsLastServer = tsval
            window = s.windowServer
        } else {
            tsval = s.tsBaseClient &+ ms
            tsecr = flags & TCPFlags.syn != 0 ? 0 : s.tsLastServer
            s.tsLastClient = tsval
            window = s.windowClient
        }
        if flags & TCPFlags.syn != 0 { window = s.isV6 ? 64_800 : (fromServer ? 65_160 : 64_240) }
        if flags & TCPFlags.rst != 0 { window = 0 }
        _ = Frame.tcp(l4, srcPort: fromServer ? s.serverPort : s.clientPort,
                      dstPort: fromServer ? s.clientPort : s.serverPort, seq: seq, ack: ack, flags: flags,
                      window: window, options: options, mss: s.isV6 ? 1440 : 1460, tsval: tsval, tsecr: tsecr)
        let l4Length = tcpLength + payloadCount
        if s.isV6 {
            let client = network.clientV6(s.client)
            let server = network.serverV6(s.server)
            Frame.ipv6(ip, src: fromServer ? server : client, dst: fromServer ? client : server,
                       nextHeader: Frame.protoTCP, payloadLength: l4Length,
                       flowLabel: fromServer ? s.flowLabel ^ 0x5_A5A5 : s.flowLabel,
                       hopLimit: fromServer ? 64 : s.ttlClient)
        } else {
            let client = network.clientV4(s.client)
            let server = network.serverV4(s.server)
            let id: UInt16
            if flags & TCPFlags.rst != 0 && flags & TCPFlags.syn == 0 && s.phase == .refusedReset {
                id = 0  // kernel-generated reset
            } else if fromServer {
                id = s.ipIDServer
                s.ipIDServer &+= 1
            } else {
                id = s.ipIDClient
                s.ipIDClient &+= 1
            }
            Frame.ipv4(ip, src: fromServer ? server : client, dst: fromServer ? client : server,
                       proto: Frame.protoTCP, payloadLength: l4Length, id: id, ttl: fromServer ? 64 : s.ttlClient)
        }
        Frame.l4Checksum(ip: ip, isV6: s.isV6, l4: l4, length: l4Length, proto: Frame.protoTCP)
        finishRecord(record, frameLength: linkLength + ipLength + l4Length, at: t, s)
        stats.tcpPackets += 1
    }

    /// Applies `SSHLengthMask` where Wireshark starts reading encrypted SSH data in this
    /// segment: its start, or the end of the clear prefix (NEWKEYS) in the first segment.
    @inline(__always)
    private func maskSSHLength(_ s: inout Session, fromServer: Bool, payload: UnsafeMutableRawPointer,
                               offset: Int, count: Int) {
        let start = max(Int(s.current.message.prefixLength) - offset, 0)
        guard count - start >= 4 else { return }
        let sent = fromServer ? s.sshSegmentsServer : s.sshSegmentsClient
        SSHLengthMask.apply(payload + start, sequence: SSHLengthMask.firstSequence &+ sent)
        if fromServer { s.sshSegmentsServer &+= 1 } else { s.sshSegmentsClient &+= 1 }
    }

    /// Emits a DNS query (client → resolver) or response for `s`.
    mutating func emitDNS(_ s: inout Session, at t: UInt64, response: Bool) throws {
        let record = try writer.reserve(PcapRecordHeader.size + Self.maxFrame)
        let frame = record + PcapRecordHeader.size
        let linkLength = Frame.linkLength(vlan: s.vlan)
        let ipLength = s.isV6 ? 40 : 20
        let ip = frame + linkLength
        let udp = ip + ipLength
        let dnsLength = DNSMessage.write(s, response: response, names: corpus.names, network: network, to: udp + 8)
        let resolverMAC = network.resolverMAC(s.server)
        let routerMAC = network.routerMAC(vlan: s.vlan)
        _ = Frame.ethernet(frame, dst: response ? routerMAC : resolverMAC, src: response ? resolverMAC : routerMAC,
                           vlan: s.vlan, etherType: s.isV6 ? Frame.etherTypeIPv6 : Frame.etherTypeIPv4)
        Frame.udp(udp, srcPort: response ? 53 : s.clientPort, dstPort: response ? s.clientPort : 53,
                  payloadLength: dnsLength)
        let l4Length = 8 + dnsLength
        if s.isV6 {
            let client = network.clientV6(s.client)
            let resolver = network.resolverV6(s.server)
            Frame.ipv6(ip, src: response ? resolver : client, dst: response ? client : resolver,
                       nextHeader: Frame.protoUDP, payloadLength: l4Length, flowLabel: s.flowLabel,
                       hopLimit: response ? 64 : s.ttlClient)
        } else {
            let client = network.clientV4(s.client)
            let resolver = network.resolverV4(s.server)
            let id = response ? s.ipIDServer : s.ipIDClient
            if response { s.ipIDServer &+= 1 } else { s.ipIDClient &+= 0x3D1 }
            Frame.ipv4(ip, src: response ? resolver : client, dst: response ? client : resolver,
                       proto: Frame.protoUDP, payloadLength: l4Length, id: id, ttl: response ? 64 : s.ttlClient)
        }
        Frame.l4Checksum(ip: ip, isV6: s.isV6, l4: udp, length: l4Length, proto: Frame.protoUDP)
        finishRecord(record, frameLength: linkLength + ipLength + l4Length, at: t, s)
        stats.udpPackets += 1
    }

    /// Writes the record header, commits the record and counts it.
    @inline(__always)
    private mutating func finishRecord(_ record: UnsafeMutableRawPointer, frameLength: Int, at t: UInt64, _ s: Session) {
        let ns = config.startEpochNanos &+ t
        let sub = ns % 1_000_000_000
        PcapRecordHeader(seconds: UInt32(truncatingIfNeeded: ns / 1_000_000_000),
                         fraction: UInt32(config.resolution == .nano ? sub : sub / 1000),
                         capturedLength: UInt32(frameLength), originalLength: UInt32(frameLength)).store(to: record)
        writer.commit(PcapRecordHeader.size + frameLength)
        stats.packets += 1
        stats.lastTime = t
        if s.isV6 { stats.ipv6Packets += 1 }
        if s.vlan != 0 { stats.vlanPackets += 1 }
    }
}
