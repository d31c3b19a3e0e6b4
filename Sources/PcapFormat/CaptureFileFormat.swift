/// The on-disk capture formats Vigie reads itself.
public enum CaptureFileFormat: Sendable, Hashable {
    case pcap
    case pcapng
    /// Anything else (left to libpcap, which knows a few more variants).
    case other

    /// Identifies a file by its first four bytes.
    public static func detect(magic bytes: [UInt8]) -> CaptureFileFormat {
        guard bytes.count >= 4 else { return .other }
        let m = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        switch m {
        case PcapFileHeader.magicMicro, PcapFileHeader.magicNano,
             PcapFileHeader.magicMicro.byteSwapped, PcapFileHeader.magicNano.byteSwapped:
            return .pcap
        case 0x0A0D_0D0A: return .pcapng
        default: return .other
        }
    }
}

/// A reader of one capture file, yielding packets with the format (link type, snaplen,
/// resolution) they belong to. `format` may change between packets (pcapng interfaces).
public protocol CaptureRecordReader: AnyObject {
    /// Format of the packet last returned (or of the file, before the first one).
    var format: SourceFormat { get }
    /// Increments whenever `format` changes, so callers can compare an integer per packet.
    var formatGeneration: Int { get }
    var packetsRead: UInt64 { get }
    /// Byte offset in the file of the next unread record.
    var offset: Int { get }
    /// The next packet, `.end` at a clean end of file. Throws on a cut or corrupt record; the
    /// packets returned before it are valid.
    func next() throws(PcapFormatError) -> NextPacket
}
