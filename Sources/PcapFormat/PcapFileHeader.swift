/// Timestamp resolution of a classic pcap file: the magic number says which.
public enum TimestampResolution: String, Sendable, Codable, Hashable {
    case micro
    case nano

    /// Sub-second units per second.
    public var unitsPerSecond: UInt32 { self == .nano ? 1_000_000_000 : 1_000_000 }
}

/// The 24-byte global header of a classic pcap file (version 2.4).
///
/// Vigie writes segments in the host's little-endian order; it reads either order.
public struct PcapFileHeader: Sendable, Hashable {
    /// Size in bytes of the global header.
    public static let size = 24
    /// Magic for microsecond files as written in native order.
    public static let magicMicro: UInt32 = 0xA1B2_C3D4
    /// Magic for nanosecond files as written in native order.
    public static let magicNano: UInt32 = 0xA1B2_3C4D

    public var resolution: TimestampResolution
    public var snaplen: UInt32
    public var linkType: UInt32
    /// True when the file was written big-endian (only ever true for files Vigie reads).
    public var byteSwapped: Bool
    /// Format version (Vigie writes 2.4).
    public var versionMajor: UInt16 = 2
    public var versionMinor: UInt16 = 4

    public init(resolution: TimestampResolution, snaplen: UInt32, linkType: UInt32, byteSwapped: Bool = false) {
        self.resolution = resolution
        self.snaplen = snaplen
        self.linkType = linkType
        self.byteSwapped = byteSwapped
    }

    /// Encodes the header in little-endian order (what Vigie writes).
    public func encoded() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Self.size)
        func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func put16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        put32(resolution == .nano ? Self.magicNano : Self.magicMicro)
        put16(2); put16(4)
        put32(0); put32(0)  // thiszone, sigfigs: always zero in practice
        put32(snaplen)
        put32(linkType)
        return out
    }

    /// Parses a global header; throws on a short buffer or an unknown magic.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(PcapFormatError) -> PcapFileHeader {
        guard bytes.count >= size else {
            throw PcapFormatError(.truncatedFileHeader, offset: 0, detail: "\(bytes.count) bytes, need \(size)")
        }
        let raw = bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
        let magic = UInt32(littleEndian: raw)
        let swapped: Bool
        let resolution: TimestampResolution
        switch magic {
        case magicMicro: (swapped, resolution) = (false, .micro)
        case magicNano: (swapped, resolution) = (false, .nano)
        case magicMicro.byteSwapped: (swapped, resolution) = (true, .micro)
        case magicNano.byteSwapped: (swapped, resolution) = (true, .nano)
        default:
            throw PcapFormatError(.badMagic, offset: 0, detail: "magic 0x\(String(magic, radix: 16))")
        }
        func u32(_ off: Int) -> UInt32 {
            let v = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: off, as: UInt32.self))
            return swapped ? v.byteSwapped : v
        }
        var h = PcapFileHeader(resolution: resolution, snaplen: u32(16), linkType: u32(20) & 0x0FFF_FFFF, byteSwapped: swapped)
        let version = u32(4)
        h.versionMajor = UInt16(truncatingIfNeeded: swapped ? version >> 16 : version)
        h.versionMinor = UInt16(truncatingIfNeeded: swapped ? version : version >> 16)
        return h
    }
}
