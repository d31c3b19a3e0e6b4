/// Evaluates a filter against one ``SegmentIndex`` (or snapshot chunk) into the sorted ordinals of
/// the matching packets.
///
/// Cost follows the answer, not the segment: each term is a handful of binary searches in a key
/// table; an `and` materialises only its most selective operand and tests the others by seeking
/// cursors over their posting lists (skip tables, bitmaps), so `host A and port 443` decodes the
/// list of A, not the huge list of port 443.
struct SegmentEvaluator {
    let index: SegmentIndex
    /// Flow keys of each application term, resolved over every segment of the query.
    let flows: [Term: [UInt64]]

    /// A term as the posting lists whose union it is.
    struct Lists {
        var lists: [PostingList]
        var estimate: Int
    }

    indirect enum Plan {
        case lists(Lists)
        case and([Plan])
        case or([Plan])
        case not(Plan)
        case universe

        var isNot: Bool {
            if case .not = self { return true }
            return false
        }
    }

    /// The ordinals matching `filter`; a nil filter selects every packet.
    func evaluate(_ filter: Filter?) throws(IndexError) -> [UInt32] {
        guard let filter else { return Array(index.ordinalRange) }
        return try run(plan(filter))
    }

    // MARK: Planning

    func plan(_ filter: Filter) throws(IndexError) -> Plan {
        switch filter {
        case .term(let t): return try plan(t)
        case .and(let a, let b): return .and(flattenAnd(try plan(a)) + flattenAnd(try plan(b)))
        case .or(let a, let b): return .or(flattenOr(try plan(a)) + flattenOr(try plan(b)))
        case .not(let a): return .not(try plan(a))
        }
    }

    private func flattenAnd(_ p: Plan) -> [Plan] {
        if case .and(let parts) = p { return parts }
        return [p]
    }

    private func flattenOr(_ p: Plan) -> [Plan] {
        if case .or(let parts) = p { return parts }
        return [p]
    }

    private func section(_ id: FieldID) throws(IndexError) -> FieldSection {
        guard let s = index.field(id) else { throw IndexError(.segmentMismatch, detail: "field \(id) is not indexed") }
        return s
    }

    /// Lists of the keys `lower ... upper` of field `id`.
    private func lists(_ id: FieldID, _ lower: Key128, _ upper: Key128) throws(IndexError) -> Lists {
        let s = try section(id)
        var result = Lists(lists: [], estimate: 0)
        for i in s.range(lower, upper) {
            result.lists.append(try s.list(at: i))
            result.estimate += s.count(at: i)
        }
        return result
    }

    private func directional(_ d: Direction, _ src: FieldID, _ dst: FieldID, _ lo: Key128, _ hi: Key128) throws(IndexError) -> Plan {
        switch d {
        case .source: return .lists(try lists(src, lo, hi))
        case .destination: return .lists(try lists(dst, lo, hi))
        case .either:
            let a = try lists(src, lo, hi), b = try lists(dst, lo, hi)
            return .lists(Lists(lists: a.lists + b.lists, estimate: a.estimate + b.estimate))
        case .both:
            return .and([.lists(try lists(src, lo, hi)), .lists(try lists(dst, lo, hi))])
        }
    }

    private func plan(_ term: Term) throws(IndexError) -> Plan {
        switch term {
        case .address(let prefix, let d):
            if prefix.isIPv4 {
                let r = prefix.ipv4Range
                return try directional(d, .src4, .dst4, Key128(lo: UInt64(r.lowerBound)), Key128(lo: UInt64(r.upperBound)))
            }
            let (lo, hi) = prefix.ipv6Range
            return try directional(d, .src6, .dst6, lo, hi)
        case .port(let range, let d):
            return try directional(d, .srcPort, .dstPort, Key128(lo: UInt64(range.lowerBound)), Key128(lo: UInt64(range.upperBound)))
        case .ipProtocol(let n, let family):
            var result = Lists(lists: [], estimate: 0)
            for f in [UInt16(0x400), 0x600] where family == nil || (family == .v4) == (f == 0x400) {
                let k = Key128(lo: UInt64(f | UInt16(n)))
                let part = try lists(.ipProtocol, k, k)
                result.lists += part.lists
                result.estimate += part.estimate
            }
            return .lists(result)
        case .network(let kind):
            let k = Key128(lo: UInt64(kind.rawValue))
            return .lists(try lists(.network, k, k))
        case .vlan(let id):
            if let id {
                let k = Key128(lo: UInt64(id))
                return .lists(try lists(.vlan, k, k))
            }
            let k = Key128(lo: UInt64(NetworkKey.tagged))
            return .lists(try lists(.network, k, k))
        case .ether(let mac, let d):
            let k = Key128(lo: mac)
            return try directional(d, .srcMAC, .dstMAC, k, k)
        case .tunnel(let kind, let id):
            if let id {
                let k = Key128(lo: UInt64(kind.kind.rawValue) << 32 | UInt64(id))
                return .lists(try lists(.tunnelID, k, k))
            }
            let k = Key128(lo: UInt64(EncapsulationKey.layer(kind.kind.rawValue)))
            return .lists(try lists(.encapsulation, k, k))
        case .outer(let inner):
            // outer T = T on the outer layer of tunnelled packets ∪ (T ∖ tunnelled).
            let k = Key128(lo: UInt64(EncapsulationKey.tunnelled))
            return .or([try outerPlan(inner), .and([try plan(inner), .not(.lists(try lists(.encapsulation, k, k)))])])
        case .application:
            let s = try section(.flow)
            var result = Lists(lists: [], estimate: 0)
            for key in flows[term] ?? [] {
                if let i = s.find(Key128(lo: key)) {
                    result.lists.append(try s.list(at: i))
                    result.estimate += s.count(at: i)
                }
            }
            return .lists(result)
        }
    }

