import Foundation
import Logging
import PcapKit
import VigieTestSupport

@testable import Agent

/// The agent tests' own helpers (the shared ones are in VigieTestSupport's ``Support``): the library
/// ingest path and the store's catalog.
extension Support {
    static var logger: Logger {
        var l = Logger(label: "vigie.test")
        l.logLevel = .critical
        return l
    }

    /// Ingests files into a store through the library pipeline (same code path as the CLI).
    @discardableResult
    static func ingest(_ files: [String], store: String, config: StorageConfig = StorageConfig(),
                       prefilter: String? = nil) throws -> (StatusReport, [String]) {
        let s = try SegmentStore(layout: StoreLayout(root: store), config: config, logger: logger)
        let pipeline = try PacketPipeline(store: s, prefilter: prefilter)
        let runner = CaptureRunner(pipeline: pipeline, logger: logger, mode: "ingest", sources: files, statsInterval: 3600)
        var errors: [String] = []
        for f in files {
            do {
                try runner.run(file: CaptureFileReader(path: f))
            } catch {
                errors.append("\(error)")
            }
        }
        runner.finish()
        return (runner.report(running: false), errors)
    }

    /// Paths of the finished segments of a store, oldest first.
    static func segmentPaths(_ store: String) throws -> [String] {
        let layout = StoreLayout(root: store)
        return try SegmentCatalog(readingFrom: layout).segments().map { layout.segmentsDirectory + "/" + $0.file }
    }
}
