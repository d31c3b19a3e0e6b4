import Testing
import Foundation
import PacketDecoding
import Records
@testable import Analytics
import VigieTestSupport

/// The captures of `Tests/TestSupport/Scripts/tunnel_captures.py` (Scapy), through
/// `TunnelCaptureFiles`.
enum TunnelCaptures {
    /// The directory holding the captures; nil when python3 / Scapy is missing.
    static let directory: String? = try? TunnelCaptureFiles.directory.get()

    static var isAvailable: Bool { directory != nil && Corpus.tshark != nil }

    /// Captures carrying the whole inner story (20 answered + 20 refused connections).
    static let story = ["vxlan", "geneve", "gre", "gre-eth", "erspan1", "erspan2", "erspan3", "mpls", "mpls-pw-cw",
                        "mpls-pw", "pppoe", "ipip", "6in4", "6in6", "gtpu", "vlan3", "llc", "wifi", "radiotap",
                        "erspan-sessions"]

    static func path(_ name: String) throws -> String {
        try #require(directory) + "/" + name + ".pcap"
    }
}

/// One TCP conversation as tshark reports it, from per-packet fields of the innermost layers.
struct TsharkConversation: Hashable, CustomStringConvertible {
    var tenant = ""
    var originator = "", responder = ""
    var originatorPackets = 0, responderPackets = 0
    var originatorBytes = 0, responderBytes = 0
    var originatorIPBytes = 0, responderIPBytes = 0
    var connState = ""

    var key: String { "\(tenant)|\(originator)>\(responder)" }
    var description: String {
        "\(key) pkts \(originatorPackets)/\(responderPackets) bytes \(originatorBytes)/\(responderBytes) ip \(originatorIPBytes)/\(responderIPBytes) \(connState)"
    }

    /// tshark 4.0 over `file`: `-E occurrence=l` takes the innermost occurrence of each field; the
    /// inner network layer is whichever of `ip` / `ipv6` comes last in `frame.protocols` before
    /// `tcp`. No `-o` preferences are set (the defaults decode every capture of the script: VXLAN
    /// on 4789, Geneve on 6081, GTP-U on 2152, the MPLS pseudowire heuristic). `vxlan.vni` names
    /// the tenant (what the default tenant keys make of VXLAN).
    ///
    /// conn_state from the flags, Zeek's way for these simple stories: SYN, SYN-ACK and FIN both
    /// ways without RST → `SF`; SYN answered by a RST without SYN-ACK → `REJ`; else `OTH`.
    static func load(_ file: String, tshark: String) throws -> [TsharkConversation] {
        let frames = try TsharkInnermostLayer.frames(file: file, filter: "tcp",
                                                     fields: ["tcp.flags", "tcp.len", "vxlan.vni", "gre.key"], tshark: tshark)
        func tenant(_ frame: TsharkInnermostLayer.Frame) -> String {
            frame["vxlan.vni"].isEmpty ? "" : "vxlan:\(frame["vxlan.vni"])"
        }
        let conversations = TsharkInnermostLayer.conversations(frames, scope: tenant) { frame in
            ("\(IPAddress(frame.source)?.description ?? frame.source):\(frame["tcp.srcport"])",
             "\(IPAddress(frame.destination)?.description ?? frame.destination):\(frame["tcp.dstport"])")
        }
        return conversations.map { c in
            func flags(_ frame: TsharkInnermostLayer.Frame) -> Int { Int(frame["tcp.flags"].dropFirst(2), radix: 16) ?? 0 }
            func payload(_ frames: [TsharkInnermostLayer.Frame]) -> Int { frames.reduce(0) { $0 + (Int($1["tcp.len"]) ?? 0) } }
            func ipBytes(_ frames: [TsharkInnermostLayer.Frame]) -> Int { frames.reduce(0) { $0 + $1.ipLength } }
            let syn = c.fromOriginator.contains { flags($0) & 0x12 == 0x02 }
            let origFin = c.fromOriginator.contains { flags($0) & 0x01 != 0 }
            let synAck = c.fromResponder.contains { flags($0) & 0x12 == 0x12 }
            let respFin = c.fromResponder.contains { flags($0) & 0x01 != 0 }
            let rst = (c.fromOriginator + c.fromResponder).contains { flags($0) & 0x04 != 0 }
            return TsharkConversation(
                tenant: c.scope, originator: c.originator, responder: c.responder,
                originatorPackets: c.fromOriginator.count, responderPackets: c.fromResponder.count,
                originatorBytes: payload(c.fromOriginator), responderBytes: payload(c.fromResponder),
                originatorIPBytes: ipBytes(c.fromOriginator), responderIPBytes: ipBytes(c.fromResponder),
                connState: syn && synAck && origFin && respFin && !rst ? "SF" : syn && !synAck && rst ? "REJ" : "OTH")
        }
    }
}

