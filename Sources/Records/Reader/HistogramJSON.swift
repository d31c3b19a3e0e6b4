/// Reads the latency histogram objects of `edge` records (the encoder's `histogram`,
/// docs/records.md): `{"layout":"log2x4-us","count":N,"sum_us":S,"min_us":A,"max_us":B,
/// "buckets":[[index,count],...]}`. Total: anything else gives nil, never a trap.
enum HistogramJSON {
    private enum Slot: Int, CaseIterable { case layout, count, sum, min, max, buckets }

    /// The histogram of one object (its bytes from `{` to `}`), or nil when it is not one of
    /// ``LatencyHistogram``'s layout: unknown layout, a bucket index outside it or out of order,
    /// a count that is not a non-negative integer.
    static func parse(_ object: UnsafeRawBufferPointer) -> LatencyHistogram? {
        var values = [JSONValueRef](repeating: JSONValueRef(), count: Slot.allCases.count)
        var scanner = JSONLineScanner(object)
        do {
            try scanner.scanObject(into: &values) { key, _ in slot(of: key)?.rawValue }
        } catch {
            return nil
        }
        func text(_ s: Slot) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: object[values[s.rawValue].start..<values[s.rawValue].end])
        }
        // As the record's top-level integers: a number (or a bool, 1 or 0) that is an exact integer.
        func unsigned(_ s: Slot) -> UInt64? {
            let v = values[s.rawValue]
            if v.kind == .bool { return v.flag ? 1 : 0 }
            guard v.kind == .number, let d = JSONNumber.double(text(s)) else { return nil }
            return UInt64(exactly: d)
        }
        if values[Slot.layout.rawValue].kind != .absent {
            guard values[Slot.layout.rawValue].kind == .string,
                  String(decoding: text(.layout), as: UTF8.self) == LatencyHistogram.layoutName else { return nil }
        }
        guard let count = unsigned(.count) else { return nil }
        let sumMicros = values[Slot.sum.rawValue].kind == .absent ? 0 : unsigned(.sum)
        // min/max are absent when the agent had no sample (it writes them only when ≥ 0).
        let minMicros = values[Slot.min.rawValue].kind == .absent ? nil : unsigned(.min)
        let maxMicros = values[Slot.max.rawValue].kind == .absent ? nil : unsigned(.max)
        guard let sumMicros, values[Slot.min.rawValue].kind == .absent || minMicros != nil,
              values[Slot.max.rawValue].kind == .absent || maxMicros != nil else { return nil }
        var buckets: [(index: Int, count: UInt64)] = []
        if values[Slot.buckets.rawValue].kind != .absent {
            guard values[Slot.buckets.rawValue].kind == .array, let pairs = pairs(text(.buckets)) else { return nil }
            buckets = pairs
        }
        return LatencyHistogram(buckets: buckets, count: count, sumNanos: nanos(sumMicros),
                                minNanos: minMicros.map { Int64(clamping: nanos($0)) } ?? -1,
                                maxNanos: maxMicros.map { Int64(clamping: nanos($0)) } ?? -1)
    }

    /// Microseconds as nanoseconds, saturating.
    private static func nanos(_ micros: UInt64) -> UInt64 {
        let (n, overflow) = micros.multipliedReportingOverflow(by: 1000)
        return overflow ? .max : n
    }

    private static func slot(of key: UnsafeRawBufferPointer) -> Slot? {
        switch String(decoding: key, as: UTF8.self) {
        case "layout": .layout
        case "count": .count
        case "sum_us": .sum
        case "min_us": .min
        case "max_us": .max
        case "buckets": .buckets
        default: nil
        }
    }

    /// `[[index,count],...]` (already checked to be JSON by the scanner): the pairs, or nil when
    /// the array holds anything but pairs of non-negative integers, or more pairs than the layout
    /// has buckets.
    private static func pairs(_ array: UnsafeRawBufferPointer) -> [(index: Int, count: UInt64)]? {
        var result: [(index: Int, count: UInt64)] = []
        var depth = 0
        var current: [UInt64] = []
        var i = 0
        while i < array.count {
            let c = array[i]
            switch c {
            case UInt8(ascii: "["):
                depth += 1
                guard depth <= 2 else { return nil }
                current.removeAll(keepingCapacity: true)
                i += 1
            case UInt8(ascii: "]"):
                if depth == 2 {
                    guard current.count == 2, current[0] < UInt64(LatencyHistogram.bucketCount) else { return nil }
                    guard result.count < LatencyHistogram.bucketCount else { return nil }
                    result.append((Int(current[0]), current[1]))
                }
                depth -= 1
                i += 1
            case UInt8(ascii: ","), 0x20, 0x09, 0x0A, 0x0D:
                i += 1
            case UInt8(ascii: "t"), UInt8(ascii: "f"):
                // true and false count as 1 and 0, as everywhere in a record.
                guard depth == 2, current.count < 2 else { return nil }
                let word = c == UInt8(ascii: "t") ? 4 : 5
                current.append(c == UInt8(ascii: "t") ? 1 : 0)
                i += word
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                guard depth == 2, current.count < 2 else { return nil }
                var end = i
                while end < array.count, isNumberByte(array[end]) { end += 1 }
                guard let d = JSONNumber.double(UnsafeRawBufferPointer(rebasing: array[i..<end])),
                      let value = UInt64(exactly: d) else { return nil }
                current.append(value)
                i = end
            default:
                return nil
            }
        }
        return result
    }

    private static func isNumberByte(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ".") || c == UInt8(ascii: "e")
            || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
    }
}
