/// The end-of-run report.
struct Summary {
    let stats: GeneratorStats
    let bytes: UInt64
    let wallSeconds: Double

    var text: String {
        let s = stats
        let captureSeconds = Double(s.lastTime) / 1e9
        let packets = Double(max(s.packets, 1))
        func pct(_ n: UInt64) -> String { format(Double(n) * 100 / packets, 2) + "%" }
        let lines = [
            "packets            \(s.packets)",
            "bytes              \(bytes) (\(format(Double(bytes) / 1_048_576, 1)) MiB)",
            "avg frame          \(format((Double(bytes) - 24) / packets - 16, 1)) bytes",
            "capture span       \(format(captureSeconds, 3)) s (\(format(packets / max(captureSeconds, 1e-9), 0)) pps)",
            "TCP sessions       \(s.tcpSessions) accepted",
            "refused            \(s.refused) SYN answered by RST/ACK (\(s.outageRefused) by the outage)",
            "unanswered         \(s.unansweredSYN) SYN never answered",
            "DNS queries        \(s.dnsQueries) (\(s.nxdomain) NXDOMAIN, \(s.dnsUnanswered) unanswered)",
            "retransmissions    \(s.retransmissions) (\(pct(s.retransmissions)))",
            "RST teardowns      \(s.resets)",
            "TCP / UDP          \(pct(s.tcpPackets)) / \(pct(s.udpPackets)) of packets",
            "IPv6 / VLAN        \(pct(s.ipv6Packets)) / \(pct(s.vlanPackets)) of packets",
            "sessions started   \(s.sessionsStarted)",
            "sessions live      avg \(s.sessionSamples == 0 ? 0 : s.sessionSum / s.sessionSamples), peak \(s.peakSessions)",
            "wall               \(format(wallSeconds, 2)) s (\(format(Double(bytes) / 1_048_576 / max(wallSeconds, 1e-9), 0)) MiB/s)",
        ]
        return lines.joined(separator: "\n")
    }
}
