import Foundation
import Testing
import VigieTestSupport
@testable import Correlation

/// Every state change is applied, written, and undone if the write fails: a sender that retries
/// after a failed write gets its batch applied exactly once, and a restart shows only what was
/// stored. The store here is SQLite behind a switch that makes writes fail (disk full, database
/// down) or wait (a slow fsync).
@Suite("Atomic commit: a change the store refuses is undone")
final class AtomicCommitTests {
    /// SQLite whose writes fail while `failing`, or wait for `release` while `holding`.
    final class FaultyStore: CorrelationStorage, @unchecked Sendable {
        struct Refused: Error, CustomStringConvertible { var description: String { "database or disk is full" } }
        let inner: SQLiteStore
        private let lock = NSLock()
        private var failingValue = false
        private var holding: (entered: DispatchSemaphore, release: DispatchSemaphore)?
        /// Writes stored, and writes tried (stored or failed).
        private(set) var writes = 0, attempts = 0
        init(directory: String) throws { inner = try SQLiteStore(directory: directory) }

        var failing: Bool {
            get { lock.withLock { failingValue } }
            set { lock.withLock { failingValue = newValue } }
        }
        /// The next write signals `entered`, then waits for `release`.
        func holdNextWrite() -> (entered: DispatchSemaphore, release: DispatchSemaphore) {
            let h = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
            lock.withLock { holding = h }
            return h
        }

        func write(_ batch: StoreBatch) throws {
            let hold = lock.withLock { () -> (entered: DispatchSemaphore, release: DispatchSemaphore)? in
                defer { holding = nil }
                return holding
            }
            if let hold { hold.entered.signal(); hold.release.wait() }
            lock.withLock { attempts += 1 }
            if failing { throw Refused() }
            try inner.write(batch)
            lock.withLock { writes += 1 }
        }
        func load() throws -> StoredState { try inner.load() }
        func history(node: String, limit: Int) throws -> [HistoryEntry] { try inner.history(node: node, limit: limit) }
        func historyRows(node: String, from: Double, to: Double) throws -> [(at: Double, state: Health)] {
            try inner.historyRows(node: node, from: from, to: to)
        }
        func flows(service: String?, limit: Int) throws -> [FlowRecord] { try inner.flows(service: service, limit: limit) }
        func prune(flowsBefore: Double, keysBefore: Double) throws { try inner.prune(flowsBefore: flowsBefore, keysBefore: keysBefore) }
    }

    /// Each test: its own directory, clock, store and correlator with the shop inventory.
    let dir = Support.temporaryDirectory("atomic")
    let clock = TestClock()
    let store: FaultyStore
    let c: Correlator

