import Records
import SystemIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The embedded record sink: all kinds in one stream of NDJSON files in a directory, rotated by
/// size and age. The file being written is hidden (`.records-<n>.ndjson.partial`); rotation
/// fsyncs it and publishes it as `records-<n>.ndjson`, or, with ``Config/compress``, gzips it
/// into `records-<n>.ndjson.gz` (NDJSON shrinks about tenfold), so a reader only ever sees whole
/// files. Readers take both names (``readableFiles(in:)``, ``RecordFileCompression/contents(of:limit:)``).
/// `<n>` is a zero-padded 16-digit index that continues across restarts, so names sort in write
/// order. The total size of the directory's record files is bounded: after each rotation the
/// oldest published files are deleted (counted) until the total of their stored (compressed)
/// sizes fits.
///
/// Records are buffered in memory and written (`write(2)`, to the page cache) when the buffer
/// fills or on ``flush()``. Everything that waits for the disk — `fsync` at most every
/// `syncIntervalNanos` of wall time, publishing, deleting over the bound — runs on a finisher
/// thread (``RecordFileFinisher``), so the analytics thread is never held by an `fsync`.
///
/// Owned by the analytics thread; not thread-safe (the finisher is internal).
public final class NDJSONFileOutput: RecordOutput {
    /// Sizes and intervals of the output.
    public struct Config: Sendable {
        /// A file is published when it reaches this size. Default 64 MiB.
        public var maxFileBytes: Int64 = 64 << 20
        /// ... or this age in wall time, if not empty, checked on flush. Default 60 s.
        public var maxFileAgeNanos: Int64 = 60_000_000_000
        /// Bound on the total of the published files (the open file, at most about
        /// `maxFileBytes`, comes on top). Default 1 GiB.
        public var maxTotalBytes: Int64 = 1 << 30
        /// Buffered bytes that trigger a write. Default 256 KiB.
        public var bufferBytes: Int = 256 << 10
        /// Buffered bytes beyond which records are dropped while the disk refuses writes.
        /// Default 16 MiB.
        public var maxBufferedBytes: Int = 16 << 20
        /// Minimum wall time between two fsyncs of the open file. Default 1 s.
        public var syncIntervalNanos: Int64 = 1_000_000_000
        /// gzip each file when it is closed, on the finisher thread (`records-<n>.ndjson.gz`), and
        /// plain files a previous run left. Default false here (plain files, as before); the agent
        /// turns it on (`analytics.record_files_compress`, default true).
        public var compress = false
        /// zlib level of ``compress``: 6 (zlib's default) compresses records ~10x at ~50 MB/s of
        /// NDJSON on one core; 1 is ~2x faster for ~15 % more bytes.
        public var compressionLevel: Int32 = 6

        public init() {}
    }

    /// Counters of the output.
    public struct Stats: Sendable, Hashable {
        // Publishing and deletion counters come from the finisher thread.
        public var filesPublished: UInt64 = 0
        /// Files and bytes deleted to respect ``Config/maxTotalBytes``.
        public var filesDeleted: UInt64 = 0
        public var bytesDeleted: UInt64 = 0
        /// Records refused (buffer full while the disk fails, or output closed).
        public var recordsDropped: UInt64 = 0
        /// Failed opens, writes and renames.
        public var writeErrors: UInt64 = 0
        /// Partial files found at start and published after cutting any torn last line.
        public var partialsRecovered: UInt64 = 0
        /// Files gzipped, their bytes before and after, and the finisher's time in gzip.
        public var filesCompressed: UInt64 = 0
        public var bytesBeforeCompression: UInt64 = 0
        public var bytesAfterCompression: UInt64 = 0
        public var compressionNanos: UInt64 = 0
        /// Compressions that failed (the file was published uncompressed instead).
        public var compressionErrors: UInt64 = 0
        /// Leftovers of an interrupted compression deleted at start (a temporary `.gz.partial`, or
        /// a plain copy whose `.gz` was already complete).
        public var leftoversDeleted: UInt64 = 0
    }

    /// The directory of the record files.
    public let directory: String
    public let config: Config
    /// Counters (publishing and deletions as of the finisher's last completed job).
    public var stats: Stats {
        var s = local
        let f = finisher.counters
        s.filesPublished = f.filesPublished
        s.filesDeleted = f.filesDeleted
        s.bytesDeleted = f.bytesDeleted
        s.writeErrors += f.errors
        s.filesCompressed = f.filesCompressed
        s.bytesBeforeCompression = f.bytesBeforeCompression
        s.bytesAfterCompression = f.bytesAfterCompression
        s.compressionNanos = f.compressionNanos
        s.compressionErrors = f.compressionErrors
        return s
    }
    private var local = Stats()
    private let finisher: RecordFileFinisher

