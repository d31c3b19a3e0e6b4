import Foundation
import Testing
import AppProtocols
import VigieTestSupport

/// DNS agreement with tshark on every corpus file: per frame for UDP (no reassembly on either
/// side), per file multiset for TCP.
@Suite("DNS vs tshark (corpus)", .enabled(if: Corpus.isAvailable, "shared corpus (<package>/../shared/corpus) or tshark not found: skipping tshark agreement"))
struct DNSCorpusTests {
    /// One DNS message as both sides describe it.
    static func key(id: UInt16, response: Bool, rcode: UInt8, name: String?, type: UInt16) -> String {
        // tshark prints rcode for responses only; the name as "<root>" for the root.
        let hexID = String(format: "0x%04x", id)
        let rcodeText: String = response ? String(rcode) : "-"
        var question = "none"
        if let name { question = name.isEmpty ? "<root>" : name }
        let qtype: UInt16 = name == nil ? 0 : type
        return "\(hexID) qr=\(response ? 1 : 0) rcode=\(rcodeText) q=\(question)/\(qtype)"
    }

    /// tshark's row → the same key, first question only (multi-question messages print
    /// `|`-aggregated values).
    static func tsharkKey(id: String, response: String, rcode: String, names: String, types: String) -> String {
        // We lowercase names by design (RFC 4343: DNS names compare case-insensitively); tshark
        // prints them as sent, so compare its name lowercased.
        let name = (names.split(separator: Character(Tshark.aggregator), omittingEmptySubsequences: false).first.map(String.init) ?? "").lowercased()
        let type = types.split(separator: Character(Tshark.aggregator)).first.flatMap { UInt16($0) } ?? 0
        let r = Tshark.isTrue(response)
        return "\(id) qr=\(r ? 1 : 0) rcode=\(r ? (rcode.isEmpty ? "?" : rcode) : "-") q=\(name.isEmpty ? "none" : name)/\(name.isEmpty ? 0 : type)"
    }

    static func ourKey(_ s: DNSSummary, _ name: String) -> String {
        key(id: s.header.id, response: s.header.isResponse, rcode: s.header.rcode,
            name: s.hasQuestion ? name : nil, type: s.questionType)
    }

    @Test("UDP port 53, per frame", arguments: Corpus.files)
    func udp(file: String) {
        let rows = Tshark.rows(file, filter: "udp.port==53 && dns && !icmp && !icmpv6",
                               fields: ["frame.number", "udp.payload", "dns.id", "dns.flags.response", "dns.flags.rcode",
                                        "dns.qry.name", "dns.qry.type"], occurrence: "a")
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: DNSMessageParser.nameBufferSize, alignment: 1)
        defer { buffer.deallocate() }
        var mismatches: [String] = []
        for row in rows {
            // Tunnelled frames carry several UDP layers: the DNS one is the innermost (last).
            let payload = Tshark.bytes(row[1].split(separator: Character(Tshark.aggregator)).last.map(String.init) ?? "")
            let ids = row[2].split(separator: Character(Tshark.aggregator))
            // Exclusion: tshark shows no DNS header when it considers the message malformed
            // before the id (fewer than 12 bytes); we report .tooShort for the same messages.
            guard ids.count == 1 else {
                if !ids.isEmpty { mismatches.append("frame \(row[0]): \(ids.count) DNS layers") }
                continue
            }
            let expected = Self.tsharkKey(id: String(ids[0]), response: row[3], rcode: row[4], names: row[5], types: row[6])
            var summary = DNSSummary()
            let status = payload.withUnsafeBytes { DNSMessageParser.parse($0, into: &summary, name: buffer) }
            let ours = Self.ourKey(summary, summary.questionName.string(in: buffer))
            if ours != expected { mismatches.append("frame \(row[0]): tshark \(expected), ours \(ours) [\(status)]") }
        }
        #expect(mismatches.isEmpty, "\(file): \(mismatches.count) of \(rows.count) differ: \(mismatches.prefix(5))")
    }

    @Test("TCP port 53, per-file multiset of messages", arguments: Corpus.files)
    func tcp(file: String) {
        let segments = Tshark.rows(file, filter: "tcp.port==53 && tcp.len>0 && !icmp && !icmpv6",
                                   fields: ["frame.number", "tcp.stream", "tcp.srcport", "tcp.payload"])
        guard !segments.isEmpty else { return }
        let messages = Tshark.rows(file, filter: "tcp.port==53 && dns && !icmp && !icmpv6",
                                   fields: ["frame.number", "dns.id", "dns.flags.response", "dns.flags.rcode",
                                            "dns.qry.name", "dns.qry.type", "tcp.segments"], occurrence: "a")
        var expected: [String: Int] = [:]
        for row in messages {
            // Exclusion: messages reassembled from several segments (tcp.segments set). We parse
            // one segment at a time and do not count a message cut by the segment end.
            guard row[6].isEmpty else { continue }
            let ids = row[1].split(separator: Character(Tshark.aggregator)).map(String.init)
            let qr = row[2].split(separator: Character(Tshark.aggregator)).map(String.init)
            let rc = Tshark.values(row[3])
            let names = Tshark.values(row[4])
            let types = row[5].split(separator: Character(Tshark.aggregator)).map(String.init)
            // Several messages per frame: fields line up only when each has one question (true in
            // the corpus); otherwise the frame is reported.
            guard names.count == ids.count, types.count == ids.count, qr.count == ids.count else {
                Issue.record("\(file) frame \(row[0]): cannot align \(ids.count) messages")
                continue
            }
            var rcodeIndex = 0
            for i in ids.indices {
                let isResponse = Tshark.isTrue(qr[i])
                let rcode = isResponse && rcodeIndex < rc.count ? rc[rcodeIndex] : ""
                if isResponse { rcodeIndex += 1 }
                expected[Self.tsharkKey(id: ids[i], response: qr[i], rcode: rcode, names: names[i], types: types[i]), default: 0] += 1
            }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: DNSMessageParser.nameBufferSize, alignment: 1)
        defer { buffer.deallocate() }
        var ours: [String: Int] = [:]
        var pendingSkip: [String: Int] = [:]  // per stream+direction: tail of a cut message to skip
        for row in segments {
            let flow = row[1] + "/" + row[2]
            let payload = Tshark.bytes(row[3])
            var offset = pendingSkip[flow] ?? 0
            pendingSkip[flow] = nil
            if offset >= payload.count { pendingSkip[flow] = offset - payload.count; continue }
            while offset < payload.count {
                var summary = DNSSummary()
                let status = payload[offset...].withUnsafeBytes { DNSMessageParser.parseTCP($0, into: &summary, name: buffer) }
                guard status != .tcpLengthIncomplete else { break }
                if summary.tcpFrameLength > payload.count - offset {
                    pendingSkip[flow] = summary.tcpFrameLength - (payload.count - offset)
                    break
                }
                ours[Self.ourKey(summary, summary.questionName.string(in: buffer)), default: 0] += 1
                offset += summary.tcpFrameLength
            }
        }
        #expect(ours == expected, "\(file): tshark \(expected.count) keys, ours \(ours.count); only tshark: \(expected.filter { ours[$0.key] != $0.value }.prefix(5)); only ours: \(ours.filter { expected[$0.key] != $0.value }.prefix(5))")
    }
}
