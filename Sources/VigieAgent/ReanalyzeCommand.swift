import Agent
import ArgumentParser
import Foundation
import PcapFormat
import PcapKit
import SystemIO

/// `vigie-agent reanalyze`: runs the flow analytics over stored segments (forensics: a time range
/// seen again with today's analytics) and writes the records it produces as NDJSON files.
struct ReanalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reanalyze",
        abstract: "Run the flow analytics over stored segments and write the records (conn, txn, edge, service_state...)."
    )

    @Option(name: .long, help: "Store directory.")
    var store: String

    @Option(name: .long, help: "Only packets at or after this time (RFC 3339, or relative like 15m ago).")
    var from: String?

    @Option(name: .long, help: "Only packets before this time.")
    var to: String?

    @Option(name: .long, help: "Directory for the record files (default: STORE/reanalysis/<start time>).")
    var output: String?

    @Option(name: .long, help: "YAML configuration whose analytics section applies (agent_id, window...).")
    var config: String?

    @Flag(name: .long, inversion: .prefixedNo, help: "Show a progress bar on stderr (default: when stderr is a terminal).")
    var progress: Bool?

    func run() throws {
        let layout = StoreLayout(root: store)
        var settings: AgentConfig
        let catalog: SegmentCatalog
        let fromNanos: Int64?, toNanos: Int64?
        do {
            settings = try config.map { try ConfigLoader.load(path: $0) } ?? AgentConfig()
            fromNanos = try parseTime(from, "--from")
            toNanos = try parseTime(to, "--to")
            if let f = fromNanos, let t = toNanos, f >= t { throw ConfigError(option: "--from", "must be before --to") }
            guard FileSystem.isDirectory(layout.catalogDirectory) else { throw StorageError(.notAStore, path: store, detail: "no catalog/ directory") }
            catalog = try SegmentCatalog(readingFrom: layout)
        } catch {
            throw fail("\(error)")
        }
        // Records only: no export from a re-analysis (its records would mix with the live ones).
        settings.analytics.enabled = true
        settings.analytics.recordFiles = true
        settings.export = ExportSettings()
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let outDir = output ?? layout.root + "/reanalysis/" + stamp
        let logger = makeLogger(settings.logging.level)
        let analytics: AgentAnalytics
        do {
            try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
            analytics = try AgentAnalytics(config: settings, layout: layout, recordsDirectory: outDir, logger: logger)
        } catch {
            throw fail("\(error)")
        }
        let todo = catalog.segments().filter { s in
            if let f = fromNanos, let last = s.lastNanos, last < f { return false }
            if let t = toNanos, let first = s.firstNanos, first >= t { return false }
            return true
        }
        let total = todo.reduce(UInt64(0)) { $0 + $1.bytes }
        let showProgress = progress ?? (isatty(2) != 0)
        var done: UInt64 = 0, packets: UInt64 = 0, failures = 0
        let start = WallClock.monotonicNanos()
        for (i, s) in todo.enumerated() {
            do {
                let reader = try CaptureFileReader(path: layout.segmentsDirectory + "/" + s.file)
                while case .packet(let h, let bytes) = try reader.next() {
                    if let f = fromNanos, h.timestampNanos < f { continue }
                    if let t = toNanos, h.timestampNanos >= t { continue }
                    analytics.packet(bytes, linkType: reader.format.linkType, timestampNanos: h.timestampNanos,
                                     segmentID: Int64(s.id))
                    packets += 1
                }
            } catch {
                failures += 1  // e.g. deleted by retention meanwhile: the rest is still analysed
                FileHandle.standardError.write(Data("\nvigie-agent: segment \(s.id): \(error)\n".utf8))
            }
            done += s.bytes
            if showProgress {
                let frac = total > 0 ? Double(done) / Double(total) : 1
                let bar = String(repeating: "#", count: Int(frac * 30)) + String(repeating: ".", count: 30 - Int(frac * 30))
                FileHandle.standardError.write(Data(String(format: "\r[%@] %3.0f%% %d/%d segments, %llu packets", bar, frac * 100,
                                                           i + 1, todo.count, packets).utf8))
            }
        }
        analytics.finish()
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        let stats = analytics.emitter.stats
        let secs = Double(WallClock.monotonicNanos() - start) / 1e9
        print("reanalysed \(todo.count - failures) of \(todo.count) segments (\(packets) packets) in \(String(format: "%.2f", secs)) s")
        print("records: \(stats.emitted.reduce(0, +)) written to \(outDir)")
        if failures > 0 { throw ExitCode(2) }
    }
}
