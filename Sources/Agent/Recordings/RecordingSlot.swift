import Logging
import PcapFormat
import PcapKit

/// One live recording in the capturing process: its definition, its own store, its BPF filter for
/// the current link type and the occurrence the last packet fell in. Owned by the capture thread.
final class RecordingSlot {
    let definition: RecordingDefinition
    /// The state last written to the file (`scheduled` until the first packet is stored).
    var state: RecordingState
    let store: SegmentStore
    /// Bytes kept per packet (`Int.max`: whole packets).
    private let snaplen: Int
    private let period: Int64
    private let duration: Int64
    /// The occurrence the last recorded packet fell in: a packet inside it needs no division.
    private var occurrenceStart: Int64
    private var occurrenceEnd: Int64
    /// Compiled filters by link type; nil value: the filter does not compile for that link type, so
    /// the recording takes nothing from it.
    private var filters: [UInt32: BPFFilter?] = [:]
    private var filter: BPFFilter?
    private var linkAccepted = true
    /// The format the recording's segments are written in (the source's, snaplen cut down).
    private var format = SourceFormat(linkType: 1, snaplen: 262_144, nanosecond: false)
    /// Set per packet, read by the periodic work: a packet was stored / a packet came past the end.
    var stored = false
    var over = false
    private let logger: Logger

    init(definition: RecordingDefinition, store: SegmentStore, logger: Logger) {
        self.definition = definition
        self.state = definition.state
        self.store = store
        self.logger = logger
        snaplen = definition.snaplen.map { Int($0) } ?? .max
        period = definition.repeatRule.periodNanos ?? 0
        duration = definition.durationNanos
        occurrenceStart = definition.startNanos
        occurrenceEnd = definition.endNanos
    }

    /// Compiles the filter for `source`'s link type (once per link type).
    func prepare(for source: SourceFormat) {
        format = SourceFormat(linkType: source.linkType, snaplen: UInt32(min(Int(source.snaplen), snaplen)), nanosecond: source.nanosecond)
        guard let expr = definition.filter else { filter = nil; linkAccepted = true; return }
        if let f = filters[source.linkType] {
            filter = f
        } else {
            do throws(PcapError) {
                filter = try BPFFilter(expression: expr, linkType: source.linkType)
            } catch {
                filter = nil
                logger.warning("recording filter does not compile for this link type: the recording takes none of its packets",
                               metadata: ["recording": "\(definition.id)", "link_type": "\(source.linkType)", "error": "\(error)"])
            }
            filters[source.linkType] = .some(filter)
        }
        linkAccepted = filter != nil
    }

    /// One packet (every packet received, before the main prefilter): stored, cut to the snap
    /// length, when its time is in an occurrence and it matches the filter. No allocation.
    @inline(__always)
    func feed(_ header: PacketHeader, _ bytes: UnsafeRawBufferPointer) {
        let t = header.timestampNanos
        if t < occurrenceStart || t >= occurrenceEnd {
            guard definition.covers(t) else {
                if period == 0 && t >= occurrenceEnd { over = true }
                return
            }
            if period > 0 {
                // covers() checked t >= start and that t - start does not overflow.
                let k = (t &- definition.startNanos) / period
                occurrenceStart = definition.startNanos &+ k &* period
                occurrenceEnd = occurrenceStart &+ duration
            }
        }
        guard linkAccepted else { return }
        if let filter, !filter.matches(header, bytes) { return }
        let kept = bytes.count > snaplen ? UnsafeRawBufferPointer(rebasing: bytes[0..<snaplen]) : bytes
        if store.append(header, kept, format: format) { stored = true }
    }
}
