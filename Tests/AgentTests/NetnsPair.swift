import Foundation
import VigieTestSupport

@testable import Agent

/// Two network namespaces joined by a veth pair, for live-capture tests: traffic is replayed
/// into `sender` inside `nsA` and captured on `receiver` inside `nsB`. Nothing touches the host's
/// own namespace or any real network. IPv6 is disabled on both ends so the kernel adds no
/// neighbour-discovery packets of its own.
final class NetnsPair {
    let tag = String(UUID().uuidString.prefix(6)).lowercased()
    var nsA: String { "vga-\(tag)" }
    var nsB: String { "vgb-\(tag)" }
    var sender: String { "vsa\(tag)" }
    var receiver: String { "vsb\(tag)" }

    static var available: Bool {
        Support.isRoot && Support.hasTool("ip") && Support.hasTool("tcpreplay")
    }

    init() throws {
        let steps: [[String]] = [
            ["ip", "netns", "add", nsA], ["ip", "netns", "add", nsB],
            ["ip", "link", "add", sender, "type", "veth", "peer", "name", receiver],
            ["ip", "link", "set", sender, "netns", nsA], ["ip", "link", "set", receiver, "netns", nsB],
            ["ip", "netns", "exec", nsA, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"],
            ["ip", "netns", "exec", nsB, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"],
            ["ip", "netns", "exec", nsA, "ip", "link", "set", sender, "mtu", "9000", "up"],
            ["ip", "netns", "exec", nsB, "ip", "link", "set", receiver, "mtu", "9000", "up"],
        ]
        for s in steps {
            let r = try Support.run(s)
            if r.status != 0 {
                tearDown()
                throw NetnsError(message: "\(s.joined(separator: " ")): \(r.stderr)")
            }
        }
    }

    struct NetnsError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    func tearDown() {
        _ = try? Support.run(["ip", "netns", "del", nsA])
        _ = try? Support.run(["ip", "netns", "del", nsB])
    }

    deinit { tearDown() }

    /// Starts `vigie-agent capture` on the receiver; returns the running process.
    func startAgent(store: String, extra: [String] = []) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["ip", "netns", "exec", nsB, Support.agentBinary, "capture", "--interface", receiver, "--store", store,
                       "--log-level", "warning"] + extra
        // The agent's log goes next to the store, for a failing test to show.
        let log = store + ".log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: log)
        try p.run()
        return p
    }

    /// Replays `file` out of the sender; returns tcpreplay's count of packets it sent.
    func replay(_ file: String, options: [String]) throws -> Int {
        let r = try Support.run(["ip", "netns", "exec", nsA, "tcpreplay", "-i", sender] + options + [file])
        guard r.status == 0 else { throw NetnsError(message: "tcpreplay failed: \(r.stderr)") }
        // "Successful packets:        82582"
        for line in r.stdout.split(separator: "\n") where line.contains("Successful packets:") {
            return Int(line.split(separator: " ").last ?? "") ?? -1
        }
        return -1
    }

    /// Waits until the agent's status file says the capture has started.
    static func waitForStatus(_ store: String, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let report = try? StatusReport.read(layout: StoreLayout(root: store)), report.running { return true }
            usleep(100_000)
        }
        return false
    }
}
