import Foundation
import Synchronization

/// Loopback TCP ports for the servers a test starts.
///
/// Why not `Int.random(in: 20_000...40_000)`: two fixtures of one run could draw the same port, and
/// ports above 32768 are in the kernel's ephemeral range, where the suite's own curl connections
/// hold local ports; a server that then fails to bind exits at once and every request of its test
/// fails with status 0 (seen once in CI). Ports here are handed out once per process, below the
/// ephemeral range, and only after a probe bind of 127.0.0.1 and 0.0.0.0 succeeded.
public enum TestPorts {
    /// The next port to probe; starts at a random point so that two test processes rarely overlap.
    private static let cursor = Mutex<Int>(0)

    /// A port nothing listens on or is bound to right now, never returned before in this process.
    public static func unused() -> Int {
        let range = candidateRange
        return cursor.withLock { next in
            if next == 0 { next = Int.random(in: range) }
            for _ in 0..<range.count {
                let port = next
                next = port >= range.upperBound ? range.lowerBound : port + 1
                if isFree(port) { return port }
            }
            return Int.random(in: range)  // everything busy: let the server's bind error tell
        }
    }

    /// 10000 up to the first ephemeral port (`net.ipv4.ip_local_port_range`, 32768 by default).
    static var candidateRange: ClosedRange<Int> {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { Int($0) } ?? 32768
        return 10_000...max(10_001, min(first, 65_536) - 1)
    }

    /// True when a TCP socket binds the port on 127.0.0.1 and on 0.0.0.0 (some tests listen on all addresses).
    static func isFree(_ port: Int) -> Bool {
        canBind(port, address: INADDR_LOOPBACK) && canBind(port, address: INADDR_ANY)
    }

    private static func canBind(_ port: Int, address: UInt32) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        sin.sin_addr.s_addr = address.bigEndian
        return withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
