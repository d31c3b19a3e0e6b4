import Testing
import PacketDecoding
@testable import Analytics
import VigieTestSupport

/// Random segmentations of one HTTP/1.1 keep-alive conversation (sizes, order within a write,
/// duplicate and overlapping copies) give the transactions of the in-order replay; random junk at
/// random sequence numbers never breaks the caps.
@Suite struct StreamReassemblyRandomTests {
    /// 30 request/response pairs: Content-Length, chunked, HEAD, 304, pipelined pairs.
    static func conversation() -> [(fromClient: Bool, bytes: [UInt8])] {
        var writes: [(Bool, [UInt8])] = []
        for i in 0..<30 {
            let head = i % 7 == 3
            let request = "\(head ? "HEAD" : "GET") /r\(i) HTTP/1.1\r\nHost: h\(i % 3).example\r\nX-Pad: \(String(repeating: "p", count: i * 37))\r\n\r\n"
            let response: String
            switch i % 4 {
            case 0: response = "HTTP/1.1 200 OK\r\nContent-Length: \(i * 50)\r\n\r\n" + String(repeating: "b", count: head ? 0 : i * 50)
            case 1: response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + (head ? "" : "5\r\nhello\r\n\(String(i * 20, radix: 16))\r\n\(String(repeating: "c", count: i * 20))\r\n0\r\n\r\n")
            case 2: response = "HTTP/1.1 304 Not Modified\r\n\r\n"
            default: response = "HTTP/1.1 503 Busy\r\nContent-Length: 3\r\n\r\n" + (head ? "" : "bye")
            }
            writes.append((true, Array(request.utf8)))
            writes.append((false, Array(response.utf8)))
        }
        return writes
    }

    /// Replays the conversation; `shape` decides the segments of each write and their order.
    static func replay(_ shape: (inout SplitMix64, Int) -> [(offset: Int, count: Int)], seed: UInt64) -> [String] {
        var random = SplitMix64(seed: seed)
        let h = Harness()
        h.handshake()
        var next: [Bool: UInt32] = [true: 101, false: 501]
        var ms = 20.0
        for (fromClient, bytes) in conversation() {
            let start = next[fromClient] ?? 0
            for piece in shape(&random, bytes.count) {
                h.tcpPayload(fromClient, seq: start &+ UInt32(piece.offset), ack: next[!fromClient] ?? 0,
                             Array(bytes[piece.offset ..< piece.offset + piece.count]), ms: ms)
                ms += 0.1
            }
            next[fromClient] = start &+ UInt32(bytes.count)
        }
        h.finish()
        return StreamReassemblyTests.outcomes(h.sink.transactions)
    }

    static func inOrder(_ random: inout SplitMix64, _ count: Int) -> [(offset: Int, count: Int)] {
        [(0, count)]
    }

    /// Random sizes (1–300 bytes), shuffled, a third of them sent twice, some re-cut copies.
    static func scrambled(_ random: inout SplitMix64, _ count: Int) -> [(offset: Int, count: Int)] {
        var pieces: [(offset: Int, count: Int)] = []
        var offset = 0
        while offset < count {
            let size = min(count - offset, 1 + Int(random.next(300)))
            pieces.append((offset, size))
            offset += size
        }
        var wire = pieces
        for p in pieces where random.next(3) == 0 { wire.append(p) }
        if count > 2, random.next(2) == 0 {
            let a = Int(random.next(UInt64(count - 1)))
            wire.append((a, 1 + Int(random.next(UInt64(count - a)))))
        }
        wire.shuffle(using: &random)
        return wire
    }

    @Test(arguments: 1...20)
    func randomSegmentationsGiveTheSameTransactions(_ seed: Int) {
        let reference = Self.replay(Self.inOrder, seed: 0)
        #expect(reference.count == 30 && reference.filter { $0.contains(" 0 ") }.isEmpty)
        #expect(Self.replay(Self.scrambled, seed: UInt64(seed)) == reference, "seed \(seed)")
    }

    @Test func junkAtRandomSequenceNumbersKeepsTheCaps() throws {
        var config = AnalyticsConfig()
        config.reassembly.maxFlowBytes = 16 * 1024
        config.reassembly.maxTotalBytes = 40 * 1024
        let h = Harness(config: config)
        var random = SplitMix64(seed: 17)
        let application = try #require(h.analyzer.applicationAnalyzer as? StandardApplicationAnalyzer)
        for flow in 0..<40 {
            h.clientPort = UInt16(20_000 + flow)
            h.handshake(syn: Double(flow), synAck: Double(flow), ack: Double(flow))
            for i in 0..<300 {
                let fromClient = random.next(2) == 0
                let base: UInt32 = fromClient ? 101 : 501
                let seq = base &+ UInt32(truncatingIfNeeded: random.next(1 << 16)) &- 1000
                let fragments = ["GET / HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n", "Content-Length: 99999999\r\n", "\r\n",
                                 "Transfer-Encoding: chunked\r\n", "ffffffffffffffff\r\n", "\u{16}\u{03}\u{01}\u{40}\u{00}\u{01}"]
                var payload: [UInt8] = []
                for _ in 0..<(1 + random.next(6)) { payload += Array(fragments[Int(random.next(UInt64(fragments.count)))].utf8) }
                payload += (0..<random.next(400)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                h.tcpPayload(fromClient, seq: seq, ack: fromClient ? 501 : 101, payload, ms: Double(flow) + Double(i) * 0.001)
                #expect(application.reassembly.bytesHeld <= 40 * 1024)
            }
        }
        h.finish()
        #expect(application.reassembly.peakBytesHeld <= 40 * 1024)
        #expect(application.reassembly.bytesHeld == 0)
    }
}
