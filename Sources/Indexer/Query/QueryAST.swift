import PacketDecoding

/// A parsed query: a packet filter plus optional time bounds. Produced by ``QueryParser``.
public struct Query: Sendable, Hashable {
    /// The packet filter; nil selects every packet (a time-range-only query).
    public var filter: Filter?
    /// Earliest packet time selected (inclusive), nanoseconds since the epoch.
    public var after: Int64?
    /// Packet times selected are strictly before this, nanoseconds since the epoch.
    public var before: Int64?

    /// Creates a query (normally done by ``QueryParser``).
    public init(filter: Filter?, after: Int64? = nil, before: Int64? = nil) {
        self.filter = filter
        self.after = after
        self.before = before
    }

    /// The index fields needed to answer the filter from an index (else the segment is scanned).
    public var requiredFields: IndexFieldSet { filter?.requiredFields ?? [] }
}

/// A boolean combination of terms. Each term selects a set of packets; `and`, `or` and `not` are
/// set intersection, union and complement (see docs/query-language.md for how this relates to BPF).
public indirect enum Filter: Sendable, Hashable {
    case term(Term)
    case and(Filter, Filter)
    case or(Filter, Filter)
    case not(Filter)

    var requiredFields: IndexFieldSet {
        switch self {
        case .term(let t): t.requiredFields
        case .and(let a, let b), .or(let a, let b): a.requiredFields.union(b.requiredFields)
        case .not(let a): a.requiredFields
        }
    }

    /// Every application term in the filter (they are resolved to flows before evaluation).
    var applicationTerms: [Term] {
        switch self {
        case .term(let t):
            if case .application = t { return [t] }
            return []
        case .and(let a, let b), .or(let a, let b): return a.applicationTerms + b.applicationTerms
        case .not(let a): return a.applicationTerms
        }
    }
}

/// One primitive of the query language.
public enum Term: Sendable, Hashable {
    /// `host A`, `net CIDR` (with `src`/`dst` qualifiers): IPv4 or IPv6 address in a prefix. IPv4
    /// terms also match the ARP/RARP sender (src) and target (dst) addresses, as BPF does.
    case address(AddressPrefix, Direction)
    /// `port N`, `portrange A-B`: TCP, UDP or SCTP ports (not in non-first IPv4 fragments).
    case port(ClosedRange<UInt16>, Direction)
    /// `proto N`, `tcp`, `udp`, `sctp` (both families), `icmp` (IPv4), `icmp6` (IPv6), `ip proto N`...
    case ipProtocol(UInt8, IPFamily?)
    /// `ip`, `ip6`, `arp`, `rarp`.
    case network(NetworkKind)
    /// `vlan` (any tag) or `vlan N` (the first or second tag has id N).
    case vlan(UInt16?)
    /// `ether host M`, `ether src M`, `ether dst M` (optional `mac` field).
    case ether(UInt64, Direction)
    /// `dns.qname N`, `http.host N`, `tls.sni N`: every packet of the flows that carried the name.
    case application(ApplicationField, NamePattern)
    /// `vxlan [VNI]`, `geneve [VNI]`, `mpls [LABEL]`, `gre [KEY]`, `erspan [SESSION]`, `pppoes [ID]`,
    /// `gtp [TEID]`: packets that went through that encapsulation (with that identifier).
    case tunnel(TunnelTerm, UInt32?)
    /// `outer T`: term `T` (address, port, protocol, `ip`, `ip6`) on the outermost IP layer of a
    /// tunnelled packet, or on the packet itself when it is not tunnelled.
    indirect case outer(Term)

    var requiredFields: IndexFieldSet {
        switch self {
        case .address: .addresses
        case .port: .ports
        case .ipProtocol: .ipProtocol
        case .network: []
        case .vlan(let id): id == nil ? [] : .vlan
        case .ether: .mac
        case .application(let field, _): field.indexField
        case .tunnel: .tunnels
        case .outer(let t): t.requiredFields.union(.tunnels)
        }
    }
}

/// The encapsulations a query term names.
public enum TunnelTerm: String, Sendable, Hashable, CaseIterable {
    case vxlan, geneve, mpls, gre, erspan, pppoes, gtp

    /// The decoder's kind (the index keys on its raw value).
    public var kind: EncapsulationKind {
        switch self {
        case .vxlan: .vxlan
        case .geneve: .geneve
        case .mpls: .mpls
        case .gre: .gre
        case .erspan: .erspan
        case .pppoes: .pppoe
        case .gtp: .gtpU
        }
    }

