import Foundation
import Testing
import VigieTestSupport
@testable import Correlation

/// One PostgreSQL server (initdb + pg_ctl on loopback) for the suite; each test has its own database.
let suitePostgres: PostgresServer? = try? PostgresServer()

@Suite("PostgreSQL store", .serialized,
       .enabled(if: PostgresServer.unavailableReason == nil, "needs PostgreSQL server binaries (apt install postgresql)"))
struct PostgresStoreTests {
    func database() throws -> String {
        let pg = try #require(suitePostgres, "PostgreSQL test server did not start")
        let name = "t_" + UUID().uuidString.prefix(8).lowercased()
        try pg.createDatabase(name)
        return pg.url(name)
    }

    func make(_ clock: TestClock, url: String, config: CorrelatorConfig = CorrelatorConfig(), inventory: Bool = true) throws -> Correlator {
        try Correlator(config: config, store: try PostgresStore(url: url), inventory: inventory ? try Inventory.parse(yaml: shopYAML) : nil,
                       clock: clock.function)
    }

    @Test("array parameters round-trip any text: quotes, backslashes, braces, commas, NULL, unicode")
    func arrayLiteral() throws {
        let connection = try PostgresConnection(url: try database())
        let values: [String?] = ["plain", "", "a,b", "{x}", "say \"hi\"", #"back\slash\"#, nil, "NULL", "é 漢字 🚀", " spaced ", "tab\tnew\nline"]
        let rows = try connection.execute("SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS x(v, n) ORDER BY n", [PostgresArray.text(values)])
        #expect(rows.rows.map { $0[0] } == values)
        let numbers = try connection.execute("SELECT sum(v) FROM unnest($1::float8[]) AS x(v)", [PostgresArray.numbers([1.5, 1_700_000_000.000123, -2])])
        #expect(Double(try #require(numbers[0, 0])) == 1.5 + 1_700_000_000.000123 - 2)
    }

    @Test("views, dedup marks, dependencies, flows, history and idempotency keys survive a restart")
    func restart() throws {
        let url = try database()
        let clock = TestClock()
        do {
            let c = try make(clock, url: url)
            let r = c.ingest(Lines.batch([Lines.serviceState(seq: 1, state: "UP"), Lines.serviceState(seq: 3, state: "DEGRADED"),
                                          Lines.serviceState(seq: 3, state: "DEGRADED"), Lines.edge(seq: 4), Lines.conn(seq: 5)]),
                             idempotencyKey: "k-1")
            #expect(r.accepted == 4)
            #expect(r.duplicates == 1)
            #expect(r.storageError == nil)
        }
        clock.advance(5)
        let c = try make(clock, url: url, inventory: false)
        #expect(c.inventory.node("shop") != nil)                      // the inventory came from PostgreSQL
        #expect(c.status("10.0.0.5:443/tcp")?.state == .degraded)
        let r = c.ingest(Lines.batch([Lines.serviceState(seq: 3, state: "UP"), Lines.serviceState(seq: 2, state: "REFUSED")]))
        #expect(r.duplicates == 1)
        #expect(r.accepted == 1)
        #expect(c.status("10.0.0.5:443/tcp")?.state == .degraded)     // seq 2 < 3: the view of seq 3 is kept
        #expect(c.ingest(Lines.batch([Lines.serviceState(seq: 9, state: "UP")]), idempotencyKey: "k-1").replayed)
        // Stored scoped by agent: another agent's batch with the same key is applied.
        let other = c.ingest(Lines.batch([Lines.agentHealth(agent: "edge-lyon-02", seq: 1)]), idempotencyKey: "k-1")
        #expect(!other.replayed && other.accepted == 1 && other.storageError == nil)
        #expect(c.dependencies().first?.dependency.attempts == 30)
        #expect(c.recentFlows(service: nil).count == 1)
        #expect(c.history(node: "10.0.0.5:443/tcp").first?.state == .degraded)
        #expect(c.availability(node: "10.0.0.5:443/tcp", period: 5)[.degraded] == 1)
    }

    @Test("two instances on one database see each other's views, inventory edits and maintenance")
    func sharedChanges() throws {
        let url = try database()
        let clock = TestClock()
        let a = try make(clock, url: url)
        let b = try make(clock, url: url, inventory: false)
        _ = try b.absorbSharedChanges()
        _ = a.ingest(Lines.batch([Lines.serviceState(seq: 1, service: "10.0.0.7:5432/tcp", state: "REFUSED")]))
        #expect(b.status("10.0.0.7:5432/tcp")?.state != .down)
        let events = try b.absorbSharedChanges()
        #expect(b.status("10.0.0.7:5432/tcp")?.state == .down)
        #expect(b.weather().entry("shop")?.rootCauses == ["10.0.0.7:5432/tcp"])
        #expect(events.contains { $0.node == "shop" && $0.state == .down })
        #expect(b.weather() == a.weather())
        // An edit on B reaches A.
        try b.upsertNode(Node(id: "crm", kind: .application))
        try b.upsertEdge(ImpactEdge(child: "db", parent: "crm"))
        _ = try a.absorbSharedChanges()
        #expect(a.weather().entry("crm")?.state == .down)
        // A maintenance window set on A reaches B.
        try a.addMaintenance(node: "db", start: clock.now - 1, end: clock.now + 600)
        _ = try b.absorbSharedChanges()
        #expect(b.maintenanceWindows().map(\.node) == ["db"])
        #expect(b.weather() == a.weather())
        // Nothing new: nothing changes.
        #expect(try b.absorbSharedChanges().isEmpty)
    }

    @Test("a Kafka partition moved to another instance resumes at the stored marks: a replay is dropped, new records applied")
    func partitionMarks() throws {
        let url = try database()
        let clock = TestClock()
        let a = try make(clock, url: url)
        let b = try make(clock, url: url)
        let scope = Correlator.kafkaScope(topic: "vigie.service_state", partition: 3)
        // Seqs with gaps: the agent's other records went to other partitions.
        let first = Lines.batch([1, 4, 6].map { Lines.serviceState(seq: $0, state: $0 == 6 ? "DEGRADED" : "UP") })
        #expect(a.ingest(first, scope: scope).accepted == 3)
        // A dies before committing; B gets the partition and Kafka redelivers from the last commit.
        let replay = Lines.batch([4, 6, 9].map { Lines.serviceState(seq: $0, state: $0 == 9 ? "REFUSED" : ($0 == 6 ? "DEGRADED" : "UP")) })
        let r = b.ingest(replay, scope: scope)
        #expect(r.duplicates == 2)
        #expect(r.accepted == 1)
        #expect(b.status("10.0.0.5:443/tcp")?.state == .down)
        // Another partition of the same agent keeps its own order.
        let other = Correlator.kafkaScope(topic: "vigie.service_state", partition: 0)
        #expect(b.ingest(Lines.batch([Lines.serviceState(seq: 2, service: "10.0.0.7:5432/tcp", state: "UP")]), scope: other).accepted == 1)
    }

    @Test("a PostgreSQL restart: the batch whose write failed is not applied; sent again, it is applied once and survives a reload")
    func databaseRestart() throws {
        let pg = try #require(suitePostgres)
        let url = try database()
        let clock = TestClock()
        let c = try make(clock, url: url)
        #expect(c.ingest(Lines.batch([Lines.serviceState(seq: 1, state: "UP")])).storageError == nil)
        let weatherBefore = c.weather()
        try pg.stop(immediate: true)
        let batch = Lines.batch([Lines.serviceState(seq: 2, service: "10.0.0.7:5432/tcp", state: "DEGRADED")])
        let failed = c.ingest(batch)
        #expect(failed.storageError != nil && failed.refused)
        #expect(failed.accepted == 0)                                  // nothing applied in memory
        #expect(c.weather() == weatherBefore)
        #expect(c.metrics.storageFailures == 1 && c.metrics.recordsIngested == 1)
        try pg.start()
        // The sender's retry: applied, not counted as a duplicate.
        let retried = c.ingest(batch)
        #expect(retried.storageError == nil && retried.accepted == 1 && retried.duplicates == 0)
        #expect(c.ingest(Lines.batch([Lines.serviceState(seq: 3, service: "[2001:db8::1]:53/udp", state: "UP")])).storageError == nil)
        let reloaded = try make(clock, url: url, inventory: false)
        #expect(reloaded.status("10.0.0.7:5432/tcp")?.state == .degraded)
        #expect(reloaded.status("[2001:db8::1]:53/udp")?.state == .ok)
        #expect(reloaded.weather() == c.weather())
        #expect(reloaded.history(node: "db").first?.state == .degraded)
        #expect(reloaded.ingest(batch).duplicates == 1)
    }

    @Test("a wrong URL or an unreachable server is a clear, retriable error")
    func badURL() throws {
        #expect {
            _ = try PostgresStore(url: "postgresql://postgres@127.0.0.1:1/none")
        } throws: { error in
            guard let e = error as? PostgresError else { return false }
            return e.isRetriable && e.description.contains("cannot connect")
        }
    }
}
