/// Turns the rows and pairs a builder collected between two marks into an index image: groups each
/// field's keys (counting sort for 16-bit keys, radix sort for IPv4 addresses), encodes the posting
/// lists, and lays out the sections — all in the builder's ``SerializerWorkspace``.
struct IndexSerializer {
    let builder: SegmentIndexBuilder
    let from: BuilderMarks
    let to: BuilderMarks
    private let ws: SerializerWorkspace

    init(builder: SegmentIndexBuilder, from: BuilderMarks, to: BuilderMarks) {
        self.builder = builder
        self.from = from
        self.to = to
        ws = builder.workspace
    }

    /// A copy of the image (snapshots and `serialize()`; the workspace is reused by the next call).
    func image() -> [UInt8] { imageWriter().bytes }

    /// The image in the workspace's ``ByteWriter`` (the file writer uses its bytes in place: no
    /// extra copy). Valid until the builder serialises again.
    func imageWriter() -> ByteWriter {
        let b = builder
        var fields: [FieldID] = [.records, .network]
        if b.fields.contains(.ipProtocol) { fields.append(.ipProtocol) }
        if b.fields.contains(.addresses) { fields += [.src4, .dst4, .src6, .dst6] }
        if b.fields.contains(.ports) { fields += [.srcPort, .dstPort] }
        if b.fields.contains(.vlan) { fields.append(.vlan) }
        if b.fields.contains(.mac) { fields += [.srcMAC, .dstMAC] }
        if b.fields.needsFlows {
            fields.append(.flow)
            let names: [(IndexFieldSet, FieldID)] = [(.dnsQueryName, .dnsQueryName), (.httpHost, .httpHost), (.tlsServerName, .tlsServerName)]
            for (option, field) in names where b.fields.contains(option) { fields.append(field) }
        }

        // Header and section table are reserved first and filled in once the sections are written.
        var out = ws.image
        out.removeAll()
        let tableSize = fields.count * IndexFileLayout.tocEntrySize
        _ = out.appendZeros(IndexFileLayout.headerSize + tableSize)
        var toc = ByteWriter(capacity: tableSize)
        let gathered = gatherRows()
        for field in fields {
            let start = out.count
            let keyCount = writeSection(field, gathered: gathered, into: &out)
            toc.u16(field.rawValue)
            toc.u16(UInt16(field.keyWidth))
            toc.u32(UInt32(keyCount))
            toc.u64(UInt64(start))
            toc.u64(UInt64(out.count - start))
            toc.u32(CRC32.checksum(out.raw.slice(start, out.count - start)!))
            toc.u32(0)
        }
        out.patch(toc.raw, at: IndexFileLayout.headerSize)

        let records = from.records..<to.records
        var first: Int64 = 0, last: Int64 = 0
        if !records.isEmpty {
            first = .max
            last = .min
            let rows = b.rows.base
            for i in records {
                let t = rows[i].time
                first = min(first, t)
                last = max(last, t)
            }
        }
        let header = IndexHeader(
            flags: (b.nanosecond ? IndexFileLayout.flagNanosecond : 0) | (b.link == .null(bigEndian: true) ? IndexFileLayout.flagByteSwapped : 0),
            linkType: b.linkType, fieldMask: b.fields.rawValue, recordCount: UInt32(records.count),
            ordinalBase: UInt32(records.lowerBound),
            coveredBytes: records.isEmpty ? 0 : endOfRecord(records.upperBound - 1),
            firstRecordOffset: records.isEmpty ? 0 : b.rows[records.lowerBound].offset,
            firstNanos: first, lastNanos: last, fileLength: UInt64(out.count),
            sectionCount: UInt32(fields.count), tocCRC: CRC32.checksum(toc.raw))
        var head = ByteWriter(capacity: IndexFileLayout.headerSize)
        header.encode(into: &head)
        let headerCRC = CRC32.checksum(head.raw.slice(0, IndexFileLayout.headerCRCOffset)!)
        head.patch32(headerCRC, at: IndexFileLayout.headerCRCOffset)
        out.patch(head.raw, at: 0)
        return out
    }

