/// TLS 1.3 handshake messages as seen on the wire (everything after ServerHello is encrypted,
/// so only ClientHello, ServerHello and ChangeCipherSpec are structured).
///
/// Randoms, the session id and key shares come from `Message.sessionSalt`, so the server
/// echoes the client's session id as real servers do.
enum TLSHandshake {
    /// Positions in the session's random stream.
    private static let clientRandom = 0, sessionID = 64, clientKey = 128, serverRandom = 256, serverKey = 320,
        finished = 400
    private static let cipherSuites: [UInt16] = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9,
                                                 0xCCA8, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]
    private static let signatureAlgorithms: [UInt16] = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]

    /// A Chrome-like ClientHello with SNI, ALPN and padding to 512 bytes.
    static func clientHello(_ m: Message, host names: ByteTable, _ c: inout ByteCursor) {
        c.u8(0x16)
        c.u16(0x0301)
        let recordLengthAt = c.offset
        c.u16(0)
        let handshakeStart = c.offset
        c.u8(1)
        c.u24(0)
        c.u16(0x0303)
        c.opaque(32, salt: m.sessionSalt, at: clientRandom)
        c.u8(32)
        c.opaque(32, salt: m.sessionSalt, at: sessionID)
        c.u16(UInt16(cipherSuites.count * 2))
        for s in cipherSuites { c.u16(s) }
        c.u8(1)
        c.u8(0)
        let extensionsLengthAt = c.offset
        c.u16(0)
        // server_name
        let n = names.length(Int(m.name))
        c.u16(0x0000); c.u16(UInt16(n + 5)); c.u16(UInt16(n + 3)); c.u8(0); c.u16(UInt16(n))
        c.put(names.pointer(Int(m.name)), n)
        c.u16(0x0017); c.u16(0)                                   // extended_master_secret
        c.u16(0xFF01); c.u16(1); c.u8(0)                          // renegotiation_info
        c.u16(0x000A); c.u16(8); c.u16(6); c.u16(0x001D); c.u16(0x0017); c.u16(0x0018)  // groups
        c.u16(0x000B); c.u16(2); c.u8(1); c.u8(0)                 // ec_point_formats
        c.u16(0x0023); c.u16(0)                                   // session_ticket
        switch m.variant {
        case ALPNChoice.web:
            c.u16(0x0010); c.u16(14); c.u16(12); c.u8(2); c.put("h2"); c.u8(8); c.put("http/1.1")
        case ALPNChoice.postgres:
            c.u16(0x0010); c.u16(13); c.u16(11); c.u8(10); c.put("postgresql")
        default:
            break
        }
        c.u16(0x0005); c.u16(5); c.u8(1); c.u16(0); c.u16(0)     // status_request
        c.u16(0x000D); c.u16(18); c.u16(16)                       // signature_algorithms
        for a in signatureAlgorithms { c.u16(a) }
        c.u16(0x0012); c.u16(0)                                   // signed_certificate_timestamp
        c.u16(0x0033); c.u16(38); c.u16(36); c.u16(0x001D); c.u16(32)  // key_share x25519
        c.opaque(32, salt: m.sessionSalt, at: clientKey)
        c.u16(0x002D); c.u16(2); c.u8(1); c.u8(1)                 // psk_key_exchange_modes
        c.u16(0x002B); c.u16(5); c.u8(4); c.u16(0x0304); c.u16(0x0303)  // supported_versions
        let unpadded = c.offset - handshakeStart
        if unpadded + 4 < 512 {
            let pad = 512 - unpadded - 4
            c.u16(0x0015); c.u16(UInt16(pad)); c.zeros(pad)
        }
        c.patch16(at: extensionsLengthAt, UInt16(c.offset - extensionsLengthAt - 2))
        c.patch24(at: handshakeStart + 1, UInt32(c.offset - handshakeStart - 4))
        c.patch16(at: recordLengthAt, UInt16(c.offset - handshakeStart))
    }

    /// ServerHello (TLS 1.3, TLS_AES_128_GCM_SHA256, x25519) followed by ChangeCipherSpec;
    /// the encrypted rest of the server's flight is the message body.
    static func serverHello(_ m: Message, _ c: inout ByteCursor) {
        c.u8(0x16); c.u16(0x0303); c.u16(122)
        c.u8(2); c.u24(118)
        c.u16(0x0303)
        c.opaque(32, salt: m.sessionSalt, at: serverRandom)
        c.u8(32)
        c.opaque(32, salt: m.sessionSalt, at: sessionID)
        c.u16(0x1301)
        c.u8(0)
        c.u16(46)
        c.u16(0x002B); c.u16(2); c.u16(0x0304)
        c.u16(0x0033); c.u16(36); c.u16(0x001D); c.u16(32)
        c.opaque(32, salt: m.sessionSalt, at: serverKey)
        c.u8(0x14); c.u16(0x0303); c.u16(1); c.u8(1)
    }

    /// Client ChangeCipherSpec plus its encrypted Finished; the body carries the first request.
    static func clientFinished(_ m: Message, _ c: inout ByteCursor) {
        c.u8(0x14); c.u16(0x0303); c.u16(1); c.u8(1)
        c.u8(0x17); c.u16(0x0303); c.u16(53)
        c.opaque(53, salt: m.sessionSalt, at: finished)
    }
}
