import Foundation
import VigieTestSupport

/// A real `vigie-agent serve` on a free loopback port over a store the caller fills, stopped and
/// its folder removed on release. The fixtures of the API suites differ only in the store and the
/// options; this is the one place that starts the process and waits until it answers.
final class AgentServeProcess {
    let dir: String
    var store: String { dir + "/s" }
    let port = TestPorts.unused()
    let server = Process()

    /// `prepare` builds the store in `store` (files of its own go in `dir`) and returns more `serve`
    /// options; `probe` is a path answered once the listener is up.
    init(tag: String, logLevel: String = "error", probe: String = "/healthz",
         prepare: (_ store: String, _ dir: String) throws -> [String]) throws {
        dir = Support.temporaryDirectory(tag)
        let options = try prepare(dir + "/s", dir)
        server.executableURL = URL(fileURLWithPath: Support.agentBinary)
        server.arguments = ["serve", "--store", dir + "/s", "--listen", "127.0.0.1:\(port)", "--log-level", logLevel] + options
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // Any HTTP answer (even 401) means it listens; curl fails only while nothing accepts.
        for _ in 0..<100 where server.isRunning && (try? Support.run(["curl", "-s", "-o", "/dev/null", url(probe)]))?.status != 0 {
            usleep(100_000)
        }
    }

    deinit {
        if server.isRunning { server.terminate() }
        server.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dir)
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }
}
