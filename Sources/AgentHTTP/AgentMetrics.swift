import Agent
import Foundation
import HTTPListener
import Observability
import Synchronization

/// The agent's Prometheus metrics (docs/metrics.md): the catalog of names, and how each is filled.
///
/// The capture thread counts in plain integers and writes them to `state/status.json` about once a
/// second (``StatusReport``); each scrape reads that report and mirrors it (``SnapshotMirror``), so
/// the per-packet path pays nothing for metrics and the API process (`vigie-agent serve`) shows the
/// same figures as the capturing one. The API's own figures (queries, connections) are counted
/// where they happen, through swift-metrics.
public final class AgentMetrics: Sendable {
    public let exposition: MetricsExposition
    let mirror: SnapshotMirror
    let queries: QueryMetrics
    private let watching = Mutex(false)

    public init(exposition: MetricsExposition? = nil) {
        let exposition = exposition ?? MetricsExposition(catalog: Self.catalog)
        self.exposition = exposition
        mirror = SnapshotMirror(factory: exposition.factory)
        queries = QueryMetrics(factory: exposition.factory)
    }

    /// Mirrors the latest status of the store's agent at each render. Both listeners (API and
    /// metrics-only) call it; the first call wins (one process, one store).
    func watch(layout: StoreLayout) {
        guard watching.withLock({ w in defer { w = true }; return !w }) else { return }
        exposition.onRender { [mirror] in
            if let report = try? StatusReport.read(layout: layout) { Self.record(report, into: mirror) }
        }
    }

    /// Mirrors the API listener's connection counters at each render.
    func watch(connections registry: ConnectionRegistry) {
        exposition.onRender { [mirror] in
            let c = registry.counters
            mirror.gauge("vigie_agent_api_connections", Double(max(0, c.open)))
            mirror.total("vigie_agent_api_connections_evicted_total", c.evicted)
            mirror.total("vigie_agent_api_connections_refused_total", c.refused)
            mirror.total("vigie_agent_api_header_timeouts_total", c.headTimeouts)
        }
    }

