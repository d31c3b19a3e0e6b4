import CPcap
import PcapFormat
#if canImport(Glibc)
import Glibc
#endif

/// Reads a capture file of any format: pcap and pcapng with Vigie's own exact readers (every
/// record kept as it is, per-interface link types), anything else through libpcap.
public final class CaptureFileReader {
    public let path: String
    private let reader: any CaptureRecordReader
    private let fd: Int32

    /// Opens `path`; throws a `PcapError` naming the file on any failure.
    public init(path: String) throws(PcapError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PcapError(.openFailed, source: path, message: String(cString: strerror(errno))) }
        var magic = [UInt8](repeating: 0, count: 4)
        let n = pread(fd, &magic, 4, 0)
        do {
            switch CaptureFileFormat.detect(magic: n == 4 ? magic : []) {
            case .pcap: reader = try ClassicPcapReader(fd: fd)
            case .pcapng: reader = try PcapngReader(fd: fd)
            case .other:
                close(fd)
                self.fd = -1
                reader = try LibpcapFileReader(path: path)
                return
            }
        } catch let e as PcapFormatError {
            close(fd)
            throw PcapError(.openFailed, source: path, message: e.description)
        } catch let e as PcapError {
            throw e
        } catch {
            close(fd)
            throw PcapError(.openFailed, source: path, message: "\(error)")
        }
        self.fd = fd
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Format of the packet last returned (before the first: of the file's first interface).
    public var format: SourceFormat { reader.format }
    /// Changes whenever `format` changes (pcapng files with several interfaces).
    public var formatGeneration: Int { reader.formatGeneration }
    public var packetsRead: UInt64 { reader.packetsRead }

    /// Next packet, `.end` at the end of the file. Throws when the file is cut or corrupt; the
    /// packets returned before stay valid.
    @inline(__always)
    public func next() throws(PcapError) -> NextPacket {
        do {
            return try reader.next()
        } catch {
            throw PcapError(.readFailed, source: path, message: error.description, offset: error.offset, packetsRead: reader.packetsRead)
        }
    }
}

/// libpcap's offline reader, for formats Vigie does not parse itself.
final class LibpcapFileReader: CaptureRecordReader {
    let path: String
    let format: SourceFormat
    let formatGeneration = 0
    private(set) var packetsRead: UInt64 = 0
    private let handle: PcapHandle
    var offset: Int {
        guard let f = pcap_file(handle.raw) else { return 0 }
        return Int(ftell(f))
    }

    init(path: String) throws(PcapError) {
        self.path = path
        var err = ErrorBuffer()
        let raw: OpaquePointer? = err.bytes.withUnsafeMutableBufferPointer {
            pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), $0.baseAddress)
        }
        guard let raw else { throw PcapError(.openFailed, source: path, message: err.message) }
        handle = PcapHandle(raw: raw)
        format = SourceFormat(linkType: LinkTypeMapping.linkType(fromDLT: pcap_datalink(raw)),
                              snaplen: UInt32(max(pcap_snapshot(raw), 0)), nanosecond: true)
    }

    func next() throws(PcapFormatError) -> NextPacket {
        let (rc, header, bytes) = handle.next(nanoPrecision: true)
        switch rc {
        case 1:
            packetsRead &+= 1
            return .packet(header, bytes)
        case -2: return .end
        default: throw PcapFormatError(.truncatedRecordData, offset: offset, detail: handle.lastError)
        }
    }
}

/// libpcap reports DLT_ values; files need LINKTYPE_ values. They differ for a few (raw IP above all).
enum LinkTypeMapping {
    static func linkType(fromDLT dlt: Int32) -> UInt32 {
        switch dlt {
        case 12, 14: return 101  // DLT_RAW (platform-specific values) -> LINKTYPE_RAW
        default: return UInt32(bitPattern: dlt)
        }
    }
}
