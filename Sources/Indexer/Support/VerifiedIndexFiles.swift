#if canImport(Glibc)
import Glibc
#endif

/// Identity of a file as the kernel sees it; an index file is never modified in place (it is
/// replaced by rename), so the same identity means the same bytes.
struct FileIdentity: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modifiedSeconds: Int64
    var modifiedNanos: Int64

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        modifiedSeconds = Int64(st.st_mtim.tv_sec)
        modifiedNanos = Int64(st.st_mtim.tv_nsec)
    }

    static func of(path: String) -> FileIdentity? {
        var st = stat()
        return stat(path, &st) == 0 ? FileIdentity(st) : nil
    }
}

/// The index files whose checksums this process has verified (or written itself). Opening such a
/// file again skips the O(size) checksum pass, so repeated queries cost only what they read, while
/// every index is still checked in full once before its data is trusted.
final class VerifiedIndexFiles: @unchecked Sendable {
    // @unchecked: `identities` is only touched with `lock` held.
    static let shared = VerifiedIndexFiles()

    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var identities = Set<FileIdentity>()
    /// Bound on remembered files (retention deletes segments; forgetting only costs a re-check).
    private let capacity = 200_000

    private init() { pthread_mutex_init(lock, nil) }

    func contains(_ identity: FileIdentity) -> Bool {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return identities.contains(identity)
    }

    func insert(_ identity: FileIdentity) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if identities.count >= capacity { identities.removeAll() }
        identities.insert(identity)
    }
}
