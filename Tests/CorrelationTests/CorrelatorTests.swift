import Foundation
import Testing
import VigieTestSupport
@testable import Correlation

@Suite("Correlator")
struct CorrelatorTests {
    func make(_ clock: TestClock, store: SQLiteStore? = nil, config: CorrelatorConfig = CorrelatorConfig()) throws -> Correlator {
        try Correlator(config: config, store: store, inventory: try Inventory.parse(yaml: shopYAML), clock: clock.function)
    }

    @Test("service_state records from the docs drive the weather")
    func weatherFromRecords() throws {
        let clock = TestClock()
        let c = try make(clock)
        let r = c.ingest(Lines.batch([
            Lines.serviceSeen(seq: 2), Lines.serviceState(seq: 15, state: "DEGRADED"),
            Lines.serviceState(seq: 16, service: "10.0.0.7:5432/tcp", state: "UP"),
            Lines.serviceState(seq: 17, service: "[2001:db8::1]:53/udp", state: "UP"),
            Lines.agentHealth(seq: 25), Lines.conn(seq: 1), Lines.edge(seq: 24),
        ]))
        #expect(r.errors.isEmpty)
        #expect(r.accepted == 7)
        let w = c.weather()
        #expect(w.entry("web")?.state == .degraded)       // best of DEGRADED and UNKNOWN
        #expect(w.entry("web")?.coverage == 0.5)
        #expect(w.entry("shop")?.state == .degraded)
        #expect(w.entry("shop")?.rootCauses == ["10.0.0.5:443/tcp"])
        #expect(c.status("edge-paris-01")?.state == .ok)
        #expect(c.recentFlows(service: "10.0.0.5:443/tcp").count == 1)
        #expect(c.dependencies().count == 1)
    }

    @Test("state mapping of every agent value", arguments: [
        ("UP", Health.ok, false), ("DEGRADED", .degraded, false), ("UNREACHABLE", .down, false), ("REFUSED", .down, false),
        ("IDLE", .ok, true), ("UNKNOWN", .unknown, false),
    ])
    func mapping(value: String, health: Health, idle: Bool) throws {
        let c = try make(TestClock())
        _ = c.ingest(Lines.batch([Lines.serviceState(seq: 1, state: value)]))
        #expect(c.status("10.0.0.5:443/tcp")?.state == health)
        #expect(c.status("10.0.0.5:443/tcp")?.idle == idle)
    }

    @Test("several agents: worst of the fresh views; a stale agent's view is UNKNOWN, never DOWN")
    func mergeAndStaleness() throws {
        let clock = TestClock()
        var config = CorrelatorConfig()
        config.agentStaleAfter = 100
        let c = try make(clock, config: config)
        _ = c.ingest(Lines.batch([Lines.serviceState(agent: "a1", seq: 1, state: "UP"), Lines.serviceState(agent: "a2", seq: 1, state: "REFUSED")]))
        #expect(c.status("10.0.0.5:443/tcp")?.state == .down)
        #expect(c.status("10.0.0.5:443/tcp")?.causes == ["a2"])
        clock.advance(60)
        _ = c.ingest(Lines.batch([Lines.agentHealth(agent: "a1", seq: 2)]))   // a1 keeps reporting, a2 falls silent
        clock.advance(60)
        c.tick()
        #expect(c.status("10.0.0.5:443/tcp")?.state == .ok)
        clock.advance(60)
        c.tick()
        // Both silent now: UNKNOWN, coverage 0.
        let s = try #require(c.status("10.0.0.5:443/tcp"))
        #expect(s.state == .unknown)
        #expect(s.coverage == 0)
        #expect(c.weather().entry("web")?.state == .unknown)
        // a2 comes back with a heartbeat of another kind: its old view is fresh again.
        _ = c.ingest(Lines.batch([Lines.agentHealth(agent: "a2", seq: 2)]))
        #expect(c.status("10.0.0.5:443/tcp")?.state == .down)
    }

    @Test("maintenance windows and acknowledgements through the correlator")
    func maintenanceAndAcks() throws {
        let clock = TestClock()
        let c = try make(clock)
        _ = c.ingest(Lines.batch([Lines.serviceState(seq: 1, service: "10.0.0.7:5432/tcp", state: "UNREACHABLE")]))
        #expect(c.weather().entry("shop")?.state == .down)
        try c.addMaintenance(node: "db", start: clock.now + 10, end: clock.now + 100)
        #expect(c.weather().entry("shop")?.state == .down)       // not yet
        clock.advance(20)
        c.tick()
        #expect(c.weather().entry("shop")?.state == .ok)
        #expect(c.weather().entry("db")?.maintenance == true)
        clock.advance(100)
        c.tick()
        #expect(c.weather().entry("shop")?.state == .down)
        try c.acknowledge(node: "db", comment: "known")
        #expect(c.weather().entry("shop")?.acknowledged == true)
        _ = c.ingest(Lines.batch([Lines.serviceState(seq: 2, service: "10.0.0.7:5432/tcp", state: "UP")]))
        #expect(c.acknowledgements().isEmpty)                      // cleared on recovery
    }