    /// Appends `field`'s section to `out`; returns its key count.
    private func writeSection(_ field: FieldID, gathered: (src4: Int, dst4: Int), into out: inout ByteWriter) -> Int {
        let b = builder
        switch field {
        case .records:
            recordsSection(into: &out)
            return 0
        case .network: return key16Section(ws.network, into: &out)
        case .ipProtocol: return key16Section(ws.ipProtocol, into: &out)
        case .srcPort: return key16Section(ws.srcPort, into: &out)
        case .dstPort: return key16Section(ws.dstPort, into: &out)
        case .vlan:
            let range = from.vlan..<to.vlan
            return key16Section(b.vlan.keys.base + range.lowerBound, b.vlan.ordinals.base + range.lowerBound,
                                count: range.count, into: &out)
        case .src4: return addressSection(ws.src4, count: gathered.src4, into: &out)
        case .dst4: return addressSection(ws.dst4, count: gathered.dst4, into: &out)
        case .src6: return wide(b.src6, from.src6..<to.src6, width: field.keyWidth, into: &out)
        case .dst6: return wide(b.dst6, from.dst6..<to.dst6, width: field.keyWidth, into: &out)
        case .srcMAC: return pairs64(b.srcMAC, from.srcMAC..<to.srcMAC, width: field.keyWidth, into: &out)
        case .dstMAC: return pairs64(b.dstMAC, from.dstMAC..<to.dstMAC, width: field.keyWidth, into: &out)
        case .flow: return pairs64(b.flow, from.flow..<to.flow, width: field.keyWidth, into: &out)
        case .dnsQueryName: return nameSection(.dnsQueryName, into: &out)
        case .httpHost: return nameSection(.httpHost, into: &out)
        case .tlsServerName: return nameSection(.tlsServerName, into: &out)
        }
    }

    /// End offset of record `i`: the next record's offset, or the builder's covered end for the last.
    private func endOfRecord(_ i: Int) -> UInt64 {
        i + 1 < builder.packetCount ? builder.rows[i + 1].offset : builder.coveredBytes
    }

    private func recordsSection(into out: inout ByteWriter) {
        let rows = builder.rows.base
        let range = from.records..<to.records
        let blockLength = RecordTableFormat.blockLength
        let blocks = (range.count + blockLength - 1) / blockLength
        var data = ws.postings
        data.removeAll()
        out.u32(UInt32(range.count))
        out.u32(UInt32(blocks))
        for blk in 0..<blocks {
            let start = range.lowerBound + blk * blockLength
            let end = min(range.upperBound, start + blockLength)
            var lo = Int64.max, hi = Int64.min
            for i in start..<end {
                lo = min(lo, rows[i].time)
                hi = max(hi, rows[i].time)
            }
            out.u64(rows[start].offset)
            out.i64(lo)
            out.i64(hi)
            out.u32(UInt32(data.count))
            out.u32(0)
            for i in (start + 1)..<end { data.varint(UInt32(clamping: rows[i].offset - rows[i - 1].offset)) }
        }
        out.append(data)
    }

    // MARK: Posting fields

