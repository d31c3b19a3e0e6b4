// The 16-bit fields' keys, read straight from the builder's rows (and pair columns) by the
// serializer's counting sort, which visits them twice: once to count, once to scatter.

/// The rows of one image (a final index or a snapshot chunk): `rows[range]`, ordinals = indexes.
struct RowRange {
    let rows: UnsafeMutablePointer<PacketRow>
    let range: Range<Int>
}

/// Receives a field's `(key, ordinal)` pairs in ordinal order.
protocol KeySink {
    mutating func put(_ key: UInt16, _ ordinal: UInt32)
}

/// First pass: how many ordinals each key has.
struct CountingSink: KeySink {
    let counts: UnsafeMutablePointer<UInt32>
    @inline(__always)
    mutating func put(_ key: UInt16, _ ordinal: UInt32) { counts[Int(key)] &+= 1 }
}

/// Second pass: each ordinal to its key's next slot (`counts` holds the runs' starts).
struct ScatterSink: KeySink {
    let counts: UnsafeMutablePointer<UInt32>
    let out: UnsafeMutablePointer<UInt32>
    @inline(__always)
    mutating func put(_ key: UInt16, _ ordinal: UInt32) {
        let k = Int(key)
        out[Int(counts[k])] = ordinal
        counts[k] &+= 1
    }
}

/// A 16-bit field whose pairs can be visited, in ordinal order, as often as needed.
protocol Key16Visitor {
    func visit<Sink: KeySink>(_ sink: inout Sink)
}

/// The network section: a tagged packet's ``NetworkKey/tagged`` and every packet's network kind.
struct NetworkKeys: Key16Visitor {
    let rows: RowRange
    init(_ rows: RowRange) { self.rows = rows }

    @inline(__always)
    func visit<Sink: KeySink>(_ sink: inout Sink) {
        let keys = RowNetwork.keys
        let base = rows.rows
        keys.withUnsafeBufferPointer { keys in
            for i in rows.range {
                let row = base[i]
                let ordinal = UInt32(truncatingIfNeeded: i)
                if row.flags & PacketRow.Flags.tagged != 0 { sink.put(NetworkKey.tagged, ordinal) }
                if row.network != 0 && Int(row.network) < keys.count { sink.put(keys[Int(row.network)], ordinal) }
            }
        }
    }
}

/// Source or destination port (TCP, UDP, SCTP), for the packets that carry one.
struct PortKeys: Key16Visitor {
    let rows: RowRange
    let source: Bool

    @inline(__always)
    func visit<Sink: KeySink>(_ sink: inout Sink) {
        let base = rows.rows
        if source {
            for i in rows.range where base[i].flags & PacketRow.Flags.srcPort != 0 {
                sink.put(base[i].srcPort, UInt32(truncatingIfNeeded: i))
            }
        } else {
            for i in rows.range where base[i].flags & PacketRow.Flags.dstPort != 0 {
                sink.put(base[i].dstPort, UInt32(truncatingIfNeeded: i))
            }
        }
    }
}

/// Pairs kept as parallel key / ordinal columns (VLAN ids, the protocol after a fragment header).
struct PairKeys: Key16Visitor {
    let keys: UnsafeMutablePointer<UInt16>
    let ordinals: UnsafeMutablePointer<UInt32>
    let range: Range<Int>
    init(_ column: Key16Column, _ range: Range<Int>) {
        keys = column.keys.base
        ordinals = column.ordinals.base
        self.range = range
    }

    @inline(__always)
    func visit<Sink: KeySink>(_ sink: inout Sink) {
        for i in range { sink.put(keys[i], ordinals[i]) }
    }
}

/// The IP protocol section: each row's protocol (IPv4 `0x04pp`, IPv6 `0x06nn`), merged in ordinal
/// order with the protocols found after an IPv6 fragment header (a packet's second key).
struct ProtocolKeys: Key16Visitor {
    let rows: RowRange
    let extra: PairKeys

    @inline(__always)
    func visit<Sink: KeySink>(_ sink: inout Sink) {
        let base = rows.rows
        var e = extra.range.lowerBound
        var nextExtra = e < extra.range.upperBound ? Int(extra.ordinals[e]) : Int.max
        for i in rows.range {
            let row = base[i]
            let ordinal = UInt32(truncatingIfNeeded: i)
            if row.flags & PacketRow.Flags.proto != 0 {
                sink.put((row.network == RowNetwork.ipv6.rawValue ? 0x600 : 0x400) | UInt16(row.proto), ordinal)
            }
            if i == nextExtra {
                while e < extra.range.upperBound && Int(extra.ordinals[e]) == i {
                    sink.put(extra.keys[e], ordinal)
                    e += 1
                }
                nextExtra = e < extra.range.upperBound ? Int(extra.ordinals[e]) : Int.max
            }
        }
    }
}
