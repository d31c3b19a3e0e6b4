import Foundation

/// Tunables of the correlation engine (seconds).
public struct CorrelatorConfig: Sendable {
    /// An agent with no record (any kind) for this long is stale: its views count as UNKNOWN.
    public var agentStaleAfter: Double = 180
    /// A view (one agent's `service_state` of one service) not refreshed for this long is UNKNOWN.
    public var viewStaleAfter: Double = 600
    /// Flapping: `flapThreshold` state changes within `flapWindow`.
    public var flapThreshold = 5
    public var flapWindow: Double = 600
    public var dependencyStaleAfter: Double = 3600
    public var dependencyGoneAfter: Double = 7 * 86400
    /// `conn`/`txn` records are kept this long (by packet time relative to the newest one) and at most `maxFlowsInMemory` in memory.
    public var flowRetention: Double = 3600
    public var maxFlowsInMemory = 10_000
    /// Seqs remembered above the contiguous high-water mark, per (agent, epoch).
    public var dedupMaxAbove = 1024
    /// Idempotency keys remembered.
    public var maxIdempotencyKeys = 10_000
    /// Malformed lines of a batch reported in full (the others are only counted).
    public var maxReportedErrors = RecordParser.defaultMaxErrors
    /// Records from one Kafka partition (see `ingest(_:scope:)`) arrive in the order the agent sent
    /// them, so a duplicate there is any seq at or below the highest seen in that scope.
    public init() {}
}

/// The outcome of one ingested batch.
public struct IngestResult: Sendable {
    public var accepted = 0
    public var duplicates = 0
    public var unknownKinds = 0
    /// The first malformed lines (at most `CorrelatorConfig.maxReportedErrors`), in line order.
    public var errors: [LineError] = []
    /// Malformed lines in all (`errors` holds the first ones only).
    public var errorCount = 0
    /// The whole batch was refused before anything was applied (``IngestRejection``).
    public var rejection: IngestRejection?
    /// State changes the batch caused.
    public var changes = 0
    /// The batch's idempotency key was already applied: nothing was done.
    public var replayed = false
    /// Storage failed: the batch is applied in memory but not persisted yet (it is written with
    /// the next batch), or, with `refused`, not applied at all.
    public var storageError: String?
    /// Nothing was applied (the stored duplicate marks could not be read): send the batch again.
    public var refused = false
}

/// Why a whole batch was refused (nothing applied).
public struct IngestRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// A record's `agent_id` is not the agent of the bearer token (HTTP 403).
        case foreignAgent
        /// An `Idempotency-Key` batch without a token mixes agent ids: the key cannot be scoped (HTTP 400).
        case mixedAgents
    }
    public var kind: Kind
    /// The 1-based line at fault.
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

/// A state change, as the event stream carries it.
public struct StateChangeEvent: Sendable, Codable, Hashable {
    public var node: String
    public var kind: NodeKind
    public var state: Health
    public var previous: Health?
    public var causes: [String]
    public var rootCauses: [String]
    public var flapping: Bool
    /// Server time, seconds since 1970.
    public var at: Double
}

/// One node as the weather shows it.
public struct WeatherEntry: Sendable, Codable, Hashable {
    public var id: String
    public var kind: NodeKind
    public var name: String?
    public var state: Health
    public var coverage: Double
    public var causes: [String]
    public var rootCauses: [String]
    public var score: Double?
    public var idle: Bool
    public var maintenance: Bool
    public var acknowledged: Bool
    public var flapping: Bool
    public var forced: Bool
}

public struct Weather: Sendable, Codable, Hashable {
    public var generatedAt: Double
    public var nodes: [WeatherEntry]
    public func entry(_ id: String) -> WeatherEntry? { nodes.first { $0.id == id } }
}

/// Counters for `/metrics`.
public struct CorrelatorMetrics: Sendable {
    public var recordsIngested = 0
    public var duplicates = 0
    public var rejected = 0
    public var unknownKinds = 0
    public var batches = 0
    public var replayedBatches = 0
    public var stateChanges = 0
    public var propagations = 0
    public var propagationSeconds = 0.0
    public var lastPropagationSeconds = 0.0
    public var nodesRecomputed = 0
    public var nodes = 0
    public var nodesByState: [Health: Int] = [:]
    public var agents = 0
    public var staleAgents = 0
    public var dependencies = 0
    public var subscribers = 0
    /// Batches whose storage failed (kept in memory and written with a later batch).
    public var storageFailures = 0
}

