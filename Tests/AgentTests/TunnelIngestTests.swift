import Foundation
import Testing
import VigieTestSupport

/// Issue 16 as a user meets it: the same inner story (20 answered connections to one service, 20
/// refused by another) wrapped in every encapsulation, built by Scapy
/// (Tests/TestSupport/Scripts/tunnel_captures.py), replayed with `vigie-agent ingest`. The conn
/// records and `vigie-agent query` must see the inner conversations, as tshark does (its default
/// dissectors; tshark names the innermost layer with `-E occurrence=l`).
@Suite("Tunnelled captures through vigie-agent ingest and query",
       .enabled(if: TunnelCaptures.directory != nil, "scapy or tshark missing (scripts/install-deps.sh --test installs them): skipped"))
struct TunnelIngestTests {
    static let captures = TunnelCaptureFiles.story

    @Test("conn records are the inner conversations, with tshark's packets and bytes; queries for inner terms find them",
          arguments: captures)
    func innerConversations(name: String) throws {
        let capture = try #require(TunnelCaptures.directory).appending("/\(name).pcap")
        let expected = try TsharkInnermost(capture)
        #expect(expected.conversations.count == 40, "\(name): tshark sees \(expected.conversations.count) inner conversations")
        let dir = Support.temporaryDirectory("tunnel-\(name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ingest = try Support.run([Support.agentBinary, "ingest", "--store", dir + "/s", "--agent-id", "t", "--no-progress", capture])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        var seen = 0
        for line in try Support.recordLines(dir + "/s") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["kind"] as? String == "conn" else { continue }
            let key = "\(object["orig_h"] ?? "")|\(object["orig_p"] ?? "")|\(object["resp_h"] ?? "")|\(object["resp_p"] ?? "")"
            guard let theirs = expected.conversations[key] else {
                Issue.record("\(name): conn \(key) is not an inner conversation of tshark's")
                continue
            }
            seen += 1
            #expect(object["orig_pkts"] as? Int == theirs.origPackets && object["resp_pkts"] as? Int == theirs.respPackets,
                    "\(name) \(key): packets \(object["orig_pkts"] ?? "-")/\(object["resp_pkts"] ?? "-"), tshark \(theirs.origPackets)/\(theirs.respPackets)")
            #expect(object["orig_ip_bytes"] as? Int == theirs.origIPBytes && object["resp_ip_bytes"] as? Int == theirs.respIPBytes,
                    "\(name) \(key): IP bytes \(object["orig_ip_bytes"] ?? "-")/\(object["resp_ip_bytes"] ?? "-"), tshark \(theirs.origIPBytes)/\(theirs.respIPBytes)")
            let state = object["conn_state"] as? String
            #expect(state == (theirs.refused ? "REJ" : "SF"), "\(name) \(key): conn_state \(state ?? "-")")
        }
        #expect(seen == 40, "\(name): \(seen) inner conn records of 40")

        for (query, count) in [("host \(expected.answeringServer)", expected.framesWithAnsweringServer),
                               ("port 8080", expected.framesWithPort8080), ("tcp", expected.frames)] {
            let q = try Support.run([Support.agentBinary, "query", "--store", dir + "/s", "--count", query])
            #expect(q.status == 0 && q.stdout.hasPrefix("\(count) packets"), "\(name): `\(query)` answered \(q.stdout) \(q.stderr), tshark \(count)")
        }
    }
}

/// The generated captures (nil without scapy or tshark).
enum TunnelCaptures {
    static let directory: String? = Support.tool("tshark") == nil ? nil : try? TunnelCaptureFiles.directory.get()
}

/// tshark's innermost TCP layer per frame, folded into conversations.
struct TsharkInnermost {
    struct Conversation {
        var origPackets = 0, respPackets = 0, origIPBytes = 0, respIPBytes = 0
        var refused = false
    }

    /// "orig_h|orig_p|resp_h|resp_p" (originator: the sender of the first packet) -> counts.
    var conversations: [String: Conversation] = [:]
    var answeringServer = ""
    var framesWithAnsweringServer = 0
    var framesWithPort8080 = 0
    var frames = 0

    init(_ path: String) throws {
        let all = try TsharkInnermostLayer.frames(file: path, options: ["-o", "gtp.dissect_tpdu_as:TPDU Heuristic"],
                                                  fields: ["tcp.flags.reset"])
        let tcp = all.filter { $0.tcpPorts != nil }
        frames = tcp.count
        let folded = TsharkInnermostLayer.conversations(tcp) { frame in
            ("\(frame.source)|\(frame.tcpPorts!.source)", "\(frame.destination)|\(frame.tcpPorts!.destination)")
        }
        for c in folded {
            var conversation = Conversation(origPackets: c.fromOriginator.count, respPackets: c.fromResponder.count,
                                            origIPBytes: c.fromOriginator.reduce(0) { $0 + $1.ipLength },
                                            respIPBytes: c.fromResponder.reduce(0) { $0 + $1.ipLength })
            conversation.refused = (c.fromOriginator + c.fromResponder).contains { $0["tcp.flags.reset"] == "1" || $0["tcp.flags.reset"] == "True" }
            conversations[c.originator + "|" + c.responder] = conversation
        }
        var byServer: [String: Int] = [:]
        for frame in tcp {
            let (sport, dport) = frame.tcpPorts!
            if dport == 80 { byServer[frame.destination, default: 0] += 0 }
            if sport == 8080 || dport == 8080 { framesWithPort8080 += 1 }
        }
        answeringServer = byServer.keys.sorted().first ?? ""
        for frame in all where Int(frame["tcp.srcport"]) != nil {
            if [frame.source, frame.destination].contains(answeringServer) { framesWithAnsweringServer += 1 }
        }
    }
}
