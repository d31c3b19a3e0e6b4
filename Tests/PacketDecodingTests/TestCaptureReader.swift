import Foundation
import PacketDecoding
import VigieTestSupport

/// TEST-ONLY reader for classic pcap and pcapng files, so the corpus tests need no libpcap.
///
/// Handles: classic pcap in either byte order, usec or nsec magic; pcapng SHB (either byte order,
/// several sections), IDB (per-interface link type), EPB, SPB and the obsolete Packet Block.
/// Timestamps and options are ignored. Like Wireshark it stops at the first damaged record
/// (length running past the file, or a record above 256 KiB), keeping the packets read so far.
/// Production code reads captures through PcapKit / PcapFormat, never this.
struct TestCaptureReader {
    struct Packet {
        var linkType: LinkType
        var bytes: [UInt8]
    }

    private(set) var packets: [Packet] = []
    /// Whether the file ended in a damaged record (reading stopped there).
    private(set) var stoppedOnDamage = false

    /// Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD: larger records are treated as corruption.
    static let maxRecord = 262_144

    init?(contentsOf path: String) {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else { return nil }
        let magic = Self.load32(bytes, 0, bigEndian: false)
        switch magic {
        case 0xA1B2_C3D4, 0xA1B2_3C4D: readClassic(bytes, bigEndian: false)
        case 0xD4C3_B2A1, 0x4D3C_B2A1: readClassic(bytes, bigEndian: true)
        case 0x0A0D_0D0A: readPcapng(bytes)
        default: return nil
        }
    }

    private mutating func readClassic(_ b: [UInt8], bigEndian: Bool) {
        guard b.count >= 24 else { stoppedOnDamage = true; return }
        // The upper bits of the link-type field carry FCS information (LT_LINKTYPE mask).
        let linkType = LinkType(rawValue: Self.load32(b, 20, bigEndian: bigEndian) & 0x03FF_FFFF)
        // Writers before format 2.3 stored the two lengths the other way round; 2.3 files may be
        // either way (Wireshark's wiretap applies the same rule).
        let version = (Self.load16(b, 4, bigEndian: bigEndian), Self.load16(b, 6, bigEndian: bigEndian))
        let swapped = version.0 < 2 || (version.0 == 2 && version.1 < 3)
        let maybeSwapped = version == (2, 3)
        var offset = 24
        while offset < b.count {
            guard offset + 16 <= b.count else { stoppedOnDamage = true; return }
            let included = Int(Self.load32(b, offset + 8, bigEndian: bigEndian))
            let original = Int(Self.load32(b, offset + 12, bigEndian: bigEndian))
            let captured = swapped || (maybeSwapped && included > original) ? original : included
            guard captured <= Self.maxRecord, offset + 16 + captured <= b.count else { stoppedOnDamage = true; return }
            packets.append(Packet(linkType: linkType, bytes: Array(b[offset + 16 ..< offset + 16 + captured])))
            offset += 16 + captured
        }
    }

    private mutating func readPcapng(_ b: [UInt8]) {
        var offset = 0
        var bigEndian = false
        var interfaces: [LinkType] = []
        while offset + 12 <= b.count {
            let type = Self.load32(b, offset, bigEndian: bigEndian)
            if type == 0x0A0D_0D0A {
                // Section header: its byte-order magic decides how the rest of the section is read.
                guard offset + 12 <= b.count else { break }
                bigEndian = Self.load32(b, offset + 8, bigEndian: false) != 0x1A2B_3C4D
                interfaces = []
            }
            let length = Int(Self.load32(b, offset + 4, bigEndian: bigEndian))
            guard length >= 12, length % 4 == 0, offset + length <= b.count else { stoppedOnDamage = true; return }
            let body = offset + 8
            switch type {
            case 1:  // Interface Description Block
                interfaces.append(LinkType(rawValue: UInt32(Self.load16(b, body, bigEndian: bigEndian))))
            case 6, 2:  // Enhanced Packet Block, obsolete Packet Block
                let interface = type == 6
                    ? Int(Self.load32(b, body, bigEndian: bigEndian))
                    : Int(Self.load16(b, body, bigEndian: bigEndian))
                let captured = Int(Self.load32(b, body + 12, bigEndian: bigEndian))
                guard interface < interfaces.count, body + 20 + captured <= offset + length - 4 else {
                    stoppedOnDamage = true
                    return
                }
                packets.append(Packet(linkType: interfaces[interface], bytes: Array(b[body + 20 ..< body + 20 + captured])))
            case 3:  // Simple Packet Block: always interface 0, captured length implied by block length
                guard !interfaces.isEmpty else { stoppedOnDamage = true; return }
                let original = Int(Self.load32(b, body, bigEndian: bigEndian))
                let captured = min(original, length - 16)
                packets.append(Packet(linkType: interfaces[0], bytes: Array(b[body + 4 ..< body + 4 + captured])))
            default:
                break
            }
            offset += length
        }
        if offset != b.count { stoppedOnDamage = true }
    }

    private static func load32(_ b: [UInt8], _ o: Int, bigEndian: Bool) -> UInt32 {
        let v = UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
        return bigEndian ? v.byteSwapped : v
    }

    private static func load16(_ b: [UInt8], _ o: Int, bigEndian: Bool) -> UInt16 {
        let v = UInt16(b[o]) | UInt16(b[o + 1]) << 8
        return bigEndian ? v.byteSwapped : v
    }
}