    static func record(_ r: StatusReport, into m: SnapshotMirror) {
        m.gauge("vigie_agent_up", r.running ? 1.0 : 0.0)
        m.gauge("vigie_agent_status_timestamp_seconds", r.updatedAt.timeIntervalSince1970)
        m.gauge("vigie_agent_start_time_seconds", r.startedAt.timeIntervalSince1970)
        let p = r.pipeline
        m.total("vigie_agent_packets_received_total", p.packetsReceived)
        m.total("vigie_agent_received_bytes_total", p.bytesReceived)
        m.total("vigie_agent_packets_filtered_total", p.filteredOut)
        let s = r.storage
        m.total("vigie_agent_packets_stored_total", s.packetsStored)
        m.total("vigie_agent_stored_bytes_total", s.bytesStored)
        if let c = r.capture {
            m.total("vigie_agent_packets_dropped_total", c.droppedByKernel, labels: [("reason", "kernel")])
            m.total("vigie_agent_packets_dropped_total", c.droppedByInterface, labels: [("reason", "interface")])
        }
        m.total("vigie_agent_packets_dropped_total", s.notStoredQuota, labels: [("reason", "quota")])
        m.total("vigie_agent_packets_dropped_total", s.notStoredDiskFull, labels: [("reason", "disk_full")])
        m.total("vigie_agent_packets_dropped_total", s.notStoredError, labels: [("reason", "store_error")])
        m.total("vigie_agent_segments_written_total", s.segmentsCreated)
        m.total("vigie_agent_segments_deleted_total", s.segmentsDeletedByRetention)
        m.total("vigie_agent_segments_recovered_total", s.segmentsRecovered)
        m.total("vigie_agent_indexes_written_total", s.indexesWritten)
        m.total("vigie_agent_indexes_failed_total", s.indexesFailed)
        m.total("vigie_agent_index_build_seconds_total", seconds: s.indexBuildSeconds)
        m.gauge("vigie_agent_store_bytes", s.storeBytes)
        m.gauge("vigie_agent_store_segments", s.segmentsInStore)
        m.gauge("vigie_agent_store_quota_bytes", s.quotaBytes, labels: [("retention", s.retention)])
        for state in [StorageState.storing, .quotaReached, .diskFull, .failed] {
            m.gauge("vigie_agent_store_state", s.state == state ? 1.0 : 0.0, labels: [("state", state.rawValue)])
        }
        if let a = r.analytics {
            m.gauge("vigie_agent_analytics_workers", Double(a.workers))
            m.total("vigie_agent_analytics_packets_total", a.packetsAnalysed)
            m.total("vigie_agent_analytics_busy_seconds_total", seconds: a.workersBusySeconds)
            m.total("vigie_agent_analytics_shed_packets_total", a.shedRingFull, labels: [("reason", "ring_full")])
            m.total("vigie_agent_analytics_shed_packets_total", a.shedTooLarge, labels: [("reason", "too_large")])
            m.total("vigie_agent_analytics_shed_packets_total", a.shedFlowBudget, labels: [("reason", "flow_budget")])
            m.gauge("vigie_agent_flows_active", Double(max(0, a.flowsActive)))
            m.total("vigie_agent_flows_created_total", a.flowsCreated)
            m.total("vigie_agent_flows_evicted_total", a.flowsEvicted)
            for (kind, n) in a.recordsEmittedByKind { m.total("vigie_agent_records_emitted_total", n, labels: [("kind", kind)]) }
            for (kind, n) in a.recordsDroppedByKind { m.total("vigie_agent_records_dropped_total", n, labels: [("kind", kind)]) }
        }
        if let e = r.export {
            if let spool = e.spool {
                m.gauge("vigie_agent_spool_bytes", spool.bytes)
                m.gauge("vigie_agent_spool_quota_bytes", spool.quotaBytes)
                m.total("vigie_agent_spool_corrupt_records_total", spool.corruptSkipped)
                for (kind, n) in spool.dropped { m.total("vigie_agent_spool_dropped_records_total", n, labels: [("kind", kind)]) }
            }
            for sink in e.sinks {
                let l = [("sink", sink.name)]
                m.total("vigie_agent_sink_delivered_records_total", sink.delivered, labels: l)
                m.total("vigie_agent_sink_retried_records_total", sink.retried, labels: l)
                m.total("vigie_agent_sink_dead_lettered_records_total", sink.deadLettered, labels: l)
                m.total("vigie_agent_sink_auth_failures_total", sink.authFailures, labels: l)
                m.gauge("vigie_agent_sink_pending_records", sink.pending, labels: l)
                m.gauge("vigie_agent_sink_backlog_age_seconds", e.spool?.backlogAgeSeconds[sink.name] ?? 0, labels: l)
                m.gauge("vigie_agent_sink_last_delivery_timestamp_seconds", sink.lastDeliveredAt ?? 0, labels: l)
            }
        }
    }

