import Foundation

/// The captures `Scripts/tunnel_captures.py` writes with Scapy (one per encapsulation, all carrying
/// the same inner story, plus tenants, ERSPAN sessions and hostile tunnels), generated once per test
/// process (``ScriptCaptures``). Shared by the
/// decoder, index, analytics and agent tests.
public enum TunnelCaptureFiles {
    /// One capture per encapsulation, each carrying the whole inner story: 20 answered connections
    /// of 9 packets to 192.0.2.10:80 and 20 refused ones of 2 packets to 192.0.2.20:8080.
    public static let story = [
        "vxlan", "geneve", "gre", "gre-eth", "erspan1", "erspan2", "erspan3", "mpls", "mpls-pw-cw", "mpls-pw",
        "pppoe", "ipip", "6in4", "6in6", "gtpu", "vlan3", "llc", "wifi", "radiotap",
    ]

    /// Why the captures are not there (then the tests skip, saying this).
    public typealias Unavailable = ScriptCaptures.Unavailable

    static let generated = ScriptCaptures(script: "tunnel_captures.py", purpose: "tunnels")

    /// The directory holding the captures, or why there is none.
    public static var directory: Result<String, Unavailable> { generated.directory }

    /// The path of one capture (`name` without `.pcap`), or nil when the captures are unavailable.
    public static func path(_ name: String) -> String? { generated.path(name) }
}
