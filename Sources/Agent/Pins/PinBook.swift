import Foundation
import SystemIO
#if canImport(Glibc)
import Glibc
#endif

/// The store's pins on disk: `STORE/pins/pins.json` (format in docs/pins.md).
///
/// The HTTP API may run in another process (`vigie-agent serve`) than the capture that deletes
/// segments, so every change is made under an `flock` on `pins/lock` (read, change, write), and
/// the file is replaced whole: written hidden (`.pins.json.tmp`), fsynced, renamed. A reader
/// therefore sees the old file or the new one, never a torn one; a hidden file a crash left
/// behind is never read and is overwritten by the next change.
public struct PinBook: Sendable {
    public let directory: String
    public let path: String
    public let lockPath: String
    /// Most pins the file holds (a change beyond is refused): bounds the work of each rotation.
    public static let maxPins = 1000

    /// The whole file.
    public struct File: Codable, Sendable, Hashable {
        public var format = "vigie-pins"
        public var version = 1
        /// Bumped by every change: readers notice a change without comparing pins.
        public var generation: UInt64 = 0
        public var pins: [Pin] = []
    }

    public init(layout: StoreLayout) {
        directory = layout.root + "/pins"
        path = directory + "/pins.json"
        lockPath = directory + "/lock"
    }

    /// The pins on disk (an absent file is no pins). Takes no lock: the file is only ever replaced.
    public func load() throws(PinError) -> File {
        let bytes: [UInt8]?
        do throws(SystemError) { bytes = try FileSystem.readFile(path) } catch { throw PinError(.io, path, error.description) }
        guard let bytes else { return File() }
        guard let file = try? JSONDecoder().decode(File.self, from: Data(bytes)), file.format == "vigie-pins", file.version == 1 else {
            throw PinError(.badFile, path, "not a version 1 pin file")
        }
        return file
    }

    /// Identity of the file as it is now (inode, size, mtime): changes whenever it is replaced.
    public func signature() -> [Int64] {
        var st = stat()
        guard stat(path, &st) == 0 else { return [] }
        return [Int64(st.st_ino), Int64(st.st_size), Int64(st.st_mtim.tv_sec), Int64(st.st_mtim.tv_nsec)]
    }

    /// Changes the pins under the lock and writes them back when `body` changed them.
    @discardableResult
    public func update<T>(_ body: (inout [Pin]) throws(PinError) -> T) throws(PinError) -> T {
        do throws(SystemError) { try FileSystem.makeDirectory(directory) } catch { throw PinError(.io, directory, error.description) }
        let fd: Int32
        do throws(SystemError) { fd = try FileSystem.open(lockPath, O_RDWR | O_CREAT) } catch { throw PinError(.io, lockPath, error.description) }
        defer { FileSystem.close(fd) }  // closing releases the lock
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw PinError(.io, lockPath, "flock: errno \(errno)") }
        }
        var file = try load()
        var pins = file.pins
        let result = try body(&pins)
        guard pins != file.pins else { return result }
        guard pins.count <= Self.maxPins else { throw PinError(.full, path, "at most \(Self.maxPins) pins") }
        file.pins = pins
        file.generation &+= 1
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard let data = try? enc.encode(file) else { throw PinError(.io, path, "cannot encode") }
        do throws(SystemError) { try AtomicFile.write([UInt8](data), to: path) } catch { throw PinError(.io, path, error.description) }
        return result
    }

    /// Active pins (not released).
    public func active() throws(PinError) -> [Pin] { try load().pins.filter { $0.released != true } }

    /// Adds `pin`.
    public func create(_ pin: Pin) throws(PinError) {
        try update { (pins: inout [Pin]) throws(PinError) in
            guard pins.count < Self.maxPins else { throw PinError(.full, path, "at most \(Self.maxPins) pins") }
            pins.append(pin)
        }
    }

    /// Moves the end of pin `id` to `to` (not earlier than it is); returns the pin.
    @discardableResult
    public func extend(_ id: String, to: Int64) throws(PinError) -> Pin {
        try update { (pins: inout [Pin]) throws(PinError) -> Pin in
            guard let i = pins.firstIndex(where: { $0.id == id && $0.released != true }) else { throw PinError(.notFound, id) }
            guard to >= pins[i].to else { throw PinError(.invalid, "to", "'to' must not be before the pin's current end") }
            pins[i].to = to
            return pins[i]
        }
    }

    /// Releases pin `id`: marked released for the capturing process to record and drop (or dropped
    /// at once when it was never recorded). Returns the pin.
    @discardableResult
    public func release(_ id: String) throws(PinError) -> Pin {
        try update { (pins: inout [Pin]) throws(PinError) -> Pin in
            guard let i = pins.firstIndex(where: { $0.id == id && $0.released != true }) else { throw PinError(.notFound, id) }
            pins[i].released = true
            return pins[i]
        }
    }
}
