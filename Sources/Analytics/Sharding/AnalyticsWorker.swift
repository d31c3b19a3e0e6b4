import PacketDecoding
import SystemIO
#if canImport(Glibc)
import Glibc
#endif

/// One analytics worker: a thread that owns a ``FlowAnalyzer`` and drains its ring of packets
/// and marks. At a mark it moves its clock to the mark's time (timeouts due by then fire) and
/// closes its batch for the merger.
final class AnalyticsWorker: @unchecked Sendable {
    // @unchecked: `analyzer` and `sink` are touched only by the worker thread once it started
    // (and by the owner after `join()`); `ring` is thread-safe by design.
    let ring: PacketRing
    let analyzer: FlowAnalyzer
    private let sink: WorkerSink
    private let thread = JoinableThread()

    init(ring: PacketRing, analyzer: FlowAnalyzer, sink: WorkerSink) {
        self.ring = ring
        self.analyzer = analyzer
        self.sink = sink
    }

    /// Starts the thread (it keeps this object alive until it returns).
    func start() { thread.start { self.run() } }

    /// Waits for the thread to end (after the final mark).
    func join() { thread.join() }

    private func run() {
        var backoff = Backoff()
        // Busy time = time since start minus time spent waiting for an empty ring; the clock is read
        // only around those waits, never per packet.
        let started = WallClock.monotonicNanos()
        var idleNanos: Int64 = 0
        while true {
            guard let (tag, payload) = ring.peek() else {
                let t0 = WallClock.monotonicNanos()
                backoff.wait()
                idleNanos &+= WallClock.monotonicNanos() &- t0
                continue
            }
            backoff.reset()
            if tag == RingTag.packet {
                let entry = payload.load(as: PacketEntry.self)
                let bytes = UnsafeRawBufferPointer(start: payload + PacketEntry.frameOffset, count: Int(entry.length))
                analyzer.advance(toNanos: entry.streamNanos)
                analyzer.process(packetBytes: bytes, linkType: LinkType(rawValue: entry.linkType),
                                 timestampNanos: entry.timestampNanos, segmentID: entry.segmentID)
                ring.release()
            } else if tag == RingTag.decodedPacket {
                let entry = payload.load(as: PacketEntry.self)
                let decoded = (payload + PacketEntry.decodedOffset).assumingMemoryBound(to: DecodedPacket.self)
                let bytes = UnsafeRawBufferPointer(start: payload + PacketEntry.bytesOffset, count: Int(entry.length))
                analyzer.advance(toNanos: entry.streamNanos)
                analyzer.process(decoded.pointee, bytes: bytes, timestampNanos: entry.timestampNanos, segmentID: entry.segmentID)
                decoded.deinitialize(count: 1)
                ring.release()
            } else {
                let mark = payload.load(as: Mark.self)
                ring.release()
                analyzer.advance(toNanos: mark.nanos)
                if mark.isFinal { analyzer.finish() }
                var c = counters()
                c.busyNanos = max(0, WallClock.monotonicNanos() &- started &- idleNanos)
                sink.mark(mark, counters: c)
                if mark.isFinal { return }
            }
        }
    }

    private func counters() -> WorkerCounters {
        WorkerCounters(flows: analyzer.counters,
                       reassembly: (analyzer.applicationAnalyzer as? StandardApplicationAnalyzer)?.reassembly)
    }
}