    @Test("flapping: N changes within the window flag the node")
    func flapping() throws {
        let clock = TestClock()
        var config = CorrelatorConfig()
        config.flapThreshold = 4
        config.flapWindow = 300
        let c = try make(clock, config: config)
        var seq: Int64 = 0
        for state in ["UP", "REFUSED", "UP", "REFUSED", "UP"] {
            seq += 1
            clock.advance(10)
            _ = c.ingest(Lines.batch([Lines.serviceState(seq: seq, service: "10.0.0.7:5432/tcp", state: state)]))
        }
        #expect(c.isFlapping("db"))
        #expect(c.weather().entry("db")?.flapping == true)
        clock.advance(1000)
        #expect(!c.isFlapping("db"))
    }

    @Test("what-if computes the weather without touching the live state")
    func whatIf() throws {
        let c = try make(TestClock())
        _ = c.ingest(Lines.batch([Lines.serviceState(seq: 1, service: "10.0.0.7:5432/tcp", state: "UP"),
                                  Lines.serviceState(seq: 2, state: "UP")]))
        let before = c.weather()
        let w = try c.whatIf(node: "10.0.0.7:5432/tcp", state: .down)
        #expect(w.entry("shop")?.state == .down)
        #expect(w.entry("shop")?.rootCauses == ["10.0.0.7:5432/tcp"])
        #expect(c.weather().nodes == before.nodes)
        #expect(c.status("10.0.0.7:5432/tcp")?.state == .ok)
        #expect(throws: InventoryError.self) { try c.whatIf(node: "nope", state: .down) }
    }

    @Test("malformed lines are reported by number, unknown kinds counted, valid lines applied")
    func malformed() throws {
        let c = try make(TestClock())
        let r = c.ingest(Lines.batch([
            Lines.serviceState(seq: 1, state: "UP"), "{not json", #"{"schema_version":1,"kind":"future_kind","agent_id":"x","epoch":1,"seq":1,"ts":"2023-11-14T22:14:40Z","agent_ts":"2023-11-14T22:14:40Z"}"#,
            Lines.serviceState(seq: 2, state: "SIDEWAYS"), #"{"schema_version":1,"kind":"conn","agent_id":"x","epoch":1,"seq":0,"ts":"2023-11-14T22:14:40Z","agent_ts":"2023-11-14T22:14:40Z"}"#,
        ]))
        #expect(r.accepted == 2)
        #expect(r.unknownKinds == 1)
        #expect(r.errors.map(\.line) == [2, 4, 5])
        #expect(c.status("10.0.0.5:443/tcp")?.state == .ok)
        // The token's agent must match: a foreign record refuses the whole batch, nothing applied.
        let other = c.ingest(Lines.batch([Lines.serviceState(agent: "edge-paris-01", seq: 7, state: "REFUSED"),
                                          Lines.serviceState(agent: "intruder", seq: 1, state: "REFUSED")]), agent: "edge-paris-01")
        #expect(other.rejection?.kind == .foreignAgent)
        #expect(other.rejection?.line == 2)
        #expect(other.accepted == 0)
        #expect(c.status("10.0.0.5:443/tcp")?.state == .ok)
    }

    @Test("a batch of millions of malformed lines keeps the first 50 errors and a count (memory does not follow the line count)")
    func malformedFlood() throws {
        let c = try make(TestClock())
        let lines = 1_000_000
        var body = [UInt8]()
        body.reserveCapacity(lines * 2)
        for _ in 0..<lines { body.append(UInt8(ascii: "x")); body.append(0x0A) }
        let r = c.ingest(body)
        #expect(r.errors.count == 50)
        #expect(r.errors.map(\.line) == Array(1...50))
        #expect(r.errorCount == lines)
        #expect(c.metrics.rejected == lines)
    }

    @Test("a line longer than the record limit is a malformed line, not applied")
    func oversizedRecord() throws {
        let c = try make(TestClock())
        let long = Lines.serviceState(seq: 2, state: "REFUSED").replacingOccurrences(of: "\"state\"", with: "\"pad\":\"\(String(repeating: "a", count: 70_000))\",\"state\"")
        let r = c.ingest(Lines.batch([Lines.serviceState(seq: 1, state: "UP"), long]))
        #expect(r.accepted == 1)
        #expect(r.errors.map(\.line) == [2])
        #expect(r.errors.first?.message.contains("at most 65536") == true)
        #expect(c.status("10.0.0.5:443/tcp")?.state == .ok)
        // A larger limit takes it.
        #expect(c.ingest(Lines.batch([long]), maxRecordBytes: 1 << 20).accepted == 1)
    }