    private let clock: @Sendable () -> Int64
    private var buffer: [UInt8] = []
    private var fd: Int32 = -1
    private var index: UInt64
    private var fileBytes: Int64 = 0
    private var fileOpenedAt: Int64 = 0
    private var lastSync: Int64 = 0
    private var closed = false

    /// Opens the directory (created if missing), resolves what a previous run left and continues
    /// the file numbering after the highest index found:
    /// - a `.records-<n>.ndjson.partial` is cut after its last newline and published (a torn
    ///   record), or deleted when empty or when its `records-<n>.ndjson.gz` exists (the crash came
    ///   after the `.gz` was complete, before the partial's deletion);
    /// - a `.records-<n>.ndjson.gz.partial` (compression interrupted) is deleted: its source is
    ///   still there;
    /// - a `records-<n>.ndjson` whose `.gz` exists is deleted (same lines, already compressed);
    ///   others are compressed by the finisher when ``Config/compress`` is on.
    public init(directory: String, config: Config = Config(),
                clock: @escaping @Sendable () -> Int64 = RecordEmitterConfig.wallClockNanos) throws(RecordOutputError) {
        self.directory = directory
        self.config = config
        self.clock = clock
        do throws(SystemError) { try FileSystem.makeDirectory(directory) } catch { throw RecordOutputError(system: error) }
        let names = FileSystem.list(directory)
        // Compressed files first: they decide what the other leftovers of their index are.
        var compressed: Set<UInt64> = []
        for name in names { if let n = Self.index(compressed: name) { compressed.insert(n) } }
        var highest: UInt64 = compressed.max() ?? 0
        var found: [RecordFileFinisher.Published] = []
        var changed = false
        for name in names {
            let path = directory + "/" + name
            if let n = Self.index(compressed: name) {
                found.append(.init(index: n, bytes: Self.size(path), compressed: true))
            } else if let n = Self.index(published: name) {
                highest = max(highest, n)
                if compressed.contains(n) {
                    try? FileSystem.remove(path)
                    local.leftoversDeleted += 1
                    changed = true
                } else {
                    found.append(.init(index: n, bytes: Self.size(path), compressed: false))
                }
            } else if let n = Self.index(compressing: name) {
                highest = max(highest, n)
                try? FileSystem.remove(path)
                local.leftoversDeleted += 1
                changed = true
            } else if let n = Self.index(partial: name) {
                highest = max(highest, n)
                changed = true
                if compressed.contains(n) {
                    try? FileSystem.remove(path)
                    local.leftoversDeleted += 1
                    continue
                }
                let kept = Self.truncateToLastNewline(path)
                if kept > 0, (try? FileSystem.rename(path, directory + "/" + Self.publishedName(n))) != nil {
                    found.append(.init(index: n, bytes: kept, compressed: false))
                    local.partialsRecovered += 1
                } else {
                    try? FileSystem.remove(path)
                }
            }
        }
        if changed { FileSystem.fsyncDirectory(directory) }
        index = highest + 1
        buffer.reserveCapacity(config.bufferBytes)
        finisher = RecordFileFinisher(
            directory: directory, maxTotalBytes: config.maxTotalBytes,
            compressionLevel: config.compress ? config.compressionLevel : nil,
            published: found.sorted { $0.index < $1.index })
    }

    deinit { if !closed { close() } }

    /// Names of the published files, oldest first (as of the finisher's last completed job):
    /// `records-<n>.ndjson.gz` when compressed, else `records-<n>.ndjson`.
    public var publishedFiles: [String] { finisher.publishedNames }

    /// The record files a reader should read in `directory`, oldest first: one name per index,
    /// `records-<n>.ndjson.gz` or `records-<n>.ndjson` (the `.gz` when, briefly or after a crash,
    /// both exist: they hold the same lines). Hidden files (being written or compressed) are
    /// left out. Read each with ``RecordFileCompression/contents(of:limit:)``.
    public static func readableFiles(in directory: String) -> [String] {
        var byIndex: [UInt64: String] = [:]
        for name in FileSystem.list(directory) {
            if let n = index(compressed: name) {
                byIndex[n] = name
            } else if let n = index(published: name), byIndex[n] == nil {
                byIndex[n] = name
            }
        }
        return byIndex.keys.sorted().compactMap { byIndex[$0] }
    }

    /// Blocks until the finisher has done everything queued so far (fsyncs, publications).
    public func waitForFinisher() { finisher.waitIdle() }

    /// Buffers the line; writes the buffer when it reaches ``Config/bufferBytes``.
    public func write(_ line: [UInt8], kind: RecordKind, key: String) -> Bool {
        guard !closed, buffer.count + line.count <= config.maxBufferedBytes else {
            local.recordsDropped += 1
            return false
        }
        buffer.append(contentsOf: line)
        if buffer.count >= config.bufferBytes { drain() }
        return true
    }

