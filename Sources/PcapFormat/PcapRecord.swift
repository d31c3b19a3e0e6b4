/// The 16-byte per-record header of a classic pcap file.
public struct PcapRecordHeader: Sendable, Hashable {
    public static let size = 16
    /// Seconds since the epoch.
    public var seconds: UInt32
    /// Sub-second part, in the file's resolution (micro- or nanoseconds).
    public var fraction: UInt32
    /// Bytes present in the file.
    public var capturedLength: UInt32
    /// Length of the packet on the wire.
    public var originalLength: UInt32

    public init(seconds: UInt32, fraction: UInt32, capturedLength: UInt32, originalLength: UInt32) {
        self.seconds = seconds
        self.fraction = fraction
        self.capturedLength = capturedLength
        self.originalLength = originalLength
    }

    /// Timestamp in nanoseconds since the epoch.
    @inlinable
    public func nanoseconds(_ resolution: TimestampResolution) -> Int64 {
        Int64(seconds) * 1_000_000_000 + Int64(fraction) * (resolution == .nano ? 1 : 1000)
    }

    /// Writes the header little-endian at `pointer` (16 bytes must be writable).
    @inlinable
    public func store(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: seconds.littleEndian, as: UInt32.self)
        pointer.storeBytes(of: fraction.littleEndian, toByteOffset: 4, as: UInt32.self)
        pointer.storeBytes(of: capturedLength.littleEndian, toByteOffset: 8, as: UInt32.self)
        pointer.storeBytes(of: originalLength.littleEndian, toByteOffset: 12, as: UInt32.self)
    }

    /// Reads a header at `offset` of `bytes` (16 bytes must be readable).
    @inlinable
    public static func load(from bytes: UnsafeRawBufferPointer, at offset: Int, byteSwapped: Bool) -> PcapRecordHeader {
        @inline(__always) func u32(_ o: Int) -> UInt32 {
            let v = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + o, as: UInt32.self))
            return byteSwapped ? v.byteSwapped : v
        }
        return PcapRecordHeader(seconds: u32(0), fraction: u32(4), capturedLength: u32(8), originalLength: u32(12))
    }
}
