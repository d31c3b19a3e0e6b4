import Correlation
import HTTPListener
import Observability

/// The server's Prometheus metrics (docs/metrics.md): the catalog of names, and how each is filled.
///
/// The engine counts under its own lock (``CorrelatorMetrics``); each scrape takes a snapshot and
/// mirrors it through swift-metrics (``SnapshotMirror``), as do the listener, the rate limiter, the
/// drill-down audit and the exporters the executable adds (``ServerAPIConfig/metricSources``).
public final class ServerMetrics: Sendable {
    public let exposition: MetricsExposition
    public let mirror: SnapshotMirror

    public init() {
        let exposition = MetricsExposition(catalog: Self.catalog)
        self.exposition = exposition
        mirror = SnapshotMirror(factory: exposition.factory)
    }

    static func record(_ m: CorrelatorMetrics, into mirror: SnapshotMirror) {
        func total(_ name: String, _ v: Int) { mirror.total(name, UInt64(max(0, v))) }
        total("vigie_server_records_ingested_total", m.recordsIngested)
        total("vigie_server_records_duplicate_total", m.duplicates)
        total("vigie_server_records_rejected_total", m.rejected)
        total("vigie_server_records_unknown_kind_total", m.unknownKinds)
        total("vigie_server_batches_total", m.batches)
        total("vigie_server_batches_replayed_total", m.replayedBatches)
        total("vigie_server_state_changes_total", m.stateChanges)
        total("vigie_server_propagations_total", m.propagations)
        mirror.total("vigie_server_propagation_seconds_total", seconds: m.propagationSeconds)
        mirror.gauge("vigie_server_propagation_last_seconds", m.lastPropagationSeconds)
        total("vigie_server_nodes_recomputed_total", m.nodesRecomputed)
        for state in Health.allCases {
            mirror.gauge("vigie_server_nodes", Double(m.nodesByState[state] ?? 0), labels: [("state", state.rawValue)])
        }
        mirror.gauge("vigie_server_agents", Double(m.agents))
        mirror.gauge("vigie_server_agents_stale", Double(m.staleAgents))
        mirror.gauge("vigie_server_dependencies", Double(m.dependencies))
        total("vigie_server_storage_failures_total", m.storageFailures)
        mirror.gauge("vigie_server_event_subscribers", Double(m.subscribers))
    }

    static func record(_ c: ConnectionRegistry.Counters, into mirror: SnapshotMirror) {
        mirror.gauge("vigie_server_connections", Double(max(0, c.open)))
        mirror.total("vigie_server_connections_evicted_total", c.evicted)
        mirror.total("vigie_server_connections_refused_total", c.refused)
        mirror.total("vigie_server_header_timeouts_total", c.headTimeouts)
    }

    static func record(_ limiter: IngestRateLimiter, into mirror: SnapshotMirror) {
        for t in limiter.throttledCounts() {
            mirror.total("vigie_server_ingest_throttled_batches_total", UInt64(max(0, t.batches)), labels: [("agent", t.agent)])
            mirror.total("vigie_server_ingest_throttled_records_total", UInt64(max(0, t.records)), labels: [("agent", t.agent)])
        }
    }

    static func record(_ c: DrillDownAudit.Counters, into mirror: SnapshotMirror) {
        mirror.total("vigie_server_drilldowns_total", c.drilldowns)
        mirror.total("vigie_server_drilldowns_failed_total", c.failed)
        mirror.total("vigie_server_drilldown_bytes_total", c.bytes)
    }

    static func record(_ n: NotificationMetrics.Snapshot, into mirror: SnapshotMirror) {
        mirror.total("vigie_server_notifications_queued_total", n.queued)
        mirror.total("vigie_server_notifications_delivered_total", n.delivered)
        mirror.total("vigie_server_notification_attempts_failed_total", n.failedAttempts)
        mirror.total("vigie_server_notifications_dropped_total", n.dropped)
        mirror.total("vigie_server_notification_evaluations_failed_total", n.evaluationFailures)
        mirror.gauge("vigie_server_notification_outbox", Double(n.outboxSize))
    }

    /// Adds the notification counters to every scrape.
    public func add(_ notifications: NotificationMetrics) {
        let mirror = self.mirror
        exposition.onRender { Self.record(notifications.snapshot, into: mirror) }
    }

