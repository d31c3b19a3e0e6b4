/// Where everything lives inside a store directory. The folder names are the design:
///
/// ```
/// STORE/
///   segments/   000000000001.pcap ...   finished segments (plain pcap files)
///               .000000000042.pcap.partial   the segment being written (hidden)
///   index/      000000000001.idx ...   field index of each finished segment (docs/index-format.md)
///   catalog/    segments.log           append-only journal of segment lifecycle events
///   state/      status.json            counters of the running (or last) agent
///               lock                   flock()ed by the one process writing the store
///   pins/       pins.json              ranges ring retention keeps (docs/pins.md; `PinBook`)
/// ```
public struct StoreLayout: Sendable, Hashable {
    public let root: String

    public init(root: String) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
    }

    public var segmentsDirectory: String { root + "/segments" }
    public var catalogDirectory: String { root + "/catalog" }
    public var indexDirectory: String { root + "/index" }
    public var catalogPath: String { catalogDirectory + "/segments.log" }
    public var stateDirectory: String { root + "/state" }
    public var statusPath: String { stateDirectory + "/status.json" }
    public var lockPath: String { stateDirectory + "/lock" }

    /// File name (relative to `segmentsDirectory`) of a finished segment.
    public static func segmentFileName(_ id: UInt64) -> String { pad(id) + ".pcap" }
    /// File name of the segment while it is written.
    public static func partialFileName(_ id: UInt64) -> String { "." + pad(id) + ".pcap.partial" }

    public func segmentPath(_ id: UInt64) -> String { segmentsDirectory + "/" + Self.segmentFileName(id) }
    /// Index file of a segment (`index/NNNNNNNNNNNN.idx`).
    public func indexPath(_ id: UInt64) -> String { indexDirectory + "/" + Self.pad(id) + ".idx" }
    public func partialPath(_ id: UInt64) -> String { segmentsDirectory + "/" + Self.partialFileName(id) }

    /// Parses the id out of a partial file name, nil if the name is not one.
    static func partialID(_ name: String) -> UInt64? {
        guard name.hasPrefix("."), name.hasSuffix(".pcap.partial") else { return nil }
        return UInt64(name.dropFirst().dropLast(".pcap.partial".count))
    }

    static func pad(_ id: UInt64) -> String {
        let s = String(id)
        return String(repeating: "0", count: max(0, 12 - s.count)) + s
    }
}
