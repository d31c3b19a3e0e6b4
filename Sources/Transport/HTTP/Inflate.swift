import CZlib

/// gzip decompression of a request body, bounded (the server's ingest). Here, next to `Gzip`, so that
/// zlib has one importer.
public enum Inflate {
    public enum Failure: Error { case tooLarge, corrupt(String) }

    /// Decompresses gzip data (concatenated members allowed); throws `tooLarge` past `limit` bytes.
    public static func gunzip(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var output: [UInt8] = []
        // Start at the final size instead of doubling up to it (a doubling copy holds 1.5x the
        // body at its peak): the last member's ISIZE (its size mod 2^32) when it is within the
        // limit, else NDJSON's usual 8:1 ratio. Reserved pages are not resident until written.
        var isize = 0
        if input.count >= 18 {
            for i in 1...4 { isize = isize << 8 | Int(input[input.count - i]) }
        }
        let guess = input.count > limit / 8 ? limit : input.count * 8
        output.reserveCapacity(min(limit, max(guess, isize)))
        var offset = 0
        while offset < input.count {
            var stream = z_stream()
            guard vigie_inflate_init_gzip(&stream) == Z_OK else { throw .corrupt("inflateInit failed") }
            defer { inflateEnd(&stream) }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            var status: Int32 = Z_OK
            var failure: Failure?
            let consumed: Int = input.withUnsafeBytes { (src) -> Int in
                stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress!.assumingMemoryBound(to: Bytef.self) + offset)
                stream.avail_in = uInt(input.count - offset)
                repeat {
                    let produced = chunk.withUnsafeMutableBytes { dst -> Int in
                        stream.next_out = dst.baseAddress!.assumingMemoryBound(to: Bytef.self)
                        stream.avail_out = uInt(dst.count)
                        status = inflate(&stream, Z_NO_FLUSH)
                        return dst.count - Int(stream.avail_out)
                    }
                    if status != Z_OK && status != Z_STREAM_END {
                        failure = .corrupt(status == Z_BUF_ERROR ? "truncated gzip data" : "inflate returned \(status)")
                        return 0
                    }
                    output.append(contentsOf: chunk[0..<produced])
                    if output.count > limit { failure = .tooLarge; return 0 }
                    if status == Z_OK && produced == 0 && stream.avail_in == 0 { failure = .corrupt("truncated gzip data"); return 0 }
                } while status != Z_STREAM_END
                return Int(stream.total_in)
            }
            if let failure { throw failure }
            offset += consumed
            // Trailing zero padding is tolerated.
            if input[offset...].allSatisfy({ $0 == 0 }) { break }
        }
        return output
    }
}
