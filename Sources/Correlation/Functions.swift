/// How an impact edge turns the child's state into what the parent sees.
///
/// Written as a string in YAML/JSON: `identity`, `increase`, `decrease`, `set:STATE` (also
/// `set-to:STATE`), `ignore`.
public enum MapFunction: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The child's state as is.
    case identity
    /// One level worse (OK→WARNING→DEGRADED→DOWN; DOWN stays DOWN).
    case increase
    /// One level better (DOWN→DEGRADED→WARNING→OK; OK stays OK).
    case decrease
    /// Any known state other than OK becomes the given state; OK stays OK.
    case setTo(Health)
    /// The edge does not contribute (neither to the state nor to the coverage).
    case ignore

    /// Applies the function; UNKNOWN always maps to UNKNOWN (nil for `ignore`).
    public func apply(_ s: Health) -> Health? {
        if case .ignore = self { return nil }
        guard let sev = s.severity else { return .unknown }
        switch self {
        case .identity: return s
        case .increase: return Health(severity: sev + 1)
        case .decrease: return Health(severity: sev - 1)
        case .setTo(let t): return sev == 0 ? .ok : t
        case .ignore: return nil
        }
    }

    public var description: String {
        switch self {
        case .identity: "identity"
        case .increase: "increase"
        case .decrease: "decrease"
        case .setTo(let s): "set:\(s.rawValue)"
        case .ignore: "ignore"
        }
    }

    public init?(text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch t {
        case "identity", "": self = .identity
        case "increase": self = .increase
        case "decrease": self = .decrease
        case "ignore": self = .ignore
        default:
            for prefix in ["set:", "set-to:", "set_to:", "set "] where t.hasPrefix(prefix) {
                guard let s = Health(name: String(t.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)), s.isKnown else { return nil }
                self = .setTo(s)
                return
            }
            return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let f = MapFunction(text: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "'\(text)' is not a map function (identity, increase, decrease, set:STATE, ignore)"))
        }
        self = f
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Thresholds of the health score (0…100): score ≥ `warning` is OK, ≥ `degraded` WARNING,
/// ≥ `down` DEGRADED, below DOWN.
public struct ScoreThresholds: Sendable, Hashable {
    public var warning: Double
    public var degraded: Double
    public var down: Double
    public init(warning: Double = 90, degraded: Double = 70, down: Double = 40) {
        self.warning = warning; self.degraded = degraded; self.down = down
    }
    public static let `default` = ScoreThresholds()
}

