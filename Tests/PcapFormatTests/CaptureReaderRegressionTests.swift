import Foundation
import PcapFormat
import Testing

/// Inputs found by the capture-file fuzzer (Fuzz/CaptureFiles), kept as regression tests.
@Suite("Capture reader regressions")
struct CaptureReaderRegressionTests {
    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    /// Writes `bytes` to a temporary file and returns an open descriptor on it.
    static func descriptor(_ bytes: [UInt8]) throws -> Int32 {
        let path = NSTemporaryDirectory() + "vigie-reader-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY)
        unlink(path)
        return fd
    }

    @Test("a record claiming 4 GiB in a 40-byte file is an error, not a 4 GiB allocation")
    func hugeClaimedRecord() throws {
        let fd = try Self.descriptor(Self.hex("d4c3b2a1020004000000000000000000ffffffff010000000000000000000000f0fffffff0ffffff"))
        defer { close(fd) }
        let reader = try ClassicPcapReader(fd: fd)
        #expect(throws: PcapFormatError.self) { _ = try reader.next() }
    }

    @Test("a second pcapng section's interface 0 brings its own link type")
    func sectionResetsInterfaces() throws {
        let fd = try Self.descriptor(Self.hex(
            "0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000010000001400000001000000ffff0000140000000600000024000000000000000000000040420f000400000004000000aaaaaaaa240000000a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000010000001400000065000000ffff0000140000000600000024000000000000000000000080841e0004000000040000004500000024000000"))
        defer { close(fd) }
        let reader = try PcapngReader(fd: fd)
        guard case .packet = try reader.next() else { Issue.record("no first packet"); return }
        #expect(reader.format.linkType == 1)
        let g = reader.formatGeneration
        guard case .packet = try reader.next() else { Issue.record("no second packet"); return }
        #expect(reader.format.linkType == 101)
        #expect(reader.formatGeneration == g + 1)
        guard case .end = try reader.next() else { Issue.record("expected end"); return }
    }

    @Test("if_tsresol of 10^-13 converts the fraction exactly")
    func fineTimestampResolution() throws {
        let fd = try Self.descriptor(Self.hex(
            "0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000010000002000000001000000ffff0000090001000d0000000000000020000000060000002400000000000000add5bd13e92350860400000004000000bbbbbbbb24000000"))
        defer { close(fd) }
        let reader = try PcapngReader(fd: fd)
        guard case .packet(let h, _) = try reader.next() else { Issue.record("no packet"); return }
        #expect(h.seconds == 142_252)
        #expect(h.fraction == 799_857_840)
        #expect(h.timestampNanos == 142_252_799_857_840)
        #expect(reader.format.nanosecond)
    }
}
