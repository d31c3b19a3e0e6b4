import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `vigie-kafka-mock` running in its own process (librdkafka's mock cluster on a loopback port).
/// Test support shared by the test targets (not shipped).
public final class KafkaMockProcess {
    let process = Process()
    public let bootstrap: String
    private let file: String

    public static var binary: String? {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vigie-kafka-mock").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    public init(topics: [String] = []) throws {
        guard let binary = Self.binary else { throw CocoaError(.fileNoSuchFile) }
        file = NSTemporaryDirectory() + "vigie-mock-\(UUID().uuidString)"
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--bootstrap-file", file] + topics.flatMap { ["--topic", $0] }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        var found: String?
        while found == nil && Date() < deadline {
            found = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            if found?.isEmpty ?? true { found = nil; Thread.sleep(forTimeInterval: 0.05) }
        }
        guard let found else { process.terminate(); throw CocoaError(.fileReadNoSuchFile) }
        bootstrap = found
    }

    /// Takes the brokers down (true) or back up (false), keeping their data.
    public func outage(_ down: Bool) { kill(process.processIdentifier, down ? SIGUSR1 : SIGUSR2) }

    public func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: file)
    }

    deinit { stop() }

    /// Every message of `topic` as read by kcat (an independent Kafka client): `key<TAB>value`.
    public func consume(topic: String) throws -> [String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k\t%s\n"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
