#if canImport(Glibc)
import Glibc
#endif

/// Reads a classic pcap file (either byte order, micro- or nanosecond) record by record,
/// exactly: records longer than the snaplen (which libpcap would trim) are returned whole, and
/// timestamp fields are passed through raw.
public final class ClassicPcapReader: CaptureRecordReader {
    public let header: PcapFileHeader
    public private(set) var format: SourceFormat
    public let formatGeneration = 0
    public private(set) var packetsRead: UInt64 = 0
    public var offset: Int { buffer.fileOffset }
    private let buffer: ReadBuffer
    private let nano: Bool
    private let swapped: Bool
    /// Files older than pcap 2.3 have the two length fields the other way round (as libpcap and
    /// Wireshark both assume).
    private let lengthsSwapped: Bool
    /// Largest captured length accepted (as Wireshark: 256 KiB, or the snaplen if larger).
    private let maxCaptured: UInt32

    /// Takes ownership of nothing: `fd` stays the caller's to close, after the reader is gone.
    public init(fd: Int32) throws(PcapFormatError) {
        buffer = ReadBuffer(fd: fd)
        let ok: Bool
        do { ok = try buffer.ensure(PcapFileHeader.size) } catch {
            throw PcapFormatError(.truncatedFileHeader, offset: 0, detail: "read failed: \(error.message)")
        }
        guard ok else {
            throw PcapFormatError(.truncatedFileHeader, offset: 0, detail: "\(buffer.available) bytes, need \(PcapFileHeader.size)")
        }
        header = try PcapFileHeader.parse(UnsafeRawBufferPointer(start: buffer.pointer, count: PcapFileHeader.size))
        buffer.consume(PcapFileHeader.size)
        nano = header.resolution == .nano
        swapped = header.byteSwapped
        lengthsSwapped = header.versionMajor < 2 || (header.versionMajor == 2 && header.versionMinor < 3)
        maxCaptured = max(header.snaplen, 262_144)
        format = SourceFormat(linkType: header.linkType, snaplen: header.snaplen, nanosecond: nano)
    }

    @inline(__always)
    public func next() throws(PcapFormatError) -> NextPacket {
        let hasHeader: Bool
        do { hasHeader = try buffer.ensure(PcapRecordHeader.size) } catch { throw readError(error) }
        guard hasHeader else {
            if buffer.available == 0 { return .end }
            throw PcapFormatError(.truncatedRecordHeader, offset: offset, detail: "\(buffer.available) bytes left")
        }
        var h = PcapRecordHeader.load(from: UnsafeRawBufferPointer(start: buffer.pointer, count: PcapRecordHeader.size),
                                      at: 0, byteSwapped: swapped)
        if lengthsSwapped { swap(&h.capturedLength, &h.originalLength) }
        guard h.capturedLength <= maxCaptured else {
            throw PcapFormatError(.absurdRecordLength, offset: offset,
                                  detail: "captured length \(h.capturedLength) > \(maxCaptured)")
        }
        let total = PcapRecordHeader.size + Int(h.capturedLength)
        let hasData: Bool
        do { hasData = try buffer.ensure(total) } catch { throw readError(error) }
        guard hasData else {
            throw PcapFormatError(.truncatedRecordData, offset: offset,
                                  detail: "record needs \(total) bytes, \(buffer.available) left")
        }
        let data = UnsafeRawBufferPointer(start: buffer.pointer + PcapRecordHeader.size, count: Int(h.capturedLength))
        buffer.consume(total)
        packetsRead &+= 1
        return .packet(PacketHeader(seconds: h.seconds, fraction: h.fraction, nanosecond: nano,
                                    capturedLength: h.capturedLength, originalLength: h.originalLength), data)
    }

    private func readError(_ error: ReadError) -> PcapFormatError {
        PcapFormatError(.truncatedRecordData, offset: offset, detail: "read failed: \(error.message)")
    }
}
