/// Set operations on sorted, duplicate-free ordinal arrays.
enum OrdinalSets {
    static func intersect(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        if a.isEmpty || b.isEmpty { return [] }
        // Very different sizes: binary-search the small one's values in the large one.
        let (small, large) = a.count <= b.count ? (a, b) : (b, a)
        var out: [UInt32] = []
        out.reserveCapacity(small.count)
        if small.count * 16 < large.count {
            var lo = 0
            for v in small {
                var hi = large.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if large[mid] < v { lo = mid + 1 } else { hi = mid }
                }
                if lo == large.count { break }
                if large[lo] == v { out.append(v) }
            }
            return out
        }
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] < b[j] { i += 1 } else if a[i] > b[j] { j += 1 } else {
                out.append(a[i])
                i += 1
                j += 1
            }
        }
        return out
    }

    static func union(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        var out: [UInt32] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] < b[j] { out.append(a[i]); i += 1 } else if a[i] > b[j] { out.append(b[j]); j += 1 } else {
                out.append(a[i])
                i += 1
                j += 1
            }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
        return out
    }

    /// `a` minus `b`.
    static func subtract(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        if a.isEmpty || b.isEmpty { return a }
        var out: [UInt32] = []
        out.reserveCapacity(a.count)
        var j = 0
        for v in a {
            while j < b.count && b[j] < v { j += 1 }
            if j < b.count && b[j] == v { continue }
            out.append(v)
        }
        return out
    }

    /// Union of many sorted lists.
    static func unionAll(_ lists: [[UInt32]]) -> [UInt32] {
        switch lists.count {
        case 0: return []
        case 1: return lists[0]
        case 2...4: return lists.dropFirst().reduce(lists[0]) { union($0, $1) }
        default:
            var all = lists.flatMap { $0 }
            all.sort()
            var out: [UInt32] = []
            out.reserveCapacity(all.count)
            for v in all where out.last != v { out.append(v) }
            return out
        }
    }
}
