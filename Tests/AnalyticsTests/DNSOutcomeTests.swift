import Testing
import Foundation
import PacketDecoding
@testable import Analytics
import VigieTestSupport

/// DNS outcomes (docs/flows.md, "Application analysis"): every response is an outcome, a query
/// sent again with the same id and question is a retry, an exact copy of a packet within 10 ms
/// counts for nothing.
@Suite struct DNSOutcomeTests {
    /// A harness on a DNS service (UDP 10.0.0.2:53).
    static func dnsHarness() -> Harness {
        let h = Harness()
        h.serverPort = 53
        return h
    }

    static let query = dnsMessage(id: 7, response: false, name: "a.example")
    static func answer(rcode: UInt8) -> [UInt8] { dnsMessage(id: 7, response: true, rcode: rcode, name: "a.example") }

    @Test func eachRetriedQueryAnsweredBySERVFAILIsAnOutcome() {
        let h = Self.dnsHarness()
        for attempt in 0..<3 {
            h.udpPayload(true, Self.query, ms: Double(attempt) * 1000)
            h.udpPayload(false, Self.answer(rcode: 2), ms: Double(attempt) * 1000 + 30)
        }
        h.finish()
        let t = h.sink.transactions
        #expect(t.count == 3)
        #expect(t.allSatisfy { $0.isError && $0.dnsRcode == 2 && $0.responseTimeNanos == 30_000_000 })
        // Each retransmission counted once, on the outcome that follows it.
        #expect(t.map(\.retries) == [0, 1, 1])
        #expect(t.map(\.requestNanos) == [0, 1000, 2000].map { Harness.t0 + Int64($0) * 1_000_000 })
        #expect(h.sink.observations.filter { $0.kind == .transaction && $0.isError }.count == 3)
    }

    @Test func serverAnsweringEveryCopyOfAQueryGivesOneOutcomePerResponse() {
        let h = Self.dnsHarness()
        h.udpPayload(true, Self.query, ms: 0)
        h.udpPayload(true, Self.query, ms: 1000)
        h.udpPayload(false, Self.answer(rcode: 2), ms: 1040)
        // A second response (another rcode, so not a copy): another outcome, timed from the
        // latest transmission like the first.
        h.udpPayload(false, dnsMessage(id: 7, response: true, rcode: 5, name: "a.example"), ms: 1100)
        h.finish()
        let t = h.sink.transactions
        #expect(t.map(\.dnsRcode) == [2, 5])
        #expect(t.map(\.retries) == [1, 0])
        #expect(t.map(\.responseTimeNanos) == [40_000_000, 100_000_000])
    }

    @Test func retriedQueryAnsweredOnce() {
        let h = Self.dnsHarness()
        h.udpPayload(true, Self.query, ms: 0)
        h.udpPayload(true, Self.query, ms: 1000)
        h.udpPayload(true, Self.query, ms: 2000)
        h.udpPayload(false, Self.answer(rcode: 0), ms: 2100)
        h.finish()
        let t = h.sink.transactions
        #expect(t.count == 1)
        #expect(t.first?.retries == 2 && t.first?.isError == false && t.first?.dnsRcode == 0)
        // Latency from the latest transmission before the response.
        #expect(t.first?.responseTimeNanos == 100_000_000 && t.first?.requestNanos == Harness.t0 + 2_000_000_000)
    }

    @Test func duplicateQueryCopyWithin10msIsNotARetry() {
        let h = Self.dnsHarness()
        h.udpPayload(true, Self.query, ms: 0)
        h.udpPayload(true, Self.query, ms: 0.004)
        h.udpPayload(false, Self.answer(rcode: 0), ms: 20)
        h.finish()
        #expect(h.sink.transactions.map(\.retries) == [0])
        #expect(h.sink.transactions.first?.responseTimeNanos == 20_000_000)
    }

