import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Address text ↔ bytes (inet_pton / inet_ntop), total on any input.
enum IPAddressText {
    static func parse(_ s: String) -> [UInt8]? {
        guard !s.isEmpty, s.utf8.count <= 64, s.allSatisfy({ $0.isASCII && ($0.isHexDigit || $0 == "." || $0 == ":") }) else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, s, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// `::ffff:a.b.c.d` → a.b.c.d (so that an IPv4 allow-list entry covers it).
    static func unmapped(_ a: [UInt8]) -> [UInt8] {
        if a.count == 16 && a[0..<10].allSatisfy({ $0 == 0 }) && a[10] == 0xFF && a[11] == 0xFF { return Array(a[12..<16]) }
        return a
    }

    static func format(_ a: [UInt8]) -> String {
        if a.count == 4 { return a.map(String.init).joined(separator: ".") }
        var buffer = [CChar](repeating: 0, count: 64)
        var raw = in6_addr()
        guard a.count == 16 else { return "?" }
        withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: a) }
        guard inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func isLoopback(_ a: [UInt8]) -> Bool {
        let u = unmapped(a)
        return (u.count == 4 && u[0] == 127) || u == [UInt8](repeating: 0, count: 15) + [1]
    }

    static func isWildcard(_ a: [UInt8]) -> Bool { a.allSatisfy { $0 == 0 } }

    /// The addresses of this machine's interfaces.
    static func localAddresses() -> [[UInt8]] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var out: [[UInt8]] = []
        var p: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = p {
            if let sa = entry.pointee.ifa_addr { if let a = bytes(of: sa) { out.append(a) } }
            p = entry.pointee.ifa_next
        }
        return out
    }

    static func bytes(of sa: UnsafePointer<sockaddr>) -> [UInt8]? {
        switch Int32(sa.pointee.sa_family) {
        case AF_INET:
            return sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in var a = p.pointee.sin_addr; return withUnsafeBytes(of: &a) { Array($0) } }
        case AF_INET6:
            return sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in var a = p.pointee.sin6_addr; return withUnsafeBytes(of: &a) { Array($0) } }
        default: return nil
        }
    }

    /// getaddrinfo (blocking: call it from a thread of its own). Empty when the name does not resolve.
    static func resolve(_ host: String) -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(result) }
        var out: [[UInt8]] = []
        var p: UnsafeMutablePointer<addrinfo>? = first
        while let entry = p {
            if let sa = entry.pointee.ai_addr, let a = bytes(of: sa), !out.contains(a) { out.append(a) }
            p = entry.pointee.ai_next
        }
        return out
    }
}

/// An agent's query API, parsed strictly: `http(s)://HOST:PORT[/base]`, no userinfo, query,
/// fragment, percent-encoding or dot segments; HOST an IP literal (IPv6 in brackets) or a DNS name.
public struct QueryAPI: Sendable, Hashable {
    var https: Bool
    /// The host as written (IPv6 without brackets).
    var host: String
    /// The address when the host is an IP literal.
    var literal: [UInt8]?
    var port: Int
    /// "" or `/segment[/segment…]`, without a trailing slash.
    var basePath: String

    public struct Invalid: Error, CustomStringConvertible { public var description: String }

    public static func parse(_ text: String) throws(Invalid) -> QueryAPI {
        guard text.utf8.count <= 512 else { throw Invalid(description: "longer than 512 bytes") }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw Invalid(description: "not printable ASCII without spaces") }
        for (c, what) in [("@", "user information"), ("#", "a fragment"), ("?", "a query"), ("%", "percent-encoding"), ("\\", "a backslash")]
        where text.contains(c) { throw Invalid(description: "it holds \(what) ('\(c)')") }
        let lower = text.lowercased()
        let https: Bool
        let rest: Substring
        if lower.hasPrefix("https://") { https = true; rest = text.dropFirst(8) } else if lower.hasPrefix("http://") { https = false; rest = text.dropFirst(7) } else {
            throw Invalid(description: "not http://HOST:PORT or https://HOST:PORT")
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        var path = String(rest[slash...])
        while path.hasSuffix("/") { path.removeLast() }
        let host: String, portText: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]"), authority[authority.index(after: close)...].hasPrefix(":") else {
                throw Invalid(description: "an IPv6 host must be [ADDRESS]:PORT")
            }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            portText = authority[authority.index(close, offsetBy: 2)...]
        } else {
            guard let colon = authority.lastIndex(of: ":") else { throw Invalid(description: "the port is missing (HOST:PORT)") }
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portText), (1...65535).contains(port) else {
            throw Invalid(description: "the port must be 1...65535")
        }
        let literal = IPAddressText.parse(host)
        if authority.hasPrefix("[") && literal?.count != 16 { throw Invalid(description: "'[\(host)]' is not an IPv6 address") }
        if literal == nil {
            let labels = host.split(separator: ".", omittingEmptySubsequences: false)
            guard !host.isEmpty, host.utf8.count <= 253,
                  labels.allSatisfy({ !$0.isEmpty && $0.count <= 63 && !$0.hasPrefix("-") && !$0.hasSuffix("-")
                                      && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") } }),
                  !labels.allSatisfy({ $0.allSatisfy(\.isNumber) }) else {
                throw Invalid(description: "'\(host)' is not an IP address or a DNS name")
            }
        }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            guard !segment.isEmpty, segment != ".", segment != "..",
                  segment.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._~".contains($0)) }) else {
                throw Invalid(description: "the base path must be /SEGMENT[/SEGMENT…] of letters, digits, '-', '.', '_', '~' (no '.' or '..')")
            }
        }
        return QueryAPI(https: https, host: host.lowercased(), literal: literal, port: port, basePath: path)
    }

    /// The URL of `path` (which starts with `/`, and may carry a query).
    func url(_ path: String) -> String {
        let h = literal?.count == 16 ? "[\(host)]" : host
        return "\(https ? "https" : "http")://\(h):\(port)\(basePath)\(path)"
    }
}
