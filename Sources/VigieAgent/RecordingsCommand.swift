import Agent
import ArgumentParser
import Foundation

/// `vigie-agent recordings`: lists a store's planned recordings (docs/recordings.md). A recording's
/// packets are exported with `vigie-agent query --store STORE/recordings/ID` (its own store).
struct RecordingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recordings",
        abstract: "List the planned recordings of a store.",
        discussion: "Export one with: vigie-agent query --store STORE/recordings/ID -w out.pcap [EXPR]"
    )

    @Option(name: .long, help: "Store directory.")
    var store: String

    @Flag(name: .long, help: "One JSON array, as GET /api/v1/recordings answers.")
    var json = false

    func run() throws {
        let book = RecordingBook(store: store)
        let defs: [RecordingDefinition]
        do { defs = try book.load() } catch { throw fail("\(error)") }
        let list = defs.map { RecordingSummary($0, book: book) }
        if json {
            print(String(decoding: try RecordingSummary.encoder.encode(list), as: UTF8.self))
            return
        }
        print("ID                    STATE       PACKETS        BYTES  SEGS  START                            END                              REPEAT  FILTER")
        for r in list {
            print(String(format: "%-20@  %-10@ %8llu %12llu  %4d  %-31@  %-31@  %-6@  %@", r.id, r.state.rawValue, r.packets, r.bytes,
                         r.segments, r.start, r.end, r.repeat, r.filter ?? "-"))
        }
    }
}