    @Test func duplicateResponseCopyIsOneOutcome() {
        let h = Self.dnsHarness()
        h.udpPayload(true, Self.query, ms: 0)
        h.udpPayload(false, Self.answer(rcode: 2), ms: 20)
        h.udpPayload(false, Self.answer(rcode: 2), ms: 20.003)
        h.finish()
        #expect(h.sink.transactions.count == 1)
        #expect(h.sink.observations.filter { $0.kind == .transaction }.count == 1)
    }

    @Test func sameBytesBeyond10msAreARetryAndAnotherResponse() {
        let h = Self.dnsHarness()
        h.udpPayload(true, Self.query, ms: 0)
        h.udpPayload(true, Self.query, ms: 10.5)
        h.udpPayload(false, Self.answer(rcode: 2), ms: 40)
        h.udpPayload(false, Self.answer(rcode: 2), ms: 55)
        h.finish()
        #expect(h.sink.transactions.map(\.retries) == [1, 0])
        #expect(h.sink.transactions.map(\.responseTimeNanos) == [29_500_000, 44_500_000])
    }

    @Test func unansweredQueryWithRetries() {
        let h = Self.dnsHarness()
        h.udpPayload(true, Self.query, ms: 0)
        h.udpPayload(true, Self.query, ms: 1000)
        h.udpPayload(true, Self.query, ms: 2000)
        h.finish()
        let t = h.sink.transactions
        #expect(t.count == 1)
        #expect(t.first?.dnsRcode == -1 && t.first?.isError == true && t.first?.responseTimeNanos == -1)
        #expect(t.first?.retries == 2 && t.first?.requestNanos == Harness.t0)
    }

    @Test func retryAfterAnAnswerThatGetsNoResponseIsUnanswered() {
        let h = Self.dnsHarness()
        h.udpPayload(true, Self.query, ms: 0)
        h.udpPayload(false, Self.answer(rcode: 2), ms: 30)
        h.udpPayload(true, Self.query, ms: 1000)
        h.finish()
        let t = h.sink.transactions
        #expect(t.map(\.dnsRcode) == [2, -1])
        #expect(t.map(\.retries) == [0, 1])
        #expect(t.last?.requestNanos == Harness.t0 + 1_000_000_000)
    }

    @Test func sameIDLongAfterIsANewLookup() {
        let h = Self.dnsHarness()
        h.udpPayload(true, Self.query, ms: 0)
        h.udpPayload(false, Self.answer(rcode: 0), ms: 30)
        h.udpPayload(true, Self.query, ms: 30_000)
        h.udpPayload(false, Self.answer(rcode: 0), ms: 30_020)
        h.finish()
        #expect(h.sink.transactions.map(\.retries) == [0, 0])
        #expect(h.sink.transactions.map(\.responseTimeNanos) == [30_000_000, 20_000_000])
    }

    @Test func sameIDOtherQuestionIsAnotherQuery() {
        let h = Self.dnsHarness()
        h.udpPayload(true, dnsMessage(id: 9, response: false, name: "a.example"), ms: 0)
        h.udpPayload(true, dnsMessage(id: 9, response: false, name: "b.example"), ms: 1)
        h.udpPayload(false, dnsMessage(id: 9, response: true, rcode: 3, name: "b.example"), ms: 5)
        h.udpPayload(false, dnsMessage(id: 9, response: true, rcode: 0, name: "a.example"), ms: 9)
        h.finish()
        let t = h.sink.transactions
        #expect(t.map(\.dnsQueryName) == ["b.example", "a.example"])
        #expect(t.map(\.responseTimeNanos) == [4_000_000, 9_000_000])
        #expect(t.map(\.retries) == [0, 0])
    }

