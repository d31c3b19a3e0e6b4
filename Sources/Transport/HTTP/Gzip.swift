import CZlib

/// gzip compression of an HTTP batch (zlib, gzip framing).
enum Gzip {
    static func compress(_ input: [UInt8], level: Int32 = 6) throws(ExportError) -> [UInt8] {
        var stream = z_stream()
        guard vigie_deflate_init_gzip(&stream, level) == Z_OK else { throw ExportError(.http, context: "gzip", "deflateInit failed") }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        let produced: Int32 = input.withUnsafeBytes { src in
            output.withUnsafeMutableBytes { dst in
                stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress?.assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(src.count)
                stream.next_out = dst.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(dst.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard produced == Z_STREAM_END else { throw ExportError(.http, context: "gzip", "deflate returned \(produced)") }
        output.removeLast(output.count - Int(stream.total_out))
        return output
    }
}
