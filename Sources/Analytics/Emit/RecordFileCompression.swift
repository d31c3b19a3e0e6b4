import CZlib
import SystemIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A record file could not be compressed or read back.
public struct RecordFileCompressionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What failed: `open`, `read`, `write`, `deflate`, `inflate`, `corrupt`.
    public var code: String
    /// The file concerned.
    public var path: String
    /// errno or the zlib status, 0 when neither applies.
    public var status: Int32

    public init(_ code: String, path: String, status: Int32 = 0) {
        self.code = code
        self.path = path
        self.status = status
    }

    public var description: String { "record file \(code) \(path) (\(status))" }
}

/// gzip of closed record files, streamed through zlib (`CZlib`) with fixed buffers, so a 64 MiB
/// file costs 2 × 256 KiB of memory, not its size. Runs on ``RecordFileFinisher``'s thread only:
/// deflate at level 6 does ~40–80 MB/s of NDJSON per core, far above what the analytics produce,
/// but it must never hold the analytics thread.
///
/// The output is one plain gzip member, so `zcat records-N.ndjson.gz` gives the lines as written.
public enum RecordFileCompression {
    /// Bytes read and written per zlib call.
    static let chunk = 256 << 10

    /// Compresses `source` into a new file `destination` (created, truncated) and fsyncs it;
    /// returns the compressed size. The caller renames `destination` into view: until then it is a
    /// hidden temporary name, so a crash here leaves no visible half file.
    public static func gzip(_ source: String, to destination: String, level: Int32 = 6) throws(RecordFileCompressionError) -> Int64 {
        let input: Int32
        do throws(SystemError) { input = try FileSystem.open(source, O_RDONLY) } catch { throw .init("open", path: source, status: error.code) }
        defer { FileSystem.close(input) }
        let output: Int32
        do throws(SystemError) { output = try FileSystem.open(destination, O_WRONLY | O_CREAT | O_TRUNC) } catch {
            throw .init("open", path: destination, status: error.code)
        }
        defer { FileSystem.close(output) }

        var stream = z_stream()
        guard vigie_deflate_init_gzip(&stream, level) == Z_OK else { throw .init("deflate", path: destination, status: Z_STREAM_ERROR) }
        defer { deflateEnd(&stream) }
        let inBuffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        let outBuffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { inBuffer.deallocate(); outBuffer.deallocate() }

        var offset: UInt64 = 0
        var written: Int64 = 0
        var finished = false
        while !finished {
            let n = FileSystem.pread(input, inBuffer, chunk, at: offset)
            guard n >= 0 else { throw .init("read", path: source, status: errno) }
            offset += UInt64(n)
            // A short read is the end of the file: the file is closed and complete, nothing appends.
            let flush = n < chunk ? Z_FINISH : Z_NO_FLUSH
            stream.next_in = inBuffer.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(n)
            repeat {
                stream.next_out = outBuffer.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(chunk)
                let status = deflate(&stream, flush)
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                    throw .init("deflate", path: destination, status: status)
                }
                let produced = chunk - Int(stream.avail_out)
                if produced > 0 {
                    do throws(SystemError) {
                        try FileSystem.writeAll(output, UnsafeRawBufferPointer(start: outBuffer, count: produced), path: destination)
                    } catch { throw .init("write", path: destination, status: error.code) }
                    written += Int64(produced)
                }
                if status == Z_STREAM_END { finished = true }
            } while stream.avail_out == 0 || (flush == Z_FINISH && !finished)
        }
        do throws(SystemError) { try FileSystem.fsync(output, path: destination) } catch {
            throw .init("write", path: destination, status: error.code)
        }
        return written
    }

    /// The whole content of a record file, decompressed when its name ends in `.gz` (readers of
    /// `STORE/records`: tests, tools). Bounded by `limit` bytes of output.
    public static func contents(of path: String, limit: Int = 1 << 30) throws(RecordFileCompressionError) -> [UInt8] {
        let read: [UInt8]?
        do throws(SystemError) { read = try FileSystem.readFile(path) } catch { throw .init("read", path: path, status: error.code) }
        guard let data = read else { throw .init("open", path: path, status: ENOENT) }
        return path.hasSuffix(".gz") ? try gunzip(data, path: path, limit: limit) : data
    }

    /// Inflates gzip data (concatenated members allowed).
    static func gunzip(_ input: [UInt8], path: String, limit: Int) throws(RecordFileCompressionError) -> [UInt8] {
        var output: [UInt8] = []
        var chunkBuffer = [UInt8](repeating: 0, count: 64 << 10)
        var offset = 0
        while offset < input.count {
            var stream = z_stream()
            guard vigie_inflate_init_gzip(&stream) == Z_OK else { throw .init("inflate", path: path, status: Z_STREAM_ERROR) }
            defer { inflateEnd(&stream) }
            var status: Int32 = Z_OK
            var failure: RecordFileCompressionError?
            input.withUnsafeBytes { src in
                guard let base = src.baseAddress else { return }
                stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self) + offset)
                stream.avail_in = uInt(input.count - offset)
                repeat {
                    let produced = chunkBuffer.withUnsafeMutableBytes { dst -> Int in
                        guard let out = dst.baseAddress else { return 0 }
                        stream.next_out = out.assumingMemoryBound(to: Bytef.self)
                        stream.avail_out = uInt(dst.count)
                        status = inflate(&stream, Z_NO_FLUSH)
                        return dst.count - Int(stream.avail_out)
                    }
                    if status != Z_OK && status != Z_STREAM_END { failure = .init("corrupt", path: path, status: status); return }
                    output.append(contentsOf: chunkBuffer[0 ..< produced])
                    if output.count > limit { failure = .init("corrupt", path: path, status: Z_MEM_ERROR); return }
                    if status == Z_OK && produced == 0 && stream.avail_in == 0 { failure = .init("corrupt", path: path, status: Z_BUF_ERROR); return }
                } while status != Z_STREAM_END
            }
            if let failure { throw failure }
            offset += Int(stream.total_in)
        }
        return output
    }
}
