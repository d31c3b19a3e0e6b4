import Logging
import PcapFormat
import SystemIO
#if canImport(Glibc)
import Glibc
#endif

/// Brings a store back to a consistent state after a crash (`kill -9`, power loss): every
/// segment left `writing` is cut at its last whole record, fsynced, published and cataloged
/// as `recovered`. Finished segments are never touched.
struct CrashRecovery {
    let layout: StoreLayout
    let catalog: SegmentCatalog
    let logger: Logger

    /// Returns the number of segments recovered.
    func run(now: Int64) throws(StorageError) -> Int {
        var recovered = 0
        var pendingIDs = Set(catalog.entries.values.filter { $0.state == .writing }.map(\.id))
        for name in FileSystem.list(layout.segmentsDirectory) {
            if let id = StoreLayout.partialID(name) { pendingIDs.insert(id) }
        }
        for id in pendingIDs.sorted() {
            if try recover(id: id, now: now) { recovered += 1 }
        }
        return recovered
    }

    private func recover(id: UInt64, now: Int64) throws(StorageError) -> Bool {
        let partial = layout.partialPath(id)
        let final = layout.segmentPath(id)
        // A crash between the rename and the catalog's close leaves the final file only.
        let path = FileSystem.exists(partial) ? partial : (FileSystem.exists(final) ? final : nil)
        guard let path else {
            try catalog.recordDelete(id, reason: "recovery: file missing (crash before first write)")
            return false
        }
        let scan: SegmentScan
        do {
            scan = try SegmentScan.scan(path: path)
        } catch {
            // Not even a pcap header reached the disk: nothing to keep.
            unlink(path)
            try catalog.recordDelete(id, reason: "recovery: no pcap header")
            logger.warning("removed empty partial segment", metadata: ["segment": "\(id)", "path": "\(path)"])
            return false
        }
        let size = FileSystem.fileSize(path) ?? 0
        if UInt64(scan.validLength) < size {
            try StorageError.io { () throws(SystemError) in
                let fd = try FileSystem.open(path, O_WRONLY)
                defer { FileSystem.close(fd) }
                try FileSystem.truncate(fd, to: Int64(scan.validLength), path: path)
                try FileSystem.fsync(fd, path: path)
            }
            logger.warning("cut torn tail of partial segment", metadata: [
                "segment": "\(id)", "kept_bytes": "\(scan.validLength)", "cut_bytes": "\(size - UInt64(scan.validLength))",
            ])
        } else {
            try StorageError.io { () throws(SystemError) in
                let fd = try FileSystem.open(path, O_RDONLY)
                try FileSystem.fsync(fd, path: path)
                FileSystem.close(fd)
            }
        }
        if path == partial {
            try StorageError.io { () throws(SystemError) in try FileSystem.rename(partial, final) }
            FileSystem.fsyncDirectory(layout.segmentsDirectory)
        }
        let prior = catalog.entries[id]
        let info = SegmentInfo(
            id: id, file: StoreLayout.segmentFileName(id), state: .recovered,
            linkType: scan.header.linkType, snaplen: scan.header.snaplen, nanosecond: scan.header.resolution == .nano,
            firstNanos: scan.firstNanos, lastNanos: scan.lastNanos, packets: scan.packets, bytes: UInt64(scan.validLength),
            openedAt: prior?.openedAt ?? now, closedAt: now)
        try catalog.recordClose(info)
        logger.notice("recovered partial segment", metadata: ["segment": "\(id)", "packets": "\(scan.packets)", "bytes": "\(scan.validLength)"])
        return true
    }
}
