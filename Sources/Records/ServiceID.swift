/// A parsed agent service id: `address:port/transport`, IPv6 in brackets: the `service` of a
/// record, and the id of an endpoint in the server's inventory.
public struct ServiceID: Sendable, Hashable {
    public var address: String
    public var port: Int
    public var transport: String

    public init?(_ text: String) {
        guard let slash = text.lastIndex(of: "/") else { return nil }
        let transport = String(text[text.index(after: slash)...])
        let hostPort = text[..<slash]
        guard !transport.isEmpty, transport.allSatisfy({ $0.isLetter || $0.isNumber }),
              let colon = hostPort.lastIndex(of: ":"), let port = Int(hostPort[hostPort.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        var host = String(hostPort[..<colon])
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { return nil }
            host = String(host.dropFirst().dropLast())
            guard host.contains(":") else { return nil }
        } else if host.isEmpty || host.contains(":") {
            return nil
        }
        address = host; self.port = port; self.transport = transport
    }

    /// Whether `ServiceID(text)` would succeed; checks the usual ASCII form on bytes, the rest with the initializer.
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
            guard host.allSatisfy({ $0 < 0x80 }) else { return false }
            if host.first == UInt8(ascii: "[") {
                return host.count > 2 && host.last == UInt8(ascii: "]") && host.contains(UInt8(ascii: ":"))
            }
            return !host.contains(UInt8(ascii: ":"))
        }
        return simple || ServiceID(text) != nil
    }
}
