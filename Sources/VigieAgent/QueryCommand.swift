import Agent
import ArgumentParser
import Foundation
import Indexer
import SystemIO

/// `vigie-agent query`: extracts the packets matching an expression as one time-ordered pcap.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Extract the packets matching an expression (docs/query-language.md) as a pcap.",
        discussion: "Example: vigie-agent query --store /var/lib/vigie/store 'host 10.1.2.3 and port 5432 after 15m ago' | tshark -r -"
    )

    @Option(name: .long, help: "Store directory.")
    var store: String

    @Flag(name: .long, help: "Only count the matching packets and bytes.")
    var count = false

    @Option(name: .long, help: "Stop after this many packets.")
    var limit: Int?

    @Option(name: .short, help: "Write the pcap to FILE ('-' for standard output, the default when it is not a terminal).")
    var w: String?

    @Option(name: .long, help: "Only packets at or after this time (RFC 3339, epoch seconds, '15m ago').")
    var from: String?

    @Option(name: .long, help: "Only packets before this time.")
    var to: String?

    @Option(name: .customLong("link-type"), help: "When segments in range have several link types, extract this one (e.g. 1 for Ethernet).")
    var linkType: UInt32?

    @Flag(name: .customLong("no-scan"), help: "Skip segments without a usable index instead of scanning them.")
    var noScan = false

    @Flag(name: .long, help: "Checksum every section of each index opened (default: header and section table only; sections are bounds-checked either way).")
    var verify = false

    @Argument(help: "Query expression; empty selects every packet.")
    var expression: String = ""

    func run() throws {
        signal(SIGPIPE, SIG_IGN)  // a reader that goes away (e.g. `| head`) ends the query cleanly
        let query: Query
        do {
            query = try QueryParser.parse(expression)
        } catch {
            let caret = String(repeating: " ", count: error.offset) + String(repeating: "^", count: max(1, error.length))
            throw fail("bad query at offset \(error.offset): \(error.message)\n  \(expression)\n  \(caret)")
        }
        let catalog: SegmentCatalog
        let lower: Int64?, upper: Int64?
        do {
            lower = try parseTime(from, "--from")
            upper = try parseTime(to, "--to")
            if let l = lower, let u = upper, l > u { throw ConfigError(option: "--from", "is after --to") }
            let layout = StoreLayout(root: store)
            guard FileSystem.isDirectory(layout.catalogDirectory) else { throw StorageError(.notAStore, path: store, detail: "no catalog/ directory") }
            catalog = try SegmentCatalog(readingFrom: layout)
        } catch {
            throw fail("\(error)")
        }
        let bounds = (max(lower ?? .min, query.after ?? .min), min(upper ?? .max, query.before ?? .max))
        let refs = catalog.queryRefs(from: bounds.0 == .min ? nil : bounds.0, to: bounds.1 == .max ? nil : bounds.1)
        var request = QueryRequest(query: query, from: lower, to: upper, limit: limit, linkType: linkType, allowScan: !noScan)
        // A one-shot process: checksumming every byte of every index in range would dominate a
        // selective query (the HTTP API, long-running, checks each file fully once instead).
        request.checksums = verify ? .always : .headerOnly
        let engine = QueryEngine(segments: refs)
        let start = WallClock.monotonicNanos()
        let stats: QueryStats
        if count {
            stats = engine.count(request)
            print("\(stats.packets) packets, \(stats.bytes) bytes")
        } else {
            let target = w ?? "-"
            if target == "-" && isatty(1) != 0 {
                throw fail("refusing to write a pcap to a terminal: use -w FILE, pipe it (| tshark -r -), or --count")
            }
            let fd = target == "-" ? 1 : open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw fail("\(target): cannot create: \(String(cString: strerror(errno)))") }
            defer { if fd != 1 { close(fd) } }
            do {
                stats = try engine.writePcap(request, to: fd)
            } catch {
                throw fail("\(error)")
            }
        }
        let ms = Double(WallClock.monotonicNanos() - start) / 1e6
        var line = String(format: "vigie-agent: %llu packets, %llu bytes in %.1f ms; segments: %d in range, %d indexed, %d scanned, %d skipped",
                          stats.packets, stats.bytes, ms, stats.segmentsInRange, stats.segmentsIndexed, stats.segmentsScanned, stats.segmentsSkipped)
        if stats.limitReached { line += "; limit reached" }
        FileHandle.standardError.write(Data((line + "\n").utf8))
        for p in stats.problems { FileHandle.standardError.write(Data("vigie-agent: note: \(p)\n".utf8)) }
    }
}
