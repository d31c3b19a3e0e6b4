import Agent
import ArgumentParser
import Foundation
import Indexer
import SystemIO

/// `vigie-agent reindex`: builds indexes for existing segments (new fields configured after the fact,
/// segments recovered after a crash, indexes lost or corrupt).
struct ReindexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex",
        abstract: "Build the field index of existing segments that lack it or lack a configured field."
    )

    @Option(name: .long, help: "Store directory.")
    var store: String

    @Option(name: .customLong("fields"), help: "Fields to index, comma-separated: default, all, addresses, ports, proto, vlan, tunnels, mac, dns.qname, http.host, tls.sni.")
    var fields: String = "default"

    @Flag(name: .long, help: "Rebuild every index, even those already holding the fields.")
    var force = false

    @Flag(name: .long, inversion: .prefixedNo, help: "Show a progress bar on stderr (default: when stderr is a terminal).")
    var progress: Bool?

    func run() throws {
        let set: IndexFieldSet
        let catalog: SegmentCatalog
        let layout = StoreLayout(root: store)
        do {
            set = try IndexFieldSet(names: fields.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            guard FileSystem.isDirectory(layout.catalogDirectory) else { throw StorageError(.notAStore, path: store, detail: "no catalog/ directory") }
            catalog = try SegmentCatalog(readingFrom: layout)
            try StorageError.io { () throws(SystemError) in try FileSystem.makeDirectory(layout.indexDirectory) }
        } catch {
            throw fail("\(error)")
        }
        let todo = catalog.segments().filter { s in
            guard s.state != .writing else { return false }
            if force { return true }
            guard let idx = try? SegmentIndex.open(path: layout.indexPath(s.id)) else { return true }
            return !idx.fields.isSuperset(of: set) || idx.coveredBytes != s.bytes
        }
        let total = todo.reduce(UInt64(0)) { $0 + $1.bytes }
        let showProgress = progress ?? (isatty(2) != 0)
        var done: UInt64 = 0, packets = 0, failures = 0
        let start = WallClock.monotonicNanos()
        for (i, s) in todo.enumerated() {
            do {
                packets += try SegmentIndexBuilder.reindex(segmentPath: layout.segmentsDirectory + "/" + s.file,
                                                   indexPath: layout.indexPath(s.id), fields: set)
            } catch {
                failures += 1  // e.g. deleted by retention meanwhile
                FileHandle.standardError.write(Data("\nvigie-agent: segment \(s.id): \(error)\n".utf8))
            }
            done += s.bytes
            if showProgress {
                let frac = total > 0 ? Double(done) / Double(total) : 1
                let bar = String(repeating: "#", count: Int(frac * 30)) + String(repeating: ".", count: 30 - Int(frac * 30))
                FileHandle.standardError.write(Data(String(format: "\r[%@] %3.0f%% %d/%d segments", bar, frac * 100, i + 1, todo.count).utf8))
            }
        }
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        let secs = Double(WallClock.monotonicNanos() - start) / 1e9
        print("reindexed \(todo.count - failures) of \(todo.count) segments (\(packets) packets, fields \(set)) in \(String(format: "%.2f", secs)) s")
        if failures > 0 { throw ExitCode(2) }
    }
}
