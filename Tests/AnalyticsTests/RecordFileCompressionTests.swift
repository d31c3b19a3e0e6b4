import Foundation
import Testing
@testable import Analytics
import VigieTestSupport

/// Record files gzipped when closed (`NDJSONFileOutput.Config.compress`): content, crash
/// leftovers at start, the size bound on stored bytes, readers of both names.
@Suite struct RecordFileCompressionTests {
    func makeDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "vigie-records-gz-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func files(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    }

    func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? -1
    }

    func line(_ i: Int, width: Int = 100) -> [UInt8] {
        let body = "{\"n\":\(i),\"pad\":\"" + String(repeating: "x", count: max(0, width - 20)) + "\"}"
        return Array(body.utf8) + [0x0A]
    }

    func config(fileBytes: Int64 = 1 << 20, total: Int64 = 1 << 30) -> NDJSONFileOutput.Config {
        var c = NDJSONFileOutput.Config()
        c.maxFileBytes = fileBytes
        c.maxTotalBytes = total
        c.bufferBytes = 4096
        c.compress = true
        return c
    }

    /// What an operator's `zcat` gives.
    func zcat(_ path: String) throws -> [UInt8] {
        let r = try Support.run(["gzip", "-dc", path])
        #expect(r.status == 0, "\(r.stderr)")
        return Array(r.stdout.utf8)
    }

    /// Writes a file by hand (a previous run's leftover).
    func put(_ path: String, _ bytes: [UInt8]) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }

    @Test("every record of every kind comes back from the .gz byte for byte, with zcat too")
    func compressedFilesHoldExactlyTheLinesWritten() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (_, records) = RecordFixtures.run()
        let out = try NDJSONFileOutput(directory: dir, config: config(fileBytes: 4000))
        var written: [UInt8] = []
        for (line, kind) in zip(records.lines, records.kinds) {
            #expect(out.write(line, kind: kind, key: "k"))
            written += line
        }
        out.close()
        let names = try files(dir)
        #expect(names.count > 2 && names.allSatisfy { $0.hasPrefix("records-") && $0.hasSuffix(".ndjson.gz") }, "\(names)")
        #expect(names == out.publishedFiles && names == NDJSONFileOutput.readableFiles(in: dir))
        var viaZlib: [UInt8] = [], viaZcat: [UInt8] = []
        for name in names {
            viaZlib += try RecordFileCompression.contents(of: dir + "/" + name)
            viaZcat += try zcat(dir + "/" + name)
        }
        #expect(viaZlib == written)
        #expect(viaZcat == written)
        let s = out.stats
        #expect(s.filesCompressed == UInt64(names.count) && s.compressionErrors == 0)
        #expect(s.bytesBeforeCompression == UInt64(written.count))
        #expect(s.bytesAfterCompression == UInt64(try names.reduce(0) { $0 + (try size(dir + "/" + $1)) }))
        #expect(s.bytesAfterCompression * 3 < s.bytesBeforeCompression, "records compress well: \(s)")
    }

    @Test func largeFilesStreamThroughSeveralBuffers() throws {
        // More than the compressor's 256 KiB chunk, with an exact multiple of it too.
        for total in [(256 << 10) * 3, (256 << 10) * 3 + 777] {
            let dir = try makeDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var bytes: [UInt8] = []
            var i = 0
            while bytes.count < total { bytes += Array("{\"i\":\(i),\"h\":\"\(String(i &* 2654435761, radix: 36))\"}\n".utf8); i += 1 }
            bytes = Array(bytes.prefix(total))
            put(dir + "/plain.ndjson", bytes)
            let stored = try RecordFileCompression.gzip(dir + "/plain.ndjson", to: dir + "/plain.ndjson.gz")
            #expect(Int(stored) == (try size(dir + "/plain.ndjson.gz")))
            #expect(try RecordFileCompression.contents(of: dir + "/plain.ndjson.gz") == bytes)
            #expect(try zcat(dir + "/plain.ndjson.gz") == bytes)
        }
    }

    @Test("start-up: leftovers of every crash point are compressed or deleted, no line lost or doubled")
    func crashLeftoversAreResolvedAtStart() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 1: published and compressed, untouched.
        put(dir + "/plain1", line(1))
        _ = try RecordFileCompression.gzip(dir + "/plain1", to: dir + "/records-0000000000000001.ndjson.gz")
        try FileManager.default.removeItem(atPath: dir + "/plain1")
        // 2: crash after the .gz rename, before the plain file's deletion (start-up compression).
        put(dir + "/records-0000000000000002.ndjson", line(2))
        _ = try RecordFileCompression.gzip(dir + "/records-0000000000000002.ndjson", to: dir + "/records-0000000000000002.ndjson.gz")
        // 3: crash after the .gz rename, before the partial's deletion (publication).
        put(dir + "/.records-0000000000000003.ndjson.partial", line(3))
        _ = try RecordFileCompression.gzip(dir + "/.records-0000000000000003.ndjson.partial", to: dir + "/records-0000000000000003.ndjson.gz")
        // 4: crash while compressing: a half temporary .gz beside its complete partial (torn last line).
        put(dir + "/.records-0000000000000004.ndjson.partial", line(4) + Array("{\"torn".utf8))
        put(dir + "/.records-0000000000000004.ndjson.gz.partial", [0x1F, 0x8B, 0x08, 0])
        // 5: a plain file of a run without compression.
        put(dir + "/records-0000000000000005.ndjson", line(5))
        // 6: an empty partial.
        put(dir + "/.records-0000000000000006.ndjson.partial", [])

        let out = try NDJSONFileOutput(directory: dir, config: config())
        out.waitForFinisher()
        let expected = (1 ... 5).map { "records-000000000000000\($0).ndjson.gz" }
        #expect(try files(dir) == expected)
        #expect(out.publishedFiles == expected)
        var all: [UInt8] = []
        for name in expected { all += try zcat(dir + "/" + name) }
        #expect(all == (1 ... 5).flatMap { line($0) })
        #expect(out.stats.partialsRecovered == 1 && out.stats.leftoversDeleted == 3)
        #expect(out.stats.filesCompressed == 2) // 4 (recovered) and 5

        // Numbering continues after every index found, leftovers included.
        #expect(out.write(line(7), kind: .conn, key: "k"))
        out.close()
        #expect(try files(dir).last == "records-0000000000000007.ndjson.gz")
    }

    @Test("the bound counts stored (compressed) bytes")
    func sizeBoundCountsCompressedBytes() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // ~40 files of ~10 kB of NDJSON each (~400 kB), a few hundred bytes each once compressed:
        // a 100 kB bound keeps all of them.
        let out = try NDJSONFileOutput(directory: dir, config: config(fileBytes: 10_000, total: 100_000))
        for i in 0 ..< 4000 {
            _ = out.write(line(i), kind: .conn, key: "k")
            // One file at a time: with several waiting, the finisher publishes plain and
            // compresses after (deferred compression), and plain sizes would meet the bound.
            if i % 50 == 49 { out.waitForFinisher() }
        }
        out.close()
        let s = out.stats
        #expect(s.bytesBeforeCompression > 300_000)
        #expect(s.filesDeleted == 0 && s.filesPublished == s.filesCompressed)
        let names = try files(dir)
        #expect(names.count == Int(s.filesPublished))
        var all: [UInt8] = []
        for name in names { all += try RecordFileCompression.contents(of: dir + "/" + name) }
        let intact = all == (0 ..< 4000).flatMap { line($0) }
        #expect(intact, "\(all.count) bytes read back")

        // A bound below the compressed total deletes the oldest, counting their stored sizes.
        let stored = try names.reduce(0) { $0 + (try size(dir + "/" + $1)) }
        let bound = Int64(stored / 2)
        let again = try NDJSONFileOutput(directory: dir, config: config(fileBytes: 10_000, total: bound))
        again.close()
        let kept = try files(dir)
        let keptBytes = try kept.reduce(0) { $0 + (try size(dir + "/" + $1)) }
        #expect(keptBytes <= Int(bound) && keptBytes > Int(bound) - 2_000)
        #expect(again.stats.bytesDeleted == UInt64(stored - keptBytes))
        #expect(kept == Array(names.suffix(kept.count)))
    }

    @Test func withoutCompressionFilesStayPlain() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = config()
        c.compress = false
        let out = try NDJSONFileOutput(directory: dir, config: c)
        #expect(out.write(line(1), kind: .conn, key: "k"))
        out.close()
        #expect(try files(dir) == ["records-0000000000000001.ndjson"])
        #expect(out.stats.filesCompressed == 0)
        // Turning compression on later compresses what is there, at start, off the caller's thread.
        let on = try NDJSONFileOutput(directory: dir, config: config())
        on.close()
        #expect(try files(dir) == ["records-0000000000000001.ndjson.gz"])
        #expect(try zcat(dir + "/records-0000000000000001.ndjson.gz") == line(1))
    }

    @Test("readers take one name per index, the .gz when both exist")
    func readableFilesPreferTheGzip() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["records-0000000000000001.ndjson", "records-0000000000000002.ndjson", "records-0000000000000002.ndjson.gz",
                     "records-0000000000000003.ndjson.gz", ".records-0000000000000004.ndjson.partial",
                     ".records-0000000000000003.ndjson.gz.partial", "notes.txt"] { put(dir + "/" + name, []) }
        #expect(NDJSONFileOutput.readableFiles(in: dir) == ["records-0000000000000001.ndjson", "records-0000000000000002.ndjson.gz",
                                                              "records-0000000000000003.ndjson.gz"])
        #expect(try Support.recordFileNames(dir) == NDJSONFileOutput.readableFiles(in: dir))
    }

    @Test func corruptGzipIsAnErrorNotGarbage() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        put(dir + "/a.ndjson", Array(String(repeating: "{\"a\":1}\n", count: 1000).utf8))
        _ = try RecordFileCompression.gzip(dir + "/a.ndjson", to: dir + "/a.ndjson.gz")
        let gz = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/a.ndjson.gz")))
        put(dir + "/cut.ndjson.gz", Array(gz.prefix(gz.count / 2)))
        #expect(throws: RecordFileCompressionError.self) { try RecordFileCompression.contents(of: dir + "/cut.ndjson.gz") }
    }
}
