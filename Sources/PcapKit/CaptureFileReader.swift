import CPcap
#if canImport(Glibc)
import Glibc
#endif

/// Reads a pcap or pcapng file (any link type libpcap reads) with nanosecond timestamps.
///
/// The file's own timestamp resolution is sniffed from its header so that segments written
/// from it keep that resolution (a microsecond file stays microsecond).
public final class CaptureFileReader {
    public let path: String
    public let format: SourceFormat
    /// Packets returned so far.
    public private(set) var packetsRead: UInt64 = 0
    private let handle: PcapHandle

    /// Opens `path`; throws a `PcapError` naming the file on any failure.
    public init(path: String) throws(PcapError) {
        self.path = path
        var err = ErrorBuffer()
        let raw: OpaquePointer? = err.bytes.withUnsafeMutableBufferPointer {
            pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), $0.baseAddress)
        }
        guard let raw else { throw PcapError(.openFailed, source: path, message: err.message) }
        handle = PcapHandle(raw: raw)
        let nano = CaptureFileSniffer.isNanosecond(path: path)
        format = SourceFormat(linkType: UInt32(pcap_datalink(raw)), snaplen: UInt32(max(pcap_snapshot(raw), 0)), nanosecond: nano)
    }

    /// Next packet, `.end` at the end of the file. Throws when the file is cut or corrupt;
    /// the packets returned before stay valid.
    @inline(__always)
    public func next() throws(PcapError) -> NextPacket {
        let (rc, header, bytes) = handle.next(nanoPrecision: true)
        switch rc {
        case 1:
            packetsRead &+= 1
            return .packet(header, bytes)
        case -2: return .end  // PCAP_ERROR_BREAK: end of file for offline handles
        default:
            var offset: Int?
            if let f = pcap_file(handle.raw) { offset = Int(ftell(f)) }
            throw PcapError(.readFailed, source: path, message: handle.lastError, offset: offset, packetsRead: packetsRead)
        }
    }
}

/// Reads just enough of a capture file's header to learn its timestamp resolution.
enum CaptureFileSniffer {
    static func isNanosecond(path: String) -> Bool {
        guard let f = fopen(path, "rb") else { return false }
        defer { fclose(f) }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = fread(&buf, 1, buf.count, f)
        guard n >= 4 else { return false }
        let magic = UInt32(buf[0]) | UInt32(buf[1]) << 8 | UInt32(buf[2]) << 16 | UInt32(buf[3]) << 24
        switch magic {
        case 0xA1B2_3C4D, 0x4D3C_B2A1: return true
        case 0x0A0D_0D0A: return pcapngNanosecond(Array(buf[0..<n]))
        default: return false
        }
    }

    /// Walks pcapng blocks in the first 4 KiB looking for an IDB with `if_tsresol` finer than 1 µs.
    static func pcapngNanosecond(_ b: [UInt8]) -> Bool {
        guard b.count >= 12 else { return false }
        let bomLE = b[8] == 0x4D && b[9] == 0x3C
        func u32(_ o: Int) -> UInt32? {
            guard o >= 0, o + 4 <= b.count else { return nil }
            let v = UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
            return bomLE ? v : v.byteSwapped
        }
        func u16(_ o: Int) -> UInt16? {
            guard o >= 0, o + 2 <= b.count else { return nil }
            let v = UInt16(b[o]) | UInt16(b[o + 1]) << 8
            return bomLE ? v : v.byteSwapped
        }
        var off = 0
        while let type = u32(off), let len = u32(off + 4), len >= 12, off + Int(len) <= b.count {
            if type == 1 {  // Interface Description Block: options start after 8 bytes of body
                var o = off + 16
                let end = off + Int(len) - 4
                while o + 4 <= end, let code = u16(o), let olen = u16(o + 2) {
                    if code == 0 { break }
                    if code == 9, olen >= 1, o + 4 < b.count {
                        let r = b[o + 4]
                        // High bit clear: power of ten. Anything finer than 10^-6 is kept as nanoseconds.
                        return r & 0x80 == 0 ? r > 6 : (r & 0x7F) > 19
                    }
                    o += 4 + (Int(olen) + 3) & ~3
                }
                return false
            }
            off += Int(len)
        }
        return false
    }
}
