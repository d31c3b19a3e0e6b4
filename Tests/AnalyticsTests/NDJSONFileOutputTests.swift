import Foundation
import Testing
@testable import Analytics
import VigieTestSupport

/// A wall clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    // @unchecked: set by the test before the output reads it; no concurrent access.
    var now: Int64 = 0
}

@Suite struct NDJSONFileOutputTests {
    func makeDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "vigie-records-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func files(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    }

    func line(_ i: Int, width: Int = 100) -> [UInt8] {
        let body = "{\"n\":\(i),\"pad\":\"" + String(repeating: "x", count: max(0, width - 20)) + "\"}"
        return Array(body.utf8) + [0x0A]
    }

    func config(fileBytes: Int64 = 1000, total: Int64 = 1 << 30) -> NDJSONFileOutput.Config {
        var c = NDJSONFileOutput.Config()
        c.maxFileBytes = fileBytes
        c.maxTotalBytes = total
        c.bufferBytes = 300
        return c
    }

    @Test func writesHiddenThenPublishesByRename() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try NDJSONFileOutput(directory: dir, config: config())
        #expect(out.write(line(1), kind: .conn, key: "k"))
        out.flush()
        #expect(try files(dir) == [".records-0000000000000001.ndjson.partial"])
        out.close()
        #expect(try files(dir) == ["records-0000000000000001.ndjson"])
        let text = try String(contentsOfFile: dir + "/records-0000000000000001.ndjson", encoding: .utf8)
        #expect(text == String(decoding: line(1), as: UTF8.self))
        #expect(!out.write(line(2), kind: .conn, key: "k")) // closed
    }

    @Test func rotatesBySizeKeepingWholeLines() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try NDJSONFileOutput(directory: dir, config: config(fileBytes: 1000))
        for i in 0..<50 { #expect(out.write(line(i), kind: .edge, key: "k")) }
        out.close()
        let names = try files(dir)
        #expect(names.count >= 4 && names.allSatisfy { $0.hasPrefix("records-") })
        var all: [Int] = []
        for name in names {
            let text = try String(contentsOfFile: dir + "/" + name, encoding: .utf8)
            #expect(text.utf8.count < 1000 + 300 + 100)
            for l in text.split(separator: "\n") {
                let o = try #require(JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any])
                all.append(try #require(o["n"] as? Int))
            }
        }
        #expect(all == Array(0..<50))
        #expect(out.stats.filesPublished == UInt64(names.count))
    }

    @Test func rotatesByAge() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = ManualClock()
        let out = try NDJSONFileOutput(directory: dir, config: config(fileBytes: 1 << 20)) { clock.now }
        _ = out.write(line(1), kind: .conn, key: "k")
        out.flush()
        clock.now += 61_000_000_000
        out.flush()
        out.waitForFinisher()
        #expect(try files(dir) == ["records-0000000000000001.ndjson"])
        #expect(out.stats.filesPublished == 1)
    }

    @Test func totalSizeIsBoundedOldestFirst() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try NDJSONFileOutput(directory: dir, config: config(fileBytes: 1000, total: 3500))
        for i in 0..<200 { _ = out.write(line(i), kind: .conn, key: "k") }
        out.close()
        let names = try files(dir)
        let total = try names.reduce(0) { $0 + (try FileManager.default.attributesOfItem(atPath: dir + "/" + $1)[.size] as! Int) }
        #expect(total <= 3500)
        #expect(out.stats.filesDeleted > 0)
        #expect(out.stats.filesDeleted + UInt64(names.count) == out.stats.filesPublished)
        #expect(names == out.publishedFiles)
        // The newest records survive.
        let last = try String(contentsOfFile: dir + "/" + names.last!, encoding: .utf8)
        #expect(last.contains("\"n\":199,"))
    }

    @Test func reopenAfterRestartRecoversPartialAndContinuesNumbering() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let out = try NDJSONFileOutput(directory: dir, config: config(fileBytes: 1000))
            for i in 0..<15 { _ = out.write(line(i), kind: .conn, key: "k") }
            out.close()
        }
        let before = try files(dir)
        // A crash mid-file: a partial with two whole lines and a torn third.
        let torn = line(100) + line(101) + Array(line(102).prefix(30))
        let partial = dir + "/.records-0000000000000009.ndjson.partial"
        _ = FileManager.default.createFile(atPath: partial, contents: Data(torn))
        let out = try NDJSONFileOutput(directory: dir, config: config(fileBytes: 1000))
        #expect(out.stats.partialsRecovered == 1)
        let recovered = try String(contentsOfFile: dir + "/records-0000000000000009.ndjson", encoding: .utf8)
        #expect(recovered == String(decoding: line(100) + line(101), as: UTF8.self))
        _ = out.write(line(200), kind: .conn, key: "k")
        out.close()
        let after = try files(dir)
        #expect(after == (before + ["records-0000000000000009.ndjson", "records-0000000000000010.ndjson"]).sorted())
    }

    @Test func filesOfAPreviousRunOverTheBoundAreDeletedAtStart() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let out = try NDJSONFileOutput(directory: dir, config: config(fileBytes: 1000))
            for i in 0..<60 { _ = out.write(line(i), kind: .conn, key: "k") }
            out.close()
        }
        let before = try files(dir)
        let out = try NDJSONFileOutput(directory: dir, config: config(fileBytes: 1000, total: 2500))
        let after = try files(dir)
        #expect(after.count < before.count && after == Array(before.suffix(after.count)))
        #expect(out.stats.filesDeleted == UInt64(before.count - after.count))
        out.close()
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "needs /dev/full"))
    func fullDiskKeepsABoundedBufferThenDrops() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = config(fileBytes: 1 << 20)
        c.maxBufferedBytes = 1000
        let out = try NDJSONFileOutput(directory: dir, config: c)
        // The next file "is" a full disk: every write fails with ENOSPC.
        try FileManager.default.createSymbolicLink(atPath: dir + "/.records-0000000000000001.ndjson.partial",
                                                   withDestinationPath: "/dev/full")
        var accepted = 0
        for i in 0..<30 where out.write(line(i), kind: .conn, key: "k") { accepted += 1 }
        #expect(accepted == 10) // 1000 bytes of 100-byte lines stay buffered
        #expect(out.stats.recordsDropped == 20)
        #expect(out.stats.writeErrors > 0)
        out.close()
    }

    @Test func emptyPartialIsRemoved() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/.records-0000000000000003.ndjson.partial", contents: Data("torn".utf8))
        let out = try NDJSONFileOutput(directory: dir, config: config())
        #expect(try files(dir).isEmpty)
        _ = out.write(line(1), kind: .conn, key: "k")
        out.close()
        #expect(try files(dir) == ["records-0000000000000004.ndjson"])
    }

    @Test func emitterToFilesEndToEnd() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try NDJSONFileOutput(directory: dir)
        let emitter = RecordEmitter(config: RecordEmitterConfig(agentID: "e2e", epoch: 7), output: out)
        for i in 0..<100 { emitter.connection(RecordFixtures.conn(id: UInt64(i), at: RecordFixtures.t0)) }
        emitter.finish()
        out.close()
        let names = try files(dir)
        #expect(names.count == 1)
        let lines = try String(contentsOfFile: dir + "/" + names[0], encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 101) // 100 conn + agent_health
    }
}