    @Test func responseWithoutQuestionPairsByIDAndOneWithAnotherQuestionWithNothing() {
        let h = Self.dnsHarness()
        h.udpPayload(true, dnsMessage(id: 4, response: false, name: "a.example"), ms: 0)
        // FORMERR without a question section: the latest query with id 4.
        var formerr = dnsMessage(id: 4, response: true, rcode: 1, name: "a.example")
        formerr = Array(formerr[0..<12])
        formerr[5] = 0
        h.udpPayload(false, formerr, ms: 10)
        h.udpPayload(false, dnsMessage(id: 4, response: true, rcode: 2, name: "other.example"), ms: 20)
        h.finish()
        let t = h.sink.transactions
        #expect(t.map(\.dnsRcode) == [1])
        #expect(t.map(\.dnsQueryName) == ["a.example"])
    }

    @Test func tcpSegmentsWithSeveralMessages() {
        let h = Self.dnsHarness()
        h.handshake()
        func framed(_ m: [UInt8]) -> [UInt8] { Build.be16(UInt16(m.count)) + m }
        let queries = framed(dnsMessage(id: 1, response: false, name: "a.example"))
            + framed(dnsMessage(id: 2, response: false, name: "b.example"))
        h.tcpPayload(true, seq: 101, ack: 501, queries, ms: 20)
        let responses = framed(dnsMessage(id: 2, response: true, rcode: 2, name: "b.example"))
            + framed(dnsMessage(id: 1, response: true, rcode: 0, name: "a.example", answers: 1))
        h.tcpPayload(false, seq: 501, ack: 101 + UInt32(queries.count), responses, ms: 30)
        // A second response to id 2: another outcome.
        let again = framed(dnsMessage(id: 2, response: true, rcode: 5, name: "b.example"))
        h.tcpPayload(false, seq: 501 + UInt32(responses.count), ack: 101 + UInt32(queries.count), again, ms: 40)
        h.finish()
        let t = h.sink.transactions
        #expect(t.map(\.dnsQueryName) == ["b.example", "a.example", "b.example"])
        #expect(t.map(\.dnsRcode) == [2, 0, 5])
        #expect(t.map(\.responseTimeNanos) == [10_000_000, 10_000_000, 20_000_000])
    }

    @Test func perFlowStateStaysBounded() throws {
        let h = Self.dnsHarness()
        // 100 answered lookups, then 40 unanswered ones: answered queries make room first; the
        // unanswered ones evicted are reported unanswered then.
        for i in 0..<100 {
            h.udpPayload(true, dnsMessage(id: UInt16(i), response: false, name: "q\(i).example"), ms: Double(i))
            h.udpPayload(false, dnsMessage(id: UInt16(i), response: true, name: "q\(i).example"), ms: Double(i) + 0.5)
        }
        for i in 100..<140 {
            h.udpPayload(true, dnsMessage(id: UInt16(i), response: false, name: "q\(i).example"), ms: Double(i))
        }
        let analyzer = try #require(h.analyzer.applicationAnalyzer as? StandardApplicationAnalyzer)
        #expect(analyzer.flows.values.allSatisfy { $0.dns.queries.count <= ApplicationFlowState.maxPending })
        #expect(analyzer.flows.values.map { $0.dns.queries.count }.max() == ApplicationFlowState.maxPending)
        // 40 unanswered: 32 kept, the 8 oldest already reported.
        #expect(h.sink.transactions.filter { $0.dnsRcode == -1 }.count == 8)
        h.finish()
        let t = h.sink.transactions
        #expect(t.filter { $0.dnsRcode == 0 }.count == 100)
        #expect(t.filter { $0.dnsRcode == -1 }.map(\.dnsQueryName) == (100..<140).map { "q\($0).example" })
        #expect(analyzer.flows.isEmpty)
    }

