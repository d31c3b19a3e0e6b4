import Agent
import ArgumentParser
import Foundation
import SystemIO

/// `vigie-agent status`: the counters of the running (or last) agent on a store.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a store's capture and storage counters.")

    @Option(name: .long, help: "Store directory.")
    var store: String

    @Flag(name: .long, help: "Print the raw status JSON.")
    var json = false

    func run() throws {
        let layout = StoreLayout(root: store)
        let report: StatusReport?
        let catalog: SegmentCatalog
        do {
            guard FileSystem.isDirectory(layout.catalogDirectory) else {
                throw StorageError(.notAStore, path: store, detail: "no catalog/ directory")
            }
            report = try StatusReport.read(layout: layout)
            catalog = try SegmentCatalog(readingFrom: layout)
        } catch {
            throw fail("\(error)")
        }
        guard let r = report else { throw fail("\(store): no status yet (no agent has run on this store)") }
        if json {
            print(String(decoding: try StatusReport.encoder.encode(r), as: UTF8.self))
            return
        }
        let alive = r.running && kill(r.pid, 0) == 0
        let segs = catalog.segments()
        print("store:               \(store)")
        print("agent:               \(r.mode) of \(r.sources.joined(separator: ", ")), pid \(r.pid), \(alive ? "running" : (r.running ? "not running (ended without closing)" : "stopped"))")
        print("updated:             \(r.updatedAt)")
        print("storage state:       \(r.storage.state.rawValue)")
        print("packets received:    \(r.pipeline.packetsReceived)")
        if let c = r.capture {
            print("kernel received:     \(c.received)")
            print("dropped by kernel:   \(c.droppedByKernel)")
            print("dropped by iface:    \(c.droppedByInterface)")
        }
        print("filtered out:        \(r.pipeline.filteredOut)")
        print("packets stored:      \(r.storage.packetsStored)")
        print("bytes stored:        \(r.storage.bytesStored) (\(humanBytes(r.storage.bytesStored)))")
        print("not stored:          \(r.storage.packetsNotStored)")
        print("segments created:    \(r.storage.segmentsCreated)")
        print("deleted (retention): \(r.storage.segmentsDeletedByRetention)")
        print("recovered at start:  \(r.storage.segmentsRecovered)")
        print("store now:           \(segs.count) segments, \(humanBytes(segs.reduce(0) { $0 + $1.bytes }))")
        if let rate = r.packetsPerSecond, alive { print("rate:                \(Int(rate)) packets/s") }
        if let e = r.storage.lastError { print("last error:          \(e)") }
        if let a = r.analytics {
            print("flows:               \(a.flowsActive) active, \(a.flowsCreated) created, \(a.flowsEvicted) evicted")
            print("records:             \(a.recordsEmitted) emitted, \(a.recordsDropped) dropped")
        }
        if let x = r.export {
            if let sp = x.spool {
                print("spool:               \(humanBytes(sp.bytes)) in \(sp.segments) segments, dropped \(sp.dropped.values.reduce(0, +)), corrupt skipped \(sp.corruptSkipped)\(sp.writeError.map { ", write error: \($0)" } ?? "")")
            }
            for k in x.sinks {
                print("sink \(k.name):".padding(toLength: 21, withPad: " ", startingAt: 0)
                      + "delivered \(k.delivered), pending \(k.pending), retried \(k.retried), dead-lettered \(k.deadLettered), auth failures \(k.authFailures)"
                      + (k.lastError.map { ", last error: \($0)" } ?? ""))
            }
        }
    }
}
