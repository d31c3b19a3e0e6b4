import Correlation
import HTTPListener

/// Prometheus text exposition (format 0.0.4) of the engine's counters.
enum MetricsText {
    static func render(_ m: CorrelatorMetrics) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, Double)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, v) in samples {
                let value = v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
                out += "\(name)\(labels) \(value)\n"
            }
        }
        metric("vigie_server_records_ingested_total", "counter", "Records applied (after deduplication).", [("", Double(m.recordsIngested))])
        metric("vigie_server_records_duplicate_total", "counter", "Records dropped as duplicates of (agent_id, epoch, seq).", [("", Double(m.duplicates))])
        metric("vigie_server_records_rejected_total", "counter", "Malformed records (and records of another agent than the token's).", [("", Double(m.rejected))])
        metric("vigie_server_records_unknown_kind_total", "counter", "Records of a kind this server does not know.", [("", Double(m.unknownKinds))])
        metric("vigie_server_batches_total", "counter", "Ingest batches applied.", [("", Double(m.batches))])
        metric("vigie_server_batches_replayed_total", "counter", "Batches answered from their Idempotency-Key without reapplying.", [("", Double(m.replayedBatches))])
        metric("vigie_server_state_changes_total", "counter", "Node state changes.", [("", Double(m.stateChanges))])
        metric("vigie_server_nodes", "gauge", "Nodes of the inventory by state.",
               Health.allCases.map { ("{state=\"\($0.rawValue)\"}", Double(m.nodesByState[$0] ?? 0)) })
        metric("vigie_server_propagation_seconds_total", "counter", "Time spent propagating ingested batches.", [("", m.propagationSeconds)])
        metric("vigie_server_propagations_total", "counter", "Propagations (one per ingested batch).", [("", Double(m.propagations))])
        metric("vigie_server_propagation_last_seconds", "gauge", "Duration of the last propagation.", [("", m.lastPropagationSeconds)])
        metric("vigie_server_nodes_recomputed_total", "counter", "Nodes recomputed by incremental propagation.", [("", Double(m.nodesRecomputed))])
        metric("vigie_server_agents", "gauge", "Agents known, and those stale.", [("", Double(m.agents)), ("{stale=\"true\"}", Double(m.staleAgents))])
        metric("vigie_server_dependencies", "gauge", "Observed dependencies.", [("", Double(m.dependencies))])
        metric("vigie_server_storage_failures_total", "counter", "Batches whose storage failed (kept in memory, written with a later batch).",
               [("", Double(m.storageFailures))])
        metric("vigie_server_event_subscribers", "gauge", "Connected Server-Sent Events clients.", [("", Double(m.subscribers))])
        return out
    }

    /// The rate limiter's throttled batches and records per agent.
    static func throttled(_ limiter: IngestRateLimiter?) -> String {
        guard let limiter else { return "" }
        var out = "# HELP vigie_server_ingest_throttled_batches_total Ingest batches refused with 429 (agent over its rate).\n"
            + "# TYPE vigie_server_ingest_throttled_batches_total counter\n"
        var records = "# HELP vigie_server_ingest_throttled_records_total Records in those batches (resent by the agent).\n"
            + "# TYPE vigie_server_ingest_throttled_records_total counter\n"
        for t in limiter.throttledCounts() {
            let label = t.agent.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            out += "vigie_server_ingest_throttled_batches_total{agent=\"\(label)\"} \(t.batches)\n"
            records += "vigie_server_ingest_throttled_records_total{agent=\"\(label)\"} \(t.records)\n"
        }
        return out + records
    }

    /// The listener's connection counters.
    static func connections(_ c: ConnectionRegistry.Counters) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ value: UInt64) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        metric("vigie_server_connections", "gauge", "Open connections of the API listener.", UInt64(max(0, c.open)))
        metric("vigie_server_connections_evicted_total", "counter", "Connections closed at the cap for having sent no request head.", c.evicted)
        metric("vigie_server_connections_refused_total", "counter", "Connections answered 503 at the cap.", c.refused)
        metric("vigie_server_header_timeouts_total", "counter", "Connections closed for sending no complete request head in time.", c.headTimeouts)
        return out
    }
}
