/// A parsed agent service id: `address:port/transport`, IPv6 in brackets, optionally scoped to a
/// tenant with a `kind:id/` prefix (`vxlan:100/10.0.0.5:443/tcp`): the `service` of a record, and
/// the id of an endpoint in the server's inventory.
///
/// The tenant prefix names the tunnel identity that separates overlapping address spaces
/// (docs/flows.md, "Tunnels and tenants"): a lower-case kind (`vxlan`, `geneve`, `gre`, `gtp`,
/// `erspan`, `mpls`, `pppoe`) and a decimal 32-bit id. Ids without a prefix are unchanged.
public struct ServiceID: Sendable, Hashable {
    public var address: String
    public var port: Int
    public var transport: String
    /// `kind:id` of a tenant-scoped service (`vxlan:100`); nil for the plain form.
    public var tenant: String?

    /// Whether `text` is a tenant prefix (without its slash): `[a-z][a-z0-9-]*:` and 1–10 digits
    /// of a 32-bit number.
    public static func isTenant(_ text: Substring) -> Bool {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else { return false }
        let kind = text[..<colon], id = text[text.index(after: colon)...]
        guard let first = kind.unicodeScalars.first, ("a"..."z").contains(first),
              kind.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }),
              !id.isEmpty, id.count <= 10, id.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }),
              UInt32(id) != nil else { return false }
        return true
    }

    public init?(_ text: String) {
        var text = Substring(text)
        if let first = text.firstIndex(of: "/"), first != text.lastIndex(of: "/") {
            guard Self.isTenant(text[..<first]) else { return nil }
            tenant = String(text[..<first])
            text = text[text.index(after: first)...]
        } else {
            tenant = nil
        }
        guard let slash = text.lastIndex(of: "/") else { return nil }
        let transport = String(text[text.index(after: slash)...])
        let hostPort = text[..<slash]
        guard !transport.isEmpty, transport.allSatisfy({ $0.isLetter || $0.isNumber }),
              let colon = hostPort.lastIndex(of: ":"), let port = Int(hostPort[hostPort.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        var host = String(hostPort[..<colon])
        guard !host.contains("/") else { return nil }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { return nil }
            host = String(host.dropFirst().dropLast())
            guard host.contains(":") else { return nil }
        } else if host.isEmpty || host.contains(":") {
            return nil
        }
        address = host; self.port = port; self.transport = transport
    }

    /// Whether `ServiceID(text)` would succeed; checks the usual ASCII form on bytes, the rest (tenant
    /// prefixes included) with the initializer.
    public static func isValid(_ text: String) -> Bool {
        var text = text
        let simple = text.withUTF8 { b -> Bool in
            guard let slash = b.lastIndex(of: UInt8(ascii: "/")), slash + 1 < b.count,
                  b[(slash + 1)...].allSatisfy({ ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") || $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let colon = b[..<slash].lastIndex(of: UInt8(ascii: ":")), colon > 0, slash - colon - 1 >= 1, slash - colon - 1 <= 5 else { return false }
            var port = 0
            for c in b[(colon + 1)..<slash] {
                guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return false }
                port = port * 10 + Int(c - UInt8(ascii: "0"))
            }
            guard port <= 65535 else { return false }
            let host = b[..<colon]
            // Non-ASCII, and a slash (a tenant prefix, `vxlan:100/...`), go to the initializer.
            guard host.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: "/") }) else { return false }
            if host.first == UInt8(ascii: "[") {
                return host.count > 2 && host.last == UInt8(ascii: "]") && host.contains(UInt8(ascii: ":"))
            }
            return !host.contains(UInt8(ascii: ":"))
        }
        return simple || ServiceID(text) != nil
    }

    /// The id's text: `[tenant/]address:port/transport`.
    public var text: String {
        let host = address.contains(":") ? "[\(address)]" : address
        return (tenant.map { $0 + "/" } ?? "") + "\(host):\(port)/\(transport)"
    }
}