    @Test("Idempotency-Keys are scoped by agent: another agent's batch with the same key is applied")
    func idempotencyScopedByAgent() throws {
        let c = try make(TestClock())
        let intruder = c.ingest(Lines.batch([Lines.agentHealth(agent: "edge-d", seq: 1)]), idempotencyKey: "edge-paris-01-1-1")
        #expect(intruder.accepted == 1)
        // Unauthenticated: scoped by the batch's agent_id.
        let real = c.ingest(Lines.batch([Lines.serviceState(seq: 1, state: "REFUSED")]), idempotencyKey: "edge-paris-01-1-1")
        #expect(!real.replayed)
        #expect(real.accepted == 1)
        #expect(c.ingest(Lines.batch([Lines.serviceState(seq: 1, state: "REFUSED")]), idempotencyKey: "edge-paris-01-1-1").replayed)
        // Authenticated: scoped by the token's agent.
        let byToken = c.ingest(Lines.batch([Lines.serviceState(agent: "edge-e", seq: 2, state: "UP")]), agent: "edge-e", idempotencyKey: "edge-paris-01-1-1")
        #expect(!byToken.replayed && byToken.accepted == 1)
        // A keyed batch without a token must come from one agent.
        let mixed = c.ingest(Lines.batch([Lines.serviceState(seq: 3, state: "UP"), Lines.serviceState(agent: "edge-d", seq: 3, state: "UP")]),
                             idempotencyKey: "k")
        #expect(mixed.rejection?.kind == .mixedAgents)
        #expect(mixed.accepted == 0)
    }

    @Test("a batch stores the last view per (service, agent); a late record keeps the newer view but refreshes its agent")
    func storedViews() throws {
        let dir = Support.temporaryDirectory("views")
        let clock = TestClock()
        do {
            let c = try make(clock, store: try SQLiteStore(directory: dir))
            _ = c.ingest(Lines.batch([Lines.serviceState(seq: 5, state: "UP"), Lines.serviceState(seq: 6, state: "REFUSED")]))
            clock.advance(1)
            let late = c.ingest(Lines.batch([Lines.serviceState(seq: 3, state: "UP")]))
            #expect(late.accepted == 1)
            #expect(c.agentViews(service: "10.0.0.5:443/tcp").map(\.seq) == [6])
            #expect(c.agentList().first?.info.lastSeen == clock.now)
        }
        let reopened = try make(clock, store: try SQLiteStore(directory: dir))
        #expect(reopened.agentViews(service: "10.0.0.5:443/tcp").map(\.seq) == [6])
        #expect(reopened.status("10.0.0.5:443/tcp")?.state == .down)
    }