extension ConnSummary {
    /// The same view as ``TsharkConversation`` (the tenant only when it is a VXLAN one, as tshark
    /// names it; the default tenant keys of the other captures are GRE keys, checked apart).
    var tsharkView: TsharkConversation {
        func endpoint(_ a: IPAddress, _ p: UInt16) -> String { "\(a.description):\(p)" }
        return TsharkConversation(
            tenant: tenant.kind == .vxlan ? tenant.name : "",
            originator: endpoint(originator, originatorPort), responder: endpoint(responder, responderPort),
            originatorPackets: Int(originatorPackets), responderPackets: Int(responderPackets),
            originatorBytes: Int(originatorBytes), responderBytes: Int(responderBytes),
            originatorIPBytes: Int(originatorIPBytes), responderIPBytes: Int(responderIPBytes), connState: connState)
    }
}

/// Replays a capture through the flow tracker and a record emitter: the records as written.
struct TunnelReplay {
    var connections: [ConnSummary]
    var records: [[String: Any]]
    var lines: [[UInt8]]
    var counters: FlowCounters

    static func run(_ path: String, config: AnalyticsConfig = .noTimeouts) throws -> TunnelReplay {
        let output = CollectingOutput()
        let emitter = RecordEmitter(config: RecordEmitterConfig(agentID: "tunnels", epoch: 1), output: output,
                                    agentClock: { 1_700_000_000_000_000_000 })
        let tee = TeeSink(emitter: emitter)
        let analyzer = FlowAnalyzer(config: config, sink: tee)
        let reader = try #require(CaptureFile(path))
        var last: Int64 = 0
        reader.forEach { bytes, linkType, nanos in
            analyzer.process(packetBytes: bytes, linkType: linkType, timestampNanos: nanos)
            last = nanos
        }
        analyzer.finish()
        // Close the service-state windows and the edge interval the packets fell in.
        emitter.clock(last + 120_000_000_000)
        emitter.finish()
        return TunnelReplay(connections: tee.connections, records: try output.objects(), lines: output.lines,
                            counters: analyzer.counters)
    }

    func records(_ kind: String) -> [[String: Any]] { records.filter { $0["kind"] as? String == kind } }
}

/// Passes everything to the emitter and keeps the conn summaries.
final class TeeSink: FlowEventSink {
    let emitter: RecordEmitter
    var connections: [ConnSummary] = []
    init(emitter: RecordEmitter) { self.emitter = emitter }
    func connection(_ summary: ConnSummary) { connections.append(summary); emitter.connection(summary) }
    func transaction(_ summary: TransactionSummary) { emitter.transaction(summary) }
    func observe(_ observation: ServiceObservation) { emitter.observe(observation) }
    func clock(_ nanos: Int64) { emitter.clock(nanos) }
}

/// A classic pcap read whole (the script writes small little-endian microsecond files).
struct CaptureFile {
    let data: [UInt8]
    let linkType: LinkType

    init?(_ path: String) {
        guard let d = FileManager.default.contents(atPath: path), d.count >= 24 else { return nil }
        data = [UInt8](d)
        let magic = UInt32(data[0]) | UInt32(data[1]) << 8 | UInt32(data[2]) << 16 | UInt32(data[3]) << 24
        guard magic == 0xA1B2_C3D4 else { return nil }
        linkType = LinkType(rawValue: UInt32(data[20]) | UInt32(data[21]) << 8 | UInt32(data[22]) << 16 | UInt32(data[23]) << 24)
    }

