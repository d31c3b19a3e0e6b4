/// Which packet fields a segment index holds: the indexer's configuration.
///
/// The default set answers every network/transport term of the query language. The optional fields
/// cost index space and ingest time, so a user turns them on:
/// - `mac`: Ethernet source/destination addresses (per packet);
/// - `dns.qname`, `http.host`, `tls.sni`: application names, which attach to the whole flow that
///   carried them (see docs/index-format.md).
///
/// A query that needs a field a segment's index lacks still answers correctly: that segment is
/// scanned (see ``QueryRequest/allowScan``).
public struct IndexFieldSet: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IPv4 and IPv6 source/destination addresses (and ARP/RARP sender/target, as BPF `host` does).
    public static let addresses = IndexFieldSet(rawValue: 1 << 0)
    /// TCP/UDP/SCTP source and destination ports.
    public static let ports = IndexFieldSet(rawValue: 1 << 1)
    /// IP protocol (IPv4 protocol; IPv6 next header and the one after a fragment header).
    public static let ipProtocol = IndexFieldSet(rawValue: 1 << 2)
    /// VLAN ids of the first two tags.
    public static let vlan = IndexFieldSet(rawValue: 1 << 3)
    /// Ethernet source and destination addresses (optional).
    public static let mac = IndexFieldSet(rawValue: 1 << 4)
    /// DNS question names (optional, per flow).
    public static let dnsQueryName = IndexFieldSet(rawValue: 1 << 5)
    /// HTTP/1.x request Host header (optional, per flow).
    public static let httpHost = IndexFieldSet(rawValue: 1 << 6)
    /// TLS ClientHello server name (optional, per flow).
    public static let tlsServerName = IndexFieldSet(rawValue: 1 << 7)

    /// Tunnels and encapsulations: the innermost packet's fields go to the fields above, and the
    /// outer IP layer and the tunnel identifiers (VNI, GRE key, MPLS labels, ...) to their own
    /// sections (`outer ...`, `vxlan N`, `gre N`, ... terms). Without it the fields above describe
    /// what BPF sees (the outer packet) and no decoder runs on the packet path.
    public static let tunnels = IndexFieldSet(rawValue: 1 << 8)

    /// What is indexed unless configured otherwise.
    public static let `default`: IndexFieldSet = [.addresses, .ports, .ipProtocol, .vlan, .tunnels]
    /// The application fields, which need the per-flow index.
    public static let application: IndexFieldSet = [.dnsQueryName, .httpHost, .tlsServerName]
    /// Every field.
    public static let all: IndexFieldSet = [.default, .mac, .application]

    /// Configuration names, in the order `names` lists them.
    static let table: [(String, IndexFieldSet)] = [
        ("addresses", .addresses), ("ports", .ports), ("proto", .ipProtocol), ("vlan", .vlan), ("tunnels", .tunnels),
        ("mac", .mac), ("dns.qname", .dnsQueryName), ("http.host", .httpHost), ("tls.sni", .tlsServerName),
    ]

    /// Parses configuration names: `default`, `all`, `addresses`, `ports`, `proto`, `vlan`, `tunnels`, `mac`,
    /// `dns.qname`, `http.host`, `tls.sni`. An empty list is the default set. Unknown names throw.
    public init(names: [String]) throws(IndexConfigError) {
        if names.isEmpty {
            self = .default
            return
        }
        var set: IndexFieldSet = []
        for name in names {
            let key = name.lowercased()
            if key == "default" { set.formUnion(.default); continue }
            if key == "all" { set.formUnion(.all); continue }
            guard let entry = Self.table.first(where: { $0.0 == key }) else {
                throw IndexConfigError(name: name, valid: ["default", "all"] + Self.table.map(\.0))
            }
            set.formUnion(entry.1)
        }
        self = set
    }

    /// The configuration names of the fields in the set.
    public var names: [String] { Self.table.filter { contains($0.1) }.map(\.0) }

    /// Whether the per-flow index is needed (any application field is on).
    public var needsFlows: Bool { !intersection(.application).isEmpty }

    public var description: String { names.joined(separator: ",") }
}

/// An unknown index field name in the configuration.
public struct IndexConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The name as configured.
    public var name: String
    /// The names accepted.
    public var valid: [String]
    public var description: String { "unknown index field '\(name)' (valid: \(valid.joined(separator: ", ")))" }
}
