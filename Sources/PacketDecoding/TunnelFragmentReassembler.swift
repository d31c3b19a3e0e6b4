/// Reassembles fragmented IP packets that carry a tunnel (IP protocols 4, 41 and 47: IP-in-IP,
/// 6in4 and GRE/ERSPAN), so that the packet inside can be decoded. Mirror sessions fragment: an
/// ERSPAN copy of a full-size frame no longer fits the mirror link's MTU. Like tshark, the inner
/// packet belongs to the fragment that completes the datagram.
///
/// ```swift
/// if TunnelFragmentReassembler.wants(packet) {
///     reassembler.add(frame, packet, timeNanos: t, into: &inner) { datagram, inner in
///         // inner: the whole datagram decoded (link fields from the fragment); offsets index `datagram`
///     }
/// }
/// ```
///
/// Bounded, as the issue of hostile fragments demands: at most ``Limits/maxDatagrams`` datagrams
/// in progress and ``Limits/maxBytes`` of fragment payload held; a datagram not complete within
/// ``Limits/timeoutNanos`` (packet time) of its first fragment is dropped; when a cap is reached the
/// oldest datagram goes. Every drop is counted. Overlapping fragments: the bytes first received
/// stay (RFC 5722 forbids overlaps for IPv6; counted as `overlaps`). Memory is per datagram in
/// progress, never per packet. One instance per packet stream, used from one thread.
public final class TunnelFragmentReassembler {
    /// The bounds.
    public struct Limits: Sendable, Hashable {
        /// Datagrams in progress at once. Default 256.
        public var maxDatagrams: Int = 256
        /// Fragment payload bytes held at once. Default 4 MiB.
        public var maxBytes: Int = 4 << 20
        /// Time from a datagram's first fragment to its completion. Default 30 s (as Linux's
        /// `ipfrag_time`).
        public var timeoutNanos: Int64 = 30_000_000_000

        public init() {}
    }

    /// What happened to the fragments offered.
    public struct Counters: Sendable, Hashable {
        /// Fragments taken.
        public var fragments: UInt64 = 0
        /// Datagrams completed and decoded.
        public var reassembled: UInt64 = 0
        /// Datagrams dropped incomplete after the timeout.
        public var expired: UInt64 = 0
        /// Datagrams dropped incomplete because a cap was reached.
        public var evicted: UInt64 = 0
        /// Fragments refused: cut by the snaplen, past 65,535 bytes, or disagreeing on the total length.
        public var malformed: UInt64 = 0
        /// Fragments overlapping bytes already received.
        public var overlaps: UInt64 = 0

        public init() {}
    }

    public let limits: Limits
    public private(set) var counters = Counters()
    /// Fragment payload bytes held now.
    public private(set) var bytesHeld = 0

    private struct Key: Hashable {
        var src: IPAddress
        var dst: IPAddress
        var identification: UInt32
        var ipProtocol: UInt8
        var version6: Bool
    }

    private struct Datagram {
        var firstSeen: Int64
        /// The IP header of the first fragment (offset 0), once it arrived.
        var header: [UInt8] = []
        var payload: [UInt8] = []
        /// Received byte ranges of the payload, sorted, merged.
        var ranges: [Range<Int>] = []
        /// The payload length, once the last fragment (no "more fragments") arrived.
        var totalLength: Int?
        var held: Int = 0
    }

    private var inProgress: [Key: Datagram] = [:]
    private var datagram: [UInt8] = []

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Whether `packet` is a fragment this reassembler takes: an IPv4 or IPv6 fragment whose
    /// protocol is 4, 41 or 47.
    @inlinable
    public static func wants(_ packet: DecodedPacket) -> Bool {
        packet.fragment.isFragment && (packet.network == .ipv4 || packet.network == .ipv6)
            && (packet.ipProtocol == 47 || packet.ipProtocol == 4 || packet.ipProtocol == 41)
    }

    /// Adds `fragment`, decoded from `frame`. When it completes its datagram, decodes the datagram
    /// into `inner` and calls `completed` with the datagram's bytes and `inner` (whose offsets index
    /// those bytes; its link-layer fields and enclosing tunnels are the fragment's).
    public func add(
        _ frame: UnsafeRawBufferPointer, _ fragment: DecodedPacket, timeNanos: Int64,
        into inner: inout DecodedPacket, completed: (UnsafeRawBufferPointer, DecodedPacket) -> Void
    ) {
        guard Self.wants(fragment) else { return }
        counters.fragments &+= 1
        expire(now: timeNanos)
        let start = Int(fragment.fragment.offset)
        let length = fragment.payloadLength
        let end = start + length
        let headerLength = fragment.transportOffset - fragment.networkOffset
        guard length == fragment.payloadWireLength, end <= 65_535, headerLength >= 20,
              fragment.payloadOffset + length <= frame.count, fragment.networkOffset >= 0,
              !fragment.fragment.moreFragments || length % 8 == 0
        else {
            counters.malformed &+= 1
            return
        }
        let key = Key(src: fragment.src, dst: fragment.dst, identification: fragment.fragment.identification,
                      ipProtocol: fragment.ipProtocol, version6: fragment.network == .ipv6)
        if inProgress[key] == nil {
            while inProgress.count >= limits.maxDatagrams {
                guard evictOldest() else { break }
            }
            inProgress[key] = Datagram(firstSeen: timeNanos)
        }
        guard var entry = inProgress.removeValue(forKey: key) else { return }
        if !fragment.fragment.moreFragments {
            if let total = entry.totalLength, total != end {
                counters.malformed &+= 1
                inProgress[key] = entry
                return
            }
            entry.totalLength = end
        }
        if start == 0 && entry.header.isEmpty {
            let headerStart = fragment.networkOffset
            let headerBytes = fragment.network == .ipv4 ? headerLength : 40
            entry.header = Array(UnsafeRawBufferPointer(rebasing: frame[headerStart ..< headerStart + headerBytes]))
        }
        // Only bytes not received yet count against the cap: repeated or overlapping fragments
        // cannot grow what is held past it.
        let overlap = entry.ranges.reduce(0) { $0 + max(0, min($1.upperBound, end) - max($1.lowerBound, start)) }
        if overlap > 0 { counters.overlaps &+= 1 }
        let fresh = length - overlap
        while bytesHeld + fresh > limits.maxBytes {
            guard evictOldest() else { break }
        }
        guard bytesHeld + fresh <= limits.maxBytes else {
            // This datagram alone exceeds the cap: it goes.
            bytesHeld -= entry.held
            counters.evicted &+= 1
            return
        }
        if entry.payload.count < end { entry.payload.append(contentsOf: repeatElement(0, count: end - entry.payload.count)) }
        copyNew(frame, from: fragment.payloadOffset, to: start ..< end, &entry)
        bytesHeld += fresh
        entry.held += fresh
        guard let total = entry.totalLength, !entry.header.isEmpty, entry.ranges.count == 1,
              entry.ranges[0] == 0 ..< total
        else {
            inProgress[key] = entry
            return
        }
        bytesHeld -= entry.held
        counters.reassembled &+= 1
        build(entry, total: total, version6: key.version6, nextHeader: key.ipProtocol)
        datagram.withUnsafeBytes { bytes in
            PacketDecoder.decodeReassembled(bytes, from: fragment, into: &inner)
            completed(bytes, inner)
        }
    }

