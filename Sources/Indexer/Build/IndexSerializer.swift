/// Turns the pairs a builder collected between two marks into an index image: sorts each field's
/// pairs by key (radix), groups them into posting lists, and lays out the sections.
struct IndexSerializer {
    let builder: SegmentIndexBuilder
    let from: BuilderMarks
    let to: BuilderMarks
    /// Sort the builder's own buffers instead of copies (only for the final index: it destroys
    /// their ordinal order).
    var inPlace = false

    init(builder: SegmentIndexBuilder, from: BuilderMarks, to: BuilderMarks, inPlace: Bool = false) {
        self.builder = builder
        self.from = from
        self.to = to
        self.inPlace = inPlace && from.records == 0
    }

    func image() -> [UInt8] { imageWriter().bytes }

    /// The image in a ``ByteWriter`` (the file writer uses its bytes in place: no extra copy).
    func imageWriter() -> ByteWriter {
        let b = builder
        // One scratch buffer serves every packed field's sort.
        let largest = max(to.src4 - from.src4, to.dst4 - from.dst4)
        let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: max(largest, 1))
        defer { scratch.deallocate() }
        func packed(_ field: FieldID, _ buffer: FlatBuffer<UInt64>, _ range: Range<Int>) -> (FieldID, Int, ByteWriter) {
            packedSection(field, buffer, range, scratch)
        }
        func packed(_ field: FieldID, _ column: Key16Column, _ range: Range<Int>) -> (FieldID, Int, ByteWriter) {
            let (count, bytes) = Self.key16Section(column, range)
            return (field, count, bytes)
        }
        var sections: [(FieldID, Int, ByteWriter)] = []  // field, key count, bytes
        sections.append((.records, 0, recordsSection()))
        sections.append(packed(.network, b.network, from.network..<to.network))
        if b.fields.contains(.ipProtocol) { sections.append(packed(.ipProtocol, b.ipProtocol, from.ipProtocol..<to.ipProtocol)) }
        if b.fields.contains(.addresses) {
            sections.append(packed(.src4, b.src4, from.src4..<to.src4))
            sections.append(packed(.dst4, b.dst4, from.dst4..<to.dst4))
            sections.append(wide(.src6, b.src6, from.src6..<to.src6))
            sections.append(wide(.dst6, b.dst6, from.dst6..<to.dst6))
        }
        if b.fields.contains(.ports) {
            sections.append(packed(.srcPort, b.srcPort, from.srcPort..<to.srcPort))
            sections.append(packed(.dstPort, b.dstPort, from.dstPort..<to.dstPort))
        }
        if b.fields.contains(.vlan) { sections.append(packed(.vlan, b.vlan, from.vlan..<to.vlan)) }
        if b.fields.contains(.mac) {
            sections.append(pairs64(.srcMAC, b.srcMAC, from.srcMAC..<to.srcMAC))
            sections.append(pairs64(.dstMAC, b.dstMAC, from.dstMAC..<to.dstMAC))
        }
        if b.fields.needsFlows {
            sections.append(pairs64(.flow, b.flow, from.flow..<to.flow))
            let fieldsByName: [(IndexFieldSet, SegmentIndexBuilder.NameField)] =
                [(.dnsQueryName, .dnsQueryName), (.httpHost, .httpHost), (.tlsServerName, .tlsServerName)]
            for (option, field) in fieldsByName where b.fields.contains(option) {
                let (count, bytes) = nameSection(field)
                sections.append((field.fieldID, count, bytes))
            }
        }