/// The correlation engine: inventory, agent views, propagation, observed dependencies,
/// maintenance, acknowledgements, flapping, dedup and persistence. Thread-safe (one lock; every
/// public method is short), so HTTP handlers call it directly.
public final class Correlator: @unchecked Sendable {
    public let config: CorrelatorConfig
    let store: (any CorrelationStorage)?
    let clock: @Sendable () -> Double
    let lock = NSLock()
    /// Serializes storage writes in the order the state changed. Taken with `lock` held (never the
    /// other way round); `apply` then releases `lock` while its batch is written, so the next batch is
    /// applied in memory while this one reaches the disk.
    let storeLock = NSLock()

    private var inventoryValue: Inventory
    private var propagator: Propagator
    private var merge: ViewMerge
    private var views: [String: [String: AgentView]] = [:]   // service -> agent -> view
    private var agentServices: [String: Set<String>] = [:]   // agent -> services it has views of
    private var agents: [String: AgentInfo] = [:]
    private var dedup: DedupTracker
    /// Duplicate marks of ordered scopes (Kafka partitions), keyed `scope|agent`.
    private var scopedDedup: DedupTracker
    /// What failed to be stored, written with the next batch (under storeLock).
    private var pending: StoreBatch?
    /// Writes that failed (under storeLock).
    private var storageFailures = 0
    /// Position in a shared store's change feed (`absorbSharedChanges`).
    private var sharedCursor: Int64 = 0
    private var deps: DependencyBook
    private var maintenance: [MaintenanceWindow] = []
    private var nextMaintenanceID: Int64 = 1
    private var acks: [String: Acknowledgement] = [:]
    private var flaps: FlapDetector
    private var lastStates: [String: Health] = [:]
    private var seenServices: [String: ServiceSeenRecord] = [:]
    private var flows: [FlowRecord] = []
    private var newestFlowTS = 0.0
    private var appliedKeys: [String: Int] = [:]
    private var keyOrder: [String] = []
    private var counters = CorrelatorMetrics()
    private var subscribers: [UUID: AsyncStream<StateChangeEvent>.Continuation] = [:]
    /// Agent → its last `agent_health` line that came with its own bearer token, since this process
    /// started (not stored): what the drill-down trusts a token agent's `query_api` from.
    private var authenticatedHealth: [String: String] = [:]

