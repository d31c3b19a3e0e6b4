/// A mergeable latency histogram on a fixed log-linear bucket layout ("log2x4", 129 buckets):
///
/// - bucket 0: under 1 µs (including 0);
/// - bucket `1 + 4·p + s` (p = 0...31, s = 0...3): `[(4+s)·2^p/4, (5+s)·2^p/4)` µs, i.e. each power
///   of two of microseconds split into four equal sub-buckets (relative width ≤ 25 %);
/// - values of 2^32 µs (about 71.6 min) and more are counted in the last bucket, 128.
///
/// Because the layout is fixed, histograms from any number of agents and intervals merge by
/// adding counts bucket by bucket (``merge(_:)``). Storage is sparse: only non-empty buckets.
public struct LatencyHistogram: Sendable, Hashable {
    /// Number of buckets of the layout.
    public static let bucketCount = 129
    /// Name of the layout, written in records so a receiver can check it.
    public static let layoutName = "log2x4-us"

    /// Non-empty buckets as (index, count), sorted by index.
    public private(set) var buckets: [(index: UInt8, count: UInt64)] = []
    /// Number of samples.
    public private(set) var count: UInt64 = 0
    /// Sum of the samples, ns (saturating).
    public private(set) var sumNanos: UInt64 = 0
    /// Smallest and largest sample, ns; -1 when empty.
    public private(set) var minNanos: Int64 = -1
    public private(set) var maxNanos: Int64 = -1

    public init() {}

    /// A histogram read from a record or a database (``HistogramJSON``, the server's history
    /// store): nil when a bucket index is outside the layout or the buckets are not strictly
    /// increasing. Counts are taken as given; merging them later saturates instead of trapping.
    public init?(buckets: [(index: Int, count: UInt64)], count: UInt64, sumNanos: UInt64, minNanos: Int64, maxNanos: Int64) {
        var previous = -1
        for b in buckets {
            guard b.index > previous, b.index < Self.bucketCount else { return nil }
            previous = b.index
        }
        self.buckets = buckets.filter { $0.count > 0 }.map { (UInt8($0.index), $0.count) }
        self.count = count
        self.sumNanos = sumNanos
        self.minNanos = max(minNanos, -1)
        self.maxNanos = max(maxNanos, -1)
    }

    /// Bucket index of a latency in nanoseconds (negative values count as 0).
    public static func bucket(ofNanos nanos: Int64) -> Int {
        let micros = UInt64(max(nanos, 0) / 1000)
        if micros == 0 { return 0 }
        let p = 63 - micros.leadingZeroBitCount
        if p >= 32 { return bucketCount - 1 }
        let s = p >= 2 ? Int((micros >> UInt64(p - 2)) & 3) : Int((micros << UInt64(2 - p)) & 3)
        return 1 + 4 * p + s
    }

    /// Lower bound (inclusive) of bucket `index`, in µs (fractional for the first powers).
    public static func lowerBoundMicros(_ index: Int) -> Double {
        guard index > 0 else { return 0 }
        let p = (index - 1) / 4, s = (index - 1) % 4
        return Double(4 + s) * Double(UInt64(1) << UInt64(p)) / 4
    }

    /// Adds one sample (ignored when negative: "not measured").
    public mutating func add(nanos: Int64) {
        guard nanos >= 0 else { return }
        add(bucket: UInt8(Self.bucket(ofNanos: nanos)), count: 1)
        count += 1
        sumNanos = sumNanos.addingReportingOverflow(UInt64(nanos)).overflow ? .max : sumNanos + UInt64(nanos)
        minNanos = minNanos < 0 ? nanos : min(minNanos, nanos)
        maxNanos = max(maxNanos, nanos)
    }

    /// Adds every bucket and statistic of `other` (histograms from other agents or intervals).
    public mutating func merge(_ other: LatencyHistogram) {
        for b in other.buckets { add(bucket: b.index, count: b.count) }
        count = Self.saturatingSum(count, other.count)
        let (sum, overflow) = sumNanos.addingReportingOverflow(other.sumNanos)
        sumNanos = overflow ? .max : sum
        if other.minNanos >= 0 { minNanos = minNanos < 0 ? other.minNanos : min(minNanos, other.minNanos) }
        maxNanos = max(maxNanos, other.maxNanos)
    }

    private mutating func add(bucket: UInt8, count n: UInt64) {
        // Linear scan: latencies of one edge cluster in a handful of buckets.
        var i = 0
        while i < buckets.count && buckets[i].index < bucket { i += 1 }
        if i < buckets.count && buckets[i].index == bucket {
            buckets[i].count = Self.saturatingSum(buckets[i].count, n)
        } else {
            buckets.insert((bucket, n), at: i)
        }
    }

    /// `a + b`, or the largest count when that overflows: histograms merged from records (which a
    /// server does not trust) must not trap.
    private static func saturatingSum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    /// Estimated `q`-quantile (0...1) in microseconds: the middle of the bucket holding the
    /// nearest-rank sample, clipped to the observed min/max; `nil` when empty.
    public func quantileMicros(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        // Through Double, clamped: the rank of a saturated count must not trap.
        let wanted = (min(max(q, 0), 1) * Double(count)).rounded(.up)
        let rank = wanted >= Double(UInt64.max) ? UInt64.max : max(1, UInt64(wanted))
        var seen: UInt64 = 0
        for b in buckets {
            seen = Self.saturatingSum(seen, b.count)
            guard seen >= rank else { continue }
            let i = Int(b.index)
            let upper = i + 1 < Self.bucketCount ? Self.lowerBoundMicros(i + 1) : Self.lowerBoundMicros(i)
            let middle = (Self.lowerBoundMicros(i) + upper) / 2
            return min(max(middle, Double(minNanos) / 1000), Double(maxNanos) / 1000)
        }
        return Double(maxNanos) / 1000
    }

    /// Count in bucket `index`.
    public func count(inBucket index: Int) -> UInt64 {
        buckets.first { Int($0.index) == index }?.count ?? 0
    }

    public static func == (a: LatencyHistogram, b: LatencyHistogram) -> Bool {
        a.count == b.count && a.sumNanos == b.sumNanos && a.minNanos == b.minNanos && a.maxNanos == b.maxNanos
            && a.buckets.elementsEqual(b.buckets) { $0.index == $1.index && $0.count == $1.count }
    }

    public func hash(into h: inout Hasher) {
        h.combine(count)
        h.combine(sumNanos)
        for b in buckets { h.combine(b.index); h.combine(b.count) }
    }
}
