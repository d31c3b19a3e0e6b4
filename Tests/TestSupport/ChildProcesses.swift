import Foundation

/// Long-running executables (servers, agents' query APIs) started by end-to-end tests.
public enum ChildProcesses {
    /// Starts `argv` (argv[0] a path) with stdout discarded and stderr appended to `log`;
    /// `environment` replaces the inherited one when given.
    public static func start(_ argv: [String], log: String, environment: [String: String]? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        if let environment { p.environment = environment }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: log)
        try p.run()
        return p
    }

    /// SIGTERM if still running, then waits for the end (SIGKILL after `killAfter` seconds).
    public static func stop(_ p: Process, killAfter: Double = 30) {
        if p.isRunning { p.terminate() }
        if !waitFor(killAfter, { !p.isRunning }) { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    /// Polls `condition` until it holds or `seconds` pass; its last value.
    public static func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return condition()
    }
}