    /// Gathers the row fields' pairs in one pass over the rows (each pass reads every row's cache
    /// lines, so one pass for six fields rather than one per field), in ordinal order.
    /// Returns how many addresses of each direction.
    private func gatherRows() -> (src4: Int, dst4: Int) {
        let rows = builder.rows.base
        let range = from.records..<to.records
        let n = range.count
        let extraCount = to.extraProtocol - from.extraProtocol
        // Room for two network keys per row (a tagged packet's kind) and the fragments' extra protocols.
        let nk = ws.network.keys.reserve(2 * n), no = ws.network.ordinals.reserve(2 * n)
        let pk = ws.ipProtocol.keys.reserve(n + extraCount), po = ws.ipProtocol.ordinals.reserve(n + extraCount)
        let sk = ws.srcPort.keys.reserve(n), so = ws.srcPort.ordinals.reserve(n)
        let dk = ws.dstPort.keys.reserve(n), dpo = ws.dstPort.ordinals.reserve(n)
        let s4 = ws.src4.reserve(n), d4 = ws.dst4.reserve(n)
        var nm = 0, pm = 0, sm = 0, dm = 0, s4m = 0, d4m = 0
        let extra = builder.extraProtocol
        var e = from.extraProtocol
        var nextExtra = extraCount > 0 ? Int(extra.ordinals[e]) : Int.max
        for i in range {
            let row = rows[i]
            let ordinal = UInt32(truncatingIfNeeded: i)
            let flags = row.flags
            if flags & PacketRow.Flags.tagged != 0 {
                nk[nm] = NetworkKey.tagged
                no[nm] = ordinal
                nm += 1
            }
            if row.network != 0 {
                nk[nm] = Self.networkKey(row.network)
                no[nm] = ordinal
                nm += 1
            }
            if flags & PacketRow.Flags.proto != 0 {
                pk[pm] = (row.network == RowNetwork.ipv6.rawValue ? 0x600 : 0x400) | UInt16(row.proto)
                po[pm] = ordinal
                pm += 1
            }
            if i == nextExtra {
                while e < to.extraProtocol && Int(extra.ordinals[e]) == i {
                    pk[pm] = extra.keys[e]
                    po[pm] = ordinal
                    pm += 1
                    e += 1
                }
                nextExtra = e < to.extraProtocol ? Int(extra.ordinals[e]) : Int.max
            }
            if flags & PacketRow.Flags.srcPort != 0 {
                sk[sm] = row.srcPort
                so[sm] = ordinal
                sm += 1
            }
            if flags & PacketRow.Flags.dstPort != 0 {
                dk[dm] = row.dstPort
                dpo[dm] = ordinal
                dm += 1
            }
            if flags & PacketRow.Flags.src4 != 0 {
                s4[s4m] = UInt64(row.src4) << 32 | UInt64(ordinal)
                s4m += 1
            }
            if flags & PacketRow.Flags.dst4 != 0 {
                d4[d4m] = UInt64(row.dst4) << 32 | UInt64(ordinal)
                d4m += 1
            }
        }
        ws.network.count = nm
        ws.ipProtocol.count = pm
        ws.srcPort.count = sm
        ws.dstPort.count = dm
        return (s4m, d4m)
    }

    @inline(__always)
    private static func networkKey(_ kind: UInt8) -> UInt16 {
        switch kind {
        case RowNetwork.ipv4.rawValue: NetworkKey.ipv4
        case RowNetwork.ipv6.rawValue: NetworkKey.ipv6
        case RowNetwork.arp.rawValue: NetworkKey.arp
        case RowNetwork.rarp.rawValue: NetworkKey.rarp
        default: NetworkKey.noLinkHeader
        }
    }

    /// Groups `n` pairs (ordinals ascending in input order) by key with one counting sort over
    /// 65,536 buckets (measured faster than a two-level byte partition) and writes the section:
    /// reading 2-byte keys and moving 4-byte ordinals is a third of the memory traffic of sorting
    /// packed 8-byte pairs. The scatter is stable, so each key's ordinals stay ascending.
    private func key16Section(_ stream: Key16Stream, into out: inout ByteWriter) -> Int {
        key16Section(stream.keys.reserve(stream.count), stream.ordinals.reserve(stream.count), count: stream.count, into: &out)
    }

