import ArgumentParser

/// `vigie-agent`: captures traffic into segmented pcap storage and manages the store.
@main
struct VigieAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigie-agent",
        abstract: "Vigie network capture agent: stores all traffic in segmented pcap files.",
        // Packaging/deb/build reads the package version from this line.
        version: "0.1.0",
        subcommands: [CaptureCommand.self, IngestCommand.self, SegmentsCommand.self, StatusCommand.self, QueryCommand.self, ReindexCommand.self, ReanalyzeCommand.self, ServeCommand.self, RecordingsCommand.self]
    )
}
