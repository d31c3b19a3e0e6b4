import Foundation
import Indexer
import Logging
import PcapFormat
import SystemIO

/// The planned recordings of the capturing process (docs/recordings.md): feeds each packet to the
/// live ones, and, from the capture loop's periodic work, follows `recordings.json` (re-read when
/// it changes, checked at most once a second), opens and closes the recordings' own stores, and
/// writes their state changes (`recording`, `done`) back.
///
/// Owned by the capture thread, like the main store.
public final class Recorder {
    public let book: RecordingBook
    private let storage: StorageConfig
    private let index: IndexConfig
    private let logger: Logger
    /// Live recordings, in the order of the file.
    private(set) var slots: [RecordingSlot] = []
    private var version: [Int64]?
    private var lastCheck: Int64 = 0
    private var format: SourceFormat?

    /// Opens the recordings of the store `config` names: adds the config's `recordings:` the file
    /// does not have yet (a definition already in the file keeps its state), then opens the live
    /// ones.
    public init(config: AgentConfig, logger: Logger) throws {
        guard let store = config.store else { throw ConfigError(option: "--store", "a store directory is required") }
        book = RecordingBook(store: store)
        storage = config.storage
        index = config.index
        self.logger = logger
        if !config.recordings.isEmpty {
            try book.update { defs in
                for d in config.recordings where !defs.contains(where: { $0.id == d.id }) { defs.append(d) }
            }
        }
        reload(force: true)
    }

    /// Whether any recording is live (the pipeline feeds packets only then).
    public var hasLive: Bool { !slots.isEmpty }

    /// Compiles the live recordings' filters for `source`'s link type.
    func prepare(for source: SourceFormat) {
        format = source
        for s in slots { s.prepare(for: source) }
    }

    @inline(__always)
    func feed(_ header: PacketHeader, _ bytes: UnsafeRawBufferPointer) {
        for s in slots { s.feed(header, bytes) }
    }

    /// From the capture loop's periodic work: ticks the recordings' stores, records state changes,
    /// and re-reads the file when it changed (at most once a second).
    public func periodic(now: Int64 = WallClock.monotonicNanos()) {
        for s in slots { s.store.tick() }
        var changes: [String: RecordingState] = [:]
        for s in slots {
            if s.over {
                changes[s.definition.id] = .done
            } else if s.stored && s.state == .scheduled {
                changes[s.definition.id] = .recording
                s.state = .recording
            }
        }
        if !changes.isEmpty {
            for s in slots where s.over {
                s.store.close()
                logger.notice("recording done", metadata: ["recording": "\(s.definition.id)"])
            }
            slots.removeAll { $0.over }
            write(changes)
        }
        guard now &- lastCheck >= 1_000_000_000 else { return }
        lastCheck = now
        reload(force: false)
    }

    /// Closes every recording's store (end of capture).
    public func close() {
        var changes: [String: RecordingState] = [:]
        for s in slots {
            s.store.close()
            if s.over { changes[s.definition.id] = .done } else if s.stored && s.state == .scheduled { changes[s.definition.id] = .recording }
        }
        slots.removeAll()
        if !changes.isEmpty { write(changes) }
    }

    /// Counters of the live recordings' stores, by id.
    public func snapshots() -> [String: StoreCounters] {
        var out: [String: StoreCounters] = [:]
        for s in slots { out[s.definition.id] = s.store.snapshot() }
        return out
    }

    private func write(_ changes: [String: RecordingState]) {
        do {
            try book.update { defs in
                for k in defs.indices {
                    // A cancellation made meanwhile (by the API) wins over what the capture saw.
                    if let st = changes[defs[k].id], defs[k].state.isLive { defs[k].state = st }
                }
            }
        } catch {
            logger.error("cannot write recording states", metadata: ["error": "\(error)"])
        }
    }

    /// Re-reads the file when its version changed (or `force`), opening the recordings that became
    /// live and closing those cancelled or gone; purges the data of those cancelled with `purge`.
    private func reload(force: Bool) {
        let v = book.version()
        guard force || v != version else { return }
        version = v
        let defs: [RecordingDefinition]
        do { defs = try book.load() } catch {
            logger.error("cannot read the recordings file; recordings unchanged", metadata: ["error": "\(error)"])
            return
        }
        let byID = Dictionary(defs.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for s in slots where byID[s.definition.id].map({ !$0.state.isLive }) ?? true {
            s.store.close()
            logger.notice("recording stopped", metadata: ["recording": "\(s.definition.id)"])
        }
        slots.removeAll { byID[$0.definition.id].map { !$0.state.isLive } ?? true }
        var purged: [String] = []
        for d in defs {
            if d.state == .cancelled && d.purge {
                if Self.removeData(book.layout(d.id)) { purged.append(d.id) }
                continue
            }
            guard d.state.isLive, !slots.contains(where: { $0.definition.id == d.id }) else { continue }
            do {
                let slot = RecordingSlot(definition: d, store: try openStore(d), logger: logger)
                if let format { slot.prepare(for: format) }
                slots.append(slot)
                logger.notice("recording open", metadata: ["recording": "\(d.id)"])
            } catch {
                logger.error("cannot open the recording's store", metadata: ["recording": "\(d.id)", "error": "\(error)"])
            }
        }
        if !purged.isEmpty {
            do { try book.update { defs in defs.removeAll { purged.contains($0.id) && $0.state == .cancelled } } } catch {
                logger.error("cannot write the recordings file", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The recording's own store: its quota and retention, the main store's segment timing, the
    /// main index fields plus its own.
    private func openStore(_ d: RecordingDefinition) throws -> SegmentStore {
        var c = storage
        c.quotaBytes = d.quotaBytes
        c.retention = d.retention
        c.maxAgeSeconds = nil
        c.segmentBytes = max(4096, min(storage.segmentBytes, d.quotaBytes / 2))
        c.writeBufferBytes = min(storage.writeBufferBytes, Int(c.segmentBytes))
        let layout = book.layout(d.id)
        let store = try SegmentStore(layout: layout, config: c, logger: logger)
        store.removeSegmentIndex = { id in SegmentIndex.remove(at: layout.indexPath(id)) }
        if index.enabled || !d.indexFields.isEmpty {
            var fields = index.enabled ? try index.fieldSet() : []
            fields.formUnion(try IndexFieldSet(names: d.indexFields))
            store.indexer = try StoreIndexer(layout: layout, fields: fields, segmentBytes: c.segmentBytes, logger: logger)
        }
        return store
    }

    /// Deletes a recording's directory when no process writes it (its store lock can be taken).
    /// Returns whether it is gone.
    @discardableResult
    public static func removeData(_ layout: StoreLayout) -> Bool {
        guard FileSystem.exists(layout.root) else { return true }
        if FileSystem.exists(layout.lockPath) {
            guard let fd = try? FileSystem.open(layout.lockPath, O_RDWR) else { return false }
            defer { FileSystem.close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return false }
            return (try? FileManager.default.removeItem(atPath: layout.root)) != nil
        }
        return (try? FileManager.default.removeItem(atPath: layout.root)) != nil
    }
}
