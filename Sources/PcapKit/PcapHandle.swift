import CPcap
import PcapFormat

/// Owns one `pcap_t`. Confined to the thread that reads packets; only `breakLoop()` may be
/// called from another thread (libpcap documents `pcap_breakloop` as safe for that).
final class PcapHandle: @unchecked Sendable {
    let raw: OpaquePointer

    init(raw: OpaquePointer) { self.raw = raw }

    deinit { pcap_close(raw) }

    var lastError: String { String(cString: pcap_geterr(raw)) }

    func breakLoop() { pcap_breakloop(raw) }

    /// Wraps `pcap_next_ex`. Timestamps are nanoseconds when the handle was opened with
    /// nanosecond precision (Vigie always asks for it), microseconds otherwise.
    @inline(__always)
    func next(nanoPrecision: Bool) -> (Int32, PacketHeader, UnsafeRawBufferPointer) {
        var hdr: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let rc = pcap_next_ex(raw, &hdr, &data)
        guard rc == 1, let h = hdr, let d = data else {
            return (rc, PacketHeader(seconds: 0, fraction: 0, nanosecond: true, capturedLength: 0, originalLength: 0),
                    UnsafeRawBufferPointer(start: nil, count: 0))
        }
        let ts = h.pointee.ts
        let header = PacketHeader(seconds: UInt32(truncatingIfNeeded: ts.tv_sec), fraction: UInt32(truncatingIfNeeded: ts.tv_usec),
                                  nanosecond: nanoPrecision, capturedLength: h.pointee.caplen, originalLength: h.pointee.len)
        return (rc, header, UnsafeRawBufferPointer(start: d, count: Int(h.pointee.caplen)))
    }
}

/// libpcap's errbuf, sized as it requires.
struct ErrorBuffer {
    var bytes = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
    var message: String { bytes.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } }
}
