import Foundation

/// Helpers shared by the test targets: package and corpus locations, temporary directories,
/// external commands, the built executables. Targets add their own members in extensions
/// (`AgentTests`: the library ingest, `TransportTests`: spool helpers).
public enum Support {
    /// The package root, found from this file's path (Tests/TestSupport/Support.swift).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A script of `Tests/TestSupport/Scripts` (Python receivers and clients, the test PKI maker).
    public static func script(_ name: String) -> String {
        packageRoot.appendingPathComponent("Tests/TestSupport/Scripts").appendingPathComponent(name).path
    }

    // MARK: Corpus

    /// `../shared/corpus` next to the package, nil when absent (tests then skip, saying why).
    public static var corpusDirectory: URL? { Corpus.directory.map { URL(fileURLWithPath: $0) } }

    public static let corpusMissing = "corpus ../shared/corpus is absent: corpus tests skipped"
    public static var hasCorpus: Bool { corpusDirectory != nil }

    /// Capture files of the corpus (pcap and pcapng), sorted.
    public static var corpusFiles: [String] { Corpus.files }

    /// Path of a corpus file (under a directory that does not exist when the corpus is absent; the tests
    /// that use it carry `.enabled(if: Support.hasCorpus, ...)` and are skipped then).
    public static func corpusPath(_ name: String) -> String {
        (corpusDirectory ?? URL(fileURLWithPath: "/nonexistent/shared/corpus")).appendingPathComponent(name).path
    }

    // MARK: Files

    /// A fresh empty directory under /tmp (`vigie-test-TAG-XXXXXXXX`), removed by the caller.
    public static func temporaryDirectory(_ tag: String = "store") -> String {
        let path = NSTemporaryDirectory() + "vigie-test-\(tag)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    // MARK: External tools

    /// An executable of that name in one of the system directories.
    public static func hasTool(_ name: String) -> Bool {
        ["/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/", "/usr/local/bin/"].contains { FileManager.default.isExecutableFile(atPath: $0 + name) }
    }

    /// The path of a tool on PATH, or nil.
    public static func tool(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    public static var isRoot: Bool { getuid() == 0 }

    /// Result of running a command.
    public struct Run: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs a command (through /usr/bin/env, so argv[0] is looked up on PATH) to completion; stdout
    /// and stderr go through files (they may be large), stdin is /dev/null unless given. Output that
    /// is not UTF-8 reads as "" unless `lossy` (then invalid bytes become U+FFFD, as HTTPFixture's
    /// curl calls want for binary bodies).
    @discardableResult
    public static func run(_ argv: [String], stdin: String? = nil, lossy: Bool = false) throws -> Run {
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
        func text(_ path: String) -> String {
            guard let data = FileManager.default.contents(atPath: path) else { return "" }
            return lossy ? String(decoding: data, as: UTF8.self) : (String(data: data, encoding: .utf8) ?? "")
        }
        return Run(status: p.terminationStatus, stdout: text(outPath), stderr: text(errPath))
    }

    /// tshark's per-packet view (time, lengths, MD5 of the bytes): equal fingerprints mean equal packets.
    public static func tsharkFingerprint(_ files: [String]) throws -> [String] {
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
    public static func tcpdumpFingerprint(_ files: [String]) throws -> [String] {
        var lines: [String] = []
        for f in files {
            let r = try run(["tcpdump", "-r", f, "-nn", "-tt", "--time-stamp-precision=nano", "-xx"])
            lines += r.stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        }
        return lines
    }

    // MARK: Agent stores

    /// The bytes of the agent's published record files (`STORE/records/records-N.ndjson` and
    /// `records-N.ndjson.gz`, not the hidden partial ones), in file order.
    public static func recordFileBytes(_ store: String) throws -> [UInt8] {
        let dir = store + "/records"
        var out: [UInt8] = []
        for name in try recordFileNames(dir) { out += try recordFileContents(dir + "/" + name) }
        return out
    }

    /// The published record files of a directory, in order: one name per index, the `.gz` when
    /// both names exist (they hold the same lines; docs/records.md, "Embedded output").
    public static func recordFileNames(_ dir: String) throws -> [String] {
        var byIndex: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasPrefix("records-") {
            if name.hasSuffix(".ndjson.gz") {
                byIndex[String(name.dropLast(3))] = name
            } else if name.hasSuffix(".ndjson"), byIndex[name] == nil {
                byIndex[name] = name
            }
        }
        return byIndex.keys.sorted().compactMap { byIndex[$0] }
    }

    /// The lines of one record file; a `.gz` is read with `gzip -dc` (what an operator's `zcat`
    /// does, so the tests check that too).
    public static func recordFileContents(_ path: String) throws -> [UInt8] {
        guard path.hasSuffix(".gz") else { return try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) }
        let r = try run(["gzip", "-dc", path])
        guard r.status == 0 else { throw RecordFileUnreadable(path: path, detail: r.stderr) }
        return Array(r.stdout.utf8)
    }

    /// A record file `gzip -dc` refused.
    public struct RecordFileUnreadable: Error, CustomStringConvertible {
        public var path: String
        public var detail: String
        public var description: String { "gzip -dc \(path): \(detail)" }
    }

    /// The agent's records, one JSON line each (see ``recordFileBytes(_:)``).
    public static func recordLines(_ store: String) throws -> [String] {
        try recordFileBytes(store).split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A store of `packets` generated packets (`vigie-gen`, then `vigie-agent ingest`), made in `dir`:
    /// what the API tests serve when they need no corpus.
    public static func generatedStore(_ store: String, in dir: String, packets: Int = 2000) throws {
        let gen = URL(fileURLWithPath: agentBinary).deletingLastPathComponent().appendingPathComponent("vigie-gen").path
        _ = try run([gen, "-o", dir + "/g.pcap", "--packets", "\(packets)"])
        _ = try run([agentBinary, "ingest", "--store", store, "--no-progress", dir + "/g.pcap"])
    }

    // MARK: Built executables

    /// A built executable of the package: next to the test bundle (up to four levels up from the
    /// running test binary), else `.build/debug/NAME`.
    public static func builtExecutable(_ name: String) -> String {
        var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/\(name)").path
    }

    /// The built `vigie-agent` binary (next to the test bundle).
    public static var agentBinary: String { builtExecutable("vigie-agent") }

    /// The built `vigie-server` binary (next to the test bundle), or `VIGIE_SERVER_BINARY` (to run
    /// the server tests against another build, e.g. to check that a regression test fails on the old code).
    public static var serverBinary: String {
        if let path = ProcessInfo.processInfo.environment["VIGIE_SERVER_BINARY"], !path.isEmpty { return path }
        return builtExecutable("vigie-server")
    }
}