    /// Writes the buffer, and queues an fsync (once per ``Config/syncIntervalNanos``) or a
    /// publication (file older than ``Config/maxFileAgeNanos``).
    public func flush() {
        guard !closed else { return }
        drain()
        guard fd >= 0 else { return }
        let now = clock()
        if fileBytes > 0 && now - fileOpenedAt >= config.maxFileAgeNanos {
            rotate()
        } else if now - lastSync >= config.syncIntervalNanos {
            finisher.submit(.sync(fd: fd))
            lastSync = now
        }
    }

    /// Writes what is buffered, publishes the open file, waits for the finisher to complete and
    /// refuses further records.
    public func close() {
        guard !closed else { return }
        drain()
        rotate()
        closed = true
        finisher.shutdown()
    }

    /// Writes the buffer to the open file (opening one if needed); rotates when it is full.
    private func drain() {
        guard !buffer.isEmpty else { return }
        let path = directory + "/" + Self.partialName(index)
        if fd < 0 {
            guard let opened = try? FileSystem.open(path, O_WRONLY | O_CREAT | O_APPEND) else { local.writeErrors += 1; return }
            fd = opened
            fileBytes = max(0, Self.size(path))
            fileOpenedAt = clock()
            lastSync = fileOpenedAt
        }
        let (written, err) = buffer.withUnsafeBytes { FileSystem.write(fd, $0, path: path) }
        fileBytes += Int64(written)
        guard err == nil else {
            // Keep what was not written: the next drain continues exactly there, so the file
            // never holds a record twice (bounded by maxBufferedBytes).
            buffer.removeFirst(written)
            local.writeErrors += 1
            return
        }
        buffer.removeAll(keepingCapacity: true)
        if fileBytes >= config.maxFileBytes { rotate() }
    }

    /// Hands the open file to the finisher for publication and starts numbering the next one.
    private func rotate() {
        guard fd >= 0 else { return }
        finisher.submit(.publish(fd: fd, index: index, bytes: fileBytes))
        fd = -1
        index += 1
        fileBytes = 0
    }

    static func publishedName(_ n: UInt64) -> String { "records-" + padded(n) + ".ndjson" }
    static func partialName(_ n: UInt64) -> String { ".records-" + padded(n) + ".ndjson.partial" }
    static func compressedName(_ n: UInt64) -> String { "records-" + padded(n) + ".ndjson.gz" }
    /// The `.gz` being written: hidden until complete and fsynced.
    static func compressingName(_ n: UInt64) -> String { ".records-" + padded(n) + ".ndjson.gz.partial" }

    private static func padded(_ n: UInt64) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    private static func index(published name: String) -> UInt64? {
        guard name.hasPrefix("records-"), name.hasSuffix(".ndjson") else { return nil }
        return UInt64(name.dropFirst(8).dropLast(7))
    }

    private static func index(partial name: String) -> UInt64? {
        guard name.hasPrefix(".records-"), name.hasSuffix(".ndjson.partial") else { return nil }
        return UInt64(name.dropFirst(9).dropLast(15))
    }

    private static func index(compressed name: String) -> UInt64? {
        guard name.hasPrefix("records-"), name.hasSuffix(".ndjson.gz") else { return nil }
        return UInt64(name.dropFirst(8).dropLast(10))
    }

    private static func index(compressing name: String) -> UInt64? {
        guard name.hasPrefix(".records-"), name.hasSuffix(".ndjson.gz.partial") else { return nil }
        return UInt64(name.dropFirst(9).dropLast(18))
    }

    /// Size in bytes, or -1 when the file does not exist.
    private static func size(_ path: String) -> Int64 {
        FileSystem.fileSize(path).map { Int64($0) } ?? -1
    }

    /// Cuts a file after its last newline (a crash can leave half a record at the end); returns
    /// the new size, or -1 when it cannot be read.
    private static func truncateToLastNewline(_ path: String) -> Int64 {
        guard let fd = try? FileSystem.open(path, O_RDWR) else { return -1 }
        defer { FileSystem.close(fd) }
        var end = Int64(lseek(fd, 0, SEEK_END))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while end > 0 {
            let chunk = Int(min(end, 4096))
            let start = end - Int64(chunk)
            let n = buffer.withUnsafeMutableBytes { FileSystem.pread(fd, $0.baseAddress!, chunk, at: UInt64(start)) }
            guard n == chunk else { return -1 }
            if let i = buffer[0..<chunk].lastIndex(of: 0x0A) {
                let keep = start + Int64(i) + 1
                try? FileSystem.truncate(fd, to: keep, path: path)
                try? FileSystem.fsync(fd, path: path)
                return keep
            }
            end = start
        }
        try? FileSystem.truncate(fd, to: 0, path: path)
        return 0
    }
}

/// A record output could not be opened.
public struct RecordOutputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The failed call: errno, operation, path.
    public var system: SystemError
    public var errno: Int32 { system.code }
    public var path: String { system.path }
    public var operation: String { system.operation }
    public var description: String { "\(operation) \(path): errno \(errno)" }
}
