#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import PcapFormat

/// The discrete-event simulation that produces the capture.
///
/// New sessions arrive as a Poisson process. Each live session knows the time of its next
/// packet; a min-heap picks the earliest one, the session emits exactly that packet and is
/// rescheduled. Thousands of sessions are alive at once, so flows interleave as on a real
/// link while every flow keeps its own RTT-driven timing. The arrival rate is chosen so that
/// timestamps advance at the requested average packet rate (see `interArrival`).
struct Engine {
    let config: GeneratorConfig
    let network: NetworkPlan
    let corpus: Corpus
    let writer: CaptureWriter
    var rng: Xoshiro256StarStar
    var stats = GeneratorStats()

    var sessions: [Session] = []
    var freeSlots: [Int] = []
    /// Next packet of every live session, plus the next session arrival (slot -1).
    var queue = EventQueue()
    /// Pending-ACK rings, `ringCapacity` entries of two words per session slot.
    var ring: [UInt64] = []
    static let ringCapacity = 64
    /// Live sessions.
    var active = 0

    /// Session arrivals per second of capture time in the steady state.
    let arrivalRate: Double

    init(config: GeneratorConfig, writer: CaptureWriter) {
        self.config = config
        self.network = NetworkPlan(clients: config.clients, servers: config.servers)
        self.corpus = Corpus(servers: config.servers)
        self.writer = writer
        self.rng = Xoshiro256StarStar(seed: config.seed)
        self.arrivalRate = config.ratePPS / Self.packetsPerSession
    }

    /// Mean packets per session (all kinds, complete sessions) of the traffic mix, measured
    /// on long runs; recalibrate when the mix in `Scripts.swift` changes.
    static let packetsPerSession = 43.0
    /// Extra arrivals at the start (see `interArrival`) and their decay time in nanoseconds.
    static let startBoost = 2.0
    static let startBoostDecay = 5e8

    /// Generates packets until a limit is reached; `progress` is called about every 10%.
    mutating func run(progress: (Double, GeneratorStats, UInt64) -> Void) throws {
        try writer.append(PcapFileHeader(resolution: config.resolution, snaplen: 262_144, linkType: 1).encoded())
        queue.push(time: 0, slot: -1)
        var nextReport = 0.1
        var nextCheck: UInt64 = 4_096
        while stats.packets < config.maxPackets && writer.totalBytes < config.maxBytes {
            let entry = queue.top
            let now = entry.time
            if entry.slot < 0 {
                queue.updateTop(time: now + interArrival(at: now))
                spawn(at: now)
                continue
            }
            let slot = Int(entry.slot)
            var s = sessions[slot]
            let alive = try advance(&s, slot: slot, at: now)
            if alive {
                sessions[slot] = s
                queue.updateTop(time: s.nextTime)
            } else {
                queue.popTop()
                freeSlots.append(slot)
                active -= 1
            }
            if stats.packets >= nextCheck {
                nextCheck += 4_096
                sample()
                let done = max(Double(stats.packets) / Double(config.maxPackets),
                               Double(writer.totalBytes) / Double(config.maxBytes))
                if done >= nextReport {
                    progress(done, stats, writer.totalBytes)
                    nextReport += 0.1
                }
            }
        }
        try writer.flush()
    }

    /// Exponential gap to the next session arrival, in nanoseconds.
    ///
    /// Arrivals run at `ratePPS / packetsPerSession`, tripled at the very start and decaying
    /// back within a second or so: a session spreads its packets over its lifetime, so a
    /// capture that starts empty would otherwise take seconds to reach the target rate.
    private mutating func interArrival(at now: UInt64) -> UInt64 {
        let rate = arrivalRate * (1 + Self.startBoost * exp(-Double(now) / Self.startBoostDecay))
        return UInt64(-log(1 - rng.unit()) / rate * 1e9)
    }

    /// Samples the number of live sessions for the summary.
    private mutating func sample() {
        stats.sessionSamples += 1
        stats.sessionSum += UInt64(active)
        stats.peakSessions = max(stats.peakSessions, active)
    }

    // MARK: Session table

    /// Starts a new session whose first packet is at `time`.
    mutating func spawn(at time: UInt64) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = sessions.count
            sessions.append(Session())
            ring.append(contentsOf: repeatElement(0, count: Self.ringCapacity * 2))
        }
        var s = Session()
        initialize(&s, at: time)
        sessions[slot] = s
        queue.push(time: s.nextTime, slot: slot)
        active += 1
        stats.sessionsStarted += 1
    }

    /// Queues a receiver ACK (`ack`, acknowledging `segments` segments) seen at `time`.
    @inline(__always)
    mutating func pushAck(_ s: inout Session, slot: Int, time: UInt64, ack: UInt32, segments: UInt16) {
        let t = max(time, s.ringTailTime)
        if Int(s.ringCount) == Self.ringCapacity {
            // Cannot happen with the window caps used; merge into the newest entry to be safe.
            let last = (Int(s.ringHead) + Int(s.ringCount) - 1) % Self.ringCapacity
            let at = (slot * Self.ringCapacity + last) * 2
            let segs = UInt16(truncatingIfNeeded: ring[at + 1] >> 32) &+ segments
            ring[at + 1] = UInt64(ack) | UInt64(segs) << 32
            return
        }
        let index = (Int(s.ringHead) + Int(s.ringCount)) % Self.ringCapacity
        let at = (slot * Self.ringCapacity + index) * 2
        ring[at] = t
        ring[at + 1] = UInt64(ack) | UInt64(segments) << 32
        s.ringCount += 1
        s.ringTailTime = t
    }

    @inline(__always)
    func ackHeadTime(_ s: Session, slot: Int) -> UInt64 {
        ring[(slot * Self.ringCapacity + Int(s.ringHead)) * 2]
    }

    /// Removes the oldest pending ACK: (time, ack number, segments).
    @inline(__always)
    mutating func popAck(_ s: inout Session, slot: Int) -> (UInt64, UInt32, UInt16) {
        let at = (slot * Self.ringCapacity + Int(s.ringHead)) * 2
        let word = ring[at + 1]
        s.ringHead = UInt16((Int(s.ringHead) + 1) % Self.ringCapacity)
        s.ringCount -= 1
        return (ring[at], UInt32(truncatingIfNeeded: word), UInt16(truncatingIfNeeded: word >> 32))
    }
}
