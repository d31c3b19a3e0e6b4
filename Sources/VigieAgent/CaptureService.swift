import Agent
import Foundation
import Logging
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

    init(config: AgentConfig, logger: Logger) throws {
        self.logger = logger
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
        logger.notice("capture started", metadata: [
            "interface": "\(opts.interface)", "link_type": "\(capture.format.linkType)",
            "nanosecond": "\(capture.format.nanosecond)", "store": "\(config.store!)",
        ])
    }

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await onOwnThread(named: "vigie-capture") { [self] in
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
}
