import PacketDecoding
import PcapFormat
import SystemIO
#if canImport(Glibc)
import Glibc
#endif

/// Builds the index of one segment while its packets are stored.
///
/// ```swift
/// let builder = SegmentIndexBuilder(fields: .default, linkType: 1)
/// // for every record appended to the segment file:
/// builder.add(recordOffset: offsetOfRecordHeader, timestampNanos: header.timestampNanos, bytes: packet)
/// // at segment close:
/// try builder.write(to: "STORE/index/000000000042.idx")
/// ```
///
/// Per packet, ``add(recordOffset:timestampNanos:bytes:)`` reads the fields at the offsets BPF
/// reads them and appends one fixed 16-byte ``PacketRow`` and its offset and time to the
/// ``RecordLog`` (plus a `(key, ordinal)` pair per VLAN tag, IPv6 address or MAC address): no
/// allocation (the buffers double when full), no `String`, no dictionary. Keys are grouped once, by counting and radix sorts, when the index is written or
/// snapshotted. With application fields on it also runs ``PacketDecoder`` to find the flow and the
/// payload.
///
/// Not thread-safe: one ingest thread adds, snapshots and seals or writes. The
/// ``SegmentIndexSnapshot``, ``SealedSegmentIndex`` and ``SegmentIndex`` values it produces are
/// `Sendable`: snapshots go to query threads, a sealed index to whatever thread writes it.
public final class SegmentIndexBuilder {
    /// The fields this builder indexes.
    public let fields: IndexFieldSet
    /// The segment's `LINKTYPE_*`.
    public private(set) var linkType: UInt32
    /// Whether the segment's timestamps are nanosecond (recorded in the index header).
    public private(set) var nanosecond: Bool

    private(set) var link: LinkFraming
    private(set) var recordCount: UInt32 = 0
    /// End of the last record added: how many bytes of the segment the index covers.
    public var coveredBytes: UInt64 { covered }
    /// `coveredBytes`'s storage. Not public itself: `add` reads and writes it per packet, and a
    /// public stored property kept a dynamic exclusivity check (`swift_beginAccess`) there.
    private(set) var covered: UInt64 = 0
    /// Set when `add` was given an offset that does not follow the previous record, or more records
    /// than the format holds; `write` then refuses to publish a wrong index.
    private(set) var inconsistency: String?
    /// `write` / `makeIndex` built the final image: nothing more can be added.
    private(set) var finished = false
    /// The image `write` / `makeIndex` produced (in the workspace), kept for later `serialize()` calls.
    private var finalImage: ByteWriter?

    // Per record: the default fields (the row's index is the ordinal); offsets and times.
    let rows: FlatBuffer<PacketRow>
    let records: RecordLog
    // Per field: (key, ordinal) pairs in ordinal order.
    /// The protocol after an IPv6 fragment header (a packet's second `ipProtocol` key).
    let extraProtocol: Key16Column
    let vlan: Key16Column
    let src6: FlatBuffer<Pair128>
    let dst6: FlatBuffer<Pair128>
    let srcMAC: FlatBuffer<Pair64>
    let dstMAC: FlatBuffer<Pair64>
    let flow: FlatBuffer<Pair64>
    /// The outer layer and identities of encapsulated packets (TunnelFields.swift).
    let tunnel = TunnelColumns()
    // Application names: entries pointing into a byte arena (reversed-label form).
    let names: FlatBuffer<NameEntry>
    let nameBytes: FlatBuffer<UInt8>

    // Flags hoisted out of `fields` so the per-packet path tests plain booleans.
    let wantAddresses: Bool
    let wantPorts: Bool
    let wantProtocol: Bool
    let wantVLAN: Bool
    let wantTunnels: Bool
    private(set) var wantMAC: Bool
    let wantFlows: Bool
    let wantDNS: Bool
    let wantHTTP: Bool
    let wantTLS: Bool

    /// Sort and output buffers reused from one serialisation to the next.
    let workspace: SerializerWorkspace