    init() throws {
        store = try FaultyStore(directory: dir)
        c = try Self.make(clock, store)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    static func make(_ clock: TestClock, _ store: any CorrelationStorage) throws -> Correlator {
        try Correlator(store: store, inventory: try Inventory.parse(yaml: shopYAML), clock: clock.function)
    }

    /// Collects what a subscription publishes.
    final class EventLog: @unchecked Sendable {
        private let lock = NSLock()
        private var events: [StateChangeEvent] = []
        init(_ stream: AsyncStream<StateChangeEvent>) {
            Task { for await e in stream { lock.withLock { events.append(e) } } }
        }
        /// What was published so far (after letting the collector run).
        func published() async -> [StateChangeEvent] {
            try? await Task.sleep(nanoseconds: 200_000_000)
            return lock.withLock { events }
        }
    }

    @Test("a batch whose write fails changes nothing and publishes nothing; the retry is applied once and survives a restart")
    func failedWriteThenRetry() async throws {
        #expect(c.ingest(Lines.batch([Lines.serviceState(seq: 1, state: "UP")])).storageError == nil)
        let (id, stream) = c.subscribe()
        defer { c.unsubscribe(id) }
        let events = EventLog(stream)
        let weather = c.weather(), flows = c.recentFlows(service: nil), dependencies = c.dependencies()
        let batch = Lines.batch([Lines.serviceState(seq: 2, state: "DEGRADED"), Lines.conn(seq: 3), Lines.edge(seq: 4),
                                 Lines.agentHealth(seq: 5)])

        store.failing = true
        let failed = c.ingest(batch, idempotencyKey: "k1")
        #expect(failed.refused && failed.storageError?.contains("disk is full") == true)
        #expect(failed.accepted == 0 && failed.duplicates == 0 && failed.changes == 0)
        #expect(c.weather() == weather)
        #expect(c.recentFlows(service: nil) == flows)
        #expect(c.dependencies() == dependencies)
        #expect(c.metrics.recordsIngested == 1 && c.metrics.storageFailures == 1)
        #expect(await events.published().isEmpty)

        store.failing = false
        let retried = c.ingest(batch, idempotencyKey: "k1")
        #expect(!retried.replayed && retried.accepted == 4 && retried.duplicates == 0 && retried.storageError == nil)
        #expect(c.status("10.0.0.5:443/tcp")?.state == .degraded)
        #expect(await events.published().map(\.node).contains("10.0.0.5:443/tcp"))
        #expect(c.ingest(batch, idempotencyKey: "k1").replayed)
        #expect(c.ingest(batch).duplicates == 4)

        let reopened = try Self.make(clock, try SQLiteStore(directory: dir))
        #expect(reopened.weather().nodes.map(\.state) == c.weather().nodes.map(\.state))
        #expect(reopened.dependencies().map(\.dependency) == c.dependencies().map(\.dependency))
        #expect(reopened.ingest(batch).duplicates == 4)
    }

    @Test("an operator's edit the store refuses is a 'not stored' error and changes nothing")
    func failedEdit() throws {
        let inventory = c.inventory
        store.failing = true
        #expect { try c.addMaintenance(node: "web", start: 0, end: 2e9) } throws: { ($0 as? InventoryError)?.kind == .notStored }
        #expect(c.maintenanceWindows().isEmpty)
        #expect(c.status("web")?.maintenance == false)
        #expect { try c.upsertNode(Node(id: "cache", kind: .service)) } throws: { ($0 as? InventoryError)?.kind == .notStored }
        #expect(c.inventory == inventory && c.node("cache") == nil)
        store.failing = false
        try c.upsertNode(Node(id: "cache", kind: .service))
        #expect(try SQLiteStore(directory: dir).load().inventory?.node("cache") != nil)
    }

    @Test("a tick whose write fails publishes nothing; the next one makes the same change and stores it")
    func failedTick() async throws {
        _ = c.ingest(Lines.batch([Lines.serviceState(seq: 1, state: "UP")]))
        #expect(c.status("edge-paris-01")?.state == .ok)
        clock.advance(3600)  // the agent falls silent: stale
        store.failing = true
        #expect(c.tick().isEmpty)
        #expect(c.status("edge-paris-01")?.state == .ok)
        store.failing = false
        #expect(c.tick().contains { $0.node == "edge-paris-01" })
        #expect(c.history(node: "edge-paris-01").first?.state == .unknown)
    }

    @Test("reads go on while a batch is being written")
    func readsDuringWrite() async throws {
        let hold = store.holdNextWrite()
        let c = c
        let writing = Thread { _ = c.ingest(Lines.batch([Lines.serviceState(seq: 1, state: "UP")])) }
        writing.start()
        #expect(hold.entered.wait(timeout: .now() + 10) == .success)
        // The write is in progress (held): a read must not wait for it.
        let read = DispatchSemaphore(value: 0)
        Thread { _ = c.weather(); read.signal() }.start()
        #expect(read.wait(timeout: .now() + 5) == .success)
        hold.release.signal()
    }

    @Test("a batch applied while an earlier one is written is undone with it when that write fails; both retried apply once")
    func pipelinedFailure() throws {
        _ = c.ingest(Lines.batch([Lines.serviceState(seq: 1, state: "UP")]))
        let weather = c.weather()
        let first = Lines.batch([Lines.serviceState(seq: 2, state: "DEGRADED")])
        let second = Lines.batch([Lines.serviceState(seq: 3, service: "10.0.0.7:5432/tcp", state: "REFUSED"), Lines.edge(seq: 4)])
        let hold = store.holdNextWrite()
        let c = c
        let results = ResultBox()
        let one = Thread { results.set(0, c.ingest(first)) }
        one.start()
        #expect(hold.entered.wait(timeout: .now() + 10) == .success)
        // The second batch is applied on top of the first while the first is being written.
        let two = Thread { results.set(1, c.ingest(second)) }
        two.start()
        for _ in 0..<200 where c.status("10.0.0.7:5432/tcp")?.state != .down { usleep(10_000) }
        #expect(c.status("10.0.0.7:5432/tcp")?.state == .down)
        store.failing = true
        hold.release.signal()
        let both = try #require(results.wait(count: 2))
        #expect(both[0].refused && both[1].refused)
        #expect(both[0].accepted == 0 && both[1].accepted == 0)
        #expect(c.weather() == weather)
        #expect(c.dependencies().isEmpty)
        store.failing = false
        #expect(c.ingest(first).accepted == 1)
        #expect(c.ingest(second).accepted == 2)
        #expect(c.status("10.0.0.7:5432/tcp")?.state == .down && c.status("10.0.0.5:443/tcp")?.state == .degraded)
        // The inventory at start, seq 1, the failed first batch, the two retries: the second
        // batch was never written on top of the failed one.
        #expect(store.attempts == 5 && store.writes == 4)
    }

    /// Results handed over from other threads.
    final class ResultBox: @unchecked Sendable {
        private let condition = NSCondition()
        private var results: [Int: IngestResult] = [:]
        func set(_ index: Int, _ r: IngestResult) {
            condition.withLock { results[index] = r; condition.broadcast() }
        }
        /// Results 0..<count in order, or nil after 10 s.
        func wait(count: Int) -> [IngestResult]? {
            condition.withLock {
                let deadline = Date().addingTimeInterval(10)
                while results.count < count { if !condition.wait(until: deadline) { return nil } }
                return (0..<count).map { results[$0]! }
            }
        }
    }
}