    /// Opens the engine; with a store, reloads the state saved there (the inventory saved there wins
    /// over `inventory` unless `replaceStoredInventory`).
    public init(config: CorrelatorConfig = CorrelatorConfig(), store: (any CorrelationStorage)? = nil, inventory: Inventory? = nil,
                replaceStoredInventory: Bool = false, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws {
        self.config = config
        self.store = store
        self.clock = clock
        merge = ViewMerge(agentStaleAfter: config.agentStaleAfter, viewStaleAfter: config.viewStaleAfter)
        flaps = FlapDetector(threshold: config.flapThreshold, window: config.flapWindow)
        var inv = inventory ?? Inventory()
        var saved: StoredState?
        if let store {
            let s = try store.load()
            saved = s
            if let stored = s.inventory, !(replaceStoredInventory && inventory != nil) { inv = stored }
        }
        try inv.validate()
        inventoryValue = inv
        propagator = Propagator(graph: Graph(inv))
        let marks = saved?.dedup ?? [:]
        dedup = DedupTracker(maxAbove: config.dedupMaxAbove, marks: marks.filter { !Self.isScoped($0.key.agent) })
        scopedDedup = DedupTracker(maxAbove: 0, marks: marks.filter { Self.isScoped($0.key.agent) })
        deps = DependencyBook(staleAfter: config.dependencyStaleAfter, goneAfter: config.dependencyGoneAfter, loaded: saved?.dependencies ?? [])
        if let s = saved {
            for v in s.views { views[v.service, default: [:]][v.agent] = v; agentServices[v.agent, default: []].insert(v.service) }
            for a in s.agents { agents[a.agent] = a }
            maintenance = s.maintenance
            nextMaintenanceID = (maintenance.map(\.id).max() ?? 0) + 1
            for a in s.acknowledgements { acks[a.node] = a }
            lastStates = s.lastStates
            for k in s.idempotencyKeys.reversed() { rememberKey(k) }
        }
        var batch = StoreBatch()
        if store != nil && saved?.inventory != inv { batch.inventory = inv }
        locked {
            let now = clock()
            _ = propagator.setMaintenance(activeMaintenance(at: now))
            _ = propagator.setAcknowledged(Set(acks.keys))
            refreshAllLeaves(now: now)
            // History: record nodes whose state differs from the last recorded one.
            for id in propagator.graph.order {
                let s = propagator.status[id]!
                if lastStates[id] != s.state {
                    batch.history.append(HistoryEntry(node: id, at: now, state: s.state, previous: lastStates[id], causes: s.causes))
                    lastStates[id] = s.state
                }
            }
            updateGauges(now: now)
        }
        try store?.write(batch)
    }

    // MARK: Reading

    public var inventory: Inventory { locked { inventoryValue } }

    public func status(_ id: String) -> NodeStatus? { locked { propagator.status[id] } }

    public func node(_ id: String) -> Node? { locked { propagator.graph.nodes[id] } }

    /// The weather: every node of the given kinds (default: services and applications), worst first.
    public func weather(kinds: Set<NodeKind>? = [.service, .application]) -> Weather {
        locked { weather(of: propagator, kinds: kinds, now: clock()) }
    }

    private func weather(of p: Propagator, kinds: Set<NodeKind>?, now: Double) -> Weather {
        var entries: [WeatherEntry] = []
        for id in p.graph.order {
            let node = p.graph.nodes[id]!
            guard kinds == nil || kinds!.contains(node.kind), let s = p.status[id] else { continue }
            entries.append(WeatherEntry(id: id, kind: node.kind, name: node.name, state: s.state, coverage: s.coverage, causes: s.causes,
                                        rootCauses: s.rootCauses, score: s.score, idle: s.idle, maintenance: s.maintenance,
                                        acknowledged: s.acknowledged, flapping: flaps.isFlapping(id, at: now), forced: s.forced))
        }
        entries.sort { (($0.state.severity ?? -1), $1.id) > (($1.state.severity ?? -1), $0.id) }
        return Weather(generatedAt: now, nodes: entries)
    }

    /// What-if: the whole weather with `node` forced to `state`; the live state is untouched.
    public func whatIf(node: String, state: Health, kinds: Set<NodeKind>? = [.service, .application]) throws(InventoryError) -> Weather {
        try locked { () throws(InventoryError) -> Weather in
            guard propagator.graph.nodes[node] != nil else { throw InventoryError(.notFound, subject: "node '\(node)'", "no such node") }
            var copy = propagator
            copy.force(node, state)
            return weather(of: copy, kinds: kinds, now: clock())
        }
    }

    public func isFlapping(_ id: String) -> Bool { locked { flaps.isFlapping(id, at: clock()) } }

    public func agentViews(service: String) -> [AgentView] {
        locked { (views[service] ?? [:]).values.sorted { $0.agent < $1.agent } }
    }

    /// Agent → its last `agent_health` line received with its own token since start (HTTP ingest);
    /// an announcement through Kafka or unauthenticated ingest is not in it.
    public func authenticatedHealthLines() -> [String: String] { locked { authenticatedHealth } }

    public func agentList() -> [(info: AgentInfo, fresh: Bool)] {
        locked {
            let now = clock()
            return agents.values.sorted { $0.agent < $1.agent }.map { ($0, merge.isFresh($0, at: now)) }
        }
    }

    public func history(node: String, limit: Int = 50) -> [HistoryEntry] {
        (try? store?.history(node: node, limit: limit)) ?? []
    }

    /// Share of the last `period` seconds a node spent in each state (from the stored history).
    public func availability(node: String, period: Double) -> [Health: Double] {
        let now = clock()
        guard let t = try? store?.timeInStates(node: node, from: now - period, to: now) else { return [:] }
        return t.mapValues { $0 / period }
    }

    public func recentFlows(service: String?, limit: Int = 100) -> [FlowRecord] {
        if let s = try? store?.flows(service: service, limit: limit) { return s }
        return locked { Array(flows.reversed().filter { service == nil || $0.service == service }.prefix(limit)) }
    }

    public var metrics: CorrelatorMetrics {
        var m = locked { counters }
        storeLock.lock()
        m.storageFailures = storageFailures
        storeLock.unlock()
        return m
    }

    public func maintenanceWindows() -> [MaintenanceWindow] { locked { maintenance } }
    public func acknowledgements() -> [Acknowledgement] { locked { acks.values.sorted { $0.node < $1.node } } }

    // MARK: Ingest

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

    /// The answer to a batch whose scoped key was already applied, else nil.
    private func replayed(_ scopedKey: String) -> IngestResult? {
        guard locked({ appliedKeys[scopedKey] != nil }) else { return nil }
        return locked {
            counters.replayedBatches += 1
            // The first copy may still be being written: answer once it is on disk (its apply
            // took storeLock before this one could see the key).
            try? persisting {}
            var r = IngestResult(); r.replayed = true; return r
        }
    }

    /// The dedup scope of a Kafka partition.
    public static func kafkaScope(topic: String, partition: Int32) -> String { "kafka:\(topic)/\(partition)" }
    static func isScoped(_ key: String) -> Bool { key.hasPrefix("kafka:") }

    /// Applies parsed records. `idempotencyKey` is remembered as given (``ingest`` passes it scoped);
    /// `errorCount`: the malformed lines in all when `errors` holds only the first ones.
    public func apply(_ records: [IngestRecord], errors parseErrors: [LineError] = [], errorCount: Int? = nil, agent: String? = nil,
                      idempotencyKey: String? = nil, scope: String? = nil) -> IngestResult {
        var result = IngestResult()
        result.errors = parseErrors
        result.errorCount = max(errorCount ?? parseErrors.count, parseErrors.count)
        var batch = StoreBatch()
        lock.lock()
        let now = clock()
        var touchedServices = Set<String>(), touchedAgents = Set<String>(), revived = Set<String>()
        var changedDeps: [Int64: ObservedDependency] = [:]
        if let scope, let store, store.isShared {
            do {
                for (k, m) in try store.dedupMarks(prefix: scope + "|") { scopedDedup.raise(k, to: m.high) }
            } catch {
                // Without the stored marks a replay could be applied twice: refuse the batch (Kafka redelivers it).
                lock.unlock()
                result.storageError = "\(error)"
                result.refused = true
                return result
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
            let fresh = scope.map { scopedDedup.insert(agent: $0 + "|" + e.agentID, epoch: e.epoch, seq: e.seq) }
                ?? dedup.insert(agent: e.agentID, epoch: e.epoch, seq: e.seq)
            guard fresh else { result.duplicates += 1; continue }
            result.accepted += 1
            var info = agents[e.agentID] ?? AgentInfo(agent: e.agentID, lastSeen: 0, epoch: e.epoch, health: nil)
            if !merge.isFresh(info, at: now) { revived.insert(e.agentID) }
            info.lastSeen = max(info.lastSeen, now)
            info.epoch = max(info.epoch, e.epoch)
            switch r.body {
            case .serviceState(let s):
                let v = AgentView(agent: e.agentID, service: s.service, state: s.state, updated: now, ts: e.ts, epoch: e.epoch, seq: e.seq)
                let update = Self.replaceView(in: &views[s.service, default: [:]], with: v)
                // A new view: its agent's list gains the service (a replaced one is already there).
                if update == .added { agentServices[e.agentID, default: []].insert(s.service) }
                if update != .late { touchedServices.insert(s.service) }
            case .edge(let edge):
                let d = deps.observe(edge, agent: e.agentID, at: now)
                changedDeps[d.id] = d
            case .serviceSeen(let seen):
                seenServices[seen.service] = seen
            case .agentHealth(let line):
                info.health = line
                // Came with the agent's own token (apply refused any other agent_id above).
                if agent != nil { authenticatedHealth[e.agentID] = line }
            case .flow(let service, let line):
                let f = FlowRecord(agent: e.agentID, kind: e.kind, service: service, ts: e.ts, line: line)
                flows.append(f)
                newestFlowTS = max(newestFlowTS, e.ts)
                if flows.count > config.maxFlowsInMemory { flows.removeFirst(flows.count - config.maxFlowsInMemory) }
                batch.flows.append(f)
            case .unknown:
                result.unknownKinds += 1
            }
            agents[e.agentID] = info
            touchedAgents.insert(e.agentID)
        }
        // The views to store: the last one per (service, agent) of the batch (the ones updated now).
        for service in touchedServices {
            for v in views[service]!.values where v.updated == now { batch.views.append(v) }
        }
        for a in revived { touchedServices.formUnion(agentServices[a] ?? []) }
        let started = DispatchTime.now().uptimeNanoseconds
        var inputs: [String: LeafInput] = [:]
        for s in touchedServices where propagator.graph.nodes[s]?.kind == .endpoint { inputs[s] = leafInput(for: s, now: now) }
        for a in touchedAgents where propagator.graph.nodes[a]?.kind == .agent { inputs[a] = leafInput(for: a, now: now) }
        let changes = propagator.setLeaves(inputs)
        counters.nodesRecomputed += propagator.lastRecomputed
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let events = handle(changes, now: now, batch: &batch)
        result.changes = events.count
        batch.agents = touchedAgents.compactMap { agents[$0] }
        batch.dedup = dedup.takeDirty() + scopedDedup.takeDirty()
        batch.dependencies = Array(changedDeps.values)
        if let key = idempotencyKey, result.errorCount == 0 {
            rememberKey(key)
            batch.idempotencyKey = key
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
        // Write (and fsync) after releasing the state lock; storeLock keeps batches in apply order.
        storeLock.lock()
        lock.unlock()
        result.storageError = writeWithPending(batch)
        storeLock.unlock()
        return result
    }

    /// Writes `batch` in order with the other writes (lock held by the caller); nil on success,
    /// else the error.
    @discardableResult
    private func persist(_ batch: StoreBatch) -> String? {
        storeLock.lock()
        defer { storeLock.unlock() }
        return writeWithPending(batch)
    }

    /// Writes `batch` after what failed before; nil on success, else the error (everything is then
    /// kept pending for the next write). storeLock held.
    private func writeWithPending(_ batch: StoreBatch) -> String? {
        guard let store else { return nil }
        var all = pending ?? StoreBatch()
        all.merge(batch)
        if all.isEmpty { return nil }
        do {
            try store.write(all)
            pending = nil
            return nil
        } catch {
            all.compact(maxFlows: config.maxFlowsInMemory)
            pending = all
            storageFailures += 1
            return "\(error)"
        }
    }

    enum ViewUpdate { case added, replaced, late }

    /// Puts `view` in its service's views (one per agent) unless the one held is newer: a late
    /// record (lower (epoch, seq)) does not replace it.
    static func replaceView(in perAgent: inout [String: AgentView], with view: AgentView) -> ViewUpdate {
        if let old = perAgent[view.agent] {
            if (old.epoch, old.seq) > (view.epoch, view.seq) { return .late }
            perAgent[view.agent] = view
            return .replaced
        }
        perAgent[view.agent] = view
        return .added
    }

    private func rememberKey(_ key: String) {
        if appliedKeys[key] != nil { return }
        appliedKeys[key] = 1
        keyOrder.append(key)
        if keyOrder.count > config.maxIdempotencyKeys {
            let drop = keyOrder.count - config.maxIdempotencyKeys
            for k in keyOrder.prefix(drop) { appliedKeys[k] = nil }
            keyOrder.removeFirst(drop)
        }
    }

    /// Re-evaluates what depends on the clock: agent and view staleness, maintenance windows,
    /// flapping, old flow records. Call every few seconds.
    @discardableResult
    public func tick() -> [StateChangeEvent] {
        lock.lock()
        defer { lock.unlock() }
        let now = clock()
        var batch = StoreBatch()
        var changes = propagator.setMaintenance(activeMaintenance(at: now))
        changes += refreshAllLeaves(now: now)
        let events = handle(changes, now: now, batch: &batch)
        flaps.prune(at: now)
        if newestFlowTS > 0 {
            flows.removeAll { $0.ts < newestFlowTS - config.flowRetention }
            try? persisting { try store?.prune(flowsBefore: newestFlowTS - config.flowRetention, keysBefore: now - 7 * 86400) }
        }
        updateGauges(now: now)
        persist(batch)
        return events
    }

    // MARK: Leaves and changes (lock held)

    private func leafInput(for id: String, now: Double) -> LeafInput {
        guard let node = propagator.graph.nodes[id] else { return .unknown }
        switch node.kind {
        case .endpoint:
            return merge.merge(Array((views[id] ?? [:]).values), agents: agents, at: now)
        case .agent:
            return merge.isFresh(agents[id], at: now) ? LeafInput(state: .ok) : .unknown
        default:
            return .unknown
        }
    }

    @discardableResult
    private func refreshAllLeaves(now: Double) -> [StatusChange] {
        var inputs: [String: LeafInput] = [:]
        for (id, node) in propagator.graph.nodes where node.kind == .endpoint || node.kind == .agent {
            inputs[id] = leafInput(for: id, now: now)
        }
        return propagator.setLeaves(inputs)
    }

    private func activeMaintenance(at now: Double) -> Set<String> {
        Set(maintenance.filter { $0.isActive(at: now) }.map(\.node))
    }

    /// History, flapping, acknowledgement clearing and events for a list of changes.
    private func handle(_ changes: [StatusChange], now: Double, batch: inout StoreBatch) -> [StateChangeEvent] {
        var events: [StateChangeEvent] = []
        var clearAcks: [String] = []
        // Only the final status of each node counts.
        var final: [String: NodeStatus] = [:]
        var order: [String] = []
        for c in changes { if final[c.id] == nil { order.append(c.id) }; final[c.id] = c.new }
        for id in order {
            let s = final[id]!
            guard lastStates[id] != s.state, let node = propagator.graph.nodes[id] else { continue }
            let previous = lastStates[id]
            lastStates[id] = s.state
            let flapping = flaps.record(id, at: now)
            batch.history.append(HistoryEntry(node: id, at: now, state: s.state, previous: previous, causes: s.causes))
            let event = StateChangeEvent(node: id, kind: node.kind, state: s.state, previous: previous, causes: s.causes,
                                         rootCauses: s.rootCauses, flapping: flapping, at: now)
            events.append(event)
            if s.state == .ok, acks[id] != nil { clearAcks.append(id) }
        }
        if !clearAcks.isEmpty {
            for id in clearAcks { acks[id] = nil }
            _ = propagator.setAcknowledged(Set(acks.keys))
            batch.acknowledgements = Array(acks.values)
        }
        counters.stateChanges += events.count
        for e in events { for c in subscribers.values { c.yield(e) } }
        return events
    }

    private func updateGauges(now: Double) {
        counters.nodes = propagator.graph.order.count
        var byState: [Health: Int] = [:]
        for s in propagator.status.values { byState[s.state, default: 0] += 1 }
        counters.nodesByState = byState
        counters.agents = agents.count
        counters.staleAgents = agents.values.filter { !merge.isFresh($0, at: now) }.count
        counters.dependencies = deps.byID.count
        counters.subscribers = subscribers.count
    }

    // MARK: Inventory edits

    /// Replaces the whole inventory (validated first: nothing changes on error).
    public func replaceInventory(_ inv: Inventory) throws(InventoryError) {
        try inv.validate()
        try locked { () throws(InventoryError) in try install(inv) }
    }

    /// Adds or replaces a node.
    public func upsertNode(_ node: Node) throws(InventoryError) {
        try edit { inv in
            if let i = inv.nodes.firstIndex(where: { $0.id == node.id }) { inv.nodes[i] = node } else { inv.nodes.append(node) }
        }
    }

    /// Removes a node and its edges.
    public func removeNode(_ id: String) throws(InventoryError) {
        try edit { (inv) throws(InventoryError) in
            guard inv.nodes.contains(where: { $0.id == id }) else { throw InventoryError(.notFound, subject: "node '\(id)'", "no such node") }
            inv.nodes.removeAll { $0.id == id }
            inv.edges.removeAll { $0.child == id || $0.parent == id }
            for i in inv.nodes.indices { inv.nodes[i].rules.removeAll { $0.child == id } }
        }
    }

    /// Adds or replaces the edge child → parent.
    public func upsertEdge(_ edge: ImpactEdge) throws(InventoryError) {
        try edit { inv in
            if let i = inv.edges.firstIndex(where: { $0.key == edge.key }) { inv.edges[i] = edge } else { inv.edges.append(edge) }
        }
    }

    public func removeEdge(child: String, parent: String) throws(InventoryError) {
        try edit { (inv) throws(InventoryError) in
            guard inv.edges.contains(where: { $0.child == child && $0.parent == parent }) else {
                throw InventoryError(.notFound, subject: "edge '\(child) -> \(parent)'", "no such edge")
            }
            inv.edges.removeAll { $0.child == child && $0.parent == parent }
            for i in inv.nodes.indices where inv.nodes[i].id == parent { inv.nodes[i].rules.removeAll { $0.child == child } }
        }
    }

    private func edit(_ change: (inout Inventory) throws(InventoryError) -> Void) throws(InventoryError) {
        try locked { () throws(InventoryError) in
            var inv = inventoryValue
            try change(&inv)
            try inv.validate()
            try install(inv)
        }
    }

    /// Lock held; `inv` validated. `persist`: false when the inventory comes from the shared store.
    private func install(_ inv: Inventory, persist: Bool = true) throws(InventoryError) {
        let now = clock()
        var batch = StoreBatch()
        if persist {
            batch.inventory = inv
            do {
                try persisting {
                    var withPending = pending ?? StoreBatch()
                    withPending.merge(batch)
                    try store?.write(withPending)
                    pending = nil
                }
            } catch { throw InventoryError(subject: "inventory", "not saved: \(error)") }
            batch = StoreBatch()
        }
        inventoryValue = inv
        var changes = propagator.setGraph(Graph(inv))
        changes += refreshAllLeaves(now: now)
        // Nodes that appeared get a first history entry.
        _ = handle(changes, now: now, batch: &batch)
        for id in propagator.graph.order where lastStates[id] == nil {
            let s = propagator.status[id]!
            lastStates[id] = s.state
            batch.history.append(HistoryEntry(node: id, at: now, state: s.state, previous: nil, causes: s.causes))
        }
        updateGauges(now: now)
        if persist { self.persist(batch) }
    }

    // MARK: Shared store

    /// Applies what other server instances wrote to a shared store since the last call: their
    /// agents' views and liveness, inventory, maintenance windows and acknowledgements; then
    /// propagates like an ingest. Their history is theirs to write: nothing is written here.
    /// Call it from one thread (on `NOTIFY`, and periodically).
    @discardableResult
    public func absorbSharedChanges() throws -> [StateChangeEvent] {
        guard let store, store.isShared else { return [] }
        let changes = try store.changes(since: locked { sharedCursor })
        return locked {
            sharedCursor = max(sharedCursor, changes.cursor)
            guard !changes.isEmpty else { return [] }
            let now = clock()
            var batch = StoreBatch()
            var statusChanges: [StatusChange] = []
            if let inv = changes.inventory, inv != inventoryValue, (try? inv.validate()) != nil {
                inventoryValue = inv
                statusChanges += propagator.setGraph(Graph(inv))
                statusChanges += refreshAllLeaves(now: now)
            }
            if let m = changes.maintenance {
                maintenance = m
                nextMaintenanceID = max(nextMaintenanceID, (m.map(\.id).max() ?? 0) + 1)
                statusChanges += propagator.setMaintenance(activeMaintenance(at: now))
            }
            if let a = changes.acknowledgements {
                acks = Dictionary(a.map { ($0.node, $0) }, uniquingKeysWith: { $1 })
                statusChanges += propagator.setAcknowledged(Set(acks.keys))
            }
            var touchedServices = Set<String>(), touchedAgents = Set<String>()
            for v in changes.views {
                if let old = views[v.service]?[v.agent], (old.epoch, old.seq) >= (v.epoch, v.seq) { continue }
                views[v.service, default: [:]][v.agent] = v
                agentServices[v.agent, default: []].insert(v.service)
                touchedServices.insert(v.service)
            }
            for a in changes.agents {
                var info = agents[a.agent] ?? a
                let wasFresh = merge.isFresh(agents[a.agent], at: now)
                info.lastSeen = max(info.lastSeen, a.lastSeen)
                info.epoch = max(info.epoch, a.epoch)
                if a.health != nil { info.health = a.health }
                agents[a.agent] = info
                touchedAgents.insert(a.agent)
                if !wasFresh { touchedServices.formUnion(agentServices[a.agent] ?? []) }
            }
            var inputs: [String: LeafInput] = [:]
            for s in touchedServices where propagator.graph.nodes[s]?.kind == .endpoint { inputs[s] = leafInput(for: s, now: now) }
            for a in touchedAgents where propagator.graph.nodes[a]?.kind == .agent { inputs[a] = leafInput(for: a, now: now) }
            statusChanges += propagator.setLeaves(inputs)
            let events = handle(statusChanges, now: now, batch: &batch)
            updateGauges(now: now)
            return events
        }
    }

    // MARK: Observed dependencies

    public struct DependencyView: Sendable, Codable, Hashable {
        public var dependency: ObservedDependency
        public var status: DependencyStatus
        public init(dependency: ObservedDependency, status: DependencyStatus) { self.dependency = dependency; self.status = status }
    }

    public func dependencies() -> [DependencyView] {
        locked {
            let now = clock()
            return deps.all().map { DependencyView(dependency: $0, status: $0.status(at: now, staleAfter: deps.staleAfter, goneAfter: deps.goneAfter)) }
        }
    }

    public func confirmDependency(_ id: Int64) throws(InventoryError) -> ObservedDependency {
        try locked { () throws(InventoryError) -> ObservedDependency in
            guard let d = deps.confirm(id) else { throw InventoryError(.notFound, subject: "dependency \(id)", "no such dependency") }
            var b = StoreBatch(); b.dependencies = [d]
            persist(b)
            return d
        }
    }

    /// Promotes an observed dependency into the model: creates the endpoint node (the service id)
    /// if missing and the impact edge endpoint → `parent`.
    public func promoteDependency(_ id: Int64, parent: String, map: MapFunction = .identity, weight: Double = 1,
                                  group: String? = nil) throws(InventoryError) -> ObservedDependency {
        try locked { () throws(InventoryError) -> ObservedDependency in
            guard let d = deps.byID[id] else { throw InventoryError(.notFound, subject: "dependency \(id)", "no such dependency") }
            var inv = inventoryValue
            guard inv.node(parent) != nil else { throw InventoryError(subject: "promotion of dependency \(id)", field: "parent", "no node '\(parent)'") }
            if inv.node(d.service) == nil { inv.nodes.append(Node(id: d.service, kind: .endpoint)) }
            let edge = ImpactEdge(child: d.service, parent: parent, map: map, weight: weight, group: group)
            if let i = inv.edges.firstIndex(where: { $0.key == edge.key }) { inv.edges[i] = edge } else { inv.edges.append(edge) }
            try inv.validate()
            try install(inv)
            let p = deps.markPromoted(id)!
            var b = StoreBatch(); b.dependencies = [p]
            persist(b)
            return p
        }
    }

    // MARK: Maintenance and acknowledgements

    @discardableResult
    public func addMaintenance(node: String, start: Double, end: Double, comment: String? = nil) throws(InventoryError) -> MaintenanceWindow {
        try locked { () throws(InventoryError) -> MaintenanceWindow in
            guard propagator.graph.nodes[node] != nil else { throw InventoryError(.notFound, subject: "node '\(node)'", "no such node") }
            guard end > start else { throw InventoryError(subject: "maintenance of '\(node)'", field: "end", "must be after start") }
            let w = MaintenanceWindow(id: nextMaintenanceID, node: node, start: start, end: end, comment: comment)
            nextMaintenanceID += 1
            maintenance.append(w)
            refreshMaintenance()
            return w
        }
    }

    public func removeMaintenance(id: Int64) throws(InventoryError) {
        try locked { () throws(InventoryError) in
            guard maintenance.contains(where: { $0.id == id }) else { throw InventoryError(.notFound, subject: "maintenance \(id)", "no such window") }
            maintenance.removeAll { $0.id == id }
            refreshMaintenance()
        }
    }

    private func refreshMaintenance() {
        let now = clock()
        var batch = StoreBatch()
        batch.maintenance = maintenance
        _ = handle(propagator.setMaintenance(activeMaintenance(at: now)), now: now, batch: &batch)
        persist(batch)
    }

    public func acknowledge(node: String, author: String? = nil, comment: String? = nil) throws(InventoryError) {
        try locked { () throws(InventoryError) in
            guard let s = propagator.status[node] else { throw InventoryError(.notFound, subject: "node '\(node)'", "no such node") }
            guard s.state != .ok && s.state.isKnown else { throw InventoryError(subject: "node '\(node)'", field: "state", "only a bad state can be acknowledged") }
            acks[node] = Acknowledgement(node: node, at: clock(), author: author, comment: comment)
            refreshAcks()
        }
    }

    public func removeAcknowledgement(node: String) throws(InventoryError) {
        try locked { () throws(InventoryError) in
            guard acks[node] != nil else { throw InventoryError(.notFound, subject: "node '\(node)'", "not acknowledged") }
            acks[node] = nil
            refreshAcks()
        }
    }

    private func refreshAcks() {
        var batch = StoreBatch()
        batch.acknowledgements = Array(acks.values)
        _ = handle(propagator.setAcknowledged(Set(acks.keys)), now: clock(), batch: &batch)
        persist(batch)
    }

    // MARK: Events

    /// A stream of state changes until `unsubscribe`.
    public func subscribe() -> (UUID, AsyncStream<StateChangeEvent>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<StateChangeEvent>.makeStream(bufferingPolicy: .bufferingNewest(1000))
        locked { subscribers[id] = continuation; counters.subscribers = subscribers.count }
        return (id, stream)
    }

    /// Ends every event stream (shutdown).
    public func closeSubscribers() {
        let all = locked { () -> [AsyncStream<StateChangeEvent>.Continuation] in
            defer { subscribers.removeAll(); counters.subscribers = 0 }
            return Array(subscribers.values)
        }
        for c in all { c.finish() }
    }

    public func unsubscribe(_ id: UUID) {
        let c = locked { () -> AsyncStream<StateChangeEvent>.Continuation? in
            defer { counters.subscribers = subscribers.count }
            return subscribers.removeValue(forKey: id)
        }
        c?.finish()
    }
}

extension Correlator {
    /// Runs a storage write in order with the others (`lock` held by the caller).
    func persisting(_ write: () throws -> Void) throws {
        storeLock.lock()
        defer { storeLock.unlock() }
        try write()
    }

    /// Runs `body` with the lock held (typed throws, unlike `NSLock.withLock` on Linux).
    func locked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
