/// Byte templates for the SSH and MySQL handshakes, built once; random fields are patched
/// per connection when a prefix is rendered.
struct ProtocolTemplates {
    let clientKexInit: [UInt8]
    let serverKexInit: [UInt8]
    let ecdhInitPacket: [UInt8]
    let ecdhReplyPacket: [UInt8]
    let sshNewKeys: [UInt8]
    let mysqlGreetingPacket: [UInt8]
    let mysqlSSLRequest: [UInt8]
    /// Offsets of random fields in `ecdhReplyPacket`: host key, server key, signature.
    private let replyHostKeyAt: Int, replyServerKeyAt: Int, replySignatureAt: Int

    init() {
        func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
        func string(_ bytes: [UInt8]) -> [UInt8] { be32(bytes.count) + bytes }
        func string(_ s: String) -> [UInt8] { string(Array(s.utf8)) }
        /// Binary packet framing (RFC 4253 §6), 8-byte blocks, zero padding.
        func packet(_ payload: [UInt8]) -> [UInt8] {
            var pad = 8 - (5 + payload.count) % 8
            if pad < 4 { pad += 8 }
            return be32(1 + payload.count + pad) + [UInt8(pad)] + payload + [UInt8](repeating: 0, count: pad)
        }
        // Both sides offer OpenSSH's defaults, so chacha20-poly1305 is negotiated (see
        // `SSHLengthMask` for how its encrypted packet lengths are chosen).
        let encryption = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
            + "aes128-gcm@openssh.com,aes256-gcm@openssh.com"
        let macs = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
            + "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,"
            + "hmac-sha2-256,hmac-sha2-512,hmac-sha1"
        func kexInit(kex: String, hostKeys: String) -> [UInt8] {
            var p: [UInt8] = [20] + [UInt8](repeating: 0, count: 16)
            for list in [kex, hostKeys, encryption, encryption, macs, macs, "none,zlib@openssh.com",
                         "none,zlib@openssh.com", "", ""] {
                p += string(list)
            }
            p += [0] + be32(0)
            return packet(p)
        }
        let kexCommon = "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
            + "ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
            + "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"
        clientKexInit = kexInit(
            kex: kexCommon + ",ext-info-c,kex-strict-c-v00@openssh.com",
            hostKeys: "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,"
                + "sk-ssh-ed25519@openssh.com,rsa-sha2-512,rsa-sha2-256,ssh-ed25519,ecdsa-sha2-nistp256")
        serverKexInit = kexInit(
            kex: kexCommon + ",kex-strict-s-v00@openssh.com",
            hostKeys: "rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519")
        let zeros32 = [UInt8](repeating: 0, count: 32)
        ecdhInitPacket = packet([30] + string(zeros32))
        let hostKey = string("ssh-ed25519") + string(zeros32)
        let signature = string("ssh-ed25519") + string([UInt8](repeating: 0, count: 64))
        ecdhReplyPacket = packet([31] + string(hostKey) + string(zeros32) + string(signature)) + packet([21])
        replyHostKeyAt = 5 + 1 + 4 + 15 + 4
        replyServerKeyAt = 5 + 1 + 4 + hostKey.count + 4
        replySignatureAt = replyServerKeyAt + 32 + 4 + 15 + 4
        sshNewKeys = packet([21])

        var greeting: [UInt8] = [10] + Array("8.0.36".utf8) + [0]
        greeting += [0, 0, 0, 0] + [UInt8](repeating: 0x41, count: 8) + [0]  // thread id, salt part 1
        greeting += [0xFF, 0xFF, 0xFF, 0x02, 0x00, 0xFF, 0xDF, 21] + [UInt8](repeating: 0, count: 10)
        greeting += [UInt8](repeating: 0x41, count: 12) + [0] + Array("caching_sha2_password".utf8) + [0]
        mysqlGreetingPacket = [UInt8(greeting.count), 0, 0, 0] + greeting
        let caps: UInt32 = 0x01BF_AA8F  // PROTOCOL_41 | SSL | SECURE_CONNECTION | PLUGIN_AUTH | ...
        mysqlSSLRequest = [32, 0, 0, 1] + [UInt8(caps & 255), UInt8(caps >> 8 & 255), UInt8(caps >> 16 & 255), UInt8(caps >> 24)]
            + [0, 0, 0, 1, 0xFF] + [UInt8](repeating: 0, count: 23)
    }

    /// KEXINIT with a per-connection cookie.
    func kexInit(client: Bool, _ m: Message, _ c: inout ByteCursor) {
        let start = c.offset
        c.put(client ? clientKexInit : serverKexInit)
        fillOpaque(c.base + start + 6, count: 16, salt: m.sessionSalt, offset: client ? 512 : 528)
    }

    /// SSH_MSG_KEX_ECDH_INIT with the client's ephemeral key.
    func ecdhInit(_ m: Message, _ c: inout ByteCursor) {
        let start = c.offset
        c.put(ecdhInitPacket)
        fillOpaque(c.base + start + 10, count: 32, salt: m.sessionSalt, offset: 576)
    }

    /// SSH_MSG_KEX_ECDH_REPLY (host key fixed per server) followed by SSH_MSG_NEWKEYS.
    func ecdhReply(_ m: Message, _ c: inout ByteCursor) {
        let start = c.offset
        c.put(ecdhReplyPacket)
        fillOpaque(c.base + start + replyHostKeyAt, count: 32, salt: mix64(UInt64(m.name) ^ 0x55AA), offset: 0)
        fillOpaque(c.base + start + replyServerKeyAt, count: 32, salt: m.sessionSalt, offset: 640)
        fillOpaque(c.base + start + replySignatureAt, count: 64, salt: m.sessionSalt, offset: 704)
    }

    /// MySQL protocol-10 greeting advertising SSL, with a per-connection thread id and
    /// printable auth salt.
    func mysqlGreeting(_ m: Message, _ c: inout ByteCursor) {
        let start = c.offset
        c.put(mysqlGreetingPacket)
        let p = c.base + start
        fillOpaque(p + 12, count: 3, salt: m.sessionSalt, offset: 800)  // thread id (low bytes)
        for (at, count) in [(16, 8), (43, 12)] {
            fillOpaque(p + at, count: count, salt: m.sessionSalt, offset: 816 + at)
            for k in 0..<count {
                let b = p.load(fromByteOffset: at + k, as: UInt8.self)
                p.storeBytes(of: 0x21 + b % 94, toByteOffset: at + k, as: UInt8.self)
            }
        }
    }
}
