/// The `tunnel` object of `conn`, `txn`, `edge`, `service_state` and `service_seen` records
/// (docs/records.md, "The tunnel object"): the encapsulation a flow's first packet came through,
/// oriented like the record. Absent for untunnelled traffic.
///
/// ```json
/// "tunnel": {"type": "vxlan", "id": 100, "outer": {"src": "198.51.100.1", "dst": "198.51.100.2",
///            "sport": 51234, "dport": 4789, "proto": 17}, "tenant": "vxlan:100", "layers": ["vxlan"]}
/// ```
///
/// Defined once here: the agent's encoder writes the keys of ``Key`` and readers decode this type
/// (its coding keys are the same names).
public struct TunnelRecord: Sendable, Hashable, Codable {
    /// The keys, as written.
    public enum Key: CaseIterable, Sendable {
        case tunnel, type, id, outer, src, dst, sport, dport, proto, tenant, layers

        public var key: StaticString {
            switch self {
            case .tunnel: "tunnel"
            case .type: "type"
            case .id: "id"
            case .outer: "outer"
            case .src: "src"
            case .dst: "dst"
            case .sport: "sport"
            case .dport: "dport"
            case .proto: "proto"
            case .tenant: "tenant"
            case .layers: "layers"
            }
        }
    }

    /// The outermost IP layer: addresses (`src` on the record's originator / client side), UDP
    /// ports for UDP tunnels, IP protocol.
    public struct Outer: Sendable, Hashable, Codable {
        public var src: String
        public var dst: String
        public var sport: Int?
        public var dport: Int?
        public var proto: Int

        public init(src: String, dst: String, sport: Int? = nil, dport: Int? = nil, proto: Int) {
            self.src = src; self.dst = dst; self.sport = sport; self.dport = dport; self.proto = proto
        }
    }

    /// The innermost encapsulation with an identity: `vxlan`, `geneve`, `gre`, `erspan`, `gtp`,
    /// `ipip`, `mpls`, `mpls-pw`, `pppoe`.
    public var type: String
    /// Its identity (VNI, GRE key, ERSPAN session, TEID, bottom MPLS label, PPPoE session), when it has one.
    public var id: UInt32?
    /// Absent when no IP-level tunnel was walked (an MPLS pseudowire, a PPPoE or MPLS tenant).
    public var outer: Outer?
    /// `kind:id` of the tenant the flow is keyed with (the prefix of its service id), when the
    /// tunnel separates tenants.
    public var tenant: String?
    /// Every encapsulation walked, VLAN tags included.
    public var layers: [String]

    public init(type: String, id: UInt32? = nil, outer: Outer? = nil, tenant: String? = nil, layers: [String] = []) {
        self.type = type; self.id = id; self.outer = outer; self.tenant = tenant; self.layers = layers
    }
}
