import ArgumentParser
import Foundation
import Analytics
import PacketDecoding
import Records

/// Cost and size of the records (issue 18): encoding time and bytes per record for each kind, and
/// what gzip (the record files' compression when closed) makes of them.
struct RecordsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "records",
        abstract: "Record encoding cost per kind (ns/record, bytes/record) and gzip of the NDJSON (ratio, MB/s).")

    @Option(help: "Records encoded per kind (timed).") var records = 2_000_000
    @Option(help: "Distinct sample records per kind, cycled (varied addresses, names, counters).") var samples = 4096
    @Option(help: "Every Nth sample record carries a tunnel (VXLAN, half of them a tenant); 0 = none.") var tunnelEvery = 4
    @Option(help: "Timed rounds per kind (the best is reported).") var rounds = 3
    @Option(help: "zlib level of the compression figures (the record files use 6).") var level: Int32 = 6
    @Option(help: "Also gzip this NDJSON file (e.g. records written with analytics.record_files_compress: false).")
    var compressFile: String?

    func run() throws {
        let set = SampleRecords(count: max(1, samples), tunnelEvery: tunnelEvery)
        var encoder = RecordEncoder(agentID: "edge-paris-01", epoch: 1_763_877_000_000)
        print("ns/record: thread CPU time, best of \(rounds) rounds")
        print("records: \(records) per kind, \(set.count) distinct samples, tunnel on 1 in \(tunnelEvery)")
        print(pad("kind", 14) + pad("ns/record", 11, right: true) + pad("bytes/record", 14, right: true)
              + pad("gzip bytes", 12, right: true) + pad("ratio", 8, right: true))
        var mixed: [UInt8] = []
        for kind in RecordKind.allCases {
            let encode = set.encoder(for: kind)
            var best = Double.infinity
            var bytes = 0
            for _ in 0 ..< max(1, rounds) {
                bytes = 0
                // Thread CPU time, not wall time: this VM is shared, and a busy neighbour would
                // otherwise show as encoding cost.
                let start = threadCPUSeconds()
                for i in 0 ..< records {
                    encoder.begin(kind, seq: UInt64(i + 1), ts: set.t0 + Int64(i) * 1000, agentTs: set.t0 + Int64(i) * 1000 + 1_000_000)
                    encode(&encoder, i)
                    encoder.end()
                    bytes &+= encoder.writer.bytes.count
                }
                best = min(best, threadCPUSeconds() - start)
            }
            // The size figures: one pass over the distinct samples, gzipped as the files are.
            var ndjson: [UInt8] = []
            for i in 0 ..< set.count {
                encoder.begin(kind, seq: UInt64(i + 1), ts: set.t0 + Int64(i) * 1000, agentTs: set.t0 + Int64(i) * 1000 + 1_000_000)
                encode(&encoder, i)
                encoder.end()
                ndjson += encoder.writer.bytes
            }
            mixed += ndjson
            let gz = try gzip(ndjson).compressed
            let ns = best * 1e9 / Double(records)
            print(pad(kind.name, 14) + String(format: "%11.0f %13.0f %11.1f %7.1fx", ns, Double(bytes) / Double(records),
                                                Double(gz) / Double(set.count), Double(ndjson.count) / Double(max(1, gz)))
                  + (ns > 1000 ? "  OVER 1 µs" : ""))
        }
        // Throughput of the finisher's gzip on a realistic volume: the samples repeated to 64 MiB
        // would compress unrealistically well, so the figure is taken on the distinct records only.
        let all = try gzip(mixed)
        print(String(format: "gzip level %d, all kinds: %d -> %d bytes (%.1fx), %.0f MB/s of NDJSON (CPU time)", level, mixed.count,
                     all.compressed, Double(mixed.count) / Double(max(1, all.compressed)), Double(mixed.count) / all.seconds / 1e6))
        if let compressFile {
            let size = Int(FileManager.default.fileSize(compressFile))
            let r = try gzip(path: compressFile)
            print(compressFile + String(format: ": %d -> %d bytes (%.1fx), %.0f MB/s of NDJSON (CPU time)", size, r.compressed,
                                        Double(size) / Double(max(1, r.compressed)), Double(size) / r.seconds / 1e6))
        }
    }

    private func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }

    /// gzips bytes through a temporary file, as the record-file finisher does.
    private func gzip(_ bytes: [UInt8]) throws -> (compressed: Int, seconds: Double) {
        let path = NSTemporaryDirectory() + "vigie-bench-records-\(getpid()).ndjson"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try gzip(path: path)
    }

    private func gzip(path: String) throws -> (compressed: Int, seconds: Double) {
        let out = NSTemporaryDirectory() + "vigie-bench-records-\(getpid()).ndjson.gz"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let start = threadCPUSeconds()
        let size = try RecordFileCompression.gzip(path, to: out, level: level)
        return (Int(size), threadCPUSeconds() - start)
    }
}

/// CPU time of the calling thread, in seconds.
private func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

