import CPcap
import PcapFormat
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Settings for a live capture, with Vigie's defaults.
public struct LiveCaptureOptions: Sendable, Hashable {
    public var interface: String
    /// Bytes kept per packet; default 262144 (libpcap's maximum, i.e. whole packets).
    public var snaplen: Int32 = 262_144
    public var promiscuous: Bool = true
    /// Kernel ring buffer size; default 64 MiB.
    public var bufferBytes: Int32 = 64 << 20
    /// Read timeout, so the caller can rotate segments and publish stats on an idle link.
    public var timeoutMillis: Int32 = 100

    public init(interface: String) { self.interface = interface }
}

/// Kernel/interface counters from `pcap_stats`.
public struct CaptureCounters: Sendable, Hashable, Codable {
    public var received: UInt64
    public var droppedByKernel: UInt64
    public var droppedByInterface: UInt64

    public init(received: UInt64, droppedByKernel: UInt64, droppedByInterface: UInt64) {
        self.received = received
        self.droppedByKernel = droppedByKernel
        self.droppedByInterface = droppedByInterface
    }
}

/// A live capture on one interface. Confined to the thread that calls `next()`;
/// `stop()` may be called from any thread.
public final class LiveCapture: @unchecked Sendable {
    public let options: LiveCaptureOptions
    public private(set) var format: SourceFormat
    private let handle: PcapHandle
    private let nano: Bool
    private let selectableFD: Int32
    /// Set by `stop()`: a non-blocking libpcap read on an idle link never sees `pcap_breakloop`.
    private let stopRequested = Atomic<Bool>(false)
    /// Wrap-around tracking for pcap_stats' 32-bit counters.
    private var lastStats = (recv: UInt32(0), drop: UInt32(0), ifdrop: UInt32(0))
    private var totals = CaptureCounters(received: 0, droppedByKernel: 0, droppedByInterface: 0)

    /// Opens and activates the capture; throws a `PcapError` naming the interface.
    public init(options: LiveCaptureOptions) throws(PcapError) {
        self.options = options
        let name = options.interface
        var err = ErrorBuffer()
        let created: OpaquePointer? = err.bytes.withUnsafeMutableBufferPointer { pcap_create(name, $0.baseAddress) }
        guard let raw = created else { throw PcapError(.activateFailed, source: name, message: err.message) }
        let h = PcapHandle(raw: raw)
        pcap_set_snaplen(raw, options.snaplen)
        pcap_set_promisc(raw, options.promiscuous ? 1 : 0)
        pcap_set_buffer_size(raw, options.bufferBytes)
        pcap_set_timeout(raw, options.timeoutMillis)
        // Ask for nanosecond stamps; fall back silently where the platform cannot give them.
        _ = pcap_set_tstamp_precision(raw, Int32(PCAP_TSTAMP_PRECISION_NANO))
        let rc = pcap_activate(raw)
        if rc < 0 {
            let msg = h.lastError.isEmpty ? String(cString: pcap_statustostr(rc)) : h.lastError
            switch rc {
            case PCAP_ERROR_NO_SUCH_DEVICE: throw PcapError(.noSuchDevice, source: name, message: msg)
            case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
                throw PcapError(.permissionDenied, source: name, message: msg + " (needs root or CAP_NET_RAW+CAP_NET_ADMIN)")
            default: throw PcapError(.activateFailed, source: name, message: msg)
            }
        }
        handle = h
        nano = pcap_get_tstamp_precision(raw) == Int32(PCAP_TSTAMP_PRECISION_NANO)
        // Non-blocking reads plus our own poll(): with TPACKET_V3 a blocking read on an idle link
        // never returns (the kernel retires only non-empty blocks), and periodic work must go on.
        var err2 = ErrorBuffer()
        _ = err2.bytes.withUnsafeMutableBufferPointer { pcap_setnonblock(raw, 1, $0.baseAddress) }
        selectableFD = pcap_get_selectable_fd(raw)
        format = SourceFormat(linkType: LinkTypeMapping.linkType(fromDLT: pcap_datalink(raw)), snaplen: UInt32(pcap_snapshot(raw)), nanosecond: nano)
    }

    /// Next packet, `.timeout` when the read timeout expired, `.end` after `stop()`.
    @inline(__always)
    public func next() throws(PcapError) -> NextPacket {
        var (rc, header, bytes) = handle.next(nanoPrecision: nano)
        if rc == 0 {
            if stopRequested.load(ordering: .relaxed) { return .end }
            // Nothing buffered: wait for the socket (or the timeout), then try once more.
            var pfd = pollfd(fd: selectableFD, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, options.timeoutMillis)
            (rc, header, bytes) = handle.next(nanoPrecision: nano)
        }
        switch rc {
        case 1: return .packet(header, bytes)
        case 0: return .timeout
        case -2: return .end
        default: throw PcapError(.captureFailed, source: options.interface, message: handle.lastError)
        }
    }

    /// Makes a blocked or future `next()` return `.end`. Safe from any thread.
    public func stop() {
        stopRequested.store(true, ordering: .relaxed)
        handle.breakLoop()
    }

    /// Cumulative counters; pcap's 32-bit fields are widened across wrap-around.
    public func counters() -> CaptureCounters {
        var s = pcap_stat()
        guard pcap_stats(handle.raw, &s) == 0 else { return totals }
        totals.received &+= UInt64(s.ps_recv &- lastStats.recv)
        totals.droppedByKernel &+= UInt64(s.ps_drop &- lastStats.drop)
        totals.droppedByInterface &+= UInt64(s.ps_ifdrop &- lastStats.ifdrop)
        lastStats = (s.ps_recv, s.ps_drop, s.ps_ifdrop)
        return totals
    }
}
