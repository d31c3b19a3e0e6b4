import Agent
import ArgumentParser
import Foundation
import Observability
import PcapKit
import SystemIO

/// `vigie-agent ingest`: replays capture files through the same pipeline as live capture.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Replay pcap/pcapng files into the store and print a summary.",
        discussion: "Exits 0 when every file was read whole, 2 when a file was corrupt or truncated (its readable prefix is stored), 1 on a setup error."
    )

    @OptionGroup var options: StoreWriteOptions

    @Flag(name: .long, help: "Print the summary as JSON.")
    var json = false

    @Flag(name: .long, inversion: .prefixedNo, help: "Show progress on stderr (default: when stderr is a terminal).")
    var progress: Bool?

    @Argument(help: "Capture files (pcap or pcapng), read in order.")
    var files: [String]

    /// The replay does blocking file I/O for as long as the files last: it runs on a thread of its
    /// own, never on the shared async pool.
    func run() async throws {
        let command = self
        try await onOwnThread(named: "vigie-ingest") { try command.ingest() }
    }

    private func ingest() throws {
        let config: AgentConfig
        do { config = try options.resolve() } catch { throw fail("\(error)") }
        let logger = makeLogger(config.logging.level)
        let runner: CaptureRunner
        do {
            let store = try SegmentStore.open(config: config, logger: logger)
            let pipeline = try PacketPipeline.open(config: config, store: store, logger: logger)
            runner = CaptureRunner(pipeline: pipeline, logger: logger, mode: "ingest", sources: files,
                                   statsInterval: config.logging.statsSeconds)
        } catch {
            throw fail("\(error)")
        }
        let start = WallClock.monotonicNanos()
        let segmentsBefore = runner.pipeline.store.snapshot().segmentsCreated
        var failures: [String] = []
        let totalBytes = files.reduce(UInt64(0)) { $0 + (FileSystem.fileSize($1) ?? 0) }
        var fileIndex = 0
        if progress ?? (isatty(2) != 0) {
            runner.onProgress = { r in
                let pct = totalBytes > 0 ? min(100, Double(r.storage.bytesStored + 24) * 100 / Double(totalBytes)) : 0
                let line = String(format: "\r[%d/%d] %llu packets, %@ stored (~%.0f%%), %.0f packets/s   ",
                                  fileIndex, files.count, r.pipeline.packetsReceived, humanBytes(r.storage.bytesStored),
                                  pct, r.packetsPerSecond ?? 0)
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        // Under systemd (a Type=notify unit replaying files), READY once the replay starts and
        // the file being read as status; no watchdog: a replay has no idle heartbeat to watch.
        let notifier = SystemdNotifier(logger: logger)
        notifier.ready(status: "ingesting \(files.count) file(s)")
        for file in files {
            fileIndex += 1
            notifier.status("ingesting file \(fileIndex) of \(files.count): \(file)")
            do {
                let reader = try CaptureFileReader(path: file)
                try runner.run(file: reader)
                logger.debug("file ingested", metadata: ["file": "\(file)", "packets": "\(reader.packetsRead)"])
            } catch {
                failures.append("\(error)")
                FileHandle.standardError.write(Data("vigie-agent: error: \(error)\n".utf8))
            }
        }
        notifier.stopping(status: "ingest done; closing the store")
        runner.finish()
        if runner.onProgress != nil { FileHandle.standardError.write(Data("\n".utf8)) }
        let seconds = Double(WallClock.monotonicNanos() - start) / 1e9
        let r = runner.report(running: false)
        let summary = IngestSummary(
            files: files.count, failedFiles: failures.count, packets: r.pipeline.packetsReceived,
            bytes: r.pipeline.bytesReceived, stored: r.storage.packetsStored, filteredOut: r.pipeline.filteredOut,
            notStored: r.storage.packetsNotStored, segmentsWritten: r.storage.segmentsCreated - segmentsBefore,
            seconds: seconds, packetsPerSecond: seconds > 0 ? Double(r.pipeline.packetsReceived) / seconds : 0,
            storageState: r.storage.state.rawValue, errors: failures)
        summary.print(json: json)
        if !failures.isEmpty { throw ExitCode(2) }
        if r.storage.state == .failed { throw ExitCode(1) }
    }
}

/// The summary `ingest` prints.
struct IngestSummary: Codable {
    var files: Int
    var failedFiles: Int
    var packets: UInt64
    var bytes: UInt64
    var stored: UInt64
    var filteredOut: UInt64
    var notStored: UInt64
    var segmentsWritten: UInt64
    var seconds: Double
    var packetsPerSecond: Double
    var storageState: String
    var errors: [String]

    func print(json: Bool) {
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            Swift.print(String(decoding: (try? e.encode(self)) ?? Data(), as: UTF8.self))
            return
        }
        Swift.print("""
            files:            \(files)\(failedFiles > 0 ? " (\(failedFiles) with errors)" : "")
            packets:          \(packets)
            bytes:            \(bytes) (\(humanBytes(bytes)))
            stored:           \(stored)
            filtered out:     \(filteredOut)
            not stored:       \(notStored)
            segments written: \(segmentsWritten)
            time:             \(String(format: "%.3f", seconds)) s
            rate:             \(String(format: "%.0f", packetsPerSecond)) packets/s
            storage state:    \(storageState)
            """)
    }
}
