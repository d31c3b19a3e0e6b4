import Foundation

/// tshark 4.0 cannot read link type 281 (Broadcom tag), so the tests compare with it on a copy of
/// the capture rewritten as plain Ethernet: the 4-byte tag after the source MAC removed from every
/// frame, link type 1. The copy is the test's own, written into a directory the test owns.
public enum BroadcomTagCapture {
    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes the untagged copy of the classic pcap at `path` (either byte order) as
    /// `directory/untagged.pcap` and returns its path. Frames too short to hold the tag are copied
    /// unchanged (tshark then reads their bytes as Ethernet, as the decoder's `truncatedLink` says).
    public static func untaggedCopy(ofCaptureAt path: String, in directory: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 24 else {
            throw Unreadable(description: "\(path): not a capture")
        }
        var bytes = [UInt8](data)
        let bigEndian: Bool
        switch (bytes[0], bytes[1], bytes[2], bytes[3]) {
        case (0xD4, 0xC3, 0xB2, 0xA1), (0x4D, 0x3C, 0xB2, 0xA1): bigEndian = false
        case (0xA1, 0xB2, 0xC3, 0xD4), (0xA1, 0xB2, 0x3C, 0x4D): bigEndian = true
        default: throw Unreadable(description: "\(path): not a classic pcap")
        }
        func read32(_ o: Int) -> UInt32 {
            let v = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
            return bigEndian ? v.byteSwapped : v
        }
        func encode32(_ v: UInt32) -> [UInt8] {
            let le = [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
            return bigEndian ? le.reversed() : le
        }
        guard read32(20) & 0x03FF_FFFF == 281 else { throw Unreadable(description: "\(path): link type \(read32(20)), not 281") }
        var out = Array(bytes[0..<20]) + encode32(1)
        var offset = 24
        while offset + 16 <= bytes.count {
            let captured = Int(read32(offset + 8)), original = read32(offset + 12)
            guard offset + 16 + captured <= bytes.count else { break }
            let frame = Array(bytes[offset + 16 ..< offset + 16 + captured])
            let untagged = frame.count >= 16 ? Array(frame[0..<12] + frame[16...]) : frame
            let removed = frame.count - untagged.count
            out += Array(bytes[offset ..< offset + 8]) + encode32(UInt32(untagged.count)) + encode32(original - UInt32(min(Int(original), removed)))
            out += untagged
            offset += 16 + captured
        }
        bytes = out
        let copy = directory + "/untagged.pcap"
        guard FileManager.default.createFile(atPath: copy, contents: Data(bytes)) else {
            throw Unreadable(description: "\(copy): cannot write")
        }
        return copy
    }
}
