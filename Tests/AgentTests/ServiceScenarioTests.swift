import Foundation
import Testing
import VigieTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A real server on a veth pair, captured live by `vigie-agent capture`: it starts, slows down,
/// refuses (process stopped: the kernel answers RST), then disappears (address removed: SYNs go
/// unanswered). The agent's `service_state` records must follow, each transition within two
/// windows of the change — plus the time the evidence itself needs to exist (a slow response
/// completes `slowDelay` after the change; an unanswered SYN is declared after the 5 s
/// unanswered-SYN timeout, and the client's own lag: its next request, which is the first
/// evidence, starts up to `clientLag` after the change).
@Suite("Service-state scenario", .serialized,
       .enabled(if: NetnsPair.available && Support.hasTool("python3"), "needs root, ip, tcpreplay and python3"))
struct ServiceScenarioTests {
    static let window = 3.0
    static let slowDelay = 1.5
    static let synTimeout = 5.0
    static let phase = 12.0
    /// The client pauses 100 ms between requests; under the parallel suite on two cores, Python
    /// may be scheduled a few hundred ms late. A decision a whole window late still fails.
    static let clientLag = 0.5

    static var supportDir: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TestSupport/Scripts").path
    }

    struct Transition {
        var state: String
        var time: Double
    }

    static func transitions(store: String, service: String) throws -> [Transition] {
        var out: [Transition] = []
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for line in try Support.recordLines(store) {
            guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  o["kind"] as? String == "service_state", o["service"] as? String == service,
                  o["reason"] as? String == "transition", let state = o["state"] as? String,
                  let ts = o["ts"] as? String else { continue }
            // Nanosecond text: keep milliseconds for the parser.
            let trimmed = String(ts.prefix(23)) + "Z"
            guard let date = formatter.date(from: trimmed) else { continue }
            out.append(Transition(state: state, time: date.timeIntervalSince1970))
        }
        return out
    }

    @Test("starts, slows down, refuses, disappears: UP, DEGRADED, REFUSED, UNREACHABLE in time")
    func lifecycle() throws {
        let pair = try NetnsPair()
        defer { pair.tearDown() }
        let (clientIP, serverIP, port) = ("10.77.0.1", "10.77.0.2", 8080)
        try Support.run(["ip", "-n", pair.nsA, "addr", "add", "\(clientIP)/24", "dev", pair.sender])
        try Support.run(["ip", "-n", pair.nsB, "addr", "add", "\(serverIP)/24", "dev", pair.receiver])
        // A permanent neighbour entry: once the server's address is gone, the client keeps sending
        // its SYNs on the wire (instead of failing ARP) and nobody answers them.
        let link = try Support.run(["ip", "-n", pair.nsB, "-o", "link", "show", pair.receiver])
        let serverMAC = try #require(link.stdout.split(separator: " ").drop { $0 != "link/ether" }.dropFirst().first)
        try Support.run(["ip", "-n", pair.nsA, "neigh", "replace", serverIP, "lladdr", String(serverMAC), "dev", pair.sender, "nud", "permanent"])

        let store = Support.temporaryDirectory("scenario")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let config = store + ".yaml"
        try "analytics:\n  window: \(Int(Self.window))s\n".write(toFile: config, atomically: true, encoding: .utf8)
        let agent = try pair.startAgent(store: store, extra: ["--config", config, "--no-index"])
        #expect(NetnsPair.waitForStatus(store))

        let delayFile = store + ".delay"
        try "0".write(toFile: delayFile, atomically: true, encoding: .utf8)
        func startServer() throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["ip", "netns", "exec", pair.nsB, "python3", Self.supportDir + "/scenario_server.py", serverIP, "\(port)", delayFile]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        var server = try startServer()
        Thread.sleep(forTimeInterval: 1)
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = ["ip", "netns", "exec", pair.nsA, "python3", Self.supportDir + "/scenario_client.py",
                            "http://\(serverIP):\(port)/", "\(Int(4 * Self.phase + 10))", "4"]
        client.standardOutput = FileHandle.nullDevice
        client.standardError = FileHandle.nullDevice
        try client.run()
        defer { if client.isRunning { client.terminate() } }

        let started = Date().timeIntervalSince1970
        Thread.sleep(forTimeInterval: Self.phase)
        let slowAt = Date().timeIntervalSince1970
        try "\(Self.slowDelay)".write(toFile: delayFile, atomically: true, encoding: .utf8)
        Thread.sleep(forTimeInterval: Self.phase)
        let refusedAt = Date().timeIntervalSince1970
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        Thread.sleep(forTimeInterval: Self.phase)
        let goneAt = Date().timeIntervalSince1970
        try Support.run(["ip", "-n", pair.nsB, "addr", "del", "\(serverIP)/24", "dev", pair.receiver])
        Thread.sleep(forTimeInterval: Self.phase)
        client.terminate()
        kill(agent.processIdentifier, SIGTERM)
        agent.waitUntilExit()
        server = Process()

        let seen = try Self.transitions(store: store, service: "\(serverIP):\(port)/tcp")
        let summary = seen.map { "\($0.state)@\(String(format: "%.1f", $0.time - started))" }.joined(separator: " ")
        let twoWindows = 2 * Self.window
        func first(_ state: String, after t: Double) -> Transition? { seen.first { $0.state == state && $0.time >= t } }
        let up = first("UP", after: started - 1)
        #expect(up != nil && up!.time <= started + twoWindows, "UP: \(summary)")
        let degraded = first("DEGRADED", after: slowAt)
        #expect(degraded != nil && degraded!.time <= slowAt + Self.clientLag + Self.slowDelay + twoWindows, "DEGRADED: \(summary)")
        let refused = first("REFUSED", after: refusedAt)
        #expect(refused != nil && refused!.time <= refusedAt + Self.clientLag + twoWindows, "REFUSED: \(summary)")
        let unreachable = first("UNREACHABLE", after: goneAt)
        #expect(unreachable != nil && unreachable!.time <= goneAt + Self.clientLag + Self.synTimeout + twoWindows, "UNREACHABLE: \(summary)")
        print("service scenario transitions: \(summary)")
    }
}
