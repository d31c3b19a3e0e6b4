/// Reads a pcapng file: every section, every interface with its own link type, snaplen,
/// timestamp resolution (`if_tsresol`) and offset (`if_tsoffset`). Enhanced, simple and
/// obsolete packet blocks yield packets; other blocks are skipped.
///
/// Unlike libpcap (which refuses interfaces of different link types in one file), each packet
/// comes with its own interface's format; the store starts a new segment when it changes.
public final class PcapngReader: CaptureRecordReader {
    public private(set) var format: SourceFormat
    public private(set) var formatGeneration = 0
    public private(set) var packetsRead: UInt64 = 0
    public var offset: Int { buffer.fileOffset }

    private struct Interface {
        var format: SourceFormat
        /// Timestamp units per second (10^n or 2^n).
        var unitsPerSecond: UInt64
        var offsetSeconds: Int64
    }

    private let buffer: ReadBuffer
    private var swapped = false
    private var interfaces: [Interface] = []
    private var currentInterface = -1

    public init(fd: Int32) throws(PcapFormatError) {
        buffer = ReadBuffer(fd: fd)
        format = SourceFormat(linkType: 1, snaplen: 262_144, nanosecond: false)
        // Read blocks up to the first interface so `format` describes the file before any packet.
        while interfaces.isEmpty {
            guard let (type, _) = try readBlockHeader(requireAny: true), type == 1 else { break }
        }
        if let first = interfaces.first { format = first.format }
    }

    @inline(__always)
    public func next() throws(PcapFormatError) -> NextPacket {
        while true {
            guard let (type, length) = try readBlockHeader(requireAny: false) else { return .end }
            switch type {
            case 6: if let p = try enhancedPacket(length) { return p }
            case 3: if let p = try simplePacket(length) { return p }
            case 2: if let p = try obsoletePacket(length) { return p }
            default: buffer.consume(length)
            }
        }
    }

    // MARK: - Blocks

    @inline(__always)
    private func u32(_ p: UnsafeRawPointer, _ o: Int) -> UInt32 {
        let v = p.loadUnaligned(fromByteOffset: o, as: UInt32.self)
        return swapped ? v.byteSwapped : v
    }

    @inline(__always)
    private func u16(_ p: UnsafeRawPointer, _ o: Int) -> UInt16 {
        let v = p.loadUnaligned(fromByteOffset: o, as: UInt16.self)
        return swapped ? v.byteSwapped : v
    }

    private func ensure(_ n: Int) throws(PcapFormatError) -> Bool {
        do { return try buffer.ensure(n) } catch {
            throw PcapFormatError(.truncatedRecordData, offset: offset, detail: "read failed: \(error.message)")
        }
    }

    /// Reads the next block's header and makes the whole block available. Section and interface
    /// blocks are handled here; returns nil at a clean end of file.
    private func readBlockHeader(requireAny: Bool) throws(PcapFormatError) -> (UInt32, Int)? {
        while true {
            guard try ensure(12) else {
                if buffer.available == 0 { return nil }
                throw PcapFormatError(.truncatedRecordHeader, offset: offset, detail: "\(buffer.available) bytes left")
            }
            let p = buffer.pointer
            let rawType = p.loadUnaligned(as: UInt32.self)
            if rawType == 0x0A0D_0D0A {  // Section Header Block: its byte-order magic sets endianness
                let bom = p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
                guard bom == 0x1A2B_3C4D || bom == 0x4D3C_2B1A else {
                    throw PcapFormatError(.badMagic, offset: offset, detail: "pcapng byte-order magic 0x\(String(bom, radix: 16))")
                }
                swapped = bom == 0x4D3C_2B1A
                interfaces.removeAll()
                currentInterface = -1  // a new section's interface 0 is another interface: re-select it
            }
            let type = swapped ? rawType.byteSwapped : rawType
            let length = Int(u32(p, 4))
            guard length >= 12, length % 4 == 0, length <= 64 << 20 else {
                throw PcapFormatError(.badBlock, offset: offset, detail: "block type \(type) length \(length)")
            }
            guard try ensure(length) else {
                throw PcapFormatError(.truncatedRecordData, offset: offset,
                                      detail: "block needs \(length) bytes, \(buffer.available) left")
            }
            switch type {
            case 0x0A0D_0D0A:
                buffer.consume(length)
            case 1:
                try interfaceDescription(length)
                buffer.consume(length)
                if requireAny { return (type, length) }
            default:
                return (type, length)
            }
        }
    }

