import PacketDecoding
import Records
@testable import Analytics
import VigieTestSupport

/// Drives a ``RecordEmitter`` through a scripted capture that produces every record kind.
enum RecordFixtures {
    static let t0 = ServiceScenario.t0
    static let s = ServiceScenario.second

    static func conn(id: UInt64, at t: Int64, dnsName: String = "", host: String = "") -> ConnSummary {
        var c = ConnSummary(flowID: id, startNanos: t, lastNanos: t + 2 * s,
                            originator: IPAddress(ipv4: 0x0A00_0101), originatorPort: 40000,
                            responder: IPAddress(ipv4: 0x0A00_0005), responderPort: 443, transport: .tcp,
                            ipProtocol: 6, outerVLAN: 10, application: .tls, connState: "SF",
                            history: "ShADadFf", endReason: "fin")
        c.originatorPackets = 10; c.responderPackets = 8; c.originatorBytes = 500; c.responderBytes = 9000
        c.originatorIPBytes = 900; c.responderIPBytes = 9400; c.serverRTTNanos = 1_234_567
        c.clientRTTNanos = 200_000; c.tlsServerName = "example.com"; c.dnsQueryName = dnsName
        c.httpHost = host; c.firstSegment = 3; c.lastSegment = 4
        return c
    }

    static func txn(id: UInt64, at t: Int64, app: ApplicationProtocol, error: Bool,
                    name: String = "example.com") -> TransactionSummary {
        let service = ServiceKey(address: IPAddress(ipv4: 0x0A00_0035), port: app == .dns ? 53 : app == .tls ? 443 : 80,
                                 transport: app == .dns ? .udp : .tcp)
        var x = TransactionSummary(flowID: id, application: app, requestNanos: t,
                                   responseTimeNanos: error ? -1 : 3_000_000,
                                   client: IPAddress(ipv4: 0x0A00_0101), clientPort: 5353,
                                   service: service, isError: error)
        switch app {
        case .dns: x.dnsQueryName = name; x.dnsQueryType = 1; x.dnsRcode = error ? -1 : 0; x.dnsAnswerCount = error ? 0 : 2; x.retries = error ? 2 : 0
        case .http: x.httpMethod = "GET"; x.httpHost = name; x.httpPath = "/a?b=\"c\""; x.httpStatus = error ? 503 : 200
        case .tls: x.tlsServerName = name; x.tlsVersion = 0x0304; x.tlsAlert = error ? 40 : -1
        case .none: break
        }
        return x
    }

    /// An emitter over a collecting output, fed with the lifecycle scenario plus conns and txns.
    static func run(sampleRate: Int = 1) -> (RecordEmitter, CollectingOutput) {
        let output = CollectingOutput()
        var config = RecordEmitterConfig(agentID: "agent-\"7\"", epoch: 1_763_877_000_000)
        config.transactionSampleRate = sampleRate
        var agentNow = Int64(1_763_877_000) * s
        let emitter = RecordEmitter(config: config, output: output) { agentNow += 1000; return agentNow }
        emitter.healthSource = {
            var h = AgentHealth()
            h.packetsReceived = 1000; h.packetsDropped = 2; h.flowsActive = 12
            var r = StreamReassemblyCounters()
            r.segmentsHeld = 7; r.holesSkipped = 1; r.holeBytes = 1460; r.bytesHeld = 2920; r.peakBytesHeld = 8760
            h.reassembly = r
            var kafka = SinkStats(name: "kafka")
            kafka.delivered = 900; kafka.pending = 3
            var http = SinkStats(name: "http")
            http.pending = 250; http.retried = 500; http.authFailures = 5; http.deadLettered = 50
            http.lastError = "HTTP 401: {\"type\":\"about:blank\",\"status\":401}"  // escaped in the record
            h.sinks = [kafka, http]
            return h
        }
        let scenario = ServiceScenario()
        let script: [ServiceScenario.Behaviour] = [.healthy, .healthy, .slow, .slow, .refusing, .gone, .healthy]
        var events: [ServiceObservation] = []
        for (w, b) in script.enumerated() { events += scenario.observations(window: w, b) }
        var next = 0
        var flow: UInt64 = 1
        var tick = t0
        while tick <= t0 + 130 * s {
            while next < events.count && events[next].timeNanos < tick {
                emitter.observe(events[next]); next += 1
            }
            if tick % (5 * s) == 0 {
                emitter.connection(conn(id: flow, at: tick - 2 * s))
                let app: ApplicationProtocol = [.dns, .http, .tls][Int(flow % 3)]
                emitter.transaction(txn(id: flow, at: tick - s, app: app, error: flow % 4 == 0))
                flow += 1
            }
            emitter.clock(tick)
            tick += s
        }
        // The agent's pins write through the same numbering (docs/pins.md).
        PinRecordWriter(emitter: emitter) { agentNow += 1000; return agentNow }
            .write(action: "created", id: "00c0ffee00c0ffee", from: t0, to: t0 + 60 * s, reason: "service 10.0.0.5:443/tcp → DOWN (REFUSED)",
                   service: "10.0.0.5:443/tcp", state: "DOWN", origin: "incident")
        emitter.finish()
        return (emitter, output)
    }
}
