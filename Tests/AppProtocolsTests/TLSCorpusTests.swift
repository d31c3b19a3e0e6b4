import Foundation
import Testing
import AppProtocols
import VigieTestSupport

/// TLS SNI agreement with tshark, as per-file multisets.
@Suite("TLS vs tshark (corpus)", .enabled(if: Corpus.isAvailable, "shared corpus (<package>/../shared/corpus) or tshark not found: skipping tshark agreement"))
struct TLSCorpusTests {
    @Test("ClientHello server_name per file", arguments: Corpus.files)
    func serverNames(file: String) {
        let hellos = Tshark.rows(file, filter: "tls.handshake.type==1 && !icmp && !icmpv6",
                                 fields: ["tcp.stream", "tls.handshake.extensions_server_name", "tcp.segments"], occurrence: "a")
        guard !hellos.isEmpty else { return }
        var expected: [String: Int] = [:]
        for row in hellos where !row[1].isEmpty {
            // Exclusion: hellos tshark reassembled from several TCP segments; we read one segment
            // and report such a hello as .incomplete (below, excluded on our side too).
            guard row[2].isEmpty else { continue }
            for name in row[1].split(separator: Character(Tshark.aggregator)) { expected[String(name), default: 0] += 1 }
        }
        let streams = Set(hellos.map { $0[0] })
        let segments = Tshark.rows(file, filter: "tcp.len>0 && !icmp && !icmpv6",
                                   fields: ["tcp.stream", "tcp.payload"], occurrence: "l").filter { streams.contains($0[0]) }
        var ours: [String: Int] = [:]
        var statuses: [TLSParseStatus: Int] = [:]
        for row in segments {
            let payload = Tshark.bytes(row[1])
            var s = TLSSummary()
            let (status, sni) = payload.withUnsafeBytes { p in (TLSRecordScanner.scan(p, into: &s), s.serverName.string(in: p)) }
            statuses[status, default: 0] += 1
            guard s.hasClientHello, !sni.isEmpty else { continue }
            // A hello cut by the segment end is the first part of a reassembled one (excluded above).
            if status == .incomplete && s.completeLength == 0 { continue }
            ours[sni, default: 0] += 1
        }
        #expect(ours == expected, "\(file): tshark \(expected) ours \(ours); statuses \(statuses)")
        #expect(statuses[.malformedHandshake, default: 0] == 0, "\(file): \(statuses)")
    }
}
