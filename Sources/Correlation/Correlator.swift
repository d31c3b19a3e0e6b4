import Foundation

/// The correlation engine: inventory, agent views, propagation, observed dependencies,
/// maintenance, acknowledgements, flapping, dedup and persistence. Thread-safe, so HTTP handlers
/// call it directly.
///
/// The coordinator: each concern's state is a value it owns (``IngestLedger``, ``AgentBook``,
/// ``StateBoard``, ``OperatorActions``, ``DependencyBook``, ``FlowLog``), all guarded by the one
/// state lock `lock`; ``StoreWriter`` orders the writes and ``Subscribers`` holds the event
/// streams, each under a lock of its own. One lock for the whole state because a batch touches
/// nearly every concern: one lock makes a batch atomic in memory with no order to get wrong. Every
/// change goes through ``commit(_:)`` (Correlator+Commit.swift): applied, written, and undone if
/// the write fails. This file holds the batch sequence (``ingest`` and ``apply``); the other
/// operations are in `Correlator+*.swift`. The locking story, step by step: docs/server.md, "Locking".
public final class Correlator: @unchecked Sendable {
    public let config: CorrelatorConfig
    let clock: @Sendable () -> Double
    /// The state lock: guards every stored `var` below. Held briefly: never during a write.
    let lock = NSLock()
    /// Storage writes in the order changes were applied (the store lock, a leaf).
    let writer: StoreWriter
    var store: (any CorrelationStorage)? { writer.store }

    /// Inventory, propagation, history's last states, flapping.
    var board: StateBoard
    /// Views, liveness and health lines of the agents.
    var agentBook: AgentBook
    /// Duplicate marks and Idempotency-Keys.
    var ledger: IngestLedger
    var deps: DependencyBook
    /// Maintenance windows and acknowledgements.
    var operatorActions: OperatorActions
    var flowLog: FlowLog
    /// The agents' pins, from their `pin` records.
    var pinLedger = PinLedger()
    /// The event streams (their own lock).
    let subscribers = Subscribers()
    /// Position in a shared store's change feed (`absorbSharedChanges`, Correlator+SharedStore.swift).
    var sharedCursor: Int64 = 0
    /// Counters and gauges of every concern (`/metrics`).
    var counters = CorrelatorMetrics()
    /// When the metric history was last pruned (``tick()``, once a minute).
    var lastHistoryPrune = 0.0
    /// The latest edge window start ingested (packet time): retention counts back from it.
    var newestHistoryWindow = 0.0

