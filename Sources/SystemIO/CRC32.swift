/// CRC-32 (IEEE 802.3 / zlib polynomial: reflected 0xEDB88320, initial and final XOR 0xFFFFFFFF),
/// slice-by-4 so that `SegmentIndex.verify()` over a
/// multi-megabyte index stays cheap. The one CRC of the project: index files (header, section table,
/// sections), the store catalog's journal lines and the spool's records (zlib's `crc32`, same values).
public enum CRC32 {
    private static let tables: [[UInt32]] = {
        var t0 = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t0[i] = c
        }
        var tables = [t0]
        for k in 1..<4 {
            var t = [UInt32](repeating: 0, count: 256)
            for i in 0..<256 {
                let prev = tables[k - 1][i]
                t[i] = t0[Int(prev & 0xFF)] ^ (prev >> 8)
            }
            tables.append(t)
        }
        return tables
    }()

    /// The CRC of `bytes`, optionally continuing from a previous `crc` (pass the previous result).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        var c = ~crc
        guard let base = bytes.baseAddress else { return crc }
        let n = bytes.count
        var i = 0
        tables[0].withUnsafeBufferPointer { t0 in
            tables[1].withUnsafeBufferPointer { t1 in
                tables[2].withUnsafeBufferPointer { t2 in
                    tables[3].withUnsafeBufferPointer { t3 in
                        while i + 4 <= n {
                            let word = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt32.self)) ^ c
                            c = t3[Int(word & 0xFF)] ^ t2[Int((word >> 8) & 0xFF)]
                                ^ t1[Int((word >> 16) & 0xFF)] ^ t0[Int(word >> 24)]
                            i += 4
                        }
                        while i < n {
                            c = t0[Int((c ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (c >> 8)
                            i += 1
                        }
                    }
                }
            }
        }
        return ~c
    }

    /// Convenience over a byte array.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
