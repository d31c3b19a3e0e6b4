import PacketDecoding
import TimeFormat

/// Values of primitives (hosts, networks, ports, protocols, names, MACs, times) and the lifting of
/// time bounds out of the top-level `and` chain.
extension QueryGrammar {
    // MARK: Values

    func value(for q: Qualifiers, _ t: QueryToken) throws(QueryError) -> QueryNode {
        let term: Term
        switch q.kind {
        case .hostOrNet:
            term = t.text.contains("/") ? try network(q, t) : try host(q, t)
        case .host: term = try host(q, t)
        case .net: term = try network(q, t)
        case .port:
            let p = try port(t.text, t)
            term = .port(p...p, q.direction)
        case .portrange:
            let parts = t.text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw error(.badPort, t, "expected a port range like 1024-2047, found '\(t.text)'") }
            let lo = try port(String(parts[0]), t), hi = try port(String(parts[1]), t)
            guard lo <= hi else { throw error(.badPort, t, "port range \(lo)-\(hi) is inverted") }
            term = .port(lo...hi, q.direction)
        case .proto(let family):
            term = .ipProtocol(try protocolNumber(t), family)
        case .vlan:
            guard let id = UInt16(t.text), id <= 4095 else { throw error(.badNumber, t, "VLAN id must be 0-4095, found '\(t.text)'") }
            term = .vlan(id)
        case .ether:
            guard let mac = Self.parseMAC(t.text) else { throw error(.badAddress, t, "expected a MAC address like 00:1a:2b:3c:4d:5e, found '\(t.text)'") }
            term = .ether(mac, q.direction)
        case .application(let field):
            term = .application(field, try namePattern(t))
        case .tunnel(let kind):
            term = .tunnel(kind, try tunnelID(kind, t))
        }
        let node = wrap(term, q)
        return q.outer ? try outerNode(node, at: t) : node
    }

    /// A tunnel identifier: decimal or `0x` hexadecimal, at most the encapsulation's largest.
    func tunnelID(_ kind: TunnelTerm, _ t: QueryToken) throws(QueryError) -> UInt32 {
        let text = t.lower
        let value = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        guard let value, value <= UInt64(kind.maxID) else {
            throw error(.badNumber, t, "\(kind.idName) must be 0-\(kind.maxID), found '\(t.text)'")
        }
        return UInt32(value)
    }

    /// `node` (a primitive, perhaps with its protocol qualifier) moved to the outer layer.
    func outerNode(_ node: QueryNode, at t: QueryToken) throws(QueryError) -> QueryNode {
        switch node {
        case .term(let term):
            switch term {
            case .address, .port, .ipProtocol, .network(.ip), .network(.ip6): return .term(.outer(term))
            case .outer: throw error(.badQualifier, t, "'outer' is given twice")
            default:
                throw error(.badQualifier, t, "'outer' applies to host, net, port, portrange, proto, ip, ip6, tcp, udp, sctp, icmp and icmp6")
            }
        case .and(let a, let b): return .and(try outerNode(a, at: t), try outerNode(b, at: t))
        default:
            throw error(.badQualifier, t, "'outer' applies to host, net, port, portrange, proto, ip, ip6, tcp, udp, sctp, icmp and icmp6")
        }
    }

    /// Adds the protocol qualifier: `ip host A` is `ip and host A`, `tcp port 80` is `tcp and port 80`.
    func wrap(_ term: Term, _ q: Qualifiers) -> QueryNode {
        guard let p = q.protocolQualifier else { return .term(term) }
        return .and(.term(standalone(p)), .term(term))
    }

    func host(_ q: Qualifiers, _ t: QueryToken) throws(QueryError) -> Term {
        guard let address = IPAddress(t.text) else {
            if t.text.contains("/") { throw error(.badAddress, t, "'\(t.text)' is a network: use 'net'") }
            throw error(.badAddress, t, "'\(t.text)' is not an IPv4 or IPv6 address (host names are not resolved)")
        }
        try checkFamily(q, address, t)
        return .address(AddressPrefix(address: address, length: address.isIPv4 ? 32 : 128), q.direction)
    }

    func network(_ q: Qualifiers, _ t: QueryToken) throws(QueryError) -> Term {
        let parts = t.text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else {
            throw error(.badNetwork, t, "expected a network like 10.0.0.0/8 or 2001:db8::/32, found '\(t.text)'")
        }
        let maxLength = address.isIPv4 ? 32 : 128
        var length = maxLength
        if parts.count == 2 {
            guard let l = Int(parts[1]), l >= 0, l <= maxLength else {
                throw error(.badNetwork, t, "prefix length must be 0-\(maxLength), found '\(parts[1])'")
            }
            length = l
        }
        let prefix = AddressPrefix(address: address, length: length)
        let hostBits: Bool
        if address.isIPv4 {
            hostBits = UInt32(truncatingIfNeeded: address.low) != prefix.ipv4Range.lowerBound
        } else {
            let (lo, _) = prefix.ipv6Range
            hostBits = lo.hi != address.high || lo.lo != address.low
        }
        if hostBits { throw error(.badNetwork, t, "non-network bits set in '\(t.text)'") }
        try checkFamily(q, address, t)
        return .address(prefix, q.direction)
    }

    func checkFamily(_ q: Qualifiers, _ address: IPAddress, _ t: QueryToken) throws(QueryError) {
        guard let p = q.protocolQualifier else { return }
        let v4Only = p.lower == "ip" || p.lower == "arp" || p.lower == "rarp"
        if v4Only && !address.isIPv4 { throw error(.badAddress, t, "'\(p.text)' takes an IPv4 address") }
        if p.lower == "ip6" && address.isIPv4 { throw error(.badAddress, t, "'ip6' takes an IPv6 address") }
    }

    func port(_ text: String, _ t: QueryToken) throws(QueryError) -> UInt16 {
        guard let p = UInt16(text) else { throw error(.badPort, t, "port must be a number 0-65535, found '\(text)'") }
        return p
    }

    func protocolNumber(_ t: QueryToken) throws(QueryError) -> UInt8 {
        if let n = UInt8(t.text) { return n }
        switch t.lower {
        case "icmp": return 1
        case "igmp": return 2
        case "tcp": return 6
        case "udp": return 17
        case "gre": return 47
        case "esp": return 50
        case "ah": return 51
        case "icmp6": return 58
        case "sctp": return 132
        default: throw error(.badNumber, t, "protocol must be 0-255 or a name (tcp, udp, icmp, ...), found '\(t.text)'")
        }
    }

    func namePattern(_ t: QueryToken) throws(QueryError) -> NamePattern {
        let text = t.text
        let body = text.hasPrefix("*.") ? String(text.dropFirst(2)) : text == "*" ? "" : text
        if body.contains("*") { throw error(.badName, t, "'*' is only allowed as a leading '*.' (a suffix match)") }
        if text != "*" && (body.isEmpty || body.hasPrefix(".") || body.utf8.count > 253) {
            throw error(.badName, t, "'\(text)' is not a valid name")
        }
        return NamePattern(text)
    }

    mutating func parseTime(after keyword: QueryToken) throws(QueryError) -> Int64 {
        let t = try expectWord("a time after '\(keyword.text)'")
        if t.lower == "now" { return now }
        switch RFC3339.parseAbsolute(t.text) {
        case .time(let absolute): return absolute
        case .outOfRange: throw error(.timeOutOfRange, t, "'\(t.text)' is out of range: \(RFC3339.rangeDescription)")
        case .invalid: break
        }
        if Self.looksLikeDuration(t.lower) {
            guard let ago = peek, ago.lower == "ago" else {
                throw error(.badTime, t, "a relative time needs 'ago', as in '\(t.text) ago'")
            }
            index += 1
            guard let d = TimeParser.duration(t.lower), let value = TimeParser.ago(d, from: now) else {
                throw error(.timeOutOfRange, t, "'\(t.text) ago' is out of range: \(RFC3339.rangeDescription)")
            }
            return value
        }
        throw error(.badTime, t, "expected an RFC 3339 time (2026-11-23T14:05:00Z), a date, 'now' or '15m ago', found '\(t.text)'")
    }

    /// Digits followed by one unit letter (`15m`, `4000000w`), whatever its size.
    static func looksLikeDuration(_ text: String) -> Bool {
        guard let unit = text.utf8.last, "smhdw".utf8.contains(unit), text.utf8.count >= 2 else { return false }
        return text.utf8.dropLast().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    static func parseMAC(_ text: String) -> UInt64? {
        let parts = text.split(omittingEmptySubsequences: false) { $0 == ":" || $0 == "-" }
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for p in parts {
            guard p.count >= 1, p.count <= 2, let b = UInt8(p, radix: 16) else { return nil }
            value = value << 8 | UInt64(b)
        }
        return value
    }

    // MARK: Time bounds

    /// Removes the time bounds from the top-level `and` chain; a bound anywhere else is an error.
    func lift(_ node: QueryNode, topLevel: Bool, after: inout (Int64, QueryToken)?, before: inout (Int64, QueryToken)?) throws(QueryError) -> Filter? {
        switch node {
        case .term(let t):
            return .term(t)
        case .time(let isAfter, let value, let token):
            guard topLevel else {
                throw error(.misplacedTimeBound, token, "'\(token.text)' must be joined to the query with 'and', outside 'or' and 'not'")
            }
            if isAfter {
                if after == nil || value > after?.0 ?? .min { after = (value, token) }
            } else {
                if before == nil || value < before?.0 ?? .max { before = (value, token) }
            }
            return nil
        case .and(let a, let b):
            let x = try lift(a, topLevel: topLevel, after: &after, before: &before)
            let y = try lift(b, topLevel: topLevel, after: &after, before: &before)
            switch (x, y) {
            case (nil, nil): return nil
            case (let x?, nil): return x
            case (nil, let y?): return y
            case (let x?, let y?): return .and(x, y)
            }
        case .or(let a, let b):
            guard let x = try lift(a, topLevel: false, after: &after, before: &before),
                  let y = try lift(b, topLevel: false, after: &after, before: &before) else { return nil }
            return .or(x, y)
        case .not(let a):
            guard let x = try lift(a, topLevel: false, after: &after, before: &before) else { return nil }
            return .not(x)
        }
    }
}