    /// Copies the bytes of `target` not yet received (first received wins) and merges the ranges.
    private func copyNew(_ frame: UnsafeRawBufferPointer, from source: Int, to target: Range<Int>, _ entry: inout Datagram) {
        var cursor = target.lowerBound
        for range in entry.ranges where range.upperBound > cursor && range.lowerBound < target.upperBound {
            if range.lowerBound > cursor { copy(frame, source + cursor - target.lowerBound, cursor ..< range.lowerBound, &entry) }
            cursor = max(cursor, range.upperBound)
        }
        if cursor < target.upperBound { copy(frame, source + cursor - target.lowerBound, cursor ..< target.upperBound, &entry) }
        var merged: [Range<Int>] = []
        for range in (entry.ranges + [target]).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound ..< max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        entry.ranges = merged
    }

    private func copy(_ frame: UnsafeRawBufferPointer, _ from: Int, _ to: Range<Int>, _ entry: inout Datagram) {
        entry.payload.withUnsafeMutableBytes { payload in
            UnsafeMutableRawBufferPointer(rebasing: payload[to]).copyMemory(from: UnsafeRawBufferPointer(rebasing: frame[from ..< from + to.count]))
        }
    }

    /// The whole datagram: the first fragment's header with its length patched and its
    /// fragmentation cleared (IPv6: the fixed header, the fragment header's next header), then the
    /// payload.
    private func build(_ entry: Datagram, total: Int, version6: Bool, nextHeader: UInt8) {
        datagram.removeAll(keepingCapacity: true)
        datagram.append(contentsOf: entry.header)
        if version6 {
            datagram[4] = UInt8(truncatingIfNeeded: total >> 8)
            datagram[5] = UInt8(truncatingIfNeeded: total)
            datagram[6] = nextHeader
        } else {
            let length = entry.header.count + total
            datagram[2] = UInt8(truncatingIfNeeded: length >> 8)
            datagram[3] = UInt8(truncatingIfNeeded: length)
            datagram[6] &= 0x40  // keep DF, clear MF and the offset
            datagram[7] = 0
        }
        datagram.append(contentsOf: entry.payload[0 ..< total])
    }

    private func expire(now: Int64) {
        guard !inProgress.isEmpty else { return }
        for (key, entry) in inProgress where now &- entry.firstSeen > limits.timeoutNanos {
            drop(key)
            counters.expired &+= 1
        }
    }

    private func evictOldest() -> Bool {
        guard let oldest = inProgress.min(by: { $0.value.firstSeen < $1.value.firstSeen })?.key else { return false }
        drop(oldest)
        counters.evicted &+= 1
        return true
    }

    private func drop(_ key: Key) {
        if let entry = inProgress.removeValue(forKey: key) { bytesHeld -= entry.held }
    }
}

extension PacketDecoder {
    /// Decodes a reassembled IP datagram (IP header at offset 0) into `out`, keeping the link-layer
    /// fields and the enclosing tunnels of `fragment`, the frame that completed it.
    public static func decodeReassembled(_ datagram: UnsafeRawBufferPointer, from fragment: DecodedPacket, into out: inout DecodedPacket) {
        out.reset()
        guard let base = datagram.baseAddress, datagram.count > 0 else {
            out.anomaly = .truncatedNetwork
            return
        }
        let p = PacketBytes(base: base, count: datagram.count)
        func decodeFromScratch(_ o: inout DecodedPacket) {
            o.capturedLength = datagram.count
            o.hasEthernet = fragment.hasEthernet
            o.srcMAC = fragment.srcMAC
            o.dstMAC = fragment.dstMAC
            o.vlanCount = fragment.vlanCount
            o.outerVLAN = fragment.outerVLAN
            o.innerVLAN = fragment.innerVLAN
            o.etherType = fragment.etherType
            o.tunnel = fragment.tunnel
            decodeRawIP(p, at: 0, &o)
        }
        decodeFromScratch(&out)
        if out.failedProblem != .none { decodeAgain(&out, decodeFromScratch) }
    }
}
