import Foundation

/// Locates the shared capture corpus and tshark for the agreement tests (same rules as
/// Tests/PacketDecodingTests/Corpus.swift).
enum Corpus {
    /// `<package root>/../shared/corpus`, found from this file's path (symlinks resolved).
    static let directory: String? = {
        let thisFile = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let packageRoot = thisFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let corpus = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus").path
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: corpus, isDirectory: &isDirectory) && isDirectory.boolValue ? corpus : nil
    }()

    /// Capture files in the corpus (`.pcap` / `.pcapng`), sorted; empty when the corpus is absent.
    static let files: [String] = {
        guard let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }()

    /// The tshark executable, from PATH or /usr/bin.
    static let tshark: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":").map(String.init) + ["/usr/bin"] {
            let candidate = dir + "/tshark"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    static let isAvailable = directory != nil && tshark != nil

    /// Why the corpus tests are skipped, for the test log.
    static var skipReason: String {
        directory == nil ? "corpus ../shared/corpus not found: corpus agreement skipped"
            : "tshark not installed: corpus agreement skipped"
    }
}

/// Runs tshark (the independent reference) and returns its `-T fields` rows.
///
/// Payload bytes also come from tshark (`udp.payload`, `tcp.payload`, the last occurrence so a
/// tunnelled packet yields its inner payload): the parsers under test see exactly the bytes of one
/// UDP datagram or TCP segment, as in production, and frames are matched by number.
enum Tshark {
    static func rows(_ file: String, filter: String, fields: [String], occurrence: String = "f") -> [[String]] {
        guard let tshark = Corpus.tshark, let directory = Corpus.directory else { return [] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tshark)
        var args = ["-n", "-r", directory + "/" + file, "-Y", filter, "-T", "fields",
                    "-E", "occurrence=\(occurrence)", "-E", "aggregator=|", "-E", "separator=/t"]
        for f in fields { args += ["-e", f] }
        process.arguments = args
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return [] }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            var cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            while cols.count < fields.count { cols.append("") }
            return cols
        }
    }

    /// `aa:bb:cc` or `aabbcc` hex → bytes.
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x61 + 10
            case 0x41...0x46: v = c - 0x41 + 10
            default: continue
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return out
    }

    /// tshark 4.0 prints booleans as 1/0 or True/False depending on the field.
    static func isTrue(_ s: String) -> Bool { s == "1" || s == "True" }
}