    /// Every metric the server exposes, with its help text (docs/metrics.md says when to alert on it).
    public static let catalog: [MetricDefinition] = [
        .init("vigie_server_up", .gauge, "1 while the server runs."),
        .init("vigie_server_start_time_seconds", .gauge, "When the server started (Unix time)."),
        .init("vigie_server_records_ingested_total", .counter, "Records applied (after deduplication)."),
        .init("vigie_server_records_duplicate_total", .counter, "Records dropped as duplicates of (agent_id, epoch, seq)."),
        .init("vigie_server_records_rejected_total", .counter, "Malformed records (and records of another agent than the token's)."),
        .init("vigie_server_records_unknown_kind_total", .counter, "Records of a kind this server does not know."),
        .init("vigie_server_batches_total", .counter, "Ingest batches applied."),
        .init("vigie_server_batches_replayed_total", .counter, "Batches answered from their Idempotency-Key without reapplying."),
        .init("vigie_server_state_changes_total", .counter, "Node state changes."),
        .init("vigie_server_propagations_total", .counter, "Propagations (one per ingested batch)."),
        .init("vigie_server_propagation_seconds_total", .counter, "Time spent propagating ingested batches."),
        .init("vigie_server_propagation_last_seconds", .gauge, "Duration of the last propagation."),
        .init("vigie_server_nodes_recomputed_total", .counter, "Nodes recomputed by incremental propagation."),
        .init("vigie_server_nodes", .gauge, "Nodes of the inventory, by state."),
        .init("vigie_server_agents", .gauge, "Agents known."),
        .init("vigie_server_agents_stale", .gauge, "Agents known whose last report is older than the staleness limit."),
        .init("vigie_server_dependencies", .gauge, "Observed dependencies."),
        .init("vigie_server_storage_failures_total", .counter, "Writes the store refused (each change undone, its sender answered to retry)."),
        .init("vigie_server_event_subscribers", .gauge, "Connected Server-Sent Events clients."),
        .init("vigie_server_connections", .gauge, "Open connections of the API listener."),
        .init("vigie_server_connections_evicted_total", .counter, "Connections closed at the cap for having sent no request head."),
        .init("vigie_server_connections_refused_total", .counter, "Connections answered 503 at the cap."),
        .init("vigie_server_header_timeouts_total", .counter, "Connections closed for sending no complete request head in time."),
        .init("vigie_server_ingest_throttled_batches_total", .counter, "Ingest batches refused with 429 (agent over its rate), per agent."),
        .init("vigie_server_ingest_throttled_records_total", .counter, "Records in those batches (resent by the agent), per agent."),
        .init("vigie_server_drilldowns_total", .counter, "Drill-downs served or refused after the agents were chosen (each is an audit line)."),
        .init("vigie_server_drilldowns_failed_total", .counter, "Drill-downs that answered no pcap."),
        .init("vigie_server_drilldown_bytes_total", .counter, "Bytes of merged pcap served by drill-downs."),
        .init("vigie_server_events_kafka_produced_total", .counter, "State changes handed to the Kafka producer."),
        .init("vigie_server_events_kafka_delivered_total", .counter, "State changes acknowledged by Kafka."),
        .init("vigie_server_events_kafka_failed_total", .counter, "State changes whose delivery failed (logged)."),
        .init("vigie_server_events_kafka_dropped_total", .counter, "State changes dropped because the producer queue was full."),
        .init("vigie_server_kafka_ingest_batches_total", .counter, "Record batches consumed from Kafka and stored (their offsets then committed)."),
        .init("vigie_server_kafka_ingest_rewinds_total", .counter, "Partitions rewound after a batch could not be stored (read again later)."),
        .init("vigie_server_kafka_partitions_assigned", .gauge, "Partitions assigned to this member of the consumer group."),
        .init("vigie_server_notifications_queued_total", .counter, "Notifications written to the outbox (one per receiver)."),
        .init("vigie_server_notifications_delivered_total", .counter, "Notifications a receiver accepted (2xx; syslog: sent)."),
        .init("vigie_server_notification_attempts_failed_total", .counter, "Delivery attempts that failed (each retried with backoff)."),
        .init("vigie_server_notifications_dropped_total", .counter, "Notifications deleted undelivered: outbox full, or receiver removed."),
        .init("vigie_server_notification_evaluations_failed_total", .counter, "Evaluator ticks whose changes could not be stored (retried)."),
        .init("vigie_server_notification_outbox", .gauge, "Notifications waiting in the outbox."),
    ]
}
