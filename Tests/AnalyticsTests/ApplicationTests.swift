import Testing
import PacketDecoding
@testable import Analytics
import VigieTestSupport

/// A DNS message: header, one question (`name`, type A), no records.
func dnsMessage(id: UInt16, response: Bool, rcode: UInt8 = 0, name: String = "example.com", answers: UInt16 = 0) -> [UInt8] {
    var b = Build.be16(id) + Build.be16(response ? 0x8180 | UInt16(rcode) : 0x0100)
    b += Build.be16(1) + Build.be16(answers) + Build.be16(0) + Build.be16(0)
    for label in name.split(separator: ".") { b += [UInt8(label.utf8.count)] + Array(label.utf8) }
    return b + [0] + Build.be16(1) + Build.be16(1)
}

extension Harness {
    func udpPayload(_ fromClient: Bool, _ payload: [UInt8], ms: Double) {
        let u = Build.udp(src: fromClient ? clientPort : serverPort, dst: fromClient ? serverPort : clientPort, payload: payload)
        feed(Build.ethernet(type: 0x0800) + Build.ipv4(src: fromClient ? client : server, dst: fromClient ? server : client,
                                                       proto: 17, payload: u), ms: ms)
    }

    func tcpPayload(_ fromClient: Bool, seq: UInt32, ack: UInt32, _ payload: [UInt8], ms: Double) {
        let t = Build.tcp(src: fromClient ? clientPort : serverPort, dst: fromClient ? serverPort : clientPort,
                          seq: seq, ack: ack, flags: F.psh | F.ack, payload: payload)
        feed(Build.ethernet(type: 0x0800) + Build.ipv4(src: fromClient ? client : server, dst: fromClient ? server : client,
                                                       proto: 6, payload: t), ms: ms)
    }
}

@Suite struct ApplicationTests {
    @Test func dnsQueriesMatchedByID() throws {
        let h = Harness()
        h.serverPort = 53
        h.udpPayload(true, dnsMessage(id: 1, response: false, name: "a.example"), ms: 0)
        h.udpPayload(true, dnsMessage(id: 2, response: false, name: "b.example"), ms: 1)
        h.udpPayload(true, dnsMessage(id: 3, response: false, name: "c.example"), ms: 2)
        h.udpPayload(false, dnsMessage(id: 2, response: true, rcode: 3, name: "b.example"), ms: 5)
        h.udpPayload(false, dnsMessage(id: 1, response: true, rcode: 2, name: "a.example", answers: 0), ms: 9)
        h.finish()
        let t = h.sink.transactions
        #expect(t.count == 3)
        let b = try #require(t.first { $0.dnsQueryName == "b.example" })
        #expect(b.dnsRcode == 3 && !b.isError && b.responseTimeNanos == 4_000_000)
        let a = try #require(t.first { $0.dnsQueryName == "a.example" })
        #expect(a.dnsRcode == 2 && a.isError && a.responseTimeNanos == 9_000_000)
        let c = try #require(t.first { $0.dnsQueryName == "c.example" })
        #expect(c.dnsRcode == -1 && c.isError && c.responseTimeNanos == -1)
        let conn = try #require(h.only())
        #expect(conn.application == .dns && conn.dnsQueryName == "a.example")
        #expect(h.sink.observations.filter { $0.kind == .transaction }.count == 3)
    }

    @Test func httpPipelinedRequestsPairInOrder() throws {
        let h = Harness()
        h.handshake()
        let requests = "GET /one HTTP/1.1\r\nHost: www.example.org\r\n\r\nGET /two HTTP/1.1\r\nHost: www.example.org\r\n\r\n"
        h.tcpPayload(true, seq: 101, ack: 501, Array(requests.utf8), ms: 20)
        let r1 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
        let r2 = "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"
        h.tcpPayload(false, seq: 501, ack: 101 + UInt32(requests.utf8.count), Array(r1.utf8), ms: 30)
        h.tcpPayload(false, seq: 501 + UInt32(r1.utf8.count), ack: 101 + UInt32(requests.utf8.count), Array(r2.utf8), ms: 45)
        h.finish()
        let t = h.sink.transactions
        #expect(t.map(\.httpPath) == ["/one", "/two"])
        #expect(t.map(\.httpStatus) == [200, 503])
        #expect(t.map(\.responseTimeNanos) == [10_000_000, 25_000_000])
        #expect(t.map(\.isError) == [false, true])
        let conn = try #require(h.only())
        #expect(conn.application == .http && conn.httpHost == "www.example.org")
    }

    @Test func httpBodySegmentsAreNotMessages() throws {
        let h = Harness()
        h.handshake()
        h.tcpPayload(true, seq: 101, ack: 501, Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), ms: 20)
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n0123456789"
        h.tcpPayload(false, seq: 501, ack: 200, Array(head.utf8), ms: 30)
        // The body continues with text that looks like a response start.
        h.tcpPayload(false, seq: 501 + UInt32(head.utf8.count), ack: 200, Array("HTTP/1.1 500 Oops\r\n\r\n".utf8), ms: 31)
        h.finish()
        #expect(h.sink.transactions.map(\.httpStatus) == [200])
    }

    @Test func tlsHandshakeTransaction() throws {
        let h = Harness()
        h.serverPort = 443
        h.handshake()
        let hello = TLSBuilder.clientHello("secure.example", versions: [0x0304, 0x0303])
        h.tcpPayload(true, seq: 101, ack: 501, hello, ms: 20)
        let server = TLSBuilder.serverHello(selected: 0x0304)
        h.tcpPayload(false, seq: 501, ack: 101 + UInt32(hello.count), server, ms: 32)
        let appData = TLSBuilder.record(23, version: 0x0303, [UInt8](repeating: 9, count: 40))
        h.tcpPayload(true, seq: 101 + UInt32(hello.count), ack: 501 + UInt32(server.count), appData, ms: 40)
        let t = try #require(h.sink.transactions.first)
        #expect(t.application == .tls && t.tlsServerName == "secure.example" && t.tlsVersion == 0x0304)
        #expect(t.responseTimeNanos == 12_000_000 && !t.isError && t.tlsAlert == -1)
        h.finish()
        #expect(h.sink.transactions.count == 1)
        let conn = try #require(h.only())
        #expect(conn.application == .tls && conn.tlsServerName == "secure.example")
    }

    @Test func tlsFatalAlertIsAnError() throws {
        let h = Harness()
        h.serverPort = 443
        h.handshake()
        let hello = TLSBuilder.clientHello("bad.example")
        h.tcpPayload(true, seq: 101, ack: 501, hello, ms: 20)
        let alert = TLSBuilder.record(21, version: 0x0303, [2, 40])  // fatal handshake_failure
        h.tcpPayload(false, seq: 501, ack: 101 + UInt32(hello.count), alert, ms: 25)
        h.finish()
        let t = try #require(h.sink.transactions.first)
        #expect(t.isError && t.tlsAlert == 40 && t.responseTimeNanos == -1)
    }

    @Test func applicationAnalysisCanBeDisabled() {
        var config = AnalyticsConfig()
        config.applicationAnalysis = false
        let h = Harness(config: config)
        h.serverPort = 53
        h.udpPayload(true, dnsMessage(id: 1, response: false), ms: 0)
        h.finish()
        #expect(h.sink.transactions.isEmpty)
        #expect(h.only()?.application == ApplicationProtocol.none)
    }
}