    @Test("concurrent ingests: what is stored agrees with memory after a restart")
    func concurrentIngestOrder() async throws {
        let dir = Support.temporaryDirectory("order")
        let clock = TestClock()
        let c = try make(clock, store: try SQLiteStore(directory: dir))
        let services = ["10.0.0.5:443/tcp", "10.0.0.6:443/tcp", "10.0.0.7:5432/tcp"]
        let states = ["UP", "REFUSED", "DEGRADED", "UNREACHABLE"]
        await withTaskGroup(of: Void.self) { group in
            // Eight senders of one agent's records (interleaved seqs): the same views are replaced
            // from concurrent batches. A smoke test (no deadlock, disk agrees with memory): the
            // window for a write out of apply order is too short for it to catch that reliably.
            for sender in 0..<8 {
                group.addTask {
                    for n in 0..<100 {
                        let lines = services.enumerated().map { k, service in
                            Lines.serviceState(seq: Int64((n * 8 + sender) * 3 + k + 1), service: service, state: states[(n + k + sender) % 4])
                        }
                        _ = c.ingest(Lines.batch(lines))
                    }
                }
            }
        }
        let reopened = try make(clock, store: try SQLiteStore(directory: dir))
        for id in services + ["web", "db", "shop"] {
            #expect(reopened.status(id)?.state == c.status(id)?.state, "\(id)")
            #expect(reopened.history(node: id, limit: 1).first?.state == c.status(id)?.state, "\(id)")
        }
        for service in services { #expect(reopened.agentViews(service: service) == c.agentViews(service: service)) }
    }

    @Test("duplicates and out-of-order seqs are dropped, across a restart through SQLite")
    func dedupAcrossRestart() throws {
        let dir = Support.temporaryDirectory("dedup")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = TestClock()
        do {
            let c = try make(clock, store: try SQLiteStore(directory: dir))
            let r = c.ingest(Lines.batch([Lines.serviceState(seq: 1, state: "UP"), Lines.serviceState(seq: 3, state: "DEGRADED"),
                                          Lines.serviceState(seq: 3, state: "DEGRADED")]), idempotencyKey: "edge-paris-01-1-3")
            #expect(r.accepted == 2)
            #expect(r.duplicates == 1)
            #expect(c.ingest(Lines.batch([Lines.serviceState(seq: 1, state: "UP")]), idempotencyKey: "edge-paris-01-1-3").replayed)
            let dep = c.ingest(Lines.batch([Lines.edge(seq: 4), Lines.conn(seq: 5)]))
            #expect(dep.accepted == 2)
        }
        clock.advance(5)
        let c = try make(clock, store: try SQLiteStore(directory: dir))
        #expect(c.status("10.0.0.5:443/tcp")?.state == .degraded)   // views reloaded
        let r = c.ingest(Lines.batch([Lines.serviceState(seq: 3, state: "UP"), Lines.serviceState(seq: 1, state: "UP"),
                                      Lines.serviceState(seq: 2, state: "REFUSED"), Lines.edge(seq: 4)]))
        #expect(r.duplicates == 3)
        #expect(r.accepted == 1)                                      // seq 2 arrived late: new
        #expect(c.status("10.0.0.5:443/tcp")?.state == .degraded)     // but seq 2 < 3: the view of seq 3 is kept
        #expect(c.ingest(Lines.batch([Lines.serviceState(seq: 9, state: "UP")]), idempotencyKey: "edge-paris-01-1-3").replayed)
        #expect(c.dependencies().count == 1)
        #expect(c.recentFlows(service: nil).count == 1)
        #expect(c.history(node: "10.0.0.5:443/tcp").first?.state == .degraded)
    }

    @Test("observed dependencies: new → confirmed → stale → gone; promotion adds the endpoint and the edge")
    func dependencies() throws {
        let dir = Support.temporaryDirectory("deps")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = TestClock()
        var config = CorrelatorConfig()
        config.dependencyStaleAfter = 100
        config.dependencyGoneAfter = 1000
        let c = try make(clock, store: try SQLiteStore(directory: dir), config: config)
        _ = c.ingest(Lines.batch([Lines.edge(seq: 1, client: "10.0.1.1", service: "10.0.0.9:8080/tcp")]))
        var d = try #require(c.dependencies().first)
        #expect(d.status == .new)
        #expect(d.dependency.attempts == 30)
        _ = try c.confirmDependency(d.dependency.id)
        #expect(c.dependencies().first?.status == .confirmed)
        clock.advance(200)
        #expect(c.dependencies().first?.status == .stale)
        clock.advance(1000)
        #expect(c.dependencies().first?.status == .gone)
        _ = c.ingest(Lines.batch([Lines.edge(seq: 2, client: "10.0.1.1", service: "10.0.0.9:8080/tcp")]))
        d = try #require(c.dependencies().first)
        #expect(d.status == .confirmed)
        #expect(d.dependency.attempts == 60)
        #expect(throws: InventoryError.self) { try c.promoteDependency(d.dependency.id, parent: "nowhere") }
        let p = try c.promoteDependency(d.dependency.id, parent: "shop")
        #expect(p.promoted)
        #expect(c.inventory.node("10.0.0.9:8080/tcp")?.kind == .endpoint)
        #expect(c.inventory.edges.contains(ImpactEdge(child: "10.0.0.9:8080/tcp", parent: "shop")))
        _ = c.ingest(Lines.batch([Lines.serviceState(seq: 3, service: "10.0.0.9:8080/tcp", state: "REFUSED")]))
        #expect(c.weather().entry("shop")?.rootCauses == ["10.0.0.9:8080/tcp"])
        // Reloaded from SQLite: the promoted inventory and the dependency.
        let again = try Correlator(config: config, store: try SQLiteStore(directory: dir), clock: clock.function)
        #expect(again.inventory.node("10.0.0.9:8080/tcp") != nil)
        #expect(again.dependencies().first?.dependency.promoted == true)
    }

    @Test("live inventory edits: cycles rejected, the live model unchanged")
    func edits() throws {
        let c = try make(TestClock())
        #expect {
            try c.upsertEdge(ImpactEdge(child: "shop", parent: "web"))
        } throws: { ($0 as? InventoryError).map { if case .cycle = $0.kind { true } else { false } } ?? false }
        #expect(!c.inventory.edges.contains { $0.child == "shop" })
        try c.upsertNode(Node(id: "crm", kind: .application))
        try c.upsertEdge(ImpactEdge(child: "db", parent: "crm"))
        _ = c.ingest(Lines.batch([Lines.serviceState(seq: 1, service: "10.0.0.7:5432/tcp", state: "DEGRADED")]))
        #expect(c.weather().entry("crm")?.state == .degraded)
        try c.removeNode("db")
        #expect(c.weather().entry("crm")?.state == .unknown)
        #expect(throws: InventoryError.self) { try c.removeNode("db") }
    }
}
