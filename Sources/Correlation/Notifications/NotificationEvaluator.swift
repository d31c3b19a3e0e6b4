/// What the evaluator needs to know of a node (``Correlator/alertView()``).
public struct NodeAlertView: Sendable, Hashable {
    public var id: String
    public var kind: NodeKind
    public var name: String?
    public var state: Health
    public var causes: [String]
    public var rootCauses: [String]
    /// In a maintenance window (or all its contributing children are).
    public var maintenance: Bool
    /// Its bad state is acknowledged.
    public var acknowledged: Bool

    public init(id: String, kind: NodeKind, name: String? = nil, state: Health, causes: [String] = [], rootCauses: [String] = [],
                maintenance: Bool = false, acknowledged: Bool = false) {
        self.id = id; self.kind = kind; self.name = name; self.state = state; self.causes = causes; self.rootCauses = rootCauses
        self.maintenance = maintenance; self.acknowledged = acknowledged
    }
}

/// A notification to queue: an episode fired, repeats, or resolved.
public struct NotificationEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable { case firing, `repeat`, resolved }
    public var kind: Kind
    public var episode: NotificationEpisode
    public var rule: NotificationRule
}

/// What one evaluation changed: episodes to save, episodes ended, notifications to queue. The
/// caller writes all of it in one transaction before it adopts the evaluator's new state.
public struct EvaluationStep: Sendable {
    public var saved: [NotificationEpisode] = []
    public var ended: [NotificationEpisode.Key] = []
    public var events: [NotificationEvent] = []
    public var isEmpty: Bool { saved.isEmpty && ended.isEmpty && events.isEmpty }
}

/// The episodes of every (rule, node), advanced at each tick. A value with no clock or I/O of
/// its own (tests drive it with any `now`).
///
/// Per (rule, node): bad → pending; still bad after `for` and neither in maintenance nor
/// acknowledged → firing (queued); while firing, a repeat every `repeat` seconds unless in
/// maintenance or acknowledged; good → resolved (queued) if it fired, else dropped. A firing
/// episode whose rule or node disappears is resolved too: a resolved always follows a firing.
public struct NotificationEvaluator: Sendable {
    public private(set) var episodes: [NotificationEpisode.Key: NotificationEpisode] = [:]

    public init(episodes: [NotificationEpisode] = []) {
        for e in episodes where e.phase != .resolved { self.episodes[e.key] = e }
    }

    public mutating func evaluate(rules: [NotificationRule], nodes: [NodeAlertView], now: Double) -> EvaluationStep {
        var step = EvaluationStep()
        var seen = Set<NotificationEpisode.Key>()
        for rule in rules {
            for node in nodes where rule.matches(node: node.id, kind: node.kind) {
                let key = NotificationEpisode.Key(rule: rule.id, node: node.id)
                seen.insert(key)
                advance(key, rule: rule, node: node, now: now, into: &step)
            }
        }
        // Rules removed, nodes gone from the inventory: their firing episodes resolve.
        let rulesByID = Dictionary(rules.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for (key, e) in episodes where !seen.contains(key) {
            if e.phase == .firing {
                let rule = rulesByID[key.rule] ?? NotificationRule(id: key.rule, state: e.state, severity: e.severity, receivers: e.receivers)
                resolve(e, rule: rule, now: now, into: &step)
            } else {
                episodes[key] = nil
                step.ended.append(key)
            }
        }
        return step
    }

    private mutating func advance(_ key: NotificationEpisode.Key, rule: NotificationRule, node: NodeAlertView, now: Double,
                                  into step: inout EvaluationStep) {
        let quiet = node.maintenance || node.acknowledged
        switch (rule.verdict(node.state), episodes[key]) {
        case (.noEvidence, _):
            return
        case (.good, nil):
            return
        case (.good, let e?):
            if e.phase == .firing {
                resolve(e, rule: rule, now: now, into: &step)
            } else {
                episodes[key] = nil
                step.ended.append(key)
            }
        case (.bad, nil):
            var e = NotificationEpisode(id: NotificationEpisode.makeID(rule: rule.id, node: node.id, startedAt: now), rule: rule.id,
                                        node: node.id, kind: node.kind, phase: .pending, startedAt: now, state: node.state,
                                        causes: node.rootCauses.isEmpty ? node.causes : node.rootCauses)
            if !quiet && rule.forSeconds <= 0 {
                fire(&e, rule: rule, now: now, into: &step)
            } else {
                episodes[key] = e
                step.saved.append(e)
            }
        case (.bad, var e?):
            let causes = node.rootCauses.isEmpty ? node.causes : node.rootCauses
            let changed = e.state != node.state || e.causes != causes
            e.state = node.state
            e.causes = causes
            if e.phase == .pending {
                if !quiet && now - e.startedAt >= rule.forSeconds {
                    fire(&e, rule: rule, now: now, into: &step)
                    return
                }
            } else if !quiet, let every = rule.repeatSeconds, every > 0, now - (e.lastSentAt ?? e.startedAt) >= every {
                e.lastSentAt = now
                episodes[key] = e
                step.saved.append(e)
                step.events.append(NotificationEvent(kind: .repeat, episode: e, rule: rule))
                return
            }
            if changed {
                episodes[key] = e
                step.saved.append(e)
            }
        }
    }

    private mutating func fire(_ e: inout NotificationEpisode, rule: NotificationRule, now: Double, into step: inout EvaluationStep) {
        e.phase = .firing
        e.firedAt = now
        e.receivers = rule.receivers
        e.severity = rule.severity
        e.lastSentAt = now
        episodes[e.key] = e
        step.saved.append(e)
        step.events.append(NotificationEvent(kind: .firing, episode: e, rule: rule))
    }

    private mutating func resolve(_ e: NotificationEpisode, rule: NotificationRule, now: Double, into step: inout EvaluationStep) {
        var e = e
        e.phase = .resolved
        e.resolvedAt = now
        // The receivers that were told it fired are told it resolved.
        var rule = rule
        rule.receivers = e.receivers
        rule.severity = e.severity
        episodes[e.key] = nil
        step.ended.append(e.key)
        step.events.append(NotificationEvent(kind: .resolved, episode: e, rule: rule))
    }
}