    private func interfaceDescription(_ length: Int) throws(PcapFormatError) {
        let p = buffer.pointer
        guard length >= 20 else { throw PcapFormatError(.badBlock, offset: offset, detail: "interface block too short") }
        let linkType = UInt32(u16(p, 8))
        var snaplen = u32(p, 12)
        if snaplen == 0 { snaplen = 262_144 }  // 0 means "no limit"
        var units: UInt64 = 1_000_000
        var tsOffset: Int64 = 0
        var o = 16
        let end = length - 4
        while o + 4 <= end {
            let code = u16(p, o), olen = Int(u16(p, o + 2))
            if code == 0 || o + 4 + olen > end { break }
            if code == 9 && olen >= 1 {
                let r = p.load(fromByteOffset: o + 4, as: UInt8.self)
                let exp = UInt64(r & 0x7F)
                if r & 0x80 == 0 { if exp <= 19 { units = (0..<exp).reduce(1) { a, _ in a * 10 } } }
                else if exp <= 63 { units = 1 << exp }
            } else if code == 14 && olen >= 8 {
                let raw = p.loadUnaligned(fromByteOffset: o + 4, as: UInt64.self)
                tsOffset = Int64(bitPattern: swapped ? raw.byteSwapped : raw)
            }
            o += 4 + ((olen + 3) & ~3)
        }
        interfaces.append(Interface(format: SourceFormat(linkType: linkType, snaplen: snaplen, nanosecond: units > 1_000_000),
                                    unitsPerSecond: units, offsetSeconds: tsOffset))
    }

    @inline(__always)
    private func select(_ index: Int) throws(PcapFormatError) -> Interface {
        guard index < interfaces.count else {
            throw PcapFormatError(.unknownInterface, offset: offset, detail: "interface \(index) of \(interfaces.count)")
        }
        let iface = interfaces[index]
        if index != currentInterface {
            currentInterface = index
            if iface.format != format {
                format = iface.format
                formatGeneration += 1
            }
        }
        return iface
    }

    @inline(__always)
    private func packet(_ iface: Interface, ts: UInt64, caplen: Int, origlen: UInt32, dataOffset: Int, length: Int) throws(PcapFormatError) -> NextPacket {
        guard caplen >= 0, dataOffset + caplen <= length - 4 else {
            throw PcapFormatError(.badBlock, offset: offset, detail: "captured length \(caplen) overruns its block")
        }
        let units = iface.unitsPerSecond
        let secs64 = ts / units
        let rem = ts % units
        let nano = iface.format.nanosecond
        let target: UInt64 = nano ? 1_000_000_000 : 1_000_000
        // rem * target needs 128 bits past ~10^10 units/s; the quotient is < target (rem < units).
        let frac = units == target ? rem : units.dividingFullWidth(target.multipliedFullWidth(by: rem)).quotient
        let seconds = Int64(bitPattern: secs64) &+ iface.offsetSeconds
        let nanos = seconds &* 1_000_000_000 &+ Int64(nano ? frac : frac &* 1000)
        let data = UnsafeRawBufferPointer(start: buffer.pointer + dataOffset, count: caplen)
        buffer.consume(length)
        packetsRead &+= 1
        return .packet(PacketHeader(timestampNanos: nanos, seconds: UInt32(truncatingIfNeeded: seconds), fraction: UInt32(truncatingIfNeeded: frac),
                                    capturedLength: UInt32(caplen), originalLength: origlen), data)
    }

    private func enhancedPacket(_ length: Int) throws(PcapFormatError) -> NextPacket? {
        guard length >= 32 else { throw PcapFormatError(.badBlock, offset: offset, detail: "enhanced packet block too short") }
        let p = buffer.pointer
        let iface = try select(Int(u32(p, 8)))
        let ts = UInt64(u32(p, 12)) << 32 | UInt64(u32(p, 16))
        return try packet(iface, ts: ts, caplen: Int(u32(p, 20)), origlen: u32(p, 24), dataOffset: 28, length: length)
    }

    private func simplePacket(_ length: Int) throws(PcapFormatError) -> NextPacket? {
        guard length >= 16 else { throw PcapFormatError(.badBlock, offset: offset, detail: "simple packet block too short") }
        let p = buffer.pointer
        let iface = try select(0)
        let origlen = u32(p, 8)
        let caplen = min(Int(origlen), Int(iface.format.snaplen), length - 16)
        return try packet(iface, ts: 0, caplen: caplen, origlen: origlen, dataOffset: 12, length: length)
    }

    private func obsoletePacket(_ length: Int) throws(PcapFormatError) -> NextPacket? {
        guard length >= 32 else { throw PcapFormatError(.badBlock, offset: offset, detail: "packet block too short") }
        let p = buffer.pointer
        let iface = try select(Int(u16(p, 8)))
        let ts = UInt64(u32(p, 12)) << 32 | UInt64(u32(p, 16))
        return try packet(iface, ts: ts, caplen: Int(u32(p, 20)), origlen: u32(p, 24), dataOffset: 28, length: length)
    }
}