    /// Term `term` on the outer-layer sections (tunnelled packets only).
    private func outerPlan(_ term: Term) throws(IndexError) -> Plan {
        switch term {
        case .address(let prefix, let d):
            if prefix.isIPv4 {
                let r = prefix.ipv4Range
                return try directional(d, .outerSrc4, .outerDst4, Key128(lo: UInt64(r.lowerBound)), Key128(lo: UInt64(r.upperBound)))
            }
            let (lo, hi) = prefix.ipv6Range
            return try directional(d, .outerSrc6, .outerDst6, lo, hi)
        case .port(let range, let d):
            return try directional(d, .outerSrcPort, .outerDstPort, Key128(lo: UInt64(range.lowerBound)), Key128(lo: UInt64(range.upperBound)))
        case .ipProtocol(let n, let family):
            var result = Lists(lists: [], estimate: 0)
            for f in [UInt16(0x400), 0x600] where family == nil || (family == .v4) == (f == 0x400) {
                let k = Key128(lo: UInt64(f | UInt16(n)))
                let part = try lists(.outerProtocol, k, k)
                result.lists += part.lists
                result.estimate += part.estimate
            }
            return .lists(result)
        case .network(let kind):
            let key = kind == .ip6 ? EncapsulationKey.outerIPv6 : kind == .ip ? EncapsulationKey.outerIPv4 : 0xFFFF
            let k = Key128(lo: UInt64(key))
            return .lists(try lists(.encapsulation, k, k))
        default:
            return .lists(Lists(lists: [], estimate: 0))
        }
    }

    // MARK: Running

    /// Every packet that has a link header: what `not` complements against. BPF rejects a packet
    /// too short to hold the link-layer type for every filter, `not ...` included.
    func universe() throws(IndexError) -> [UInt32] {
        let all = Array(index.ordinalRange)
        let k = Key128(lo: UInt64(NetworkKey.noLinkHeader))
        let stubs = try lists(.network, k, k)
        guard !stubs.lists.isEmpty else { return all }
        return OrdinalSets.subtract(all, try materialize(stubs))
    }

    func estimate(_ p: Plan) -> Int {
        switch p {
        case .lists(let l): return l.estimate
        case .and(let parts): return parts.filter { !$0.isNot }.map(estimate).min() ?? index.recordCount
        case .or(let parts): return parts.map(estimate).reduce(0, +)
        case .not(let inner): return max(0, index.recordCount - estimate(inner))
        case .universe: return index.recordCount
        }
    }

    func run(_ p: Plan) throws(IndexError) -> [UInt32] {
        switch p {
        case .lists(let l): return try materialize(l)
        case .universe: return try universe()
        case .or(let parts):
            var results: [[UInt32]] = []
            for part in parts { results.append(try run(part)) }
            return OrdinalSets.unionAll(results)
        case .not(let inner): return OrdinalSets.subtract(try universe(), try run(inner))
        case .and(let parts): return try runAnd(parts)
        }
    }

    private func runAnd(_ parts: [Plan]) throws(IndexError) -> [UInt32] {
        var positives = parts.filter { !$0.isNot }.sorted { estimate($0) < estimate($1) }
        var negatives: [Plan] = parts.compactMap { if case .not(let inner) = $0 { return inner } else { return nil } }
        negatives.sort { estimate($0) < estimate($1) }
        var base = positives.isEmpty ? try universe() : try run(positives.removeFirst())
        for p in positives {
            if base.isEmpty { return base }
            base = try filter(base, by: p, keep: true)
        }
        for n in negatives {
            if base.isEmpty { return base }
            base = try filter(base, by: n, keep: false)
        }
        return base
    }

    /// Keeps the candidates in (`keep`) or not in (`!keep`) the set `p`. A term with few lists is
    /// tested by seeking cursors when that is cheaper than decoding its lists.
    private func filter(_ candidates: [UInt32], by p: Plan, keep: Bool) throws(IndexError) -> [UInt32] {
        if case .lists(let l) = p, !l.lists.isEmpty, candidates.count * l.lists.count * 64 < l.estimate {
            var cursors: [PostingCursor] = []
            for list in l.lists { cursors.append(try PostingCursor(list)) }
            var out: [UInt32] = []
            out.reserveCapacity(keep ? min(candidates.count, l.estimate) : candidates.count)
            for c in candidates {
                var found = false
                for i in cursors.indices where !found {
                    if try cursors[i].next(atLeast: c) == c { found = true }
                }
                if found == keep { out.append(c) }
            }
            return out
        }
        let other = try run(p)
        return keep ? OrdinalSets.intersect(candidates, other) : OrdinalSets.subtract(candidates, other)
    }

    private func materialize(_ l: Lists) throws(IndexError) -> [UInt32] {
        var decoded: [[UInt32]] = []
        for list in l.lists {
            var out: [UInt32] = []
            try list.decode(into: &out)
            decoded.append(out)
        }
        return OrdinalSets.unionAll(decoded)
    }
}
