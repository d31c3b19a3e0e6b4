import Foundation
import Testing
import VigieTestSupport

@testable import Agent
import SystemIO

/// The catalog's `open` and `close` lines are fsynced by the finisher thread through
/// `JournalSync`, not by the capture thread that writes them (docs/storage.md).
@Suite("Catalog journal durability")
struct CatalogDurabilityTests {
    static func entry(_ id: UInt64) -> SegmentInfo {
        SegmentInfo(id: id, file: StoreLayout.partialFileName(id), state: .writing, linkType: 1, snaplen: 65535,
                    nanosecond: false, firstNanos: nil, lastNanos: nil, packets: 0, bytes: 24, openedAt: 0, closedAt: nil)
    }

    static func inode(_ fd: Int32) -> UInt {
        var st = stat()
        return fstat(fd, &st) == 0 ? UInt(st.st_ino) : 0
    }

    @Test("the finisher's journal descriptor follows compactions and never names a closed file")
    func journalSyncFollowsCompaction() throws {
        let dir = Support.temporaryDirectory("catalog-sync")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layout = StoreLayout(root: dir)
        try FileSystem.makeDirectory(layout.root)
        try FileSystem.makeDirectory(layout.catalogDirectory)
        let catalog = try SegmentCatalog(readingFrom: layout)
        #expect(catalog.journalSync.descriptor == -1)
        try catalog.openForWriting()
        var journal = stat()
        #expect(stat(layout.catalogPath, &journal) == 0)
        #expect(Self.inode(catalog.journalSync.descriptor) == UInt(journal.st_ino))
        // Enough open + delete pairs to compact the journal several times (a new file each time).
        var compactions = 0
        var lastInode = UInt(journal.st_ino)
        for id in 1...1_000 as ClosedRange<UInt64> {
            try catalog.recordOpen(Self.entry(id))
            try catalog.recordDelete(id, reason: "test")
            #expect(stat(layout.catalogPath, &journal) == 0)
            if UInt(journal.st_ino) != lastInode {
                compactions += 1
                lastInode = UInt(journal.st_ino)
            }
            #expect(Self.inode(catalog.journalSync.descriptor) == lastInode, "after segment \(id)")
        }
        #expect(compactions >= 2)
        #expect(catalog.journalSync.sync(path: layout.catalogPath) == nil)
        // Lines written without an fsync are in the journal for readers all the same.
        try catalog.recordOpen(Self.entry(2_000))
        #expect(try SegmentCatalog(readingFrom: layout).entries[2_000]?.state == .writing)
    }
}
