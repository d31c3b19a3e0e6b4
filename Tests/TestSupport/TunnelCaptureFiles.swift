import Foundation

/// The captures `Scripts/tunnel_captures.py` writes with Scapy (one per encapsulation, all carrying
/// the same inner story, plus tenants, ERSPAN sessions and hostile tunnels), generated once per test
/// process into a temporary directory that is removed when the process exits. Shared by the
/// decoder, index, analytics and agent tests.
public enum TunnelCaptureFiles {
    /// One capture per encapsulation, each carrying the whole inner story: 20 answered connections
    /// of 9 packets to 192.0.2.10:80 and 20 refused ones of 2 packets to 192.0.2.20:8080.
    public static let story = [
        "vxlan", "geneve", "gre", "gre-eth", "erspan1", "erspan2", "erspan3", "mpls", "mpls-pw-cw", "mpls-pw",
        "pppoe", "ipip", "6in4", "6in6", "gtpu", "vlan3", "llc", "wifi", "radiotap",
    ]

    /// Why the captures are not there (then the tests skip, saying this).
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// The directory holding the captures, or why there is none.
    public static let directory: Result<String, Unavailable> = {
        guard let python = Support.tool("python3") else { return .failure(Unavailable(description: "python3 not found: tunnel capture tests skipped")) }
        let directory = Support.temporaryDirectory("tunnels")
        generatedDirectory = directory
        atexit { if let directory = generatedDirectory { try? FileManager.default.removeItem(atPath: directory) } }
        do {
            let run = try Support.run([python, Support.script("tunnel_captures.py"), directory])
            switch run.status {
            case 0: return .success(directory)
            case 2: return .failure(Unavailable(description: "scapy is not importable (scripts/install-deps.sh --test installs it): tunnel capture tests skipped"))
            default: return .failure(Unavailable(description: "tunnel_captures.py failed (\(run.status)): \(run.stderr)"))
            }
        } catch {
            return .failure(Unavailable(description: "tunnel_captures.py could not run: \(error)"))
        }
    }()

    /// The path of one capture (`name` without `.pcap`), or nil when the captures are unavailable.
    public static func path(_ name: String) -> String? {
        guard case .success(let directory) = directory else { return nil }
        return directory + "/" + name + ".pcap"
    }
}

/// The captures' directory, removed when the test process exits (set once, before any reader).
nonisolated(unsafe) private var generatedDirectory: String?
