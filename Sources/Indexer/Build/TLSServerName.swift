/// Finds the server_name extension (RFC 6066 §3) of a TLS ClientHello that starts a TCP payload.
///
/// Only a ClientHello whose bytes up to the extension are in this one packet is read; a hello split
/// over several TCP segments before its SNI is not reassembled (documented in docs/index-format.md).
enum TLSServerName {
    static func find(in p: UnsafeRawBufferPointer, into out: inout NameScratch) -> Bool {
        let n = p.count
        // Record: handshake (22), version 3.x; handshake: ClientHello (1).
        guard n >= 48, p[0] == 22, p[1] == 3, p[5] == 1 else { return false }
        var i = 9 + 2 + 32  // record + handshake headers, client_version, random
        guard i < n else { return false }
        i += 1 + Int(p[i])  // session id
        guard i + 2 <= n else { return false }
        i += 2 + Int(be16(p, i))  // cipher suites
        guard i < n else { return false }
        i += 1 + Int(p[i])  // compression methods
        guard i + 2 <= n else { return false }
        let end = min(n, i + 2 + Int(be16(p, i)))
        i += 2
        while i + 4 <= end {
            let type = be16(p, i)
            let length = Int(be16(p, i + 2))
            i += 4
            if type == 0 {
                // server_name_list: u16 length, then { u8 type, u16 length, name }.
                guard i + 5 <= end, p[i + 2] == 0 else { return false }
                let nameLength = Int(be16(p, i + 3))
                let start = i + 5
                guard nameLength > 0, start + nameLength <= end else { return false }
                out.reset()
                for k in start..<(start + nameLength) { guard out.append(p[k]) else { return false } }
                while out.count > 0 && out.bytes[out.count - 1] == UInt8(ascii: ".") { out.count -= 1 }
                return out.count > 0
            }
            i += length
        }
        return false
    }

    @inline(__always)
    private static func be16(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt16 { UInt16(p[i]) << 8 | UInt16(p[i + 1]) }
}
