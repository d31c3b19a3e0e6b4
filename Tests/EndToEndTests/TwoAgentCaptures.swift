import Foundation
import VigieTestSupport

/// The two captures of the two-agent end-to-end test, built packet by packet (Ethernet/IPv4/TCP,
/// microsecond pcap). Times are seconds after ``start`` (aligned on the agents' 10 s windows);
/// agent A's packets fall on whole milliseconds after whole seconds, agent B's a quarter or half a
/// second later, so no two packets of the two captures share a timestamp (a merge has one order).
enum TwoAgentCaptures {
    /// The service that starts refusing connections (seen by agent A, and healthy early by agent B).
    static let refusing = (address: "10.0.1.10", port: UInt16(443), id: "10.0.1.10:443/tcp")
    /// The service that stays healthy (seen by agent B only).
    static let healthy = (address: "10.0.2.20", port: UInt16(5432), id: "10.0.2.20:5432/tcp")
    /// The client through which agent B sees the refusing service while it still works.
    static let clientOfBOnRefusing = "10.0.3.50"
    /// 2023-11-14T22:13:20Z, a multiple of 10 s.
    static let start: Double = 1_700_000_000
    /// Agent A: answered connections for `healthyUntil` seconds, then every SYN answered by RST.
    static let healthyUntil = 30
    /// Both captures end here (seconds after ``start``).
    static let end = 72

    struct Packet { var time: Double; var frame: [UInt8] }

    /// Agent A: clients 10.0.1.100-104 → S1; one connection a second; answered until
    /// ``healthyUntil``, refused (SYN → RST/ACK) after.
    static func agentA() -> [Packet] {
        var out: [Packet] = []
        for second in 0..<end {
            let client = "10.0.1.\(100 + second % 5)", port = UInt16(41_000 + second)
            let t = start + Double(second)
            if second < healthyUntil {
                out += connection(at: t, client: client, clientPort: port, server: refusing.address, serverPort: refusing.port)
            } else {
                out += refused(at: t, client: client, clientPort: port, server: refusing.address, serverPort: refusing.port)
            }
        }
        return out
    }

    /// Agent B: clients 10.0.2.100-104 → S2 every second throughout (half a second after A's
    /// packets), and ``clientOfBOnRefusing`` → S1 every 2 s during S1's healthy time.
    static func agentB() -> [Packet] {
        var out: [Packet] = []
        for second in 0..<end {
            out += connection(at: start + Double(second) + 0.5, client: "10.0.2.\(100 + second % 5)", clientPort: UInt16(50_000 + second),
                              server: healthy.address, serverPort: healthy.port)
            if second < healthyUntil - 10 && second % 2 == 0 {
                out += connection(at: start + Double(second) + 0.25, client: clientOfBOnRefusing, clientPort: UInt16(45_000 + second),
                                  server: refusing.address, serverPort: refusing.port)
            }
        }
        return out.sorted { $0.time < $1.time }
    }

    /// A complete exchange: handshake, a request and its answer, both FINs.
    static func connection(at t: Double, client: String, clientPort: UInt16, server: String, serverPort: UInt16) -> [Packet] {
        let (c, s) = (UInt32(1000), UInt32(5000))
        let request = Array("request from \(client):\(clientPort)".utf8), answer = [UInt8](repeating: 0x61, count: 200)
        func up(_ dt: Double, _ flags: UInt16, seq: UInt32, ack: UInt32, _ payload: [UInt8] = []) -> Packet {
            Packet(time: t + dt, frame: frame(client, server, Build.tcp(src: clientPort, dst: serverPort, seq: seq, ack: ack, flags: flags, payload: payload)))
        }
        func down(_ dt: Double, _ flags: UInt16, seq: UInt32, ack: UInt32, _ payload: [UInt8] = []) -> Packet {
            Packet(time: t + dt, frame: frame(server, client, Build.tcp(src: serverPort, dst: clientPort, seq: seq, ack: ack, flags: flags, payload: payload)))
        }
        let req = UInt32(request.count), ans = UInt32(answer.count)
        return [
            up(0, 0x002, seq: c, ack: 0),
            down(0.001, 0x012, seq: s, ack: c + 1),
            up(0.002, 0x010, seq: c + 1, ack: s + 1),
            up(0.003, 0x018, seq: c + 1, ack: s + 1, request),
            down(0.010, 0x018, seq: s + 1, ack: c + 1 + req, answer),
            up(0.011, 0x011, seq: c + 1 + req, ack: s + 1 + ans),
            down(0.012, 0x011, seq: s + 1 + ans, ack: c + 2 + req),
            up(0.013, 0x010, seq: c + 2 + req, ack: s + 2 + ans),
        ]
    }

    /// A refused attempt: SYN, then RST/ACK from the server.
    static func refused(at t: Double, client: String, clientPort: UInt16, server: String, serverPort: UInt16) -> [Packet] {
        [Packet(time: t, frame: frame(client, server, Build.tcp(src: clientPort, dst: serverPort, seq: 1000, ack: 0, flags: 0x002))),
         Packet(time: t + 0.001, frame: frame(server, client, Build.tcp(src: serverPort, dst: clientPort, seq: 0, ack: 1001, flags: 0x014)))]
    }

    static func frame(_ src: String, _ dst: String, _ segment: [UInt8]) -> [UInt8] {
        Build.padded(Build.ethernet(type: 0x0800) + Build.ipv4(src: src, dst: dst, proto: 6, payload: segment))
    }

    /// A microsecond pcap (little-endian, Ethernet) of `packets`.
    static func pcap(_ packets: [Packet]) -> Data {
        var b = Build.le32(0xA1B2_C3D4) + [2, 0, 4, 0] + Build.le32(0) + Build.le32(0) + Build.le32(65_535) + Build.le32(1)
        for p in packets {
            let micros = Int64((p.time * 1_000_000).rounded())
            b += Build.le32(UInt32(micros / 1_000_000)) + Build.le32(UInt32(micros % 1_000_000))
            b += Build.le32(UInt32(p.frame.count)) + Build.le32(UInt32(p.frame.count)) + p.frame
        }
        return Data(b)
    }
}
