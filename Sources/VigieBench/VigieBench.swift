import ArgumentParser

/// Benchmarks of the analytics engine (release builds only).
@main
struct VigieBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigie-bench",
        abstract: "Benchmarks of the Vigie packet decoder, analytics engine and index builder.",
        subcommands: [AnalyticsBench.self, DecodeBench.self, EncapsulateCommand.self, FlowMemoryBench.self, IndexBuildBench.self,
                      KafkaExportBench.self, RecordsBench.self, WorkersBench.self, HistoryLoadBench.self])
}