    func forEach(_ body: (UnsafeRawBufferPointer, LinkType, Int64) -> Void) {
        func u32(_ o: Int) -> UInt32 { UInt32(data[o]) | UInt32(data[o + 1]) << 8 | UInt32(data[o + 2]) << 16 | UInt32(data[o + 3]) << 24 }
        var offset = 24
        data.withUnsafeBytes { raw in
            while offset + 16 <= data.count {
                let seconds = Int64(u32(offset)), micros = Int64(u32(offset + 4)), captured = Int(u32(offset + 8))
                guard offset + 16 + captured <= data.count else { break }
                body(UnsafeRawBufferPointer(rebasing: raw[(offset + 16)..<(offset + 16 + captured)]), linkType,
                     seconds * 1_000_000_000 + micros * 1000)
                offset += 16 + captured
            }
        }
    }
}

@Suite(.enabled(if: TunnelCaptures.isAvailable, "needs python3 with Scapy and tshark"))
struct TunnelFlowTests {
    /// Every capture: the conn records are tshark's inner conversations (5-tuple, conn_state,
    /// packets, payload and IP bytes per direction), in order of first packet.
    @Test(arguments: TunnelCaptures.story + ["tenants"])
    func connRecordsAreTsharksInnerConversations(_ name: String) throws {
        let path = try TunnelCaptures.path(name)
        let replay = try TunnelReplay.run(path)
        let ours = replay.connections.filter { $0.transport == .tcp && !$0.isInterim }.sorted { $0.flowID < $1.flowID }.map(\.tsharkView)
        let theirs = try TsharkConversation.load(path, tshark: try #require(Corpus.tshark))
        #expect(theirs.count == (name == "tenants" ? 10 : 40), "\(name): tshark sees \(theirs.count) conversations")
        #expect(ours.count == theirs.count, "\(name): \(ours.count) conn records, tshark \(theirs.count) conversations")
        for (o, t) in zip(ours, theirs) where o != t {
            Issue.record("\(name): ours \(o) — tshark \(t)")
        }
        // Every conn record carries the tunnel, except for encapsulations that are no tunnel.
        let conns = replay.records("conn")
        let untunnelled: Set<String> = ["vlan3", "llc", "wifi", "radiotap", "pppoe", "mpls"]
        for c in conns {
            #expect((c["tunnel"] != nil) == !untunnelled.contains(name), "\(name): tunnel member \(String(describing: c["tunnel"]))")
        }
    }

    /// The inner story's services: 192.0.2.10:80 UP, 192.0.2.20:8080 REFUSED, in every capture;
    /// and the edges and HTTP transactions are the inner ones.
    @Test(arguments: TunnelCaptures.story)
    func servicesEdgesAndTransactionsAreTheInnerOnes(_ name: String) throws {
        let replay = try TunnelReplay.run(try TunnelCaptures.path(name))
        let v6 = name == "6in4" || name == "6in6"
        let tenant = ["gre": "gre:7/", "gre-eth": "gre:8/", "vxlan": "vxlan:100/", "geneve": "geneve:300/"][name] ?? ""
        let web = tenant + (v6 ? "[2001:db8:2::10]:80/tcp" : "192.0.2.10:80/tcp")
        let refusing = tenant + (v6 ? "[2001:db8:2::20]:8080/tcp" : "192.0.2.20:8080/tcp")
        var states: [String: String] = [:]
        // The first transition (the later ones go to IDLE once the capture is over).
        for r in replay.records("service_state") where r["reason"] as? String == "transition" {
            let service = r["service"] as? String ?? "?"
            if states[service] == nil { states[service] = r["state"] as? String }
        }
        #expect(states == [web: "UP", refusing: "REFUSED"], "\(name)")
        let seen = Set(replay.records("service_seen").compactMap { $0["service"] as? String })
        #expect(seen == [web, refusing], "\(name)")
        let edges = replay.records("edge")
        #expect(edges.count == 40, "\(name): one edge per inner client and service")
        #expect(Set(edges.compactMap { $0["service"] as? String }) == [web, refusing], "\(name)")
        let txns = replay.records("txn").filter { $0["error"] as? Bool == false }
        #expect(txns.allSatisfy { $0["service"] as? String == web && $0["http_status"] as? Int == 200 }, "\(name)")
        #expect(replay.records("txn").allSatisfy { $0["error"] as? Bool == false }, "\(name)")
    }

    @Test(.enabled(if: SchemaValidator.isAvailable, "python3 with jsonschema is missing"),
          arguments: ["vxlan", "geneve", "gre", "erspan2", "gtpu", "mpls-pw", "6in6", "tenants", "vlan3"])
    func recordsValidateAgainstTheSchemas(_ name: String) throws {
        let replay = try TunnelReplay.run(try TunnelCaptures.path(name))
        let errors = try SchemaValidator.validate(replay.lines.flatMap { $0 })
        #expect(errors.isEmpty, "\(name): \(errors.prefix(10).joined(separator: "\n"))")
        // And the server's parser reads every one of them (tenant-scoped service ids included).
        let parsed = RecordParser.parse(batch: replay.lines.flatMap { $0 })
        #expect(parsed.errors.isEmpty, "\(name): \(parsed.errors.prefix(3))")
        #expect(parsed.records.count == replay.lines.count)
    }

    /// The tunnel object of a conn record: type, id, outer endpoints oriented like the record,
    /// tenant; the same on txn, edge, service_state and service_seen records.
    @Test func tunnelObjectIsOrientedLikeTheRecord() throws {
        let replay = try TunnelReplay.run(try TunnelCaptures.path("vxlan"))
        for kind in ["conn", "txn", "edge", "service_state", "service_seen"] {
            let records = replay.records(kind)
            #expect(!records.isEmpty, "\(kind)")
            for r in records {
                let t = try #require(r["tunnel"] as? [String: Any], "\(kind)")
                #expect(t["type"] as? String == "vxlan" && t["id"] as? Int == 100 && t["tenant"] as? String == "vxlan:100")
                #expect(t["layers"] as? [String] == ["vxlan"])
                let outer = try #require(t["outer"] as? [String: Any])
                // The client side of every inner conversation is 198.51.100.1 (source port 49152).
                #expect(outer["src"] as? String == "198.51.100.1" && outer["dst"] as? String == "198.51.100.2", "\(kind)")
                #expect(outer["sport"] as? Int == 49152 && outer["dport"] as? Int == 4789 && outer["proto"] as? Int == 17, "\(kind)")
            }
        }
        // GRE: no ports; ERSPAN II: session id, no tenant.
        let gre = try #require(try TunnelReplay.run(try TunnelCaptures.path("gre")).records("conn").first?["tunnel"] as? [String: Any])
        #expect(gre["type"] as? String == "gre" && gre["id"] as? Int == 7 && gre["tenant"] as? String == "gre:7")
        let greOuter = try #require(gre["outer"] as? [String: Any])
        #expect(greOuter["sport"] == nil && greOuter["proto"] as? Int == 47)
        let erspan = try #require(try TunnelReplay.run(try TunnelCaptures.path("erspan2")).records("conn").first?["tunnel"] as? [String: Any])
        #expect(erspan["type"] as? String == "erspan" && erspan["id"] as? Int == 33 && erspan["tenant"] == nil)
        #expect(erspan["layers"] as? [String] == ["gre", "erspan"])
    }

    /// The same inner addresses in VNI 100 and VNI 200: ten connections, two tenant-scoped services.
    @Test func tenantsStayApart() throws {
        let replay = try TunnelReplay.run(try TunnelCaptures.path("tenants"))
        let conns = replay.connections.filter { !$0.isInterim }
        #expect(conns.count == 10)
        #expect(Set(conns.map(\.tenant.name)) == ["vxlan:100", "vxlan:200"])
        #expect(conns.allSatisfy { $0.connState == "SF" && $0.originatorPackets == 6 && $0.responderPackets == 3 })
        let seen = Set(replay.records("service_seen").compactMap { $0["service"] as? String })
        #expect(seen == ["vxlan:100/192.0.2.10:80/tcp", "vxlan:200/192.0.2.10:80/tcp"])
        for id in seen { #expect(ServiceID(id)?.tenant == String(id.prefix(9))) }
        // Without VXLAN as a tenant key (or with both VNIs as mirror VNIs) they merge: five
        // connections of twice the packets, each a retransmission of the other tenant's.
        for tunnels in [TunnelAnalyticsConfig(tenantKeys: EncapsulationSet()),
                        TunnelAnalyticsConfig(tenantKeys: TunnelAnalyticsConfig.defaultTenantKeys, mirrorVNIs: [100, 200])] {
            var config = AnalyticsConfig.noTimeouts
            config.tunnels = tunnels
            let merged = try TunnelReplay.run(try TunnelCaptures.path("tenants"), config: config)
            let flows = merged.connections.filter { !$0.isInterim }
            #expect(flows.count == 5)
            #expect(flows.allSatisfy { $0.originatorPackets == 12 && !$0.tenant.isTenant })
            #expect(Set(merged.records("service_seen").compactMap { $0["service"] as? String }) == ["192.0.2.10:80/tcp"])
        }
    }

    /// ERSPAN sessions are not tenants by default: the two directions (sessions 1 and 2) make one
    /// conversation; as a tenant key they split it.
    @Test func erspanSessionsDoNotSplitConversations() throws {
        let replay = try TunnelReplay.run(try TunnelCaptures.path("erspan-sessions"))
        let conns = replay.connections.filter { !$0.isInterim && $0.transport == .tcp }
        #expect(conns.count == 40)
        #expect(conns.filter { $0.connState == "SF" }.count == 20 && conns.filter { $0.connState == "REJ" }.count == 20)
        var keys = EncapsulationSet()
        keys.insert(.erspan)
        var config = AnalyticsConfig.noTimeouts
        config.tunnels = TunnelAnalyticsConfig(tenantKeys: keys)
        let split = try TunnelReplay.run(try TunnelCaptures.path("erspan-sessions"), config: config)
        #expect(split.connections.filter { !$0.isInterim }.count == 80)
    }

    /// GTP-U TEIDs differ per direction: not a tenant by default, so one conversation each.
    @Test func gtpTEIDsDoNotSplitConversations() throws {
        let replay = try TunnelReplay.run(try TunnelCaptures.path("gtpu"))
        let conns = replay.connections.filter { !$0.isInterim }
        #expect(conns.count == 40 && conns.allSatisfy { !$0.tenant.isTenant })
        let t = try #require(conns.first?.tunnel)
        #expect(t.kind == .gtpU && t.id == 0x1001 && t.outerSrcPort == 2152 && t.outerDstPort == 2152)
    }

    /// Damaged tunnels: no crash, every packet counted, anomalies counted by kind.
    @Test func hostileTunnelsAreCountedNotFatal() throws {
        let path = try TunnelCaptures.path("hostile")
        let replay = try TunnelReplay.run(path)
        var frames: UInt64 = 0
        try #require(CaptureFile(path)).forEach { _, _, _ in frames += 1 }
        #expect(frames >= 22 && replay.counters.packets == frames)
        var byKind: [String: UInt64] = [:]
        for kind in DecodeAnomaly.allCases where replay.counters.anomalies[Int(kind.rawValue)] > 0 {
            byKind["\(kind)"] = replay.counters.anomalies[Int(kind.rawValue)]
        }
        print("hostile anomalies: \(byKind.sorted { $0.key < $1.key })")
        #expect(byKind["truncatedTunnel", default: 0] >= 4)
        #expect(byKind["tooManyEncapsulations", default: 0] >= 1)
        #expect(byKind["badTunnelHeader", default: 0] >= 1)
        #expect(byKind.values.reduce(0, +) >= 15)
        // The legitimately nested VXLAN-in-GRE-in-VXLAN packet is tracked as its inner SYN, in the
        // innermost VNI's tenant.
        let nested = replay.connections.filter { $0.tunnel?.layers.contains(.gre) == true && $0.tenant.kind == .vxlan }
        #expect(nested.contains { $0.tenant.id == 100 && $0.responder.description == "192.0.2.10" })
    }
}
