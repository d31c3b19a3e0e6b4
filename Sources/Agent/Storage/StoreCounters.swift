/// What the store is doing with incoming packets.
public enum StorageState: String, Codable, Sendable, Hashable {
    case storing
    /// Linear retention reached its quota: packets are counted, not stored.
    case quotaReached = "quota-reached"
    /// The disk is full and nothing more could be freed (linear mode, or ring with nothing left to delete).
    case diskFull = "disk-full"
    /// An I/O error other than a full disk stopped storing.
    case failed
}

/// Counters of the storage side; all monotonic except the store size.
public struct StoreCounters: Codable, Sendable, Hashable {
    public var packetsStored: UInt64 = 0
    /// Bytes written for stored packets (record headers included).
    public var bytesStored: UInt64 = 0
    /// Packets not stored because of the quota (linear), a full disk or an I/O error.
    public var packetsNotStored: UInt64 = 0
    /// `packetsNotStored` by reason: the linear quota, a full disk, another I/O error.
    public var notStoredQuota: UInt64 = 0
    public var notStoredDiskFull: UInt64 = 0
    public var notStoredError: UInt64 = 0
    public var segmentsCreated: UInt64 = 0
    public var segmentsDeletedByRetention: UInt64 = 0
    public var segmentsRecovered: UInt64 = 0
    /// Current size of the segments in the store (bytes) and their number.
    public var storeBytes: UInt64 = 0
    /// The store's quota (`storage.quota`) and retention (`ring` or `linear`), for monitoring.
    public var quotaBytes: UInt64 = 0
    public var retention: String = "ring"
    public var segmentsInStore: UInt64 = 0
    /// Segment indexes written and failed, and the seconds spent sorting, writing and syncing them.
    public var indexesWritten: UInt64 = 0
    public var indexesFailed: UInt64 = 0
    public var indexBuildSeconds: Double = 0
    /// Pins and what they hold (docs/pins.md); nil without pins.
    public var pins: PinCounters?
    public var state: StorageState = .storing
    public var lastError: String?

    public init() {}
}
