import Agent
import Foundation
import Logging
import Observability
import PcapKit
import ServiceLifecycle
import SystemIO

/// The live capture as a `Service`: the blocking libpcap loop runs on its own thread; graceful
/// shutdown calls `pcap_breakloop` (the only call that crosses threads) and waits for the loop
/// to close its segment.
final class CaptureService: Service, @unchecked Sendable {
    // Confinement: `runner` and `capture` are used only by the capture thread once `run()` starts;
    // `capture.stop()` is the one thread-safe call made from elsewhere.
    private let runner: CaptureRunner
    private let capture: LiveCapture
    private let logger: Logger
    private let notifier: SystemdNotifier

    init(config: AgentConfig, logger: Logger, notifier: SystemdNotifier) throws {
        self.logger = logger
        self.notifier = notifier
        var opts = LiveCaptureOptions(interface: config.capture.interface!)
        opts.snaplen = config.capture.snaplen
        opts.promiscuous = config.capture.promiscuous
        opts.bufferBytes = Int32(clamping: config.capture.bufferBytes)
        // Open the store first: a bad store fails before we touch the interface.
        let store = try SegmentStore.open(config: config, logger: logger)
        let pipeline = try PacketPipeline.open(config: config, store: store, live: true, logger: logger)
        capture = try LiveCapture(options: opts)
        try pipeline.prepare(for: capture.format)
        runner = CaptureRunner(pipeline: pipeline, logger: logger, mode: "capture", sources: [opts.interface],
                               statsInterval: config.logging.statsSeconds)
        runner.runningConfig = config
        logger.notice("capture started", metadata: [
            "interface": "\(opts.interface)", "link_type": "\(capture.format.linkType)",
            "nanosecond": "\(capture.format.nanosecond)", "store": "\(config.store!)",
        ])
    }

    /// Where the fleet client hands configuration changes to the capture thread.
    var reconfiguration: LiveReconfiguration { runner.reconfiguration }

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await onOwnThread(named: "vigie-capture") { [self] in
                // The handle is open and the pipeline prepared (init): from here on packets are stored.
                notifier.ready(status: "capturing \(runner.sources.joined(separator: ", "))")
                do {
                    try runner.run(live: capture)
                } catch {
                    logger.error("capture stopped", metadata: ["error": "\(error)"])
                    throw error
                }
            }
            logger.notice("capture stopped; segment closed")
        } onGracefulShutdown: { [capture] in
            capture.stop()
        }
    }

    /// systemd's watchdog over this capture: pinged while the capture loop's heartbeat advances
    /// (it stops when the capture thread is stuck), with the counters as status text.
    func watchdog() -> WatchdogService {
        let progress = runner.progress
        let sources = runner.sources.joined(separator: ", ")
        return WatchdogService(notifier: notifier, subject: "capture", logger: logger,
                               progress: { progress.heartbeat },
                               status: { Self.statusLine(progress.report, sources: sources) })
    }

    /// One line for `systemctl status`: what was received, stored and lost, the store, the spool.
    static func statusLine(_ report: StatusReport?, sources: String) -> String {
        guard let r = report else { return "capturing \(sources)" }
        var parts = ["capturing \(sources): \(r.pipeline.packetsReceived) packets received",
                     "\(r.storage.packetsStored) stored (\(humanBytes(r.storage.bytesStored)))"]
        if let c = r.capture { parts.append("\(c.droppedByKernel + c.droppedByInterface) dropped") }
        if r.storage.packetsNotStored > 0 { parts.append("\(r.storage.packetsNotStored) not stored") }
        parts.append("\(r.storage.segmentsInStore) segments (\(humanBytes(r.storage.storeBytes)), \(r.storage.state.rawValue))")
        if let spool = r.export?.spool {
            parts.append("spool \(humanBytes(spool.bytes)), \(spool.pending.values.max() ?? 0) records pending")
        }
        return parts.joined(separator: ", ")
    }
}
