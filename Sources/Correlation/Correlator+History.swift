import Records

/// The metric history (docs/history.md): each ingested edge window is added to its endpoint's,
/// its edge's and the endpoint's inventory ancestors' series, at every scale. Written with the
/// batch that carried it (one transaction), so a batch refused and sent again counts once.
extension Correlator {
    /// Adds one window to `rows` (the batch's sums to write); `rollups` caches the series of each
    /// endpoint for the batch. State lock held.
    func addToHistory(_ w: EdgeWindow, client: String, service: String, into rows: inout [MetricRowKey: MetricSums],
                      rollups: inout [String: [SeriesKey]]) {
        let series: [SeriesKey]
        if let known = rollups[service] {
            series = known
        } else {
            let graph = board.graph
            let kinds = config.history.rollupKinds
            var found: [SeriesKey] = [.node(service)]
            if graph.nodes[service] != nil {
                for id in graph.ancestors(of: [service]).sorted() where graph.nodes[id].map({ kinds.contains($0.kind) }) ?? false {
                    found.append(.node(id))
                }
            }
            rollups[service] = found
            series = found
        }
        newestHistoryWindow = max(newestHistoryWindow, w.start)
        let sums = w.sums
        for scale in HistoryScale.allCases {
            guard let bucket = scale.bucket(of: w.start) else { return }
            for s in series + [.edge(client: client, service: service)] {
                rows[MetricRowKey(series: s, scale: scale, bucket: bucket), default: MetricSums()].merge(sums)
            }
        }
    }

    /// The stored points of a series at `scale` with bucket start in `[from, to)`, oldest first.
    /// Blocking (a database read): not from the async pool.
    public func series(_ key: SeriesKey, scale: HistoryScale, from: Int64, to: Int64) throws -> [MetricPoint] {
        guard let store else { return [] }
        return try store.series(key, scale: scale, from: from, to: to)
    }

    /// The node's state before `from` (dated `from`) and its changes in `[from, to)`, oldest first.
    public func stateTimeline(node: String, from: Double, to: Double) throws -> [(at: Double, state: Health)] {
        guard let store else { return [] }
        return try store.historyRows(node: node, from: from, to: to)
    }

    /// Drops history rows older than each scale's retention. Called by ``tick()`` once a minute.
    ///
    /// Retention counts back from the newest window ingested (packet time), or from now when that
    /// is later, as the flow records' does: a replayed capture's history is kept, and an agent
    /// whose clock runs ahead cannot make the server delete more than wall time would. Nothing is
    /// pruned before the first window since the server started.
    func pruneHistory(now: Double) {
        let newest = locked { newestHistoryWindow }
        guard config.history.enabled, newest > 0, let store else { return }
        let reference = min(now, newest)
        var cutoffs: [HistoryScale: Int64] = [:]
        for (scale, keep) in config.history.retention {
            if let b = scale.bucket(of: reference - keep) { cutoffs[scale] = b }
        }
        try? writer.inOrder { try store.pruneHistory(before: cutoffs) }
    }
}
