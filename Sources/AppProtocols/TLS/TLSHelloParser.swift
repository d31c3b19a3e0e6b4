/// ClientHello / ServerHello bodies (RFC 8446 §4.1.2-4.1.3, RFC 5246 §7.4.1) and the extensions
/// the summary needs: server_name (0, RFC 6066 §3) and supported_versions (43, RFC 8446 §4.2.1).
enum TLSHelloParser {
    static let serverNameExtension: UInt16 = 0
    static let supportedVersionsExtension: UInt16 = 43

    static func readClientHello(_ p: PayloadBytes, _ c: inout TLSCursor, into out: inout TLSSummary) -> TLSParseStatus {
        guard !out.hasClientHello else { return .ok }  // only the first hello of the payload
        out.hasClientHello = true
        var s = c.need(2)
        guard s == .ok else { return s }
        out.clientLegacyVersion = p.u16(c.position)
        c.position += 2 + 32  // legacy_version, random
        s = skipVector(p, &c, lengthBytes: 1)  // legacy_session_id
        guard s == .ok else { return s }
        s = skipVector(p, &c, lengthBytes: 2)  // cipher_suites
        guard s == .ok else { return s }
        s = skipVector(p, &c, lengthBytes: 1)  // legacy_compression_methods
        guard s == .ok else { return s }
        return readExtensions(p, &c, into: &out, client: true)
    }

    static func readServerHello(_ p: PayloadBytes, _ c: inout TLSCursor, into out: inout TLSSummary) -> TLSParseStatus {
        guard !out.hasServerHello else { return .ok }
        out.hasServerHello = true
        var s = c.need(2)
        guard s == .ok else { return s }
        out.serverLegacyVersion = p.u16(c.position)
        out.serverSelectedVersion = out.serverLegacyVersion
        c.position += 2 + 32
        s = skipVector(p, &c, lengthBytes: 1)  // legacy_session_id_echo
        guard s == .ok else { return s }
        c.position += 3  // cipher_suite, legacy_compression_method
        return readExtensions(p, &c, into: &out, client: false)
    }

    /// Skips a vector with a 1- or 2-byte length prefix.
    private static func skipVector(_ p: PayloadBytes, _ c: inout TLSCursor, lengthBytes: Int) -> TLSParseStatus {
        let s = c.need(lengthBytes)
        guard s == .ok else { return s }
        let length = lengthBytes == 1 ? Int(p.u8(c.position)) : Int(p.u16(c.position))
        c.position += lengthBytes
        let body = c.need(length)
        // Skipping needs no bytes to be present, only the declared room.
        guard body != .malformedHandshake else { return body }
        c.position += length
        return .ok
    }

    private static func readExtensions(_ p: PayloadBytes, _ c: inout TLSCursor, into out: inout TLSSummary,
                                       client: Bool) -> TLSParseStatus {
        // Hellos without extensions (SSL 3.0 / early TLS) simply end here.
        if c.position == c.declaredEnd { return .ok }
        var s = c.need(2)
        guard s == .ok else { return s }
        guard var list = TLSCursor(position: c.position + 2, declaredEnd: c.declaredEnd,
                                   availableEnd: c.availableEnd).nested(Int(p.u16(c.position))) else {
            return .malformedHandshake
        }
        while list.position < list.declaredEnd {
            s = list.need(4)
            guard s == .ok else { return s }
            let type = p.u16(list.position)
            let length = Int(p.u16(list.position + 2))
            list.position += 4
            guard let ext = list.nested(length) else { return .malformedHandshake }
            switch type {
            case serverNameExtension where client:
                s = readServerName(p, ext, into: &out)
            case supportedVersionsExtension:
                s = client ? readOfferedVersions(p, ext, into: &out) : readSelectedVersion(p, ext, into: &out)
            default:
                s = .ok
            }
            guard s == .ok else { return s }
            list.position += length
        }
        return list.availableEnd < list.declaredEnd ? .incomplete : .ok
    }

    /// server_name_list: u16 length, then entries { u8 name_type, u16 length, bytes }; the first
    /// host_name (type 0) is kept. An empty extension is legal in a ServerHello only, ignored here.
    private static func readServerName(_ p: PayloadBytes, _ ext: TLSCursor, into out: inout TLSSummary) -> TLSParseStatus {
        let c = ext
        if c.declaredEnd == c.position { return .ok }
        var s = c.need(2)
        guard s == .ok else { return s }
        guard var list = TLSCursor(position: c.position + 2, declaredEnd: c.declaredEnd,
                                   availableEnd: c.availableEnd).nested(Int(p.u16(c.position))) else {
            return .malformedHandshake
        }
        while list.position < list.declaredEnd {
            s = list.need(3)
            guard s == .ok else { return s }
            let nameType = p.u8(list.position)
            let length = Int(p.u16(list.position + 1))
            list.position += 3
            s = list.need(length)
            guard s == .ok else { return s }
            if nameType == 0 {
                guard length > 0 else { return .malformedHandshake }
                out.serverName = ByteSpan(offset: list.position, length: length)
                return .ok
            }
            list.position += length
        }
        return .ok
    }

    /// ClientHello supported_versions: u8 length, then 2-byte versions; GREASE values (0x?A?A,
    /// RFC 8701) are skipped.
    private static func readOfferedVersions(_ p: PayloadBytes, _ ext: TLSCursor, into out: inout TLSSummary) -> TLSParseStatus {
        var c = ext
        var s = c.need(1)
        guard s == .ok else { return s }
        let length = Int(p.u8(c.position))
        c.position += 1
        guard length % 2 == 0 else { return .malformedHandshake }
        s = c.need(length)
        guard s == .ok else { return s }
        var best: UInt16 = 0
        for i in stride(from: c.position, to: c.position + length, by: 2) {
            let v = p.u16(i)
            if v & 0x0F0F != 0x0A0A, v > best { best = v }
        }
        out.clientMaxSupportedVersion = best
        return .ok
    }

    /// ServerHello supported_versions: exactly one 2-byte selected version.
    private static func readSelectedVersion(_ p: PayloadBytes, _ ext: TLSCursor, into out: inout TLSSummary) -> TLSParseStatus {
        guard ext.declaredEnd - ext.position == 2 else { return .malformedHandshake }
        let s = ext.need(2)
        guard s == .ok else { return s }
        out.serverSelectedVersion = p.u16(ext.position)
        return .ok
    }
}