/// How a node combines what its children (after their edges' map functions) say.
///
/// Written as a string: `worst`, `best`, `quorum:N` (count), `quorum-weight:W`, `score` or
/// `score:W/D/X` (thresholds, default `90/70/40`).
public enum ReduceFunction: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The worst known state.
    case worst
    /// The best known state (redundancy: one working child is enough).
    case best
    /// The state that at least `n` children reach: the n-th best known state.
    case quorumCount(Int)
    /// The state that children totalling at least `w` of weight reach.
    case quorumWeight(Double)
    /// Weighted mean of per-child scores (OK 100, WARNING 75, DEGRADED 50, DOWN 0) mapped by thresholds.
    case score(ScoreThresholds)

    public var description: String {
        switch self {
        case .worst: "worst"
        case .best: "best"
        case .quorumCount(let n): "quorum:\(n)"
        case .quorumWeight(let w): "quorum-weight:\(Self.number(w))"
        case .score(let t): t == .default ? "score" : "score:\(Self.number(t.warning))/\(Self.number(t.degraded))/\(Self.number(t.down))"
        }
    }

    static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }

    public init?(text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "worst" || t.isEmpty { self = .worst; return }
        if t == "best" || t == "redundancy" { self = .best; return }
        if t == "score" || t == "health-score" { self = .score(.default); return }
        if t.hasPrefix("quorum-weight:") || t.hasPrefix("threshold-weight:") {
            guard let w = Double(t[t.index(after: t.firstIndex(of: ":")!)...]) else { return nil }
            self = .quorumWeight(w); return
        }
        if t.hasPrefix("quorum:") || t.hasPrefix("threshold:") {
            guard let n = Int(t[t.index(after: t.firstIndex(of: ":")!)...]) else { return nil }
            self = .quorumCount(n); return
        }
        if t.hasPrefix("score:") {
            let parts = t.dropFirst(6).split(separator: "/").compactMap { Double($0) }
            guard parts.count == 3 else { return nil }
            self = .score(ScoreThresholds(warning: parts[0], degraded: parts[1], down: parts[2])); return
        }
        return nil
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let f = ReduceFunction(text: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "'\(text)' is not a reduce function (worst, best, quorum:N, quorum-weight:W, score[:W/D/X])"))
        }
        self = f
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// Score of one known state.
    public static func score(of s: Health) -> Double {
        switch s {
        case .ok: 100
        case .warning: 75
        case .degraded: 50
        case .down, .unknown: 0
        }
    }

    /// One input of a reduce: a child's (or redundancy group's) mapped state and weight.
    public struct Input: Sendable, Hashable {
        public var id: String
        public var state: Health
        public var weight: Double
        public init(id: String, state: Health, weight: Double = 1) {
            self.id = id; self.state = state; self.weight = weight
        }
    }

    /// The result of a reduce: state, the inputs that decided it, and the score when computed.
    public struct Output: Sendable, Hashable {
        public var state: Health
        public var causes: [String]
        public var score: Double?
    }

    /// Applies the function to known inputs (UNKNOWN inputs are coverage, not state: they are left
    /// out here). No known input gives UNKNOWN. When fewer known inputs than the quorum exist, the
    /// quorum functions fall back to the worst known state.
    public func reduce(_ inputs: [Input]) -> Output {
        let known = inputs.filter { $0.state.isKnown }
        guard !known.isEmpty else { return Output(state: .unknown, causes: [], score: nil) }
        // Best first; ties by id for determinism.
        let sorted = known.sorted { ($0.state.severity!, $0.id) < ($1.state.severity!, $1.id) }
        func decided(_ s: Health) -> Output {
            // Causes: the inputs in that state when it is not OK (those that made it bad).
            Output(state: s, causes: s == .ok ? [] : sorted.filter { $0.state == s }.map(\.id), score: nil)
        }
        switch self {
        case .worst:
            return decided(sorted.last!.state)
        case .best:
            return decided(sorted.first!.state)
        case .quorumCount(let n):
            guard n >= 1, n <= sorted.count else { return decided(sorted.last!.state) }
            return decided(sorted[n - 1].state)
        case .quorumWeight(let w):
            var total = 0.0
            for input in sorted {
                total += input.weight
                if total >= w { return decided(input.state) }
            }
            return decided(sorted.last!.state)
        case .score(let t):
            let weight = known.reduce(0) { $0 + $1.weight }
            let sum = known.reduce(0) { $0 + $1.weight * Self.score(of: $1.state) }
            let value = weight > 0 ? sum / weight : 0
            let s: Health = value >= t.warning ? .ok : value >= t.degraded ? .warning : value >= t.down ? .degraded : .down
            let causes = s == .ok ? [] : sorted.filter { $0.state != .ok }.map(\.id)
            return Output(state: s, causes: causes, score: value)
        }
    }
}

/// An extra rule of a node, applied after its reduce function; rules only make a state worse.
///
/// - `{at_least: N, state: S, then: T}`: when at least N children are at S or worse, the node is at least T;
/// - `{child: ID, state: S, then: T}`: when child ID is at S or worse, the node is at least T.
public struct Rule: Sendable, Hashable, Codable {
    public var atLeast: Int?
    public var child: String?
    public var state: Health
    public var then: Health

    public init(atLeast: Int? = nil, child: String? = nil, state: Health, then: Health) {
        self.atLeast = atLeast; self.child = child; self.state = state; self.then = then
    }

    enum CodingKeys: String, CodingKey {
        case atLeast = "at_least", child, state, then
    }

    /// Whether the rule fires on these inputs (mapped child states by child id).
    public func fires(_ inputs: [ReduceFunction.Input]) -> [String]? {
        guard let threshold = state.severity else { return nil }
        let matching = inputs.filter { ($0.state.severity ?? -1) >= threshold && (child == nil || $0.id == child) }
        if child != nil { return matching.isEmpty ? nil : matching.map(\.id) }
        return matching.count >= max(atLeast ?? 1, 1) ? matching.map(\.id) : nil
    }
}