    private func key16Section(_ k: UnsafePointer<UInt16>, _ o: UnsafePointer<UInt32>, count n: Int,
                              into out: inout ByteWriter) -> Int {
        var section = PostingSectionWriter(ws)
        if n > 0 {
            // 32-bit counters: the 256 KiB table stays in L2, where the random increments land.
            let counts = ws.counts.reserve(1 << 16)
            counts.initialize(repeating: 0, count: 1 << 16)
            for i in 0..<n { counts[Int(k[i])] &+= 1 }
            let sorted = ws.grouped.reserve(n)
            var sum: UInt32 = 0
            for key in 0..<(1 << 16) {
                let c = counts[key]
                counts[key] = sum
                sum &+= c
            }
            for i in 0..<n {
                let key = Int(k[i])
                sorted[Int(counts[key])] = o[i]
                counts[key] &+= 1
            }
            // counts[key] is now the end of key's run; runs are contiguous in key order.
            var start = 0
            for key in 0..<(1 << 16) where Int(counts[key]) > start {
                let end = Int(counts[key])
                section.keys.u16(UInt16(key))
                section.addList(OrdinalRun(UnsafeBufferPointer(start: sorted + start, count: end - start)))
                start = end
            }
        }
        return section.append(into: &out)
    }

    /// An IPv4 address field: the gathered `address << 32 | ordinal` values, radix sorted by
    /// address, each address's run encoded in place.
    private func addressSection(_ gathered: ScratchBuffer<UInt64>, count n: Int, into out: inout ByteWriter) -> Int {
        let values = gathered.reserve(n)
        let sorted = RadixSort.sortPackedByKey(values, count: n, scratch: ws.packedOther.reserve(n))
        var section = PostingSectionWriter(ws)
        var i = 0
        while i < n {
            let key = sorted[i] >> 32
            var end = i + 1
            while end < n && sorted[end] >> 32 == key { end += 1 }
            section.keys.u32(UInt32(truncatingIfNeeded: key))
            section.addList(PackedOrdinalRun(values: UnsafeBufferPointer(start: sorted + i, count: end - i)))
            i = end
        }
        return section.append(into: &out)
    }

    private func pairs64(_ buffer: FlatBuffer<Pair64>, _ range: Range<Int>, width: Int, into out: inout ByteWriter) -> Int {
        var values = buffer.copy(range)
        RadixSort.sortByKey(&values)
        return fieldSection(Pair64Column(values: values), width: width, into: &out)
    }

    private func wide(_ buffer: FlatBuffer<Pair128>, _ range: Range<Int>, width: Int, into out: inout ByteWriter) -> Int {
        var values = buffer.copy(range)
        RadixSort.sortByKey(&values)
        return fieldSection(Pair128Column(values: values), width: width, into: &out)
    }

    /// A section of wider keys (MACs, flows, IPv6), from pairs sorted by key then ordinal.
    private func fieldSection<C: PairColumn>(_ column: C, width: Int, into out: inout ByteWriter) -> Int {
        var section = PostingSectionWriter(ws)
        var ordinals: [UInt32] = []
        var i = 0
        let n = column.count
        while i < n {
            let key = column.key(i)
            ordinals.removeAll(keepingCapacity: true)
            while i < n && column.key(i) == key {
                let o = column.ordinal(i)
                if ordinals.last != o { ordinals.append(o) }  // a packet may carry a key twice (QinQ 100/100)
                i += 1
            }
            switch width {
            case 2: section.keys.u16(UInt16(truncatingIfNeeded: key.lo))
            case 4: section.keys.u32(UInt32(truncatingIfNeeded: key.lo))
            case 8: section.keys.u64(key.lo)
            default:
                section.keys.u64(key.hi)
                section.keys.u64(key.lo)
            }
            ordinals.withUnsafeBufferPointer { section.addList(OrdinalRun($0)) }
        }
        return section.append(into: &out)
    }

    // MARK: Names

