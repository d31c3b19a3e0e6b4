import Fleet
import Foundation
import Yams

/// The one agent registry (docs/fleet.md): registrations, groups, the versioned central
/// configuration documents and each agent's applied version. It serves the fleet API, the agents'
/// configuration polls, and the drill-down and search (which agent holds which query API). Every
/// change is written to the store before it is visible, and audited.
public final class FleetRegistry: @unchecked Sendable {
    // @unchecked: every field below `lock` is only touched under it.
    private let lock = NSLock()
    private let store: (any FleetStorage)?
    private var agents: [String: FleetAgent] = [:]
    private var groups: [String: AgentGroup] = [:]
    /// scope → its versions, oldest first.
    private var documents: [String: [ConfigDocument]] = [:]
    private var revision: Int64 = 0
    /// Audit kept in memory when there is no store.
    private var memoryAudit: [FleetAuditEntry] = []

    public init(store: (any FleetStorage)?) throws {
        self.store = store
        if let store {
            let loaded = try store.loadFleet()
            for a in loaded.agents { agents[a.agent] = a; revision = max(revision, a.groupRevision) }
            for g in loaded.groups { groups[g.name] = g }
            for d in loaded.documents.sorted(by: { $0.revision < $1.revision }) {
                documents[d.scope, default: []].append(d)
                revision = max(revision, d.revision)
            }
        }
    }

    /// The fleet's current revision (grows with every configuration change).
    public var currentRevision: Int64 { lock.withLock { revision } }

    // MARK: agents

    /// Records a registration; returns what the agent should run.
    public func register(_ r: AgentRegistration, authenticated: Bool, now: Double) throws(FleetError) -> DesiredConfig {
        if let problem = r.problem() { throw FleetError(400, problem) }
        return try locked { () throws(FleetError) in
            var a = agents[r.agent] ?? FleetAgent(agent: r.agent)
            let first = a.registration == nil
            a.registration = r
            a.authenticated = authenticated
            a.registeredAt = now
            let group = a.assignedGroup ?? r.group
            if group != a.effectiveGroup {
                revision += 1
                a.effectiveGroup = group
                a.groupRevision = revision
            }
            try save(a)
            if first { audit(FleetAuditEntry(at: now, who: r.agent, action: "agent.register", subject: "agent:\(r.agent)", revision: nil, diff: nil)) }
            return desiredLocked(r.agent)
        }
    }

    /// An operator puts an agent in a group (nil: back to the group its own file names).
    public func assign(agent id: String, group: String?, who: String, now: Double) throws(FleetError) -> FleetAgent {
        guard FleetNames.valid(id) else { throw FleetError(400, "agent: \(FleetNames.rule)") }
        return try locked { () throws(FleetError) in
            if let group, groups[group] == nil { throw FleetError(404, "no group '\(group)' (create it with PUT /api/v1/fleet/groups/\(group))") }
            var a = agents[id] ?? FleetAgent(agent: id)
            a.assignedGroup = group
            let effective = group ?? a.registration?.group
            if effective != a.effectiveGroup {
                revision += 1
                a.effectiveGroup = effective
                a.groupRevision = revision
            }
            try save(a)
            audit(FleetAuditEntry(at: now, who: who, action: "agent.assign", subject: "agent:\(id)", revision: a.groupRevision,
                                  diff: "group: \(effective ?? "(none)")"))
            return a
        }
    }

    /// An agent's report of the version it tried.
    public func report(_ s: ConfigStatusReport, now: Double) throws(FleetError) {
        guard FleetNames.valid(s.agent) || agents[s.agent] != nil else { throw FleetError(400, "agent: \(FleetNames.rule)") }
        if let e = s.error, e.utf8.count > 4096 { throw FleetError(400, "error: at most 4096 bytes") }
        try locked { () throws(FleetError) in
            var a = agents[s.agent] ?? FleetAgent(agent: s.agent)
            a.status = s
            a.statusAt = now
            try save(a)
        }
    }

    public func agent(_ id: String) -> FleetAgent? { lock.withLock { agents[id] } }
    public func agentList() -> [FleetAgent] { lock.withLock { agents.values.sorted { $0.agent < $1.agent } } }

    /// The agents of a group (nil: no such group).
    public func members(ofGroup name: String) -> [String]? {
        lock.withLock {
            guard groups[name] != nil else { return nil }
            return agents.values.filter { $0.effectiveGroup == name }.map(\.agent).sorted()
        }
    }

    /// The query API an agent registered with its own token (nil otherwise).
    public func authenticatedQueryAPI(_ agent: String) -> String? {
        lock.withLock { agents[agent].flatMap { $0.authenticated ? $0.registration?.queryAPI : nil } }
    }

    /// Every registered query API, by agent (with whether it came with the agent's token).
    public func queryAPIs() -> [String: (url: String, authenticated: Bool)] {
        lock.withLock {
            var out: [String: (url: String, authenticated: Bool)] = [:]
            for a in agents.values { if let q = a.registration?.queryAPI { out[a.agent] = (q, a.authenticated) } }
            return out
        }
    }

    // MARK: groups

    public func groupList() -> [AgentGroup] { lock.withLock { groups.values.sorted { $0.name < $1.name } } }
    public func group(_ name: String) -> AgentGroup? { lock.withLock { groups[name] } }

