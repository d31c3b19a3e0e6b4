import Foundation
import PcapFormat
import PcapKit
import SystemIO

/// What `state/status.json` holds: the running (or last) agent's counters. Taken by the capture
/// thread about once a second and written atomically on a queue of its own (`CaptureRunner`); read by
/// `vigie-agent status`.
public struct StatusReport: Codable, Sendable {
    public var pid: Int32
    /// `capture` or `ingest`.
    public var mode: String
    /// Interface name or capture files.
    public var sources: [String]
    public var startedAt: Date
    public var updatedAt: Date
    /// False once the process ended cleanly.
    public var running: Bool
    public var pipeline: PipelineCounters
    /// Kernel/interface counters (live capture only).
    public var capture: CaptureCounters?
    public var storage: StoreCounters
    /// Packets per second over the last reporting interval.
    public var packetsPerSecond: Double?
    /// Flow analytics counters, when analytics is on.
    public var analytics: AnalyticsStatus? = nil
    /// Spool and sink figures, when export is configured.
    public var export: ExportStatus? = nil

    public static func read(layout: StoreLayout) throws -> StatusReport? {
        guard let bytes = try StorageError.io({ () throws(SystemError) in try FileSystem.readFile(layout.statusPath) }) else { return nil }
        return try decoder.decode(StatusReport.self, from: Data(bytes))
    }

    public func write(layout: StoreLayout) throws {
        let bytes = [UInt8](try Self.encoder.encode(self))
        try StorageError.io { () throws(SystemError) in try AtomicFile.write(bytes, to: layout.statusPath) }
    }

    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.dateEncodingStrategy = .iso8601
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()
}