    /// `u32 nameCount, u32 flowCount`, `nameCount × {u32 nameOffset, u32 nameLength, u32 firstFlow,
    /// u32 flowCount}`, the name bytes (sorted, labels reversed), padding to 8, then `u64` flow keys.
    private func nameSection(_ field: SegmentIndexBuilder.NameField, into section: inout ByteWriter) -> Int {
        let b = builder
        var picked: [NameEntry] = []
        for i in from.names..<to.names where b.names[i].field == field.rawValue { picked.append(b.names[i]) }
        let arena = b.nameBytes.slice(0..<b.nameBytes.count)
        func name(_ e: NameEntry) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: arena[Int(e.offset)..<(Int(e.offset) + Int(e.length))])
        }
        picked.sort { x, y in
            let c = compareBytes(name(x), name(y))
            return c != 0 ? c < 0 : x.flow < y.flow
        }
        var entries = ByteWriter()
        var blob = ByteWriter()
        var flows = ByteWriter()
        var nameCount = 0, flowCount = 0
        var i = 0
        while i < picked.count {
            let current = name(picked[i])
            let firstFlow = flowCount
            var lastFlow: UInt64?
            while i < picked.count && compareBytes(name(picked[i]), current) == 0 {
                if lastFlow != picked[i].flow {
                    flows.u64(picked[i].flow)
                    lastFlow = picked[i].flow
                    flowCount += 1
                }
                i += 1
            }
            entries.u32(UInt32(blob.count))
            entries.u32(UInt32(current.count))
            entries.u32(UInt32(firstFlow))
            entries.u32(UInt32(flowCount - firstFlow))
            blob.append(UnsafeRawBufferPointer(current))
            nameCount += 1
        }
        var out = ByteWriter()
        out.u32(UInt32(nameCount))
        out.u32(UInt32(flowCount))
        out.append(entries)
        out.append(blob)
        out.align(8)
        out.append(flows)
        section.append(out)
        return nameCount
    }
}

/// One posting section being written in the workspace's writers: the caller writes each key into
/// `keys`, then ``addList(_:)`` its posting list; ``append(into:)`` lays out `keys`, padding to 4,
/// `entries[keyCount × {u32 offset, u32 length, u32 count}]`, then the lists.
struct PostingSectionWriter {
    var keys: ByteWriter
    private var entries: ByteWriter
    private var postings: ByteWriter
    private(set) var keyCount = 0

    init(_ ws: SerializerWorkspace) {
        (keys, entries, postings) = (ws.keys, ws.entries, ws.postings)
        keys.removeAll()
        entries.removeAll()
        postings.removeAll()
    }

    /// Encodes the posting list of the key just written (ordinals non-empty, strictly ascending).
    @inline(__always)
    mutating func addList<Run: OrdinalSequence>(_ ordinals: Run) {
        let at = postings.count
        PostingCodec.encode(ordinals, into: &postings)
        entries.u32(UInt32(at))
        entries.u32(UInt32(postings.count - at))
        entries.u32(UInt32(ordinals.count))
        keyCount += 1
    }

    /// Appends the section to `out`; returns its key count.
    mutating func append(into out: inout ByteWriter) -> Int {
        keys.align(4)  // relative to the section's start, which need not be aligned in the file
        out.append(keys)
        out.append(entries)
        out.append(postings)
        return keyCount
    }
}

/// Lexicographic byte comparison: negative, zero or positive.
func compareBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
    let n = min(a.count, b.count)
    for i in 0..<n where a[i] != b[i] { return Int(a[i]) - Int(b[i]) }
    return a.count - b.count
}

/// Sorted `(key, ordinal)` pairs as the section writer reads them.
protocol PairColumn {
    var count: Int { get }
    func key(_ i: Int) -> Key128
    func ordinal(_ i: Int) -> UInt32
}

struct Pair64Column: PairColumn {
    let values: [Pair64]
    var count: Int { values.count }
    func key(_ i: Int) -> Key128 { Key128(lo: values[i].key) }
    func ordinal(_ i: Int) -> UInt32 { values[i].ordinal }
}

struct Pair128Column: PairColumn {
    let values: [Pair128]
    var count: Int { values.count }
    func key(_ i: Int) -> Key128 { Key128(hi: values[i].hi, lo: values[i].lo) }
    func ordinal(_ i: Int) -> UInt32 { values[i].ordinal }
}