    public func putGroup(_ g: AgentGroup, who: String, now: Double) throws(FleetError) {
        guard FleetNames.valid(g.name) else { throw FleetError(400, "name: \(FleetNames.rule)") }
        if g.tags.count > 64 || g.tags.contains(where: { $0.isEmpty || $0.utf8.count > 128 }) { throw FleetError(400, "tags: at most 64 of 1 to 128 characters") }
        if (g.site?.utf8.count ?? 0) > 128 || (g.description?.utf8.count ?? 0) > 1024 { throw FleetError(400, "site at most 128, description at most 1024 characters") }
        try locked { () throws(FleetError) in
            do { try store?.saveGroup(g) } catch { throw FleetError(503, "the store refused the group: \(error)") }
            groups[g.name] = g
            audit(FleetAuditEntry(at: now, who: who, action: "group.put", subject: "group:\(g.name)", revision: nil,
                                  diff: "site: \(g.site ?? "-"), tags: \(g.tags.joined(separator: ","))"))
        }
    }

    /// Deletes an empty group.
    public func deleteGroup(_ name: String, who: String, now: Double) throws(FleetError) {
        try locked { () throws(FleetError) in
            guard groups[name] != nil else { throw FleetError(404, "no group '\(name)'") }
            let members = agents.values.filter { $0.effectiveGroup == name }.map(\.agent).sorted()
            guard members.isEmpty else { throw FleetError(409, "group '\(name)' still has agents: \(members.joined(separator: ", "))") }
            do { try store?.deleteGroup(name) } catch { throw FleetError(503, "the store refused: \(error)") }
            groups[name] = nil
            audit(FleetAuditEntry(at: now, who: who, action: "group.delete", subject: "group:\(name)", revision: nil, diff: nil))
        }
    }

    // MARK: configuration documents

    /// Stores a new version of a scope's document (nil yaml: delete it); refused with the key named
    /// when it holds a key the server may not set.
    public func putDocument(_ scope: ConfigScope, yaml: String?, who: String, comment: String?, now: Double) throws(FleetError) -> ConfigDocument {
        switch scope {
        case .group(let g): guard FleetNames.valid(g) else { throw FleetError(400, "group: \(FleetNames.rule)") }
        case .agent(let a): guard FleetNames.valid(a) else { throw FleetError(400, "agent: \(FleetNames.rule)") }
        }
        if let yaml {
            let node: Yams.Node?
            do throws(CentralKeys.Refusal) { node = try CentralKeys.check(yaml) } catch { throw FleetError(400, error.description) }
            guard case .mapping(let keys)? = node, !keys.isEmpty else { throw FleetError(400, "(document): empty; DELETE removes a document") }
        }
        if let comment, comment.utf8.count > 1024 { throw FleetError(400, "comment: at most 1024 bytes") }
        return try locked { () throws(FleetError) in
            if case .group(let g) = scope, groups[g] == nil { throw FleetError(404, "no group '\(g)' (create it with PUT /api/v1/fleet/groups/\(g))") }
            let key = scope.description
            let previous = documents[key]?.last
            if yaml == nil && (previous?.yaml == nil) { throw FleetError(404, "\(key) has no configuration") }
            let doc = ConfigDocument(revision: revision + 1, scope: key, yaml: yaml, author: who, at: now, comment: comment)
            do { try store?.appendDocument(doc) } catch { throw FleetError(503, "the store refused the document: \(error)") }
            revision += 1
            documents[key, default: []].append(doc)
            audit(FleetAuditEntry(at: now, who: who, action: yaml == nil ? "config.delete" : "config.put", subject: key, revision: doc.revision,
                                  diff: LineDiff.unified(previous?.yaml ?? "", yaml ?? "", oldName: "\(key)@\(previous?.revision ?? 0)",
                                                         newName: "\(key)@\(doc.revision)")))
            return doc
        }
    }

    public func history(_ scope: ConfigScope) -> [ConfigDocument] { lock.withLock { documents[scope.description] ?? [] } }

    public func document(_ scope: ConfigScope, revision r: Int64?) -> ConfigDocument? {
        lock.withLock {
            guard let list = documents[scope.description] else { return nil }
            guard let r else { return list.last }
            return list.first { $0.revision == r }
        }
    }

    /// What `agent` should run now.
    public func desired(_ agent: String) -> DesiredConfig { lock.withLock { desiredLocked(agent) } }

    private func desiredLocked(_ id: String) -> DesiredConfig {
        let a = agents[id]
        var version = a?.groupRevision ?? 0
        var merged: Yams.Node? = nil
        var sources: [String] = []
        var scopes: [String] = []
        if let g = a?.effectiveGroup { scopes.append("group:\(g)") }
        scopes.append("agent:\(id)")
        for scope in scopes {
            guard let doc = documents[scope]?.last else { continue }
            version = max(version, doc.revision)
            guard let yaml = doc.yaml else { continue }
            sources.append("\(scope)@\(doc.revision)")
            // Checked when stored; a document that no longer parses contributes nothing.
            if let node = try? CentralKeys.check(yaml) { merged = CentralKeys.merge(merged, node) }
        }
        return DesiredConfig(agent: id, version: version, yaml: CentralKeys.text(merged), sources: sources)
    }

    // MARK: audit

    public func auditEntries(limit: Int) -> [FleetAuditEntry] {
        if let store { return (try? store.audit(limit: limit)) ?? [] }
        return lock.withLock { Array(memoryAudit.suffix(limit).reversed()) }
    }

    // MARK: internals

    private func locked<T>(_ body: () throws(FleetError) -> T) throws(FleetError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private func save(_ a: FleetAgent) throws(FleetError) {
        do { try store?.saveFleetAgent(a) } catch { throw FleetError(503, "the store refused: \(error)") }
        agents[a.agent] = a
    }

    /// Under `lock`. The change is already stored: an audit line the store refuses is kept in memory.
    private func audit(_ e: FleetAuditEntry) {
        if let store, (try? store.appendAudit(e)) != nil { return }
        memoryAudit.append(e)
        if memoryAudit.count > 10_000 { memoryAudit.removeFirst(memoryAudit.count - 10_000) }
    }
}