    /// Opens the engine; with a store, reloads the state saved there (the inventory saved there wins
    /// over `inventory` unless `replaceStoredInventory`).
    public init(config: CorrelatorConfig = CorrelatorConfig(), store: (any CorrelationStorage)? = nil, inventory: Inventory? = nil,
                replaceStoredInventory: Bool = false, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws {
        self.config = config
        self.clock = clock
        writer = StoreWriter(store: store)
        var inv = inventory ?? Inventory()
        var saved: StoredState?
        if let store {
            let s = try store.load()
            saved = s
            if let stored = s.inventory, !(replaceStoredInventory && inventory != nil) { inv = stored }
        }
        try inv.validate()
        board = StateBoard(inventory: inv, flaps: FlapDetector(threshold: config.flapThreshold, window: config.flapWindow),
                           lastStates: saved?.lastStates ?? [:])
        agentBook = AgentBook(merge: ViewMerge(agentStaleAfter: config.agentStaleAfter, viewStaleAfter: config.viewStaleAfter),
                              views: saved?.views ?? [], agents: saved?.agents ?? [])
        ledger = IngestLedger(config: config, marks: saved?.dedup ?? [:], keys: saved?.idempotencyKeys ?? [])
        deps = DependencyBook(staleAfter: config.dependencyStaleAfter, goneAfter: config.dependencyGoneAfter, loaded: saved?.dependencies ?? [])
        operatorActions = OperatorActions(maintenance: saved?.maintenance ?? [], acknowledgements: saved?.acknowledgements ?? [])
        flowLog = FlowLog(maxInMemory: config.maxFlowsInMemory, retention: config.flowRetention)
        var batch = StoreBatch()
        if store != nil && saved?.inventory != inv { batch.inventory = inv }
        locked {
            let now = clock()
            _ = board.propagator.setMaintenance(operatorActions.activeMaintenance(at: now))
            _ = board.propagator.setAcknowledged(operatorActions.acknowledgedNodes)
            refreshAllLeaves(now: now)
            // History: record nodes whose state differs from the last recorded one.
            for id in board.graph.order {
                let s = board.propagator.status[id]!
                if board.lastStates[id] != s.state {
                    batch.history.append(HistoryEntry(node: id, at: now, state: s.state, previous: board.lastStates[id], causes: s.causes))
                    board.lastStates[id] = s.state
                }
            }
            updateGauges(now: now)
        }
        try store?.write(batch)
    }

    // MARK: Ingest
    // The one call into the record parser is the `RecordParser.parse` line of `ingest` (kept as it
    // was, so the Records module's change of that line merges as is); `apply` takes parsed records.

    /// Ingests an NDJSON batch. `agent`: the agent the bearer token belongs to (records of another
    /// agent id are rejected); nil when authentication is off. Valid lines are applied even when
    /// others are malformed (the first ones are returned, all are counted). A batch whose
    /// `idempotencyKey` was already applied by the same agent is not applied again (`replayed`):
    /// keys are scoped by agent (the token's agent, else the one `agent_id` of the batch's
    /// records), so one agent's key never stands for another's batch. Lines longer than
    /// `maxRecordBytes` are malformed.
    ///
    /// `scope` names an ordered source, a Kafka partition (`kafkaScope`): there, duplicates are
    /// told by the highest seq seen per agent and epoch in that scope, and with a shared store the
    /// marks other instances stored for it are read first (a partition moved here by a rebalance
    /// resumes where its previous owner stopped, whatever was committed to Kafka).
    public func ingest(_ bytes: some Collection<UInt8>, agent: String? = nil, idempotencyKey: String? = nil, scope: String? = nil,
                       maxRecordBytes: Int = RecordParser.defaultMaxLineBytes) -> IngestResult {
        // Authenticated: the key's scope is known before parsing (a replay costs no parse).
        if let key = idempotencyKey, let agent, let replay = replayed(Self.scopedKey(agent: agent, key)) { return replay }
        let parsed = RecordParser.parse(batch: bytes, maxErrors: config.maxReportedErrors, maxLineBytes: maxRecordBytes)
        if let agent, let foreign = parsed.records.first(where: { $0.envelope.agentID != agent }) {
            var r = IngestResult()
            r.rejection = IngestRejection(kind: .foreignAgent, line: foreign.line,
                                          message: "agent_id '\(foreign.envelope.agentID)' is not the token's agent '\(agent)'")
            return r
        }
        var scopedKey: String?
        if let key = idempotencyKey {
            let owner: String
            if let agent { owner = agent } else {
                owner = parsed.records.first?.envelope.agentID ?? ""
                if let other = parsed.records.first(where: { $0.envelope.agentID != owner }) {
                    var r = IngestResult()
                    r.rejection = IngestRejection(kind: .mixedAgents, line: other.line,
                                                  message: "a batch with an Idempotency-Key must come from one agent: agent_id '\(other.envelope.agentID)' after '\(owner)'")
                    return r
                }
                if let replay = replayed(Self.scopedKey(agent: owner, key)) { return replay }
            }
            scopedKey = Self.scopedKey(agent: owner, key)
        }
        return apply(parsed.records, errors: parsed.errors, errorCount: parsed.errorCount, agent: agent, idempotencyKey: scopedKey, scope: scope)
    }

    /// Ingests records that arrive one per message, all from one ordered `scope` (a Kafka
    /// partition): message `k` is line `k + 1`. Parsed and applied as ``ingest(_:agent:idempotencyKey:scope:maxRecordBytes:)``
    /// does a batch that has no token and no idempotency key (same dedup, errors and storage).
    public func ingest(payloads: [[UInt8]], scope: String, maxRecordBytes: Int = RecordParser.defaultMaxLineBytes) -> IngestResult {
        let parsed = RecordParser.parse(payloads: payloads, maxErrors: config.maxReportedErrors, maxLineBytes: maxRecordBytes)
        return apply(parsed.records, errors: parsed.errors, errorCount: parsed.errorCount, agent: nil, idempotencyKey: nil, scope: scope)
    }

    /// An idempotency key as remembered and stored: scoped by its agent. The agent id is
    /// length-prefixed (`LEN|AGENT|KEY`) so that no agent id or key can forge another's scope
    /// (and no NUL byte reaches PostgreSQL, whose text cannot hold one).
    public static func scopedKey(agent: String, _ key: String) -> String { "\(agent.utf8.count)|\(agent)|\(key)" }

    /// The answer to a batch whose scoped key was already applied, else nil. A key is in the ledger
    /// as soon as its batch is applied, before it is stored: the answer waits until the writes
    /// reserved so far have returned, and if one failed (its batch may be this one, now undone)
    /// the batch goes through ``apply`` again, where duplicates are told apart as always.
    private func replayed(_ scopedKey: String) -> IngestResult? {
        let place = locked { ledger.hasApplied(scopedKey) ? writer.reserve() : nil }
        guard let place, writer.barrier(place) else { return nil }
        locked { counters.replayedBatches += 1 }
        var r = IngestResult(); r.replayed = true; return r
    }

    /// The dedup scope of a Kafka partition.
    public static func kafkaScope(topic: String, partition: Int32) -> String { "kafka:\(topic)/\(partition)" }

    /// Applies parsed records. `idempotencyKey` is remembered as given (``ingest`` passes it scoped);
    /// `errorCount`: the malformed lines in all when `errors` holds only the first ones.
    ///
    /// The batch, step by step (docs/server.md, "Locking"), as one ``commit(_:)``: (1) with a shared
    /// store and a scope, raise the scope's marks to the stored ones (refuse the batch if they cannot
    /// be read); (2) per record: dedup in the ledger, then the record's concern (agent views,
    /// dependencies, flows, health lines); (3) propagate the touched leaves and turn the changes into
    /// history, flapping, acknowledgement clearing and events; (4) remember the key, count; (5) write.
    /// If the write fails, (1)–(4) are undone: the answer is `refused` with the `storageError`, and
    /// the batch sent again is applied once.
    public func apply(_ records: [IngestRecord], errors parseErrors: [LineError] = [], errorCount: Int? = nil, agent: String? = nil,
                      idempotencyKey: String? = nil, scope: String? = nil) -> IngestResult {
        var result = IngestResult()
        result.errors = parseErrors
        result.errorCount = max(errorCount ?? parseErrors.count, parseErrors.count)
        do throws(BatchRefused) {
            let (applied, failure) = try commit { (change) throws(BatchRefused) -> IngestResult in
                var r = result
                try applyRecords(records, agent: agent, idempotencyKey: idempotencyKey, scope: scope, into: &change, result: &r)
                return r
            }
            if let failure {
                result.storageError = failure
                result.refused = true
            } else {
                result = applied
            }
        } catch {
            // Without the stored marks a replay could be applied twice: refuse the batch (Kafka redelivers it).
            result.storageError = error.reason
            result.refused = true
        }
        return result
    }

    /// The stored duplicate marks of the batch's scope could not be read.
    struct BatchRefused: Error { var reason: String }

    /// Steps (1)–(4) of ``apply``, state lock held (inside ``commit(_:)``).
    private func applyRecords(_ records: [IngestRecord], agent: String?, idempotencyKey: String?, scope: String?,
                              into change: inout PendingChange, result: inout IngestResult) throws(BatchRefused) {
        let now = clock()
        var touchedServices = Set<String>(), touchedAgents = Set<String>(), revived = Set<String>()
        var changedDeps: [Int64: ObservedDependency] = [:]
        /// The history series of each endpoint of the batch (its inventory ancestors), found once.
        var rollups: [String: [SeriesKey]] = [:]
        if let scope, let store, store.isShared {
            do {
                ledger.raiseScoped(to: try store.dedupMarks(prefix: scope + "|"))
            } catch {
                throw BatchRefused(reason: "\(error)")
            }
        }
        for r in records {
            let e = r.envelope
            if let agent, e.agentID != agent {
                // ingest() refuses such a batch whole; a direct caller gets the line reported.
                if result.errors.count < config.maxReportedErrors {
                    result.errors.append(LineError(line: r.line, "agent_id '\(e.agentID)' does not match the token's agent '\(agent)'"))
                }
                result.errorCount += 1
                continue
            }
            guard ledger.insert(agent: e.agentID, epoch: e.epoch, seq: e.seq, scope: scope) else { result.duplicates += 1; continue }
            result.accepted += 1
            var info = agentBook.agents[e.agentID] ?? AgentInfo(agent: e.agentID, lastSeen: 0, epoch: e.epoch, health: nil)
            if !agentBook.isFresh(info, at: now) { revived.insert(e.agentID) }
            info.lastSeen = max(info.lastSeen, now)
            info.epoch = max(info.epoch, e.epoch)
            switch r.body {
            case .serviceState(let s):
                let v = AgentView(agent: e.agentID, service: s.service, state: s.state, updated: now, ts: e.ts, epoch: e.epoch, seq: e.seq)
                if agentBook.record(v) != .late { touchedServices.insert(s.service) }
            case .edge(let edge):
                let d = deps.observe(edge, agent: e.agentID, at: now)
                changedDeps[d.id] = d
                if let window = edge.window, config.history.enabled {
                    addToHistory(window, client: edge.client, service: edge.service, into: &change.batch.metrics, rollups: &rollups)
                }
            case .serviceSeen(let seen):
                flowLog.noteSeen(seen)
            case .agentHealth(let line):
                info.health = line
                // Came with the agent's own token (apply refused any other agent_id above).
                if agent != nil { agentBook.recordAuthenticatedHealth(agent: e.agentID, line) }
            case .flow(let service, let line):
                let f = FlowRecord(agent: e.agentID, kind: e.kind, service: service, ts: e.ts, line: line)
                flowLog.append(f)
                change.batch.flows.append(f)
            case .pin(let p):
                pinLedger.apply(agent: e.agentID, p, at: now)
            case .unknown:
                result.unknownKinds += 1
            }
            agentBook.agents[e.agentID] = info
            touchedAgents.insert(e.agentID)
        }
        // The views to store: the last one per (service, agent) of the batch (the ones updated now).
        change.batch.views = agentBook.views(of: touchedServices, updatedAt: now)
        for a in revived { touchedServices.formUnion(agentBook.services(of: a)) }
        let started = DispatchTime.now().uptimeNanoseconds
        let changes = board.propagator.setLeaves(leafInputs(services: touchedServices, agents: touchedAgents, now: now))
        counters.nodesRecomputed += board.propagator.lastRecomputed
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        result.changes = handle(changes, now: now, into: &change)
        change.batch.agents = touchedAgents.compactMap { agentBook.agents[$0] }
        change.batch.dedup = ledger.takeDirtyMarks()
        change.batch.dependencies = Array(changedDeps.values)
        if let key = idempotencyKey, result.errorCount == 0 {
            ledger.remember(key)
            change.batch.idempotencyKey = key
        }
        counters.batches += 1
        counters.recordsIngested += result.accepted
        counters.duplicates += result.duplicates
        counters.rejected += result.errorCount
        counters.unknownKinds += result.unknownKinds
        counters.propagations += 1
        counters.propagationSeconds += elapsed
        counters.lastPropagationSeconds = elapsed
        updateGauges(now: now)
    }

    /// Runs `body` with the state lock held (typed throws, unlike `NSLock.withLock` on Linux).
    func locked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