private extension FileManager {
    func fileSize(_ path: String) -> UInt64 {
        ((try? attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }
}

/// Realistic records of every kind, built the way the analytics fill them: TCP conns with RTTs
/// and TLS/HTTP names, DNS over UDP, transactions with their protocol members, edges with both
/// histograms, service states with percentiles; some tunnelled (VXLAN, half of them tenants).
struct SampleRecords {
    let t0: Int64 = 1_767_225_600_000_000_000
    let conns: [ConnSummary]
    let txns: [TransactionSummary]
    let edges: [EdgeReport]
    let states: [ServiceStateReport]
    let seen: [ServiceSeenTracker.Announcement]
    let health: AgentHealth
    var count: Int { conns.count }

    init(count: Int, tunnelEvery: Int) {
        var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: UInt64) -> UInt64 {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return (rng >> 33) % bound
        }
        let hosts = ["api.example.com", "cdn.example.net", "login.corp.example", "www.example.org", "db-17.internal.example",
                     "metrics.example.io", "mail.example.com", "static.assets.example.com"]
        let paths = ["/", "/api/v1/orders?page=2", "/health", "/static/app.3f9a.js", "/login", "/api/v2/users/1842"]
        let t0 = self.t0
        var conns: [ConnSummary] = [], txns: [TransactionSummary] = [], edges: [EdgeReport] = []
        var states: [ServiceStateReport] = [], seen: [ServiceSeenTracker.Announcement] = []
        for i in 0 ..< count {
            let app: ApplicationProtocol = [.tls, .tls, .http, .dns, .none][i % 5]
            let transport: FlowTransport = app == .dns ? .udp : .tcp
            let port: UInt16 = switch app { case .dns: 53; case .http: 80; case .tls: 443; case .none: 5432 }
            var tunnel: TunnelSummary?
            var tenant = TenantKey.none
            if tunnelEvery > 0 && i % tunnelEvery == 0 {
                let vni = UInt32(100 + i % 7)
                if i % (2 * tunnelEvery) == 0 { tenant = TenantKey(kind: .vxlan, id: vni) }
                tunnel = TunnelSummary(kind: .vxlan, layers: EncapsulationSet(.vxlan), id: vni, hasID: true, hasOuter: true,
                                       outerSrc: IPAddress(ipv4: 0xC0A8_0000 | UInt32(next(256))), outerDst: IPAddress(ipv4: 0xC0A8_0001),
                                       outerSrcPort: UInt16(49152 + next(16000)), outerDstPort: 4789, outerIPProtocol: 17, tenant: tenant)
            }
            let client = IPAddress(ipv4: 0x0A00_0000 | UInt32(next(1 << 16)))
            let server = IPAddress(ipv4: 0x0A64_0000 | UInt32(next(64)))
            let clientPort = UInt16(32768 + next(28000))
            let service = ServiceKey(address: server, port: port, transport: transport, tenant: tenant)
            let start = t0 + Int64(i) * 1_000_000 + Int64(next(1_000_000))
            let host = hosts[Int(next(UInt64(hosts.count)))]

            var c = ConnSummary(flowID: next(UInt64.max), startNanos: start, lastNanos: start + Int64(next(30_000_000_000)),
                                originator: client, originatorPort: clientPort, responder: server, responderPort: port,
                                transport: transport, ipProtocol: transport == .udp ? 17 : 6, application: app,
                                connState: transport == .udp ? "SF" : ["SF", "SF", "SF", "S0", "REJ", "RSTO"][i % 6],
                                history: transport == .udp ? "Dd" : "ShADadFf", endReason: transport == .udp ? "timeout" : "fin")
            c.tenant = tenant
            c.tunnel = tunnel
            c.originatorPackets = 2 + next(40); c.responderPackets = 2 + next(60)
            c.originatorBytes = next(4000); c.responderBytes = next(200_000)
            c.originatorIPBytes = c.originatorBytes + 40 * c.originatorPackets
            c.responderIPBytes = c.responderBytes + 40 * c.responderPackets
            if transport == .tcp {
                c.serverRTTNanos = Int64(50_000 + next(2_000_000)); c.clientRTTNanos = Int64(20_000 + next(500_000))
                if i % 9 == 0 { c.originatorRetransmissions = UInt32(next(3)); c.responderRetransmissions = UInt32(1 + next(5)) }
            }
            if app != .none { c.responseTimeNanos = Int64(200_000 + next(50_000_000)) }
            switch app {
            case .dns: c.dnsQueryName = host
            case .http: c.httpHost = host
            case .tls: c.tlsServerName = host
            case .none: break
            }
            c.firstSegment = Int64(i / 500); c.lastSegment = c.firstSegment + Int64(next(2))
            conns.append(c)

            var t = TransactionSummary(flowID: c.flowID, application: app == .none ? .http : app, requestNanos: start + 100_000,
                                       responseTimeNanos: i % 11 == 0 ? -1 : Int64(300_000 + next(80_000_000)),
                                       client: client, clientPort: clientPort, service: service, isError: i % 11 == 0)
            t.tunnel = tunnel
            switch t.application {
            case .dns: t.dnsQueryName = host; t.dnsQueryType = 1; t.dnsRcode = t.isError ? -1 : 0; t.dnsAnswerCount = t.isError ? 0 : 2
            case .http, .none: t.httpMethod = i % 4 == 0 ? "POST" : "GET"; t.httpHost = host
                t.httpPath = paths[Int(next(UInt64(paths.count)))]; t.httpStatus = t.isError ? 503 : 200
            case .tls: t.tlsServerName = host; t.tlsVersion = 0x0304; t.tlsAlert = t.isError ? 40 : -1
            }
            txns.append(t)

            var counters = EdgeCounters()
            counters.attempts = 1 + next(200); counters.established = counters.attempts - next(2)
            counters.transactions = next(300); counters.transactionErrors = next(3)
            counters.bytesToServer = next(1 << 20); counters.bytesToClient = next(1 << 24); counters.retransmissions = next(10)
            for _ in 0 ..< 1 + next(40) { counters.rtt.add(nanos: Int64(50_000 + next(3_000_000))) }
            if app != .none { for _ in 0 ..< 1 + next(60) { counters.responseTime.add(nanos: Int64(200_000 + next(90_000_000))) } }
            edges.append(EdgeReport.make(edge: EdgeKey(client: client, service: service), application: app,
                                    intervalStartNanos: t0 + Int64(i / 100) * 60_000_000_000,
                                    intervalEndNanos: t0 + Int64(i / 100 + 1) * 60_000_000_000, counters: counters, tunnel: tunnel))

            var e = WindowEvidence()
            e.attempts = Int(next(500)); e.established = e.attempts; e.transactions = Int(next(800)); e.transactionErrors = Int(next(4))
            e.rttP50 = Int64(200_000 + next(400_000)); e.rttP95 = e.rttP50 * 3; e.rttP99 = e.rttP50 * 5
            e.responseP50 = Int64(2_000_000 + next(8_000_000)); e.responseP95 = e.responseP50 * 4; e.responseP99 = e.responseP50 * 9
            let window = t0 + Int64(i) * 10_000_000_000
            states.append(ServiceStateReport.make(service: service, application: app, state: i % 13 == 0 ? .degraded : .up,
                                             previousState: .up, reason: i % 13 == 0 ? .transition : .heartbeat,
                                             windowStartNanos: window, windowEndNanos: window + 10_000_000_000,
                                             sinceNanos: window - Int64(next(3600)) * 1_000_000_000, evidence: e, tunnel: tunnel))
            seen.append(ServiceSeenTracker.Announcement.make(service: service, application: app, firstSeenNanos: start, nanos: start,
                                                        isReannouncement: i % 3 == 0, tunnel: tunnel))
        }
        self.conns = conns; self.txns = txns; self.edges = edges; self.states = states; self.seen = seen
        var h = AgentHealth()
        h.packetsReceived = 184_467_440; h.packetsDropped = 12; h.flowsActive = 48_213; h.flowEvictions = 0
        h.anomalies = 1_204; h.storeBytes = 107_374_182_400; h.queryAPI = "https://edge-paris-01.example:8443"
        var r = StreamReassemblyCounters()
        r.segmentsHeld = 90_210; r.holesSkipped = 31; r.holeBytes = 45_260; r.bytesHeld = 29_200; r.peakBytesHeld = 8_760_000
        h.reassembly = r
        health = h
    }

    /// The body encoder of `kind` over sample `i` (cycled).
    func encoder(for kind: RecordKind) -> (inout RecordEncoder, Int) -> Void {
        let n = count
        switch kind {
        case .conn: return { [conns] e, i in e.conn(conns[i % n]) }
        case .txn: return { [txns] e, i in e.txn(txns[i % n], sampleRate: txns[i % n].isError ? 1 : 10) }
        case .edge: return { [edges] e, i in e.edge(edges[i % n]) }
        case .serviceState: return { [states] e, i in e.serviceState(states[i % n]) }
        case .serviceSeen: return { [seen] e, i in e.serviceSeen(seen[i % n]) }
        case .agentHealth:
            var stats = RecordEmitter.Stats.zero
            stats.emitted = [812_331, 90_114, 4_021, 7_550, 1_203, 61]
            stats.transactionsSampledOut = 811_020; stats.servicesTracked = 1_203
            return { [health, stats] e, _ in e.agentHealth(health, emitter: stats) }
        case .pin:
            return { e, i in
                e.pin(action: "created", id: "00c0ffee00c0ffee", from: 1_700_000_000_000_000_000 + Int64(i), to: 1_700_000_900_000_000_000,
                      reason: "service 10.0.0.5:443/tcp → DOWN (UNREACHABLE)", service: "10.0.0.5:443/tcp", state: "DOWN", origin: "incident")
            }
        }
    }
}
