import Foundation

/// Where notifications may go (`--notify-allow`, the notifications file's `allow:`): the
/// addresses a receiver's host resolves to must all lie inside one of these networks, and the
/// connection is pinned to them (a DNS answer that changes between the check and the connect
/// cannot lead elsewhere). Default: loopback only.
public struct NotificationAllowList: Sendable {
    public private(set) var ranges: [AddressRange]

    public static let loopback: [AddressRange] = {
        var r: [AddressRange] = []
        for text in ["127.0.0.0/8", "::1/128"] { if let a = try? AddressRange(parsing: text) { r.append(a) } }
        return r
    }()

    /// `cidrs` empty: loopback only.
    public init(cidrs: [String]) throws(AddressRange.Invalid) {
        var r: [AddressRange] = []
        for c in cidrs { r.append(try AddressRange(parsing: c)) }
        ranges = r.isEmpty ? Self.loopback : r
    }

    public struct Refused: Error, Sendable, CustomStringConvertible { public var description: String }

    /// The addresses of `host` (an IP literal or a DNS name), all inside the list, or why not.
    /// Blocking (getaddrinfo): call it off the async pool.
    public func addresses(of host: String) -> Result<[[UInt8]], Refused> {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let addresses = IPAddressText.parse(bare).map { [$0] } ?? IPAddressText.resolve(bare)
        guard !addresses.isEmpty else { return .failure(Refused(description: "host '\(host)' does not resolve")) }
        for a in addresses where !ranges.contains(where: { $0.contains(a) }) {
            return .failure(Refused(description: "\(host): address \(IPAddressText.format(IPAddressText.unmapped(a))) is outside the notification allow-list (\(ranges.map(\.description).joined(separator: ", "))); add it with --notify-allow CIDR or 'allow:' in the notifications file"))
        }
        return .success(addresses.map(IPAddressText.unmapped))
    }

    /// A webhook URL checked: its CURLOPT_RESOLVE pins (`HOST:PORT:ADDRESS`), or why it is refused.
    public func pins(url: String) -> Result<[String], Refused> {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = parts.host, !host.isEmpty else {
            return .failure(Refused(description: "'\(url)' is not an http:// or https:// URL"))
        }
        let port = parts.port ?? (scheme == "https" ? 443 : 80)
        switch addresses(of: host) {
        case .failure(let e): return .failure(e)
        case .success(let addresses):
            let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            // A literal needs no pin (and libcurl wants the host as written in the URL).
            if IPAddressText.parse(bare) != nil { return .success([]) }
            return .success(addresses.map { a in
                let text = IPAddressText.format(a)
                return "\(host):\(port):\(a.count == 16 ? "[\(text)]" : text)"
            })
        }
    }
}
