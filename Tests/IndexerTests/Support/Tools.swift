import Foundation
import VigieTestSupport

/// Locates the shared corpus and the reference tools.
enum TestEnvironment {
    /// `<package root>/../shared/corpus` (VigieTestSupport's ``Corpus``).
    static let corpus: String? = Corpus.directory

    static func tool(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin"] {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static let tcpdump = tool("tcpdump")
    static let tshark = tool("tshark")

    /// Runs a tool; returns stdout (and stderr for messages) and the exit status.
    static func run(_ executable: String, _ arguments: [String]) throws -> (out: Data, err: String, status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes concurrently enough: stdout fully, then stderr (small).
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (data, String(decoding: errData, as: UTF8.self), process.terminationStatus)
    }
}

/// Runs tcpdump filters over a segment file.
enum Tcpdump {
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// The records tcpdump selects with `filter` (nil when tcpdump refuses the filter).
    static func select(_ path: String, _ filter: String, nanosecond: Bool) throws -> [TestRecord]? {
        guard let tcpdump = TestEnvironment.tcpdump else { throw Failure(message: "no tcpdump") }
        var args = ["-r", path, "-w", "-"]
        if nanosecond { args += ["--time-stamp-precision=nano"] }
        args.append(filter)
        let (out, err, status) = try TestEnvironment.run(tcpdump, args)
        guard status == 0 else {
            if err.contains("rejects all packets") { return [] }
            if err.contains("no VLAN support") || err.contains("not supported") || err.contains("illegal") {
                return nil
            }
            throw Failure(message: "tcpdump \(filter) on \(path) failed: \(err)")
        }
        return try TestPcap.parse([UInt8](out)).records
    }

    /// Maps each selected record to its index in `input` (they are a subsequence of it, in order).
    static func indexes(of selected: [TestRecord], in input: [TestRecord]) throws -> [Int] {
        var result: [Int] = []
        var j = 0
        for r in selected {
            while j < input.count && input[j] != r { j += 1 }
            guard j < input.count else { throw Failure(message: "tcpdump returned a record that is not in the input") }
            result.append(j)
            j += 1
        }
        return result
    }
}
