import CPcap
import PcapFormat

/// A compiled BPF program (libpcap's compiler) run in user space on captured packets.
///
/// Vigie filters in user space rather than in the kernel so that what is *not* stored is still
/// counted (and, later, still seen by the analytics).
public final class BPFFilter: @unchecked Sendable {
    public let expression: String
    public let linkType: UInt32
    private var program = bpf_program()

    /// Compiles `expression` for `linkType`; throws `PcapError(.badFilter)` with libpcap's message.
    public init(expression: String, linkType: UInt32, snaplen: Int32 = 262_144) throws(PcapError) {
        self.expression = expression
        self.linkType = linkType
        guard let dead = pcap_open_dead(Int32(linkType), snaplen) else {
            throw PcapError(.badFilter, source: expression, message: "cannot create compiler handle")
        }
        defer { pcap_close(dead) }
        if pcap_compile(dead, &program, expression, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            throw PcapError(.badFilter, source: "prefilter '\(expression)'", message: String(cString: pcap_geterr(dead)))
        }
    }

    deinit { pcap_freecode(&program) }

    /// True when the packet passes the filter.
    @inline(__always)
    public func matches(_ header: PacketHeader, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        var h = pcap_pkthdr()
        h.caplen = header.capturedLength
        h.len = header.originalLength
        return withUnsafePointer(to: &program) { prog in
            pcap_offline_filter(prog, &h, base.assumingMemoryBound(to: UInt8.self)) != 0
        }
    }
}
