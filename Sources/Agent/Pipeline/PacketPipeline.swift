import Logging
import PcapFormat
import PcapKit

/// Counters of the pipeline (what came in, what the prefilter kept out).
public struct PipelineCounters: Codable, Sendable, Hashable {
    /// Packets handed to the pipeline by its sources.
    public var packetsReceived: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    /// Packets the BPF prefilter rejected (not stored).
    public var filteredOut: UInt64 = 0
    public init() {}
}

/// One pipeline for live and file sources: prefilter, then store. Later stages (indexer,
/// analytics) attach here. Owned by the one capture thread.
public final class PacketPipeline {
    public let store: SegmentStore
    /// Replaced only by ``install(prefilter:compiled:)`` on the capture thread.
    public private(set) var prefilter: String?
    /// Flow analytics and export, when enabled: it sees every packet received (the prefilter only
    /// decides what is stored), with the id of the segment that stored it.
    public let analytics: AgentAnalytics?
    public private(set) var counters = PipelineCounters()
    private var filters: [UInt32: BPFFilter] = [:]
    private var currentLink: UInt32 = .max
    private var currentFilter: BPFFilter?
    /// Planned recordings (docs/recordings.md); they see every packet received, before the prefilter.
    public var recorder: Recorder? { didSet { refreshRecordings() } }
    /// `recorder` while it has a live recording, unretained on the per-packet path: with none, a
    /// packet costs one branch.
    var liveRecorder: Unmanaged<Recorder>?

    /// Checks the prefilter compiles (for Ethernet) so a bad expression fails at start.
    public init(store: SegmentStore, prefilter: String?, analytics: AgentAnalytics? = nil) throws(PcapError) {
        self.store = store
        self.analytics = analytics
        let p = prefilter?.trimmingCharacters(in: .whitespaces)
        self.prefilter = (p?.isEmpty ?? true) ? nil : p
        if let expr = self.prefilter { filters[1] = try BPFFilter(expression: expr, linkType: 1) }
    }

    /// Compiles `expression` for the link type in use (Ethernet before the first packet), so that
    /// a central prefilter that does not compile is refused before anything changes.
    public func compile(prefilter expression: String?) throws(PcapError) -> (String?, [UInt32: BPFFilter]) {
        let p = expression?.trimmingCharacters(in: .whitespaces)
        guard let expr = p, !expr.isEmpty else { return (nil, [:]) }
        let link = currentLink == .max ? 1 : currentLink
        return (expr, [link: try BPFFilter(expression: expr, linkType: link)])
    }

    /// Installs a prefilter ``compile(prefilter:)`` made: the next packet is judged by it.
    public func install(prefilter expression: String?, compiled: [UInt32: BPFFilter]) {
        prefilter = expression
        filters = compiled
        currentFilter = expression == nil ? nil : compiled[currentLink]
        // Not compiled for the link in use (none yet): the next `prepare(for:)` compiles it.
        if expression != nil && currentFilter == nil { currentLink = .max }
    }

    /// Prepares for packets of `format` (compiles the prefilter for its link type).
    public func prepare(for format: SourceFormat) throws(PcapError) {
        recorder?.prepare(for: format)
        guard format.linkType != currentLink else { return }
        currentLink = format.linkType
        guard let expr = prefilter else { currentFilter = nil; return }
        if let f = filters[format.linkType] {
            currentFilter = f
        } else {
            do throws(PcapError) {
                let f = try BPFFilter(expression: expr, linkType: format.linkType)
                filters[format.linkType] = f
                currentFilter = f
            } catch {
                currentLink = .max
                throw error
            }
        }
    }

    /// Runs one packet through the pipeline. `prepare(for:)` must have been called for `format`.
    @inline(__always)
    public func process(_ header: PacketHeader, _ bytes: UnsafeRawBufferPointer, format: SourceFormat) {
        counters.packetsReceived &+= 1
        counters.bytesReceived &+= UInt64(header.originalLength)
        if let r = liveRecorder { r._withUnsafeGuaranteedRef { $0.feed(header, bytes) } }
        var stored = false
        if let f = currentFilter, !f.matches(header, bytes) {
            counters.filteredOut &+= 1
        } else {
            stored = store.append(header, bytes, format: format)
        }
        if let analytics {
            analytics.packet(bytes, linkType: format.linkType, timestampNanos: header.timestampNanos,
                             segmentID: stored ? store.currentSegmentID : -1)
        }
    }
}

import Foundation
