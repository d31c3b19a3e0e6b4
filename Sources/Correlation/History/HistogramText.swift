import Records

/// How the history stores a latency histogram, as text in both databases (PostgreSQL's text
/// parameters carry it as is): `COUNT SUM_NS MIN_NS MAX_NS` then ` INDEX:COUNT` per non-empty
/// bucket; empty for an empty histogram. About 60 bytes for a typical edge. Written and read as
/// bytes: every row a batch touches goes through here twice.
enum HistogramText {
    static func bytes(_ h: LatencyHistogram) -> [UInt8] {
        guard h.count > 0 || !h.buckets.isEmpty else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(40 + 12 * h.buckets.count)
        append(h.count, &out); out.append(0x20)
        append(h.sumNanos, &out); out.append(0x20)
        append(h.minNanos, &out); out.append(0x20)
        append(h.maxNanos, &out)
        for b in h.buckets {
            out.append(0x20); append(UInt64(b.index), &out); out.append(UInt8(ascii: ":")); append(b.count, &out)
        }
        return out
    }

    static func encode(_ h: LatencyHistogram) -> String { String(decoding: bytes(h), as: UTF8.self) }

    /// The histogram of a stored text; an empty one when the text is damaged (a chart loses that
    /// percentile rather than the server failing the request).
    static func decode(_ bytes: UnsafeRawBufferPointer) -> LatencyHistogram {
        var i = 0
        func number() -> (value: UInt64, negative: Bool)? {
            var negative = false
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            var v: UInt64 = 0, digits = 0
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39, digits < 20 {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(bytes[i] - 0x30))
                guard !o1, !o2 else { return nil }
                v = a; i += 1; digits += 1
            }
            return digits > 0 ? (v, negative) : nil
        }
        func separator(_ c: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == c else { return false }
            i += 1
            return true
        }
        func signed(_ n: (value: UInt64, negative: Bool)) -> Int64? {
            guard n.value <= UInt64(Int64.max) else { return nil }
            return n.negative ? -Int64(n.value) : Int64(n.value)
        }
        guard !bytes.isEmpty else { return LatencyHistogram() }
        guard let count = number(), !count.negative, separator(0x20), let sum = number(), !sum.negative, separator(0x20),
              let minimum = number().flatMap(signed), separator(0x20), let maximum = number().flatMap(signed) else { return LatencyHistogram() }
        var buckets: [(index: Int, count: UInt64)] = []
        while i < bytes.count {
            guard separator(0x20), let index = number(), !index.negative, index.value < 256, separator(UInt8(ascii: ":")),
                  let c = number(), !c.negative else { return LatencyHistogram() }
            buckets.append((Int(index.value), c.value))
        }
        return LatencyHistogram(buckets: buckets, count: count.value, sumNanos: sum.value, minNanos: minimum, maxNanos: maximum) ?? LatencyHistogram()
    }

    static func decode(_ text: String?) -> LatencyHistogram {
        guard var text else { return LatencyHistogram() }
        return text.withUTF8 { decode(UnsafeRawBufferPointer($0)) }
    }

    private static func append(_ v: Int64, _ out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        append(v.magnitude, &out)
    }

    private static func append(_ v: UInt64, _ out: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                      UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0, x = v
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[n] = UInt8(x % 10) + 0x30; x /= 10; n += 1 } while x > 0
            while n > 0 { n -= 1; out.append(d[n]) }
        }
    }
}