    /// Every metric the agent exposes, with its help text (docs/metrics.md says when to alert on it).
    public static let catalog: [MetricDefinition] = [
        .init("vigie_agent_up", .gauge, "1 while the agent writing this store runs, 0 once it stopped."),
        .init("vigie_agent_status_timestamp_seconds", .gauge, "When the capture thread last reported (Unix time); stale means stuck or stopped."),
        .init("vigie_agent_start_time_seconds", .gauge, "When the agent started (Unix time)."),
        .init("vigie_agent_packets_received_total", .counter, "Packets handed to the agent by its source (live interface or file)."),
        .init("vigie_agent_received_bytes_total", .counter, "Captured bytes of those packets."),
        .init("vigie_agent_packets_filtered_total", .counter, "Packets rejected by the BPF prefilter (not stored, by configuration)."),
        .init("vigie_agent_packets_stored_total", .counter, "Packets written to the store."),
        .init("vigie_agent_stored_bytes_total", .counter, "Bytes written to the store for those packets (record headers included)."),
        .init("vigie_agent_packets_dropped_total", .counter,
              "Packets lost, by reason: kernel and interface (never reached the agent), quota, disk_full, store_error (reached it, not stored)."),
        .init("vigie_agent_segments_written_total", .counter, "Segments created."),
        .init("vigie_agent_segments_deleted_total", .counter, "Segments deleted by retention (ring quota or maximum age)."),
        .init("vigie_agent_segments_recovered_total", .counter, "Segments recovered after a crash when the store was opened."),
        .init("vigie_agent_indexes_written_total", .counter, "Segment indexes written."),
        .init("vigie_agent_indexes_failed_total", .counter, "Segment indexes that could not be written (queries scan those segments)."),
        .init("vigie_agent_index_build_seconds_total", .counter, "Time spent sorting, writing and syncing segment indexes (off the capture thread)."),
        .init("vigie_agent_store_bytes", .gauge, "Bytes of the segments in the store."),
        .init("vigie_agent_store_segments", .gauge, "Segments in the store."),
        .init("vigie_agent_store_quota_bytes", .gauge, "The store's quota, labelled with its retention (ring or linear)."),
        .init("vigie_agent_store_state", .gauge, "1 for the store's current state (storing, quota-reached, disk-full, failed), 0 for the others."),
        .init("vigie_agent_analytics_workers", .gauge, "Analytics worker threads."),
        .init("vigie_agent_analytics_packets_total", .counter, "Packets the analytics workers analysed."),
        .init("vigie_agent_analytics_busy_seconds_total", .counter, "Time the analytics workers spent analysing (not waiting), added up; its rate over the workers is their utilisation."),
        .init("vigie_agent_analytics_shed_packets_total", .counter,
              "Packets stored but not analysed, by reason (ring_full: workers behind; too_large; flow_budget)."),
        .init("vigie_agent_flows_active", .gauge, "Flows in the flow table."),
        .init("vigie_agent_flows_created_total", .counter, "Flows created."),
        .init("vigie_agent_flows_evicted_total", .counter, "Flows evicted before their end (flow table full)."),
        .init("vigie_agent_records_emitted_total", .counter, "Records accepted by the output, by kind."),
        .init("vigie_agent_records_dropped_total", .counter, "Records the output refused (spool full), by kind."),
        .init("vigie_agent_spool_bytes", .gauge, "Bytes in the export spool."),
        .init("vigie_agent_spool_quota_bytes", .gauge, "The spool's maximum size (export.spool_size)."),
        .init("vigie_agent_spool_corrupt_records_total", .counter, "Damaged spool records skipped when read back."),
        .init("vigie_agent_spool_dropped_records_total", .counter, "Records refused by a full spool, by kind."),
        .init("vigie_agent_sink_delivered_records_total", .counter, "Records the destination confirmed, per sink."),
        .init("vigie_agent_sink_retried_records_total", .counter, "Records sent again after a failed attempt, per sink."),
        .init("vigie_agent_sink_dead_lettered_records_total", .counter, "Records the destination rejected for good (dead-letter file), per sink."),
        .init("vigie_agent_sink_auth_failures_total", .counter, "Requests refused for their credentials (HTTP 401/403), per sink."),
        .init("vigie_agent_sink_pending_records", .gauge, "Spooled records the sink has not delivered yet (its backlog)."),
        .init("vigie_agent_sink_backlog_age_seconds", .gauge, "How long the sink's oldest undelivered record has waited in the spool (0 with none)."),
        .init("vigie_agent_sink_last_delivery_timestamp_seconds", .gauge, "When the sink last delivered records (Unix time; 0 before the first)."),
        .init("vigie_agent_queries_total", .counter, "Packet extractions, by outcome (served, refused, failed)."),
        .init("vigie_agent_query_duration_seconds", .histogram, "Time from a served extraction's request to its last byte."),
        .init("vigie_agent_query_packets_total", .counter, "Packets served by extractions."),
        .init("vigie_agent_query_bytes_total", .counter, "Captured bytes served by extractions."),
        .init("vigie_agent_api_connections", .gauge, "Open connections of the listener."),
        .init("vigie_agent_api_connections_evicted_total", .counter, "Connections closed at the cap for having sent no request head."),
        .init("vigie_agent_api_connections_refused_total", .counter, "Connections answered 503 at the cap."),
        .init("vigie_agent_api_header_timeouts_total", .counter, "Connections closed for sending no complete request head in time."),
    ]
}
