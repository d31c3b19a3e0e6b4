/// Flapping: a node that changed state at least `threshold` times within `window` seconds.
public struct FlapDetector: Sendable {
    public var threshold: Int
    public var window: Double
    private var changes: [String: [Double]] = [:]

    public init(threshold: Int = 5, window: Double = 600) {
        self.threshold = threshold; self.window = window
    }

    /// Records a state change of `id` at `t`; returns whether the node is now flapping.
    @discardableResult
    public mutating func record(_ id: String, at t: Double) -> Bool {
        var list = changes[id, default: []]
        list.append(t)
        list.removeAll { $0 <= t - window }
        changes[id] = list
        return list.count >= threshold
    }

    public func isFlapping(_ id: String, at t: Double) -> Bool {
        (changes[id] ?? []).filter { $0 > t - window }.count >= threshold
    }

    /// Forgets changes out of the window (bounded memory); returns the nodes no longer flapping.
    public mutating func prune(at t: Double) {
        for (id, list) in changes {
            let kept = list.filter { $0 > t - window }
            changes[id] = kept.isEmpty ? nil : kept
        }
    }

    public var flapping: [String] { changes.filter { $0.value.count >= threshold }.map(\.key).sorted() }
}
