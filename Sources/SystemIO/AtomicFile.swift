#if canImport(Glibc)
import Glibc
#endif

/// Publishing a whole file atomically and durably: a hidden `.NAME.tmp` beside it is written and
/// fsynced, renamed over `NAME`, and the directory fsynced. A crash leaves either the old file, no
/// file, or the new one, plus possibly a stale `.tmp` that the next write truncates.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically (``stage(_:for:mode:)`` then ``publish(_:to:)``).
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String, mode: mode_t = 0o644) throws(SystemError) {
        try publish(stage(bytes, for: path, mode: mode), to: path)
    }

    /// ``write(_:to:mode:)`` from a byte array.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(SystemError) {
        let failure = bytes.withUnsafeBytes { (raw) -> SystemError? in
            do throws(SystemError) { try write(raw, to: path, mode: mode) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    /// The hidden temporary beside `path`.
    public static func stagingPath(for path: String) -> String {
        FileSystem.directory(of: path) + "/." + FileSystem.baseName(of: path) + ".tmp"
    }

    /// The first half: writes `bytes` to the hidden temporary beside `path` and fsyncs it; returns
    /// the temporary's path. Nothing is visible under `path` yet; on failure the temporary is removed.
    public static func stage(_ bytes: UnsafeRawBufferPointer, for path: String, mode: mode_t = 0o644) throws(SystemError) -> String {
        let tmp = stagingPath(for: path)
        let fd = try FileSystem.open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        do throws(SystemError) {
            try FileSystem.writeAll(fd, bytes, path: tmp)
            try FileSystem.fsync(fd, path: tmp)
        } catch {
            FileSystem.close(fd)
            unlink(tmp)
            throw error
        }
        FileSystem.close(fd)
        return tmp
    }

    /// The second half: renames the staged file to `path` (removing it if that fails) and fsyncs
    /// the directory.
    public static func publish(_ staged: String, to path: String) throws(SystemError) {
        do throws(SystemError) { try FileSystem.rename(staged, path) } catch {
            unlink(staged)
            throw error
        }
        FileSystem.fsyncDirectory(FileSystem.directory(of: path))
    }
}
