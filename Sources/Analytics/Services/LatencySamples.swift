/// A bounded set of latency samples with exact percentiles while under capacity and a uniform
/// reservoir sample (Vitter's algorithm R, deterministic generator) beyond it.
///
/// Used per service and per window by the state machines, where an exact p95 of the handful of
/// samples a quiet service produces matters more than the histogram's bucket resolution.
struct LatencySamples {
    private(set) var values: [Int64] = []
    /// Samples offered (kept or not).
    private(set) var seen: Int = 0
    private var rng: UInt64 = 0x9E37_79B9_7F4A_7C15

    mutating func add(_ nanos: Int64, capacity: Int) {
        guard nanos >= 0 else { return }
        seen += 1
        if values.count < capacity {
            values.append(nanos)
            return
        }
        rng = rng &* 6364136223846793005 &+ 1442695040888963407
        let slot = Int((rng >> 33) % UInt64(seen))
        if slot < capacity { values[slot] = nanos }
    }

    mutating func reset() {
        values.removeAll(keepingCapacity: true)
        seen = 0
    }

    /// Percentiles by the nearest-rank method (`q` in 0...1), in ascending order of `qs`; empty
    /// when there is no sample.
    func percentiles(_ qs: [Double]) -> [Int64] {
        guard !values.isEmpty else { return [] }
        let sorted = values.sorted()
        return qs.map { q in
            let rank = Int((q * Double(sorted.count)).rounded(.up))
            return sorted[min(max(rank, 1), sorted.count) - 1]
        }
    }
}
