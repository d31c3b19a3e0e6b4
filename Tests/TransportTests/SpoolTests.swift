import Foundation
import Records
import Testing
import VigieTestSupport
#if canImport(Glibc)
import Glibc
#endif
@testable import Transport

@Suite("Durable spool")
struct SpoolTests {
    @Test("records come back in order, across segments and a restart; nothing lost")
    func roundTripAndRestart() throws {
        let dir = Support.temporaryDirectory("spool")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = SpoolConfig(directory: dir)
        config.segmentBytes = 4096  // many segments
        config.flushInterval = 0.01
        do {
            let spool = try Spool(config: config, sinks: ["a"], logger: Support.logger)
            for i in 0..<500 { #expect(spool.append(kind: .conn, key: "k\(i % 7)", payload: Support.payload(i))) }
            spool.flush()
            let got = Support.drain(spool.reader(for: "a"), count: 500)
            #expect(got.map(\.payload) == (0..<500).map(Support.payload))
            #expect(got.map(\.seq) == Array(0..<500))
            #expect(spool.stats().segments > 5)
            // Confirm the first 200 only, then stop.
            spool.acknowledge(sink: "a", upTo: 200)
            spool.close()
        }
        let reopened = try Spool(config: config, sinks: ["a"], logger: Support.logger)
        defer { reopened.close() }
        let rest = Support.drain(reopened.reader(for: "a"), count: 300)
        #expect(rest.first?.seq == 200)
        #expect(rest.map(\.payload) == (200..<500).map(Support.payload))
        // New records continue the sequence.
        reopened.append(kind: .edge, key: "x", payload: Support.payload(500))
        reopened.flush()
        #expect(reopened.stats().nextSeq == 501)
    }

    @Test("segments are deleted only once every sink confirmed them")
    func deletionWaitsForAllSinks() throws {
        let dir = Support.temporaryDirectory("spool-del")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = SpoolConfig(directory: dir)
        config.segmentBytes = 2048
        config.flushInterval = 0.01
        let spool = try Spool(config: config, sinks: ["kafka", "http"], logger: Support.logger)
        defer { spool.close() }
        for i in 0..<300 { spool.append(kind: .conn, key: "k", payload: Support.payload(i)) }
        spool.flush()
        let before = spool.stats().segments
        spool.acknowledge(sink: "kafka", upTo: 300)
        spool.flush()
        Thread.sleep(forTimeInterval: 0.1)
        #expect(spool.stats().segments == before, "http has confirmed nothing yet")
        #expect(spool.stats().pending["http"] == 300)
        spool.acknowledge(sink: "http", upTo: 300)
        spool.flush()
        Thread.sleep(forTimeInterval: 0.1)
        #expect(spool.stats().segments == 1, "only the open segment remains")
        #expect(spool.stats().pending["kafka"] == 0)
    }

    @Test("a torn tail is cut at the last whole record; a damaged record is skipped and counted")
    func crashDamage() throws {
        let dir = Support.temporaryDirectory("spool-crash")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = SpoolConfig(directory: dir)
        config.flushInterval = 0.01
        do {
            let spool = try Spool(config: config, sinks: ["a"], logger: Support.logger)
            for i in 0..<100 { spool.append(kind: .conn, key: "k", payload: Support.payload(i)) }
            spool.close()
        }
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".spool") })
        let path = dir + "/" + name
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let recordSize = (bytes.count - SpoolFormat.fileHeaderSize) / 100
        // Corrupt one payload byte of record 10 and tear record 99 in half.
        bytes[SpoolFormat.fileHeaderSize + 10 * recordSize + 30] ^= 0xFF
        bytes.removeLast(recordSize / 2)
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let spool = try Spool(config: config, sinks: ["a"], logger: Support.logger)
        defer { spool.close() }
        #expect(spool.stats().nextSeq == 99, "record 99 was torn: the next record reuses its number")
        let got = Support.drain(spool.reader(for: "a"), count: 98)
        #expect(got.map(\.seq) == Array(0..<10) + Array(11..<99))
        #expect(spool.stats().corruptSkipped == 1)
    }

    @Test("when full, txn is refused first, then conn; service_state is always kept")
    func priorityAdmission() throws {
        let dir = Support.temporaryDirectory("spool-full")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = SpoolConfig(directory: dir)
        config.maxBytes = 64 << 10
        let spool = try Spool(config: config, sinks: ["a"], logger: Support.logger)
        defer { spool.close() }
        let payload = [UInt8](repeating: 0x41, count: 1000)
        var accepted: [RecordKind: Int] = [:]
        // Nothing confirms: the spool fills up.
        for _ in 0..<200 {
            for kind in [RecordKind.txn, .conn, .edge, .serviceState] where spool.append(kind: kind, key: "k", payload: payload) {
                accepted[kind, default: 0] += 1
            }
        }
        let stats = spool.stats()
        #expect(accepted[.serviceState] == 200, "service_state is never dropped")
        #expect(stats.dropped["service_state"] == 0)
        #expect(stats.dropped["txn"]! > stats.dropped["conn"]!)
        #expect(stats.dropped["conn"]! > stats.dropped["edge"]!)
        #expect(accepted[.txn]! < accepted[.conn]!)
    }
}

/// The spool on a full disk: writes fail, records wait in memory (bounded by the same admission
/// rules), nothing crashes, and when space comes back every accepted record is written and readable.
@Suite("Spool on a full disk", .enabled(if: getuid() == 0, "needs root to mount a small tmpfs"))
struct SpoolFullDiskTests {
    static func sh(_ args: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    @Test("ENOSPC: records kept and retried, all delivered once space is back")
    func fullDisk() throws {
        let dir = Support.temporaryDirectory("spool-enospc")
        defer { _ = Self.sh(["umount", dir]); try? FileManager.default.removeItem(atPath: dir) }
        try #require(Self.sh(["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", dir]) == 0)
        var config = SpoolConfig(directory: dir + "/spool")
        config.flushInterval = 0.02
        config.maxBytes = 4 << 20  // larger than the disk: the disk fills first
        let spool = try Spool(config: config, sinks: ["a"], logger: Support.logger)
        defer { spool.close() }
        let payload = [UInt8](repeating: 0x42, count: 900)
        var accepted = 0
        for _ in 0..<400 where spool.append(kind: .serviceState, key: "k", payload: payload) { accepted += 1 }
        #expect(accepted == 400)
        Thread.sleep(forTimeInterval: 0.5)
        let stuck = spool.stats()
        #expect(stuck.writeError != nil, "the disk is full: the write error is reported")
        #expect(stuck.durableSeq < 400)
        // Space comes back.
        try #require(Self.sh(["mount", "-o", "remount,size=8m", dir]) == 0)
        spool.flush(timeout: 5)
        let after = spool.stats()
        #expect(after.writeError == nil)
        #expect(after.durableSeq == 400)
        let got = Support.drain(spool.reader(for: "a"), count: 400)
        #expect(got.map(\.seq) == Array(0..<400), "every accepted record, in order, none damaged")
        #expect(spool.stats().corruptSkipped == 0)
    }
}
