import Foundation

/// A server process of a test (`vigie-agent serve`, `vigie-server serve`): its output goes to a log
/// file; it is ready once the log says it listens; `stop` (or release) ends it with SIGTERM.
public final class ListeningProcess {
    public let log: String
    public private(set) var process: Process?

    public init(log: String) { self.log = log }

    /// Starts `executable` with `arguments` (after stopping a previous run). Returns false and the
    /// log when the process exits before it listens (a refused configuration).
    @discardableResult
    public func start(_ executable: String, _ arguments: [String]) throws -> (started: Bool, log: String) {
        stop()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        process = p
        for _ in 0..<100 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if !p.isRunning { return (false, text) }
            if text.contains("listening on") { return (true, "") }
            usleep(100_000)
        }
        return (p.isRunning, "")
    }

    public var isRunning: Bool { process?.isRunning ?? false }

    public func signal(_ number: Int32) {
        if let p = process { kill(p.processIdentifier, number) }
    }

    public func stop() {
        guard let p = process, p.isRunning else { return }
        p.terminate()
        p.waitUntilExit()
    }

    deinit { stop() }
}
