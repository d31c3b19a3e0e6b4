import SystemIO

/// The immutable bytes of one index: a read-only memory map of an index file, or a heap copy for
/// in-memory indexes (snapshots of the open segment, indexes built while scanning).
///
/// Unmapped or freed in `deinit`; nothing mutates the bytes after `init`, which is what makes
/// sharing an index between threads safe.
final class IndexStorage: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    /// The map of an index file (nil for heap copies).
    private let map: MappedFile?
    /// The mapped file's identity (nil for heap copies).
    let identity: FileIdentity?

    /// Maps `path` read-only. An index is never rewritten in place (always replaced by rename), so
    /// the mapping cannot change under the reader; retention unlinking it keeps the mapping valid.
    init(path: String) throws(IndexError) {
        let map = try IndexError.io { () throws(SystemError) in try MappedFile(path: path) }
        guard map.bytes.count > 0 else { throw IndexError(.truncated, path: path, detail: "empty file") }
        self.map = map
        bytes = map.bytes
        identity = FileIdentity(map.status)
    }

    /// Copies `image` to the heap.
    init(copying image: [UInt8]) {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(image.count, 1), alignment: 16)
        image.withUnsafeBytes { src in
            if let base = src.baseAddress { p.baseAddress!.copyMemory(from: base, byteCount: src.count) }
        }
        bytes = UnsafeRawBufferPointer(start: p.baseAddress, count: image.count)
        map = nil
        identity = nil
    }

    deinit {
        if map == nil { UnsafeMutableRawPointer(mutating: bytes.baseAddress)?.deallocate() }
    }
}
