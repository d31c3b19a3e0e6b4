import Agent
import ArgumentParser
import Foundation
import SystemIO

/// `vigie-agent segments`: lists the catalog.
struct SegmentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "segments", abstract: "List the segments of a store.")

    @Option(name: .long, help: "Store directory.")
    var store: String

    @Flag(name: .long, help: "One JSON array of catalog entries.")
    var json = false

    @Option(name: .long, help: "Only segments with packets at or after this time (RFC 3339, epoch, '15m ago').")
    var from: String?

    @Option(name: .long, help: "Only segments with packets at or before this time.")
    var to: String?

    func run() throws {
        let catalog: SegmentCatalog
        let from: Int64?, to: Int64?
        do {
            from = try parseTime(self.from, "--from")
            to = try parseTime(self.to, "--to")
            if let f = from, let t = to, f > t { throw ConfigError(option: "--from", "is after --to") }
            let layout = StoreLayout(root: store)
            guard FileSystem.isDirectory(layout.catalogDirectory) else {
                throw StorageError(.notAStore, path: store, detail: "no catalog/ directory")
            }
            catalog = try SegmentCatalog(readingFrom: layout)
        } catch {
            throw fail("\(error)")
        }
        let list = catalog.segments(from: from, to: to)
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try e.encode(list), as: UTF8.self))
            return
        }
        print("ID            STATE      PACKETS        BYTES  LINK  FIRST PACKET                     LAST PACKET                      FILE")
        for s in list {
            let first = s.firstNanos.map(TimeParser.format) ?? "-"
            let last = s.lastNanos.map(TimeParser.format) ?? "-"
            print(String(format: "%-12llu  %-9@ %8llu %12llu  %4u  %-31@  %-31@  %@",
                         s.id, s.state.rawValue, s.packets, s.bytes, s.linkType, first, last, s.file))
        }
    }
}