    /// Reused decode result and name buffers (application fields, and the slow path of
    /// encapsulated packets).
    var decoded = DecodedPacket()
    /// Outer-IP fragments carrying a tunnel, per segment (reset with it, so an index built at
    /// ingest equals the one `reindex` builds from the stored file), and their reassembled decode.
    var fragments = TunnelFragmentReassembler()
    var reassembled = DecodedPacket()
    let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 2 * NameScratch.capacity)

    /// Chunks already handed out by `snapshot()`, and where the next chunk starts.
    var snapshotChunks: [SegmentIndex] = []
    var snapshotMarks = BuilderMarks()

    /// The `expectedPackets` given at creation (the holders `sealed()` creates get the same).
    let capacityHint: Int

    /// Where a written sealed index leaves its storage for this builder's next `sealed()`.
    let spare = SpareBuilder()

    /// Creates a builder for a segment of link type `linkType`.
    ///
    /// - Parameters:
    ///   - expectedPackets: a capacity hint (e.g. segment size / 700) that avoids early regrowth.
    ///   - byteSwapped: the pcap file is big-endian. Vigie writes little-endian segments; this only
    ///     matters for reindexing foreign files of link type NULL, whose address family BPF reads in
    ///     the file's byte order.
    public init(fields: IndexFieldSet = .default, linkType: UInt32, nanosecond: Bool = false,
                expectedPackets: Int = 0, byteSwapped: Bool = false) {
        self.fields = fields
        self.linkType = linkType
        self.nanosecond = nanosecond
        self.link = LinkFraming(linkType: linkType, byteSwapped: byteSwapped)
        let hint = max(expectedPackets, 1024)
        capacityHint = hint
        rows = FlatBuffer(capacity: hint)
        records = RecordLog(expectedRecords: hint)
        workspace = SerializerWorkspace(expectedPackets: hint)
        // Room for IPv6 or tagged traffic up to an eighth of the packets before any regrowth (address
        // space only until used; a regrowth copies into all-fresh pages).
        extraProtocol = Key16Column(capacity: 1024)
        vlan = Key16Column(capacity: hint / 8)
        (src6, dst6) = (FlatBuffer(capacity: hint / 8), FlatBuffer(capacity: hint / 8))
        (srcMAC, dstMAC, flow, names, nameBytes) = (FlatBuffer(), FlatBuffer(), FlatBuffer(), FlatBuffer(), FlatBuffer(capacity: 4096))
        wantAddresses = fields.contains(.addresses)
        wantPorts = fields.contains(.ports)
        wantProtocol = fields.contains(.ipProtocol)
        wantVLAN = fields.contains(.vlan)
        wantTunnels = fields.contains(.tunnels)
        wantMAC = fields.contains(.mac) && link == .ethernet
        wantFlows = fields.needsFlows
        wantDNS = fields.contains(.dnsQueryName)
        wantHTTP = fields.contains(.httpHost)
        wantTLS = fields.contains(.tlsServerName)
    }

    /// Moves this builder's collected data into `holder` (an empty builder of the same fields) and
    /// takes `holder`'s storage in exchange. Used by `sealed()`.
    private func handOver(to holder: SegmentIndexBuilder) {
        holder.linkType = linkType
        holder.nanosecond = nanosecond
        holder.link = link
        holder.recordCount = recordCount
        holder.covered = covered
        holder.inconsistency = inconsistency
        holder.wantMAC = wantMAC
        rows.swapStorage(with: holder.rows)
        records.swapStorage(with: holder.records)
        extraProtocol.swapStorage(with: holder.extraProtocol)
        vlan.swapStorage(with: holder.vlan)
        src6.swapStorage(with: holder.src6)
        dst6.swapStorage(with: holder.dst6)
        srcMAC.swapStorage(with: holder.srcMAC)
        dstMAC.swapStorage(with: holder.dstMAC)
        flow.swapStorage(with: holder.flow)
        tunnel.swapStorage(with: holder.tunnel)
        names.swapStorage(with: holder.names)
        nameBytes.swapStorage(with: holder.nameBytes)
    }

    /// Hands the packets added so far to a ``SealedSegmentIndex`` — which sorts and writes them,
    /// on any thread — and leaves this builder empty, ready for the next segment (of `linkType`,
    /// or the same one when nil). O(1) on the calling thread: ingest need not wait for the sort.
    ///
    /// The builder takes in exchange the storage of the last sealed index already written (kept by
    /// ``spare``): its pages are already mapped, so the next segment's appends cause no page faults
    /// (fresh buffers cost about as much in faults as the indexing itself).
    public func sealed(nextLinkType: UInt32? = nil, nanosecond nextNanosecond: Bool? = nil) -> SealedSegmentIndex {
        let holder = spare.take() ?? SegmentIndexBuilder(fields: fields, linkType: linkType, nanosecond: nanosecond,
                                                                 expectedPackets: capacityHint)
        holder.reset(linkType: linkType, nanosecond: nanosecond)
        handOver(to: holder)
        reset(linkType: nextLinkType ?? linkType, nanosecond: nextNanosecond ?? nanosecond)
        return SealedSegmentIndex(holder, returningTo: spare)
    }

    /// Creates now the builder whose storage the first ``sealed()`` takes in exchange (instead of at
    /// the first segment's close, on the ingest thread).
    public func prepareSpare() {
        if !spare.isFilled {
            spare.put(SegmentIndexBuilder(fields: fields, linkType: linkType, nanosecond: nanosecond, expectedPackets: capacityHint))
        }
    }

    /// The memory the next `packets` appends write first, in this builder and its spare (see
    /// ``prepareSpare()``): rows and the record log. For ``MemoryRegion/populate()`` on another
    /// thread. Call it on the ingest thread (it reads the buffers' addresses).
    public func appendRegions(packets: Int) -> [MemoryRegion] {
        var builders = [self]
        if let other = spare.peek() { builders.append(other) }
        return builders.flatMap { b in
            [MemoryRegion(b.rows.base, count: min(packets, b.rows.capacity)),
             MemoryRegion(b.records.blocks.base, count: min(packets / RecordTableFormat.blockLength + 1, b.records.blocks.capacity)),
             MemoryRegion(b.records.gaps.base, count: min(2 * packets, b.records.gaps.capacity))]
        }
    }

    /// Empties the builder for a new segment, keeping the field set and the buffers' capacity
    /// (reusing a builder after `write` avoids reallocating and faulting in its memory).
    public func reset(linkType: UInt32, nanosecond: Bool = false, byteSwapped: Bool = false) {
        self.linkType = linkType
        self.nanosecond = nanosecond
        link = LinkFraming(linkType: linkType, byteSwapped: byteSwapped)
        wantMAC = fields.contains(.mac) && link == .ethernet
        rows.removeAll()
        records.removeAll()
        extraProtocol.removeAll()
        vlan.removeAll()
        src6.removeAll()
        dst6.removeAll()
        srcMAC.removeAll()
        dstMAC.removeAll()
        flow.removeAll()
        tunnel.removeAll()
        if fragments.counters.fragments > 0 { fragments = TunnelFragmentReassembler() }
        names.removeAll()
        nameBytes.removeAll()
        recordCount = 0
        covered = 0
        inconsistency = nil
        finished = false
        finalImage = nil
        snapshotChunks = []
        snapshotMarks = BuilderMarks()
    }

    deinit { scratch.deallocate() }

    /// Number of packets added so far.
    public var packetCount: Int { Int(recordCount) }

    /// Indexes one stored packet.
    ///
    /// - Parameters:
    ///   - recordOffset: byte offset of the packet's 16-byte record header in the segment file
    ///     (24 for the first record). Offsets must increase by at least the previous record's size.
    ///   - timestampNanos: the packet time (``PacketHeader/timestampNanos``).
    ///   - bytes: the captured bytes, exactly as stored in the record.
    @inline(__always)
    public func add(recordOffset: UInt64, timestampNanos: Int64, bytes: UnsafeRawBufferPointer) {
        guard recordOffset >= covered, recordCount < UInt32.max - 1, !finished else {
            noteInconsistency(recordOffset)
            return
        }
        let ordinal = recordCount
        recordCount &+= 1
        covered = recordOffset &+ UInt64(PcapRecordHeader.size + bytes.count)
        records.append(offset: recordOffset, time: timestampNanos)
        var row = PacketRow()
        indexNetworkFields(bytes, ordinal, &row)
        let suspect = row.suspect
        row.suspect = 0
        rows.append(row)
        // The slow path amends the row just stored (an `inout` row passed to it here kept the
        // compiler from inlining the fast path into `add`: +6 % instructions per packet).
        if suspect != 0 { indexEncapsulated(bytes, ordinal, timestampNanos) }
        if wantMAC || wantFlows { indexOptionalFields(bytes, ordinal) }
    }

    /// MACs and flows (optional fields), out of line: `add` stays small enough for the compiler
    /// to inline the default fields' reading into it.
    @inline(never)
    private func indexOptionalFields(_ bytes: UnsafeRawBufferPointer, _ ordinal: UInt32) {
        if wantMAC { indexMACs(bytes, ordinal) }
        if wantFlows { indexFlow(bytes, ordinal) }
    }

    private func noteInconsistency(_ offset: UInt64) {
        if inconsistency == nil {
            inconsistency = finished ? "packets added after the index was written"
                : recordCount >= UInt32.max - 1 ? "more records than an index holds"
                : "record offset \(offset) overlaps the previous record (ends at \(coveredBytes))"
        }
    }

    /// The final index image; the builder accepts nothing more.
    private func finish() -> ByteWriter {
        if let finalImage { return finalImage }
        let image = IndexSerializer(builder: self, from: BuilderMarks(), to: BuilderMarks(of: self)).imageWriter()
        finished = true
        finalImage = image
        return image
    }

    /// Builds the final image now (see ``SealedSegmentIndex/prepare()``); nothing if inconsistent.
    func prepareImage() {
        if inconsistency == nil { _ = finish() }
    }

    /// Size of the final image if it was built (see ``prepareImage()``), else 0.
    var preparedByteCount: Int { finalImage?.count ?? 0 }

    /// Serialises everything added so far into an index image (the bytes `write(to:)` publishes).
    public func serialize() -> [UInt8] {
        finalImage?.bytes ?? IndexSerializer(builder: self, from: BuilderMarks(), to: BuilderMarks(of: self)).image()
    }

    /// Writes the index of everything added so far to `path`, atomically: a hidden
    /// `.NAME.tmp` beside it, fsync, rename, directory fsync. The directory is created if missing.
    ///
    /// This finishes the builder: later `add` calls are refused and `snapshot()` keeps returning
    /// the last snapshot.
    public func write(to path: String) throws(IndexError) {
        if let inconsistency { throw IndexError(.badSegment, path: path, detail: inconsistency) }
        let image = finish()
        try IndexError.io { () throws(SystemError) in
            try FileSystem.makeDirectory(FileSystem.directory(of: path))
            try AtomicFile.write(image.raw, to: path)
        }
        // We just wrote these bytes: no need to checksum them again when a query opens the file.
        if let id = FileIdentity.of(path: path) { VerifiedIndexFiles.shared.insert(id) }
    }

    /// The first half of ``write(to:)``: writes the index to the hidden `.NAME.tmp` beside `path`,
    /// fsynced, and returns that path for `AtomicFile.publish`. Finishes the builder.
    func stage(to path: String) throws(IndexError) -> String {
        if let inconsistency { throw IndexError(.badSegment, path: path, detail: inconsistency) }
        let image = finish()
        return try IndexError.io { () throws(SystemError) in
            try FileSystem.makeDirectory(FileSystem.directory(of: path))
            return try AtomicFile.stage(image.raw, for: path)
        }
    }

    /// An in-memory index of everything added so far (what `write` would publish). Like `write`,
    /// this finishes the builder.
    public func makeIndex() throws(IndexError) -> SegmentIndex {
        if let inconsistency { throw IndexError(.badSegment, detail: inconsistency) }
        return try SegmentIndex(image: finish().bytes)
    }

    /// An index of the packets added so far, for querying the segment that is still being written.
    ///
    /// Incremental: each call sorts only the packets added since the previous call into a new
    /// chunk (and occasionally merges the chunks into one), so calling it every few seconds costs
    /// about as much as one final `write`. Cheap when nothing was added since the previous call.
    /// The returned value is immutable and safe to hand to query threads.
    public func snapshot() -> SegmentIndexSnapshot {
        let now = BuilderMarks(of: self)
        if finished || now.records == snapshotMarks.records { return SegmentIndexSnapshot(chunks: snapshotChunks) }
        // Many small chunks make every query pay per chunk: fold them back into one.
        let from = snapshotChunks.count >= 8 ? BuilderMarks() : snapshotMarks
        if from.records == 0 { snapshotChunks.removeAll() }
        let image = IndexSerializer(builder: self, from: from, to: now).image()
        // The serializer's output always parses; a failure here is a bug, and the snapshot then just
        // leaves the new packets out (queries scan nothing they cannot find in the file anyway).
        if let chunk = try? SegmentIndex(image: image) {
            snapshotChunks.append(chunk)
            snapshotMarks = now
        }
        return SegmentIndexSnapshot(chunks: snapshotChunks)
    }
}

/// Where each builder buffer stood at one moment: a snapshot chunk covers the rows and pairs
/// between two marks.
struct BuilderMarks {
    var records = 0
    var extraProtocol = 0, vlan = 0
    var src6 = 0, dst6 = 0, srcMAC = 0, dstMAC = 0, flow = 0, names = 0
    var tunnel = TunnelMarks()

    init() {}

    init(of b: SegmentIndexBuilder) {
        records = b.packetCount
        extraProtocol = b.extraProtocol.count
        vlan = b.vlan.count
        src6 = b.src6.count
        dst6 = b.dst6.count
        srcMAC = b.srcMAC.count
        dstMAC = b.dstMAC.count
        flow = b.flow.count
        names = b.names.count
        tunnel = TunnelMarks(of: b.tunnel)
    }
}

/// One application name seen in a packet: which field, which flow, and where its bytes are.
struct NameEntry: BitwiseCopyable {
    var flow: UInt64
    var offset: UInt32
    var length: UInt16
    var field: UInt8
}
