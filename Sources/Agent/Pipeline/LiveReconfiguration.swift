import Analytics
import Foundation
import Logging
import PcapKit
import Synchronization
import SystemIO

/// Hands a new configuration from the fleet client's thread to the capture thread, which applies
/// it between two packets (`CaptureRunner.periodic`) and answers (docs/fleet.md, "Applying").
public final class LiveReconfiguration: Sendable {
    public typealias Reply = @Sendable (Result<[String], ConfigError>) -> Void
    private let pending = Mutex<(AgentConfig, Reply)?>(nil)
    private let posted = Atomic<Bool>(false)

    public init() {}

    /// Asks the capture thread to apply `config`; `reply` gets the keys that wait for a restart, or
    /// the error naming the key (then nothing changed). A request not yet taken is replaced.
    public func post(_ config: AgentConfig, reply: @escaping Reply) {
        let replaced = pending.withLock { p in defer { p = (config, reply) }; return p }
        posted.store(true, ordering: .releasing)
        replaced?.1(.failure(ConfigError(option: "(document)", "superseded by a newer version before it was applied")))
    }

    /// `post` and wait up to `timeout` seconds for the answer.
    public func apply(_ config: AgentConfig, timeout: Double) -> Result<[String], ConfigError> {
        let answer = Mutex<Result<[String], ConfigError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        post(config) { r in answer.withLock { $0 = r }; done.signal() }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            return .failure(ConfigError(option: "(document)", "the capture thread did not take the change within \(Int(timeout)) s"))
        }
        return answer.withLock { $0 } ?? .failure(ConfigError(option: "(document)", "no answer"))
    }

    /// A change waits to be taken.
    var isPosted: Bool { posted.load(ordering: .relaxed) }

    func take() -> (AgentConfig, Reply)? {
        guard posted.load(ordering: .relaxed) else { return nil }
        posted.store(false, ordering: .relaxed)
        return pending.withLock { p in defer { p = nil }; return p }
    }
}

extension CaptureRunner {
    /// Applies `new` over `old` on the capture thread: everything is checked first (prefilter
    /// compiles, index fields exist, storage settings hold and the quota fits the disk), then the
    /// open segment is closed so the next one starts with the new prefilter, index fields and
    /// storage settings; thresholds go to the analytics at once. Returns the changed keys that
    /// only a restart applies.
    func applyLive(_ new: AgentConfig, over old: AgentConfig) throws(ConfigError) -> [String] {
        let prefilterChanged = new.capture.prefilter != old.capture.prefilter
        let indexChanged = new.index != old.index
        let storageChanged = new.storage != old.storage
        var compiled: (String?, [UInt32: BPFFilter])?
        if prefilterChanged {
            do throws(PcapError) { compiled = try pipeline.compile(prefilter: new.capture.prefilter) } catch {
                throw ConfigError(option: "capture.prefilter", "does not compile: \(error)", file: "central configuration")
            }
        }
        let fields = try new.index.fieldSet()
        try new.storage.validate()
        if storageChanged, let size = FileSystem.space(pipeline.store.layout.root)?.total, new.storage.quotaBytes > size {
            throw ConfigError(option: "storage.quota", "\(new.storage.quotaBytes) bytes is more than the disk holding the store (\(size) bytes)",
                              file: "central configuration")
        }
        var newIndexer: StoreIndexer?
        if indexChanged && new.index.enabled {
            do throws(StorageError) {
                newIndexer = try StoreIndexer(layout: pipeline.store.layout, fields: fields, segmentBytes: new.storage.segmentBytes, logger: logger)
            } catch { throw ConfigError(option: "index.fields", "the index could not be prepared: \(error)", file: "central configuration") }
        }
        // Planned recordings: new definitions go to the recordings file, which the capture's
        // recorder re-reads within a second (docs/recordings.md); one already there keeps its state.
        let planned = new.recordings.filter { d in !old.recordings.contains { $0.id == d.id } }
        if !planned.isEmpty {
            do {
                try RecordingBook(store: pipeline.store.layout.root).update { defs in
                    for d in planned where !defs.contains(where: { $0.id == d.id }) { defs.append(d) }
                }
            } catch { throw ConfigError(option: "recordings", "not planned: \(error)", file: "central configuration") }
        }
        // Export targets: replaced with the spool kept, or left for a restart (a sink added or
        // removed, or no analytics to export from).
        var exportLive = false
        if new.export != old.export, let analytics = pipeline.analytics {
            do { exportLive = try analytics.replaceExport(new.export) } catch {
                throw ConfigError(option: "export", "the new export target is unusable: \(error)", file: "central configuration")
            }
        }
        // Checked (the export replaced last: its failure leaves everything as it was): from here nothing fails.
        if prefilterChanged || indexChanged || storageChanged {
            if storageChanged { pipeline.store.reconfigure(new.storage) } else { pipeline.store.rotate() }
        }
        if indexChanged { pipeline.store.indexer = newIndexer }
        if let (expr, filters) = compiled { pipeline.install(prefilter: expr, compiled: filters) }
        if new.analytics.thresholds != old.analytics.thresholds { pipeline.analytics?.replaceThresholds(new.analytics.thresholds) }
        logger.notice("configuration applied", metadata: [
            "prefilter": "\(new.capture.prefilter ?? "(none)")", "index_fields": "\(new.index.enabled ? new.index.fields.joined(separator: ",") : "off")",
            "quota": "\(new.storage.quotaBytes)", "retention": "\(new.storage.retention.rawValue)",
        ])
        return Self.restartKeys(new, old).filter { $0 != "export" || !exportLive }
    }

    /// Changed keys the running process does not apply (they take effect at the next start, from
    /// the applied configuration the fleet client keeps in the store).
    static func restartKeys(_ new: AgentConfig, _ old: AgentConfig) -> [String] {
        var keys: [String] = []
        var a = new.analytics, b = old.analytics
        a.thresholds = b.thresholds
        if a != b {
            let checks: [(String, Bool)] = [
                ("analytics.enabled", a.enabled != b.enabled), ("analytics.max_flows", a.maxFlows != b.maxFlows),
                ("analytics.window", a.windowSeconds != b.windowSeconds), ("analytics.edge_interval", a.edgeIntervalSeconds != b.edgeIntervalSeconds),
                ("analytics.txn_sample_rate", a.transactionSampleRate != b.transactionSampleRate), ("analytics.record_files", a.recordFiles != b.recordFiles),
                ("analytics.record_files_size", a.recordFilesBytes != b.recordFilesBytes),
                ("analytics.record_files_compress", a.recordFilesCompress != b.recordFilesCompress), ("analytics.tunnels", a.tunnels != b.tunnels),
                ("analytics.reassembly", a.reassembly != b.reassembly), ("analytics.workers", a.workers != b.workers),
                ("analytics.ring_size", a.ringBytes != b.ringBytes),
            ]
            keys += checks.filter(\.1).map(\.0)
        }
        if new.export != old.export { keys.append("export") }
        // The pin keeper and the analytics' trigger read their settings at start.
        if new.pins != old.pins { keys.append("pins") }
        return keys
    }
}
