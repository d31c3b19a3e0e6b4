import Foundation
import Logging
import Testing

@testable import Agent

/// Shared helpers for the agent tests: corpus location, temporary stores, external tools.
enum Support {
    /// The package root, found from this file's path.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/corpus` next to the package, nil when absent (tests then skip, saying why).
    static let corpusDirectory: URL? = {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }()

    static let corpusMissing = "corpus ../shared/corpus is absent: corpus tests skipped"
    static var hasCorpus: Bool { corpusDirectory != nil }

    /// Capture files of the corpus (pcap and pcapng), sorted.
    static var corpusFiles: [String] {
        guard let dir = corpusDirectory,
              let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }

    /// Path of a corpus file (under a directory that does not exist when the corpus is absent; the tests
    /// that use it carry `.enabled(if: Support.hasCorpus, ...)` and are skipped then).
    static func corpusPath(_ name: String) -> String {
        (corpusDirectory ?? URL(fileURLWithPath: "/nonexistent/shared/corpus")).appendingPathComponent(name).path
    }

    /// A fresh empty directory under /tmp.
    static func temporaryDirectory(_ tag: String = "store") -> String {
        let path = NSTemporaryDirectory() + "vigie-test-\(tag)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static var logger: Logger {
        var l = Logger(label: "vigie.test")
        l.logLevel = .critical
        return l
    }

    static func hasTool(_ name: String) -> Bool {
        ["/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/", "/usr/local/bin/"].contains { FileManager.default.isExecutableFile(atPath: $0 + name) }
    }

    static var isRoot: Bool { getuid() == 0 }

    /// Result of running a command.
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a command to completion, capturing its output (stdout may be large: it goes via a file).
    @discardableResult
    static func run(_ argv: [String], stdin: String? = nil) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let outPath = NSTemporaryDirectory() + "vigie-out-\(UUID().uuidString)"
        let errPath = outPath + ".err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outPath); try? FileManager.default.removeItem(atPath: errPath) }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        p.standardOutput = out
        p.standardError = err
        if let stdin {
            let pipe = Pipe()
            p.standardInput = pipe
            try p.run()
            pipe.fileHandleForWriting.write(Data(stdin.utf8))
            try pipe.fileHandleForWriting.close()
        } else {
            p.standardInput = FileHandle.nullDevice
            try p.run()
        }
        p.waitUntilExit()
        try out.close(); try err.close()
        return Run(status: p.terminationStatus,
                   stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// tshark's per-packet view (time, lengths, MD5 of the bytes): equal fingerprints mean equal packets.
    static func tsharkFingerprint(_ files: [String]) throws -> [String] {
        var lines: [String] = []
        for f in files {
            let r = try run(["tshark", "-n", "-o", "frame.generate_md5_hash:TRUE", "-r", f, "-T", "fields",
                             "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.md5_hash"])
            lines += r.stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        }
        return lines
    }

    /// tcpdump's view of every packet (nanosecond time, whole bytes in hex): the libpcap-based
    /// reference for the few files tshark's reader interprets differently (see the corpus test).
    static func tcpdumpFingerprint(_ files: [String]) throws -> [String] {
        var lines: [String] = []
        for f in files {
            let r = try run(["tcpdump", "-r", f, "-nn", "-tt", "--time-stamp-precision=nano", "-xx"])
            lines += r.stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        }
        return lines
    }

    /// The bytes of the agent's published record files (`STORE/records/*.ndjson`, not the hidden
    /// partial one), in file order.
    static func recordFileBytes(_ store: String) throws -> [UInt8] {
        let dir = store + "/records"
        var out: [UInt8] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where name.hasSuffix(".ndjson") && !name.hasPrefix(".") {
            out += try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
        }
        return out
    }

    /// The agent's records, one JSON line each (see ``recordFileBytes(_:)``).
    static func recordLines(_ store: String) throws -> [String] {
        try recordFileBytes(store).split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The built `vigie-agent` binary (next to the test bundle).
    static var agentBinary: String {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vigie-agent").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/vigie-agent").path
    }

    /// A store of `packets` generated packets (`vigie-gen`, then `vigie-agent ingest`), made in `dir`:
    /// what the API tests serve when they need no corpus.
    static func generatedStore(_ store: String, in dir: String, packets: Int = 2000) throws {
        let gen = URL(fileURLWithPath: agentBinary).deletingLastPathComponent().appendingPathComponent("vigie-gen").path
        _ = try run([gen, "-o", dir + "/g.pcap", "--packets", "\(packets)"])
        _ = try run([agentBinary, "ingest", "--store", store, "--no-progress", dir + "/g.pcap"])
    }

    /// Ingests files into a store through the library pipeline (same code path as the CLI).
    @discardableResult
    static func ingest(_ files: [String], store: String, config: StorageConfig = StorageConfig(),
                       prefilter: String? = nil) throws -> (StatusReport, [String]) {
        let s = try SegmentStore(layout: StoreLayout(root: store), config: config, logger: logger)
        let pipeline = try PacketPipeline(store: s, prefilter: prefilter)
        let runner = CaptureRunner(pipeline: pipeline, logger: logger, mode: "ingest", sources: files, statsInterval: 3600)
        var errors: [String] = []
        for f in files {
            do {
                try runner.run(file: CaptureFileReader(path: f))
            } catch {
                errors.append("\(error)")
            }
        }
        runner.finish()
        return (runner.report(running: false), errors)
    }

    /// Paths of the finished segments of a store, oldest first.
    static func segmentPaths(_ store: String) throws -> [String] {
        let layout = StoreLayout(root: store)
        return try SegmentCatalog(readingFrom: layout).segments().map { layout.segmentsDirectory + "/" + $0.file }
    }
}

import PcapKit
