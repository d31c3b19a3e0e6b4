import Foundation
import SystemIO
#if canImport(Glibc)
import Glibc
#endif

/// The planned recordings of a store, persisted in `STORE/recordings/recordings.json`
/// (docs/recordings.md). Written whole (hidden file, fsync, rename) under an `flock` on
/// `STORE/recordings/.lock`, because the HTTP API (`vigie-agent serve`) and the capture may be two
/// processes: each change is read-modify-write under the lock, so neither loses the other's.
public struct RecordingBook: Sendable {
    public let root: String

    public init(store: String) {
        var r = store
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        root = r + "/recordings"
    }

    public var path: String { root + "/recordings.json" }
    var lockPath: String { root + "/.lock" }

    /// The directory of recording `id`'s own store (same layout as the main store).
    public func layout(_ id: String) -> StoreLayout { StoreLayout(root: root + "/" + id) }

    /// The definitions on disk (empty when there is no file yet).
    public func load() throws(RecordingBookError) -> [RecordingDefinition] {
        let bytes: [UInt8]?
        do throws(SystemError) { bytes = try FileSystem.readFile(path) } catch {
            throw RecordingBookError(path: path, "\(error)")
        }
        guard let bytes else { return [] }
        return try Self.decode(bytes, path: path)
    }

    /// Reads, changes and writes the definitions under the lock; returns what `change` returns.
    public func update<T>(_ change: (inout [RecordingDefinition]) throws -> T) throws -> T {
        do throws(SystemError) { try FileSystem.makeDirectory(root) } catch { throw RecordingBookError(path: root, "\(error)") }
        let fd: Int32
        do throws(SystemError) { fd = try FileSystem.open(lockPath, O_RDWR | O_CREAT) } catch {
            throw RecordingBookError(path: lockPath, "\(error)")
        }
        defer { FileSystem.close(fd) }  // closing releases the flock
        guard flock(fd, LOCK_EX) == 0 else { throw RecordingBookError(path: lockPath, "flock failed: errno \(errno)") }
        var defs = try load()
        let before = defs
        let result = try change(&defs)
        if defs != before {
            do throws(SystemError) { try AtomicFile.write(Self.encode(defs), to: path) } catch {
                throw RecordingBookError(path: path, "\(error)")
            }
        }
        return result
    }

    /// Identity of the file's current version (inode, change time, size): a rename over it or a
    /// rewrite changes it. Nil when there is no file. One `stat`: cheap enough once a second.
    public func version() -> [Int64]? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return [Int64(bitPattern: UInt64(st.st_ino)), Int64(st.st_mtim.tv_sec), Int64(st.st_mtim.tv_nsec), Int64(st.st_size)]
    }

    // MARK: - JSON

    /// One definition as stored (and as the API shows it): text for times, sizes in bytes.
    struct Stored: Codable {
        var id: String
        var start: String
        var end: String
        var `repeat`: String
        var filter: String?
        var snaplen: UInt32?
        var index_fields: [String]
        var quota: UInt64
        var retention: String
        var state: RecordingState
        var purge: Bool?
    }

    struct File: Codable {
        var version: Int = 1
        var recordings: [Stored]
    }

    static func stored(_ d: RecordingDefinition) -> Stored {
        let i = d.input
        return Stored(id: d.id, start: i.start ?? "", end: i.end ?? "", repeat: d.repeatRule.text, filter: d.filter, snaplen: d.snaplen,
                      index_fields: d.indexFields, quota: d.quotaBytes, retention: d.retention.rawValue, state: d.state,
                      purge: d.purge ? true : nil)
    }

    static func encode(_ defs: [RecordingDefinition]) -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        return Array((try? e.encode(File(recordings: defs.map(stored)))) ?? Data("{\"recordings\":[]}".utf8))
    }

    static func decode(_ bytes: [UInt8], path: String) throws(RecordingBookError) -> [RecordingDefinition] {
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: Data(bytes)) } catch {
            throw RecordingBookError(path: path, "not a recordings file: \(error)")
        }
        var out: [RecordingDefinition] = []
        for (k, s) in file.recordings.enumerated() {
            var i = RecordingInput()
            i.id = s.id
            i.start = s.start
            i.end = s.end
            i.repeatText = s.repeat
            i.filter = s.filter
            i.snaplen = s.snaplen.map { String($0) }
            i.indexFields = s.index_fields
            i.quota = String(s.quota)
            i.retention = s.retention
            do throws(ConfigError) {
                var d = try i.validated(prefix: "recordings[\(k)].", store: nil)
                d.state = s.state
                d.purge = s.purge ?? false
                out.append(d)
            } catch {
                throw RecordingBookError(path: path, error.description)
            }
        }
        return out
    }
}

/// The recordings file cannot be read or written.
public struct RecordingBookError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
