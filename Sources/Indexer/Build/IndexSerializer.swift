import SystemIO
/// Turns the rows and pairs a builder collected between two marks into an index image: groups each
/// field's keys (counting sort for 16-bit keys, radix sort for IPv4 addresses), encodes the posting
/// lists, and lays out the sections — all in the builder's ``SerializerWorkspace``. Each field is
/// grouped straight from the rows (two passes over them) rather than from per-field copies: the
/// copies were most of the workspace, and fresh memory costs more here than a second pass.
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
        if b.fields.contains(.tunnels) { fields += SegmentIndexBuilder.tunnelFieldIDs }
        if b.fields.needsFlows {
            fields.append(.flow)
            let names: [(IndexFieldSet, FieldID)] = [(.dnsQueryName, .dnsQueryName), (.httpHost, .httpHost), (.tlsServerName, .tlsServerName)]
            for (option, field) in names where b.fields.contains(option) { fields.append(field) }
        }

        // Header and section table are reserved first and filled in once the sections are written.
        var out = ws.image
        out.removeAll()
        // About 9 bytes a packet with the default fields: reserve so the image never regrows (each
        // doubling would touch a fresh buffer and copy), once per builder since the workspace stays.
        out.reserve(16 * (to.records - from.records) + 4096)
        let tableSize = fields.count * IndexFileLayout.tocEntrySize
        _ = out.appendZeros(IndexFileLayout.headerSize + tableSize)
        var toc = ByteWriter(capacity: tableSize)
        for field in fields {
            let start = out.count
            let keyCount = writeSection(field, into: &out)
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
        let (first, last) = b.records.timeBounds(records)
        let header = IndexHeader(
            flags: (b.nanosecond ? IndexFileLayout.flagNanosecond : 0) | (b.link == .null(bigEndian: true) ? IndexFileLayout.flagByteSwapped : 0),
            linkType: b.linkType, fieldMask: b.fields.rawValue, recordCount: UInt32(records.count),
            ordinalBase: UInt32(records.lowerBound),
            coveredBytes: records.isEmpty ? 0 : endOfRecord(records.upperBound - 1),
            firstRecordOffset: records.isEmpty ? 0 : b.records.offset(of: records.lowerBound),
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
    private func writeSection(_ field: FieldID, into out: inout ByteWriter) -> Int {
        let b = builder
        let rows = RowRange(rows: b.rows.base, range: from.records..<to.records)
        switch field {
        case .records:
            recordsSection(into: &out)
            return 0
        case .network: return key16Section(NetworkKeys(rows), into: &out)
        case .ipProtocol:
            let extra = from.extraProtocol..<to.extraProtocol
            return key16Section(ProtocolKeys(rows: rows, extra: PairKeys(b.extraProtocol, extra)), into: &out)
        case .srcPort: return key16Section(PortKeys(rows: rows, source: true), into: &out)
        case .dstPort: return key16Section(PortKeys(rows: rows, source: false), into: &out)
        case .vlan: return key16Section(PairKeys(b.vlan, from.vlan..<to.vlan), into: &out)
        case .src4: return addressSection(rows, source: true, into: &out)
        case .dst4: return addressSection(rows, source: false, into: &out)
        case .src6: return wide(b.src6, from.src6..<to.src6, width: field.keyWidth, into: &out)
        case .dst6: return wide(b.dst6, from.dst6..<to.dst6, width: field.keyWidth, into: &out)
        case .srcMAC: return pairs64(b.srcMAC, from.srcMAC..<to.srcMAC, width: field.keyWidth, into: &out)
        case .dstMAC: return pairs64(b.dstMAC, from.dstMAC..<to.dstMAC, width: field.keyWidth, into: &out)
        case .flow: return pairs64(b.flow, from.flow..<to.flow, width: field.keyWidth, into: &out)
        case .dnsQueryName: return nameSection(.dnsQueryName, into: &out)
        case .httpHost: return nameSection(.httpHost, into: &out)
        case .tlsServerName: return nameSection(.tlsServerName, into: &out)
        case .encapsulation, .outerSrcPort, .outerDstPort, .outerProtocol:
            let range = from.tunnel.count(field)..<to.tunnel.count(field)
            if range.isEmpty {  // untunnelled traffic: skip the 65,536-bucket count (the same empty section)
                var empty = PostingSectionWriter(ws)
                return empty.append(into: &out)
            }
            return key16Section(PairKeys(b.tunnel.key16(for: field)!, range), into: &out)
        case .outerSrc4, .outerDst4, .tunnelID:
            let range = from.tunnel.count(field)..<to.tunnel.count(field)
            return pairs64(b.tunnel.pairs64(for: field)!, range, width: field.keyWidth, into: &out)
        case .outerSrc6, .outerDst6:
            let range = from.tunnel.count(field)..<to.tunnel.count(field)
            return wide(b.tunnel.pairs128(for: field)!, range, width: field.keyWidth, into: &out)
        }
    }

    /// End offset of record `i`: the next record's offset, or the builder's covered end for the last.
    private func endOfRecord(_ i: Int) -> UInt64 {
        i + 1 < builder.packetCount ? builder.records.offset(of: i + 1) : builder.coveredBytes
    }

    private func recordsSection(into out: inout ByteWriter) {
        let log = builder.records
        let range = from.records..<to.records
        let blockLength = RecordTableFormat.blockLength
        let blocks = (range.count + blockLength - 1) / blockLength
        out.u32(UInt32(range.count))
        out.u32(UInt32(blocks))
        if range.lowerBound == 0 && range.upperBound == log.count {
            // The whole log (every final index): its entries and gaps are the section as they are.
            for k in 0..<blocks {
                let e = log.blocks[k]
                out.u64(e.firstOffset)
                out.i64(e.minNanos)
                out.i64(e.maxNanos)
                out.u32(e.dataOffset)
                out.u32(0)
            }
            out.append(UnsafeRawBufferPointer(start: log.gaps.base, count: log.gaps.count))
            return
        }
        // A snapshot chunk starts inside a block of the log: its blocks are re-cut from its first
        // record. Their time bounds are the enclosing log blocks' (a superset: a query only uses
        // them to skip blocks, and reads a packet's own time for the exact bound).
        var data = ws.postings
        data.removeAll()
        var previous: UInt64 = 0
        log.forEachOffset(range) { ordinal, offset in
            let k = ordinal - range.lowerBound
            if k % blockLength == 0 {
                let (lo, hi) = log.timeBounds(ordinal..<min(range.upperBound, ordinal + blockLength))
                out.u64(offset)
                out.i64(lo)
                out.i64(hi)
                out.u32(UInt32(data.count))
                out.u32(0)
            } else {
                data.varint(UInt32(clamping: offset - previous))
            }
            previous = offset
        }
        out.append(data)
    }

    // MARK: Posting fields

    /// Groups a 16-bit field's `(key, ordinal)` pairs with one counting sort over 65,536 buckets
    /// (measured faster than a two-level byte partition) and writes the section. The visitor is run
    /// twice, to count and then to scatter the ordinals; both runs are in ordinal order, so the
    /// scatter is stable and each key's ordinals stay ascending.
    private func key16Section<Keys: Key16Visitor>(_ keys: Keys, into out: inout ByteWriter) -> Int {
        var section = PostingSectionWriter(ws)
        // 32-bit counters: the 256 KiB table stays in L2, where the random increments land.
        let counts = ws.counts.reserve(1 << 16)
        counts.initialize(repeating: 0, count: 1 << 16)
        var counter = CountingSink(counts: counts)
        keys.visit(&counter)
        var sum: UInt32 = 0
        for key in 0..<(1 << 16) {
            let c = counts[key]
            counts[key] = sum
            sum &+= c
        }
        if sum > 0 {
            let sorted = ws.grouped.reserve(Int(sum))
            var scatter = ScatterSink(counts: counts, out: sorted)
            keys.visit(&scatter)
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

    /// An IPv4 address field: `address << 32 | ordinal` values gathered from the rows, radix sorted
    /// by address, each address's run encoded in place. Source and destination reuse the buffers.
    private func addressSection(_ rows: RowRange, source: Bool, into out: inout ByteWriter) -> Int {
        let flag = source ? PacketRow.Flags.src4 : PacketRow.Flags.dst4
        let values = ws.packed.reserve(rows.range.count)
        var n = 0
        for i in rows.range {
            let row = rows.rows[i]
            if row.flags & flag != 0 {
                values[n] = UInt64(source ? row.src4 : row.dst4) << 32 | UInt64(UInt32(truncatingIfNeeded: i))
                n += 1
            }
        }
        let sorted = RadixSort.sortPackedByKey(values, count: n, scratch: ws.packedOther.reserve(n), counts: ws.radixCounts)
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
        let n = range.count
        let values = ws.pairs64.reserve(n)
        values.update(from: buffer.base + range.lowerBound, count: n)
        let sorted = RadixSort.sortByKey(values, count: n, scratch: ws.pairs64Other.reserve(n), counts: ws.radixCounts)
        return fieldSection(Pair64Column(values: UnsafeBufferPointer(start: sorted, count: n)), width: width, into: &out)
    }

    private func wide(_ buffer: FlatBuffer<Pair128>, _ range: Range<Int>, width: Int, into out: inout ByteWriter) -> Int {
        let n = range.count
        let values = ws.pairs128.reserve(n)
        values.update(from: buffer.base + range.lowerBound, count: n)
        RadixSort.sortByKey(UnsafeMutableBufferPointer(start: values, count: n))
        return fieldSection(Pair128Column(values: UnsafeBufferPointer(start: values, count: n)), width: width, into: &out)
    }

    /// A section of wider keys (MACs, flows, IPv6), from pairs sorted by key then ordinal.
    private func fieldSection<C: PairColumn>(_ column: C, width: Int, into out: inout ByteWriter) -> Int {
        var section = PostingSectionWriter(ws)
        let n = column.count
        let ordinals = ws.grouped.reserve(n)
        var i = 0
        while i < n {
            let key = column.key(i)
            var m = 0
            while i < n && column.key(i) == key {
                let o = column.ordinal(i)
                if m == 0 || ordinals[m - 1] != o {  // a packet may carry a key twice (QinQ 100/100)
                    ordinals[m] = o
                    m += 1
                }
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
            section.addList(OrdinalRun(UnsafeBufferPointer(start: ordinals, count: m)))
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
    let values: UnsafeBufferPointer<Pair64>
    var count: Int { values.count }
    func key(_ i: Int) -> Key128 { Key128(lo: values[i].key) }
    func ordinal(_ i: Int) -> UInt32 { values[i].ordinal }
}

struct Pair128Column: PairColumn {
    let values: UnsafeBufferPointer<Pair128>
    var count: Int { values.count }
    func key(_ i: Int) -> Key128 { Key128(hi: values[i].hi, lo: values[i].lo) }
    func ordinal(_ i: Int) -> UInt32 { values[i].ordinal }
}