        // Header and section table first, then the sections in order.
        let tableSize = sections.count * IndexFileLayout.tocEntrySize
        var offset = UInt64(IndexFileLayout.headerSize + tableSize)
        var toc = ByteWriter(capacity: tableSize)
        for (field, keyCount, bytes) in sections {
            toc.u16(field.rawValue)
            toc.u16(UInt16(field.keyWidth))
            toc.u32(UInt32(keyCount))
            toc.u64(offset)
            toc.u64(UInt64(bytes.count))
            toc.u32(CRC32.checksum(bytes.raw))
            toc.u32(0)
            offset += UInt64(bytes.count)
        }
        let records = from.records..<to.records
        var first: Int64 = 0, last: Int64 = 0
        if !records.isEmpty {
            first = .max
            last = .min
            for i in records {
                let t = b.times[i]
                first = min(first, t)
                last = max(last, t)
            }
        }
        let header = IndexHeader(
            flags: (b.nanosecond ? IndexFileLayout.flagNanosecond : 0) | (b.link == .null(bigEndian: true) ? IndexFileLayout.flagByteSwapped : 0),
            linkType: b.linkType, fieldMask: b.fields.rawValue, recordCount: UInt32(records.count),
            ordinalBase: UInt32(records.lowerBound),
            coveredBytes: records.isEmpty ? 0 : endOfRecord(records.upperBound - 1),
            firstRecordOffset: records.isEmpty ? 0 : b.offsets[records.lowerBound],
            firstNanos: first, lastNanos: last, fileLength: offset,
            sectionCount: UInt32(sections.count), tocCRC: CRC32.checksum(toc.raw))
        var out = ByteWriter(capacity: Int(offset))
        header.encode(into: &out)
        let headerCRC = CRC32.checksum(out.raw.slice(0, IndexFileLayout.headerCRCOffset)!)
        out.patch32(headerCRC, at: IndexFileLayout.headerCRCOffset)
        out.append(toc)
        for (_, _, bytes) in sections { out.append(bytes) }
        return out
    }

    /// End offset of record `i`: the next record's offset, or the builder's covered end for the last.
    private func endOfRecord(_ i: Int) -> UInt64 {
        i + 1 < builder.packetCount ? builder.offsets[i + 1] : builder.coveredBytes
    }

    private func recordsSection() -> ByteWriter {
        let b = builder
        let range = from.records..<to.records
        let blockLength = RecordTableFormat.blockLength
        let blocks = (range.count + blockLength - 1) / blockLength
        var table = ByteWriter(capacity: RecordTableFormat.headerSize + blocks * RecordTableFormat.blockEntrySize)
        var data = ByteWriter(capacity: range.count * 2)
        table.u32(UInt32(range.count))
        table.u32(UInt32(blocks))
        for blk in 0..<blocks {
            let start = range.lowerBound + blk * blockLength
            let end = min(range.upperBound, start + blockLength)
            var lo = Int64.max, hi = Int64.min
            for i in start..<end {
                lo = min(lo, b.times[i])
                hi = max(hi, b.times[i])
            }
            table.u64(b.offsets[start])
            table.i64(lo)
            table.i64(hi)
            table.u32(UInt32(data.count))
            table.u32(0)
            for i in (start + 1)..<end { data.varint(UInt32(clamping: b.offsets[i] - b.offsets[i - 1])) }
        }
        table.append(data)
        return table
    }

    // MARK: Posting fields

    private func packedSection(_ field: FieldID, _ buffer: FlatBuffer<UInt64>, _ range: Range<Int>,
                               _ scratch: UnsafeMutablePointer<UInt64>) -> (FieldID, Int, ByteWriter) {
        let n = range.count
        let values: UnsafeMutablePointer<UInt64>
        var copy: UnsafeMutablePointer<UInt64>?
        if inPlace {
            values = buffer.base + range.lowerBound
        } else {
            copy = .allocate(capacity: max(n, 1))
            copy!.initialize(from: buffer.base + range.lowerBound, count: n)
            values = copy!
        }
        defer { copy?.deallocate() }
        let sorted = RadixSort.sortPackedByKey(values, count: n, scratch: scratch)
        let (count, bytes) = Self.packedFieldSection(UnsafeBufferPointer(start: sorted, count: n), width: field.keyWidth)
        return (field, count, bytes)
    }

    /// ``fieldSection(_:width:)`` for a 16-bit-key column (counting sort, see ``Key16Column``).
    static func key16Section(_ column: Key16Column, _ range: Range<Int>) -> (Int, ByteWriter) {
        var keys = ByteWriter(capacity: 1024)
        var entries = ByteWriter(capacity: 1024)
        var postings = ByteWriter(capacity: range.count + 64)
        var keyCount = 0
        column.forEachKey(in: range) { key, ordinals in
            keys.u16(key)
            let start = postings.count
            PostingCodec.encode(ordinals, into: &postings)
            entries.u32(UInt32(start))
            entries.u32(UInt32(postings.count - start))
            entries.u32(UInt32(ordinals.count))
            keyCount += 1
        }
        keys.align(4)
        keys.append(entries)
        keys.append(postings)
        return (keyCount, keys)
    }

    /// ``fieldSection(_:width:)`` for sorted packed values, encoding each key's run in place.
    static func packedFieldSection(_ values: UnsafeBufferPointer<UInt64>, width: Int) -> (Int, ByteWriter) {
        var keys = ByteWriter(capacity: 1024)
        var entries = ByteWriter(capacity: 1024)
        var postings = ByteWriter(capacity: values.count + 64)
        var keyCount = 0
        var i = 0
        let n = values.count
        while i < n {
            let key = values[i] >> 32
            var end = i + 1
            while end < n && values[end] >> 32 == key { end += 1 }
            switch width {
            case 2: keys.u16(UInt16(truncatingIfNeeded: key))
            default: keys.u32(UInt32(truncatingIfNeeded: key))
            }
            let start = postings.count
            PostingCodec.encode(PackedOrdinalRun(values: UnsafeBufferPointer(rebasing: values[i..<end])), into: &postings)
            entries.u32(UInt32(start))
            entries.u32(UInt32(postings.count - start))
            entries.u32(UInt32(end - i))
            keyCount += 1
            i = end
        }
        keys.align(4)
        keys.append(entries)
        keys.append(postings)
        return (keyCount, keys)
    }

    private func pairs64(_ field: FieldID, _ buffer: FlatBuffer<Pair64>, _ range: Range<Int>) -> (FieldID, Int, ByteWriter) {
        var values = buffer.copy(range)
        RadixSort.sortByKey(&values)
        let (count, bytes) = Self.fieldSection(Pair64Column(values: values), width: field.keyWidth)
        return (field, count, bytes)
    }

    private func wide(_ field: FieldID, _ buffer: FlatBuffer<Pair128>, _ range: Range<Int>) -> (FieldID, Int, ByteWriter) {
        var values = buffer.copy(range)
        RadixSort.sortByKey(&values)
        let (count, bytes) = Self.fieldSection(Pair128Column(values: values), width: field.keyWidth)
        return (field, count, bytes)
    }

    /// `keys[keyCount × width]`, padding to 4, `entries[keyCount × {u32 offset, u32 length,
    /// u32 count}]`, then the posting lists (offsets relative to their start).
    static func fieldSection<C: PairColumn>(_ column: C, width: Int) -> (Int, ByteWriter) {
        var keys = ByteWriter()
        var entries = ByteWriter()
        var postings = ByteWriter(capacity: column.count + 64)
        var ordinals: [UInt32] = []
        var keyCount = 0
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
            case 2: keys.u16(UInt16(truncatingIfNeeded: key.lo))
            case 4: keys.u32(UInt32(truncatingIfNeeded: key.lo))
            case 8: keys.u64(key.lo)
            default:
                keys.u64(key.hi)
                keys.u64(key.lo)
            }
            let start = postings.count
            ordinals.withUnsafeBufferPointer { PostingCodec.encode($0, into: &postings) }
            entries.u32(UInt32(start))
            entries.u32(UInt32(postings.count - start))
            entries.u32(UInt32(ordinals.count))
            keyCount += 1
        }
        keys.align(4)
        keys.append(entries)
        keys.append(postings)
        return (keyCount, keys)
    }

    // MARK: Names

    /// `u32 nameCount, u32 flowCount`, `nameCount × {u32 nameOffset, u32 nameLength, u32 firstFlow,
    /// u32 flowCount}`, the name bytes (sorted, labels reversed), padding to 8, then `u64` flow keys.
    private func nameSection(_ field: SegmentIndexBuilder.NameField) -> (Int, ByteWriter) {
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
        return (nameCount, out)
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

struct PackedColumn: PairColumn {
    let values: [UInt64]
    var count: Int { values.count }
    func key(_ i: Int) -> Key128 { Key128(lo: values[i] >> 32) }
    func ordinal(_ i: Int) -> UInt32 { UInt32(truncatingIfNeeded: values[i]) }
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
