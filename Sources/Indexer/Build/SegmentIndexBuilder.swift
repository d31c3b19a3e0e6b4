import PacketDecoding
import PcapFormat

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
/// reads them and appends `(key, ordinal)` pairs to flat per-field buffers: no allocation (the
/// buffers double when full), no `String`, no dictionary. Keys are grouped once, by a radix sort, when
/// the index is written or snapshotted. With application fields on it also runs ``PacketDecoder``
/// to find the flow and the payload.
///
/// Not thread-safe: one ingest thread adds, snapshots and writes. The ``SegmentIndexSnapshot`` and
/// ``SegmentIndex`` values it produces are immutable and may be shared with query threads.
public final class SegmentIndexBuilder {
    /// The fields this builder indexes.
    public let fields: IndexFieldSet
    /// The segment's `LINKTYPE_*`.
    public let linkType: UInt32
    /// Whether the segment's timestamps are nanosecond (recorded in the index header).
    public let nanosecond: Bool

    let link: LinkFraming
    private(set) var recordCount: UInt32 = 0
    /// End of the last record added: how many bytes of the segment the index covers.
    public private(set) var coveredBytes: UInt64 = 0
    /// Set when `add` was given an offset that does not follow the previous record, or more records
    /// than the format holds; `write` then refuses to publish a wrong index.
    private(set) var inconsistency: String?
    /// `write` sorted the buffers in place: nothing more can be added or serialised from them.
    private(set) var finished = false
    /// The image `write` / `makeIndex` produced, kept for later `serialize()` calls.
    private var finalImage: [UInt8]?

    // Per record.
    let offsets: FlatBuffer<UInt64>
    let times: FlatBuffer<Int64>
    // Per field: (key, ordinal) pairs in ordinal order.
    let network = FlatBuffer<UInt64>()
    let ipProtocol: FlatBuffer<UInt64>
    let src4: FlatBuffer<UInt64>
    let dst4: FlatBuffer<UInt64>
    let srcPort: FlatBuffer<UInt64>
    let dstPort: FlatBuffer<UInt64>
    let vlan = FlatBuffer<UInt64>()
    let src6 = FlatBuffer<Pair128>()
    let dst6 = FlatBuffer<Pair128>()
    let srcMAC = FlatBuffer<Pair64>()
    let dstMAC = FlatBuffer<Pair64>()
    let flow = FlatBuffer<Pair64>()
    // Application names: entries pointing into a byte arena (reversed-label form).
    let names = FlatBuffer<NameEntry>()
    let nameBytes = FlatBuffer<UInt8>(capacity: 4096)

    // Flags hoisted out of `fields` so the per-packet path tests plain booleans.
    let wantAddresses: Bool
    let wantPorts: Bool
    let wantProtocol: Bool
    let wantVLAN: Bool
    let wantMAC: Bool
    let wantFlows: Bool
    let wantDNS: Bool
    let wantHTTP: Bool
    let wantTLS: Bool

    /// Reused decode result and name buffers (application fields only).
    var decoded = DecodedPacket()
    let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 2 * NameScratch.capacity)

    /// Chunks already handed out by `snapshot()`, and where the next chunk starts.
    var snapshotChunks: [SegmentIndex] = []
    var snapshotMarks = BuilderMarks()

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
        offsets = FlatBuffer(capacity: hint)
        times = FlatBuffer(capacity: hint)
        ipProtocol = FlatBuffer(capacity: fields.contains(.ipProtocol) ? hint : 16)
        src4 = FlatBuffer(capacity: fields.contains(.addresses) ? hint : 16)
        dst4 = FlatBuffer(capacity: fields.contains(.addresses) ? hint : 16)
        srcPort = FlatBuffer(capacity: fields.contains(.ports) ? hint : 16)
        dstPort = FlatBuffer(capacity: fields.contains(.ports) ? hint : 16)
        wantAddresses = fields.contains(.addresses)
        wantPorts = fields.contains(.ports)
        wantProtocol = fields.contains(.ipProtocol)
        wantVLAN = fields.contains(.vlan)
        wantMAC = fields.contains(.mac) && link == .ethernet
        wantFlows = fields.needsFlows
        wantDNS = fields.contains(.dnsQueryName)
        wantHTTP = fields.contains(.httpHost)
        wantTLS = fields.contains(.tlsServerName)
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
        guard recordOffset >= coveredBytes, recordCount < UInt32.max - 1, !finished else {
            noteInconsistency(recordOffset)
            return
        }
        let ordinal = recordCount
        recordCount &+= 1
        offsets.append(recordOffset)
        times.append(timestampNanos)
        coveredBytes = recordOffset &+ UInt64(PcapRecordHeader.size + bytes.count)
        indexNetworkFields(bytes, ordinal)
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

    /// The final index image, sorting the buffers in place; the builder accepts nothing more.
    private func finish() -> [UInt8] {
        if let finalImage { return finalImage }
        let image = IndexSerializer(builder: self, from: BuilderMarks(), to: BuilderMarks(of: self), inPlace: true).image()
        finished = true
        finalImage = image
        return image
    }

    /// Serialises everything added so far into an index image (the bytes `write(to:)` publishes).
    public func serialize() -> [UInt8] {
        finalImage ?? IndexSerializer(builder: self, from: BuilderMarks(), to: BuilderMarks(of: self)).image()
    }

    /// Writes the index of everything added so far to `path`, atomically: a hidden
    /// `.NAME.tmp` beside it, fsync, rename, directory fsync. The directory is created if missing.
    ///
    /// This finishes the builder (its buffers are sorted in place to save a copy): later `add`
    /// calls are refused and `snapshot()` keeps returning the last snapshot.
    public func write(to path: String) throws(IndexError) {
        if let inconsistency { throw IndexError(.badSegment, path: path, detail: inconsistency) }
        let image = finish()
        try FileOps.writeAtomically(image, to: path)
        // We just wrote these bytes: no need to checksum them again when a query opens the file.
        if let id = FileIdentity.of(path: path) { VerifiedIndexFiles.shared.insert(id) }
    }

    /// An in-memory index of everything added so far (what `write` would publish). Like `write`,
    /// this finishes the builder.
    public func makeIndex() throws(IndexError) -> SegmentIndex {
        if let inconsistency { throw IndexError(.badSegment, detail: inconsistency) }
        return try SegmentIndex(image: finish())
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

/// Where each builder buffer stood at one moment: a snapshot chunk covers the pairs between two marks.
struct BuilderMarks {
    var records = 0
    var network = 0, ipProtocol = 0, src4 = 0, dst4 = 0, srcPort = 0, dstPort = 0, vlan = 0
    var src6 = 0, dst6 = 0, srcMAC = 0, dstMAC = 0, flow = 0, names = 0

    init() {}

    init(of b: SegmentIndexBuilder) {
        records = b.packetCount
        network = b.network.count
        ipProtocol = b.ipProtocol.count
        src4 = b.src4.count
        dst4 = b.dst4.count
        srcPort = b.srcPort.count
        dstPort = b.dstPort.count
        vlan = b.vlan.count
        src6 = b.src6.count
        dst6 = b.dst6.count
        srcMAC = b.srcMAC.count
        dstMAC = b.dstMAC.count
        flow = b.flow.count
        names = b.names.count
    }
}

/// One application name seen in a packet: which field, which flow, and where its bytes are.
struct NameEntry: BitwiseCopyable {
    var flow: UInt64
    var offset: UInt32
    var length: UInt16
    var field: UInt8
}
