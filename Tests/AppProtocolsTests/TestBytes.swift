import AppProtocols
import VigieTestSupport

/// Helpers that build payloads for the unit tests.
enum TestBytes {
    /// ASCII text as bytes (HTTP tests).
    static func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// A DNS name in wire form: labels then the root byte.
    static func name(_ dotted: String) -> [UInt8] {
        var out: [UInt8] = []
        for label in dotted.split(separator: ".") {
            out.append(UInt8(label.utf8.count))
            out += Array(label.utf8)
        }
        return out + [0]
    }

    /// A 12-byte DNS header.
    static func dnsHeader(id: UInt16 = 0x1234, flags: UInt16 = 0x0100, qd: UInt16 = 1, an: UInt16 = 0,
                          ns: UInt16 = 0, ar: UInt16 = 0) -> [UInt8] {
        [id, flags, qd, an, ns, ar].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// A DNS query for `name` with QTYPE/QCLASS.
    static func dnsQuery(_ name: String, type: UInt16 = 1, flags: UInt16 = 0x0100) -> [UInt8] {
        dnsHeader(flags: flags) + self.name(name) + be16(type) + be16(1)
    }

    static func be16(_ v: Int) -> [UInt8] { [UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    static func be16(_ v: UInt16) -> [UInt8] { be16(Int(v)) }
    static func be24(_ v: Int) -> [UInt8] { [UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
}

/// Runs the DNS parser over `bytes` and returns the status, summary and decoded name.
func parseDNS(_ bytes: [UInt8], tcp: Bool = false, bufferSize: Int = DNSMessageParser.nameBufferSize)
    -> (DNSParseStatus, DNSSummary, String) {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 1)
    defer { buffer.deallocate() }
    var summary = DNSSummary()
    let status = bytes.withUnsafeBytes { p in
        tcp ? DNSMessageParser.parseTCP(p, into: &summary, name: buffer)
            : DNSMessageParser.parse(p, into: &summary, name: buffer)
    }
    return (status, summary, summary.questionName.string(in: buffer))
}

/// Runs the HTTP parser; returns status, result, and the method/target/host/hostName texts.
func parseHTTP(_ bytes: [UInt8]) -> (HTTPParseStatus, HTTPMessageStart, method: String, target: String, host: String, hostName: String) {
    var out = HTTPMessageStart()
    return bytes.withUnsafeBytes { p in
        let s = HTTPMessageParser.parse(p, into: &out)
        return (s, out, out.methodText.string(in: p), out.target.string(in: p), out.host.string(in: p), out.hostName.string(in: p))
    }
}

/// Runs the TLS scanner; returns status, summary and the SNI text.
func scanTLS(_ bytes: [UInt8]) -> (TLSParseStatus, TLSSummary, String) {
    var out = TLSSummary()
    return bytes.withUnsafeBytes { p in
        let s = TLSRecordScanner.scan(p, into: &out)
        return (s, out, out.serverName.string(in: p))
    }
}