    /// A capture with retries, SERVFAILs and mirror copies, written to a file: our outcomes must
    /// equal tshark's count of responses once `editcap -w 0.01` removed the copies (identical
    /// frames within 10 ms, our duplicate rule), and tshark's raw count less the copies.
    @Test(.enabled(if: Corpus.tshark != nil && Support.tool("editcap") != nil, "needs tshark and editcap"))
    func outcomesEqualTsharkResponsesWithoutCopies() throws {
        var frames: [(bytes: [UInt8], ms: Double)] = []
        func udp(_ fromClient: Bool, port: UInt16, _ payload: [UInt8], ms: Double) {
            let u = Build.udp(src: fromClient ? port : 53, dst: fromClient ? 53 : port, payload: payload)
            frames.append((Build.ethernet(type: 0x0800) + Build.ipv4(src: fromClient ? "10.0.0.1" : "10.0.0.2",
                                                                    dst: fromClient ? "10.0.0.2" : "10.0.0.1",
                                                                    proto: 17, payload: u), ms))
        }
        // Three SERVFAILs to three transmissions.
        for attempt in 0..<3 {
            udp(true, port: 40001, Self.query, ms: Double(attempt) * 1000)
            udp(false, port: 40001, Self.answer(rcode: 2), ms: Double(attempt) * 1000 + 30)
        }
        // Query and response each captured twice (mirror copies).
        udp(true, port: 40002, Self.query, ms: 5000)
        udp(true, port: 40002, Self.query, ms: 5000.004)
        udp(false, port: 40002, Self.answer(rcode: 0), ms: 5020)
        udp(false, port: 40002, Self.answer(rcode: 0), ms: 5020.003)
        // A retry 20 ms later answered once, then an unanswered query retried.
        udp(true, port: 40003, Self.query, ms: 6000)
        udp(true, port: 40003, Self.query, ms: 6020)
        udp(false, port: 40003, Self.answer(rcode: 3), ms: 6050)
        udp(true, port: 40004, Self.query, ms: 7000)
        udp(true, port: 40004, Self.query, ms: 8000)

        let directory = Support.temporaryDirectory("dns-outcomes")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/dns.pcap", deduplicated = directory + "/dedup.pcap"
        try Data(Self.pcap(frames)).write(to: URL(fileURLWithPath: path))
        let editcap = try Support.run(["editcap", "-w", "0.01", path, deduplicated])
        #expect(editcap.status == 0, "\(editcap.stderr)")

        let replay = try #require(CorpusReplay.run(path, config: AnalyticsConfig()))
        let answered = replay.transactions.filter { $0.application == .dns && $0.dnsRcode >= 0 }
        #expect(answered.count == 5)
        #expect(answered.count == (try CorpusApplicationTests.tsharkDNSResponses(deduplicated)))
        #expect(answered.count == (try CorpusApplicationTests.tsharkDNSResponses(path)) - 1)
        #expect(answered.filter { $0.dnsRcode != 0 }.count == (try CorpusApplicationTests.tsharkDNSResponses(deduplicated, filter: "dns.flags.rcode != 0")))
        let retries: Int = replay.transactions.reduce(0) { $0 + Int($1.retries) }
        #expect(retries == 4)
        #expect(replay.transactions.filter { $0.dnsRcode == -1 }.map(\.retries) == [1])
    }

    /// A classic pcap (Ethernet, µs timestamps) of the frames, at `Harness.t0` + ms.
    static func pcap(_ frames: [(bytes: [UInt8], ms: Double)]) -> [UInt8] {
        var out: [UInt8] = Build.le32(0xA1B2_C3D4) + [2, 0, 4, 0]
        out += Build.le32(0) + Build.le32(0)
        out += Build.le32(65535) + Build.le32(1)
        for frame in frames {
            let micros = Harness.t0 / 1000 + Int64((frame.ms * 1000).rounded())
            out += Build.le32(UInt32(micros / 1_000_000)) + Build.le32(UInt32(micros % 1_000_000))
            out += Build.le32(UInt32(frame.bytes.count)) + Build.le32(UInt32(frame.bytes.count)) + frame.bytes
        }
        return out
    }
}