    /// The largest identifier the encapsulation can carry.
    public var maxID: UInt32 {
        switch self {
        case .vxlan, .geneve: (1 << 24) - 1
        case .mpls: (1 << 20) - 1
        case .erspan: 1023
        case .pppoes: 65535
        case .gre, .gtp: .max
        }
    }

    /// What the identifier is called, for messages.
    var idName: String {
        switch self {
        case .vxlan: "VXLAN VNI"
        case .geneve: "Geneve VNI"
        case .mpls: "MPLS label"
        case .gre: "GRE key"
        case .erspan: "ERSPAN session id"
        case .pppoes: "PPPoE session id"
        case .gtp: "GTP-U TEID"
        }
    }
}

/// Which addresses or ports of a packet a term compares.
public enum Direction: Sendable, Hashable {
    /// Either end (`host`, `port`, `src or dst`).
    case either
    /// The source (`src`).
    case source
    /// The destination (`dst`).
    case destination
    /// Both ends (`src and dst`).
    case both
}

/// An IP version, to restrict a protocol term (`icmp` is IPv4 only, `ip6 proto N`...).
public enum IPFamily: Sendable, Hashable {
    case v4
    case v6
}

/// The network layer a packet carries; the raw value is the EtherType BPF compares.
public enum NetworkKind: UInt16, Sendable, Hashable {
    case ip = 0x0800
    case ip6 = 0x86DD
    case arp = 0x0806
    case rarp = 0x8035
}

/// An address and a prefix length (`/32` or `/128` for a host).
public struct AddressPrefix: Sendable, Hashable {
    /// The network address (bits past the prefix are zero).
    public var address: IPAddress
    /// Prefix length: 0–32 for IPv4, 0–128 for IPv6.
    public var length: Int

    /// Creates a prefix.
    public init(address: IPAddress, length: Int) {
        self.address = address
        self.length = length
    }

    /// Whether this is an IPv4 prefix.
    public var isIPv4: Bool { address.isIPv4 }

    /// The smallest and largest 32-bit key covered (IPv4).
    var ipv4Range: ClosedRange<UInt32> {
        let value = UInt32(truncatingIfNeeded: address.low)
        let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
        return (value & mask)...(value | ~mask)
    }

    /// The smallest and largest 128-bit key covered (IPv6).
    var ipv6Range: (Key128, Key128) {
        let bits = length
        let hiMask: UInt64 = bits >= 64 ? ~0 : bits == 0 ? 0 : ~UInt64(0) << UInt64(64 - bits)
        let loMask: UInt64 = bits <= 64 ? 0 : bits >= 128 ? ~0 : ~UInt64(0) << UInt64(128 - bits)
        return (Key128(hi: address.high & hiMask, lo: address.low & loMask),
                Key128(hi: address.high | ~hiMask, lo: address.low | ~loMask))
    }
}

/// The application fields a term can name.
public enum ApplicationField: String, Sendable, Hashable, CaseIterable {
    case dnsQueryName = "dns.qname"
    case httpHost = "http.host"
    case tlsServerName = "tls.sni"

    var indexField: IndexFieldSet {
        switch self {
        case .dnsQueryName: .dnsQueryName
        case .httpHost: .httpHost
        case .tlsServerName: .tlsServerName
        }
    }

    var fieldID: FieldID {
        switch self {
        case .dnsQueryName: .dnsQueryName
        case .httpHost: .httpHost
        case .tlsServerName: .tlsServerName
        }
    }
}

/// A name to match: exact (case-insensitive, trailing dot ignored) or, written `*.example.com`,
/// any name ending in `.example.com` (not `example.com` itself). `*` alone matches any name.
public struct NamePattern: Sendable, Hashable {
    /// The name as written, without the `*.` prefix.
    public var name: String
    /// `*.name`: any name ending in `.name`.
    public var isSuffix: Bool
    /// The stored (reversed-label) form to look up; for a suffix, the byte prefix to range over.
    let reversedBytes: [UInt8]

    /// Parses `name`, `*.suffix` or `*`.
    public init(_ text: String) {
        if text == "*" {
            name = ""
            isSuffix = true
            reversedBytes = []
        } else if text.hasPrefix("*.") {
            name = String(text.dropFirst(2))
            isSuffix = true
            reversedBytes = ReversedName.reversed(name) + [UInt8(ascii: ".")]
        } else {
            name = text
            isSuffix = false
            reversedBytes = ReversedName.reversed(text)
        }
    }
}
