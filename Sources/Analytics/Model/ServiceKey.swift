import PacketDecoding

/// The transport of a flow or service, as named in records (`"tcp"`, `"udp"`, ...).
public enum FlowTransport: UInt8, Sendable, Hashable, CaseIterable {
    case tcp, udp, sctp, icmp, icmpv6, other

    /// The lowercase name used in records and service ids.
    public var name: String {
        switch self {
        case .tcp: "tcp"
        case .udp: "udp"
        case .sctp: "sctp"
        case .icmp: "icmp"
        case .icmpv6: "icmp6"
        case .other: "other"
        }
    }
}

/// The application protocol recognised on a flow (by content, not only by port).
public enum ApplicationProtocol: UInt8, Sendable, Hashable, CaseIterable {
    case none, dns, http, tls

    /// The lowercase name used in records, or `nil` for ``none``.
    public var name: String? {
        switch self {
        case .none: nil
        case .dns: "dns"
        case .http: "http"
        case .tls: "tls"
        }
    }
}

/// A service: the server side of flows, `address:port/transport`, scoped to a tenant when its
/// flows came through a tunnel whose identity separates tenants (``TunnelAnalyticsConfig``).
///
/// Its text form (``id``) is the Kafka message key and the server's endpoint id, e.g.
/// `10.0.0.5:443/tcp` or `[2001:db8::1]:53/udp`; a tenant-scoped service's id is prefixed with its
/// tenant and a slash: `vxlan:100/10.0.0.5:443/tcp` (``Records/ServiceID``).
public struct ServiceKey: Sendable, Hashable {
    /// Server address.
    public var address: IPAddress
    /// Server port (0 for transports without ports).
    public var port: UInt16
    /// Transport.
    public var transport: FlowTransport
    /// The tenant (``TenantKey/none`` for untunnelled and non-tenant traffic).
    public var tenant: TenantKey

    public init(address: IPAddress, port: UInt16, transport: FlowTransport, tenant: TenantKey = .none) {
        self.address = address
        self.port = port
        self.transport = transport
        self.tenant = tenant
    }

    /// `[tenant/]address:port/transport`, IPv6 addresses in brackets.
    public var id: String {
        let host = address.isIPv4 ? address.description : "[\(address.description)]"
        if tenant.isTenant { return "\(tenant.name)/\(host):\(port)/\(transport.name)" }
        return "\(host):\(port)/\(transport.name)"
    }

    /// The order of reports (address, port, transport, then tenant; untunnelled services sort as
    /// they always did).
    public static func reportOrder(_ a: ServiceKey, _ b: ServiceKey) -> Bool {
        if a.address != b.address { return a.address < b.address }
        if a.port != b.port { return a.port < b.port }
        if a.transport != b.transport { return a.transport.rawValue < b.transport.rawValue }
        return a.tenant < b.tenant
    }
}
