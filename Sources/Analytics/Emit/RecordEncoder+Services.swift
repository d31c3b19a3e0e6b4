import Records

/// Bodies of the service-level records: `edge`, `service_state`, `service_seen`, `agent_health`.
extension RecordEncoder {
    /// Body of an `edge` record; `incomplete`: analytics shed packets during its interval.
    public mutating func edge(_ e: EdgeReport, incomplete: Bool = false) {
        writer.field(RecordField.origH.key, e.edge.client)
        service(e.edge.service, application: e.application)
        writer.tunnel(e.tunnel)
        writer.time(RecordField.intervalStart.key, e.intervalStartNanos)
        writer.time(RecordField.intervalEnd.key, e.intervalEndNanos)
        let c = e.counters
        // The counters in one run (one append): most of an edge's members.
        writer.numbers { n in
            n.field(RecordField.attempts.key, c.attempts)
            n.field(RecordField.established.key, c.established)
            n.field(RecordField.refused.key, c.refused)
            n.field(RecordField.unanswered.key, c.unanswered)
            n.field(RecordField.resets.key, c.resets)
            n.field(RecordField.transactions.key, c.transactions)
            n.field(RecordField.transactionErrors.key, c.transactionErrors)
            n.field(RecordField.bytesToServer.key, c.bytesToServer)
            n.field(RecordField.bytesToClient.key, c.bytesToClient)
            n.field("retransmissions", c.retransmissions)
        }
        if c.rtt.count > 0 { writer.key(RecordField.rtt.key); histogram(c.rtt) }
        if c.responseTime.count > 0 { writer.key(RecordField.responseTime.key); histogram(c.responseTime) }
        if incomplete { writer.field("incomplete", true) }
    }

    /// A histogram object: `layout`, `count`, `sum_us`, `min_us`, `max_us`, `buckets` as
    /// `[[index, count], ...]` for the non-empty buckets of ``LatencyHistogram``'s layout.
    mutating func histogram(_ h: LatencyHistogram) {
        writer.beginObject()
        writer.field("layout", LatencyHistogram.layoutName)
        writer.numbers { n in
            n.field("count", h.count)
            n.field("sum_us", h.sumNanos / 1000)
            n.micros("min_us", h.minNanos)
            n.micros("max_us", h.maxNanos)
        }
        writer.key("buckets")
        // Written in runs of 16 `[index,count]` pairs: a histogram has up to 129 of them.
        writer.value(pairs: h.buckets)
        writer.endObject()
    }

    /// Body of a `service_state` record; `incomplete`: analytics shed packets during its window.
    public mutating func serviceState(_ r: ServiceStateReport, incomplete: Bool = false) {
        service(r.service, application: r.application)
        writer.tunnel(r.tunnel)
        writer.field(RecordField.state.key, r.state.rawValue)
        writer.field(RecordField.previousState.key, r.previousState.rawValue)
        writer.field(RecordField.reason.key, r.reason.rawValue)
        writer.time("window_start", r.windowStartNanos)
        writer.time("window_end", r.windowEndNanos)
        if r.sinceNanos > 0 { writer.time("since", r.sinceNanos) }
        let e = r.evidence
        writer.numbers { n in
            n.field(RecordField.attempts.key, e.attempts)
            n.field("established", e.established)
            n.field("answered", e.answered)
            n.field(RecordField.refused.key, e.refused)
            n.field(RecordField.unanswered.key, e.unanswered)
            n.field("resets", e.resets)
            n.field(RecordField.transactions.key, e.transactions)
            n.field(RecordField.transactionErrors.key, e.transactionErrors)
        }
        writer.numbers { n in
            n.field(RecordField.errorRate.key, e.errorRate)
            n.micros("rtt_p50_us", e.rttP50)
            n.micros("rtt_p95_us", e.rttP95)
            n.micros("rtt_p99_us", e.rttP99)
            n.micros("response_p50_us", e.responseP50)
            n.micros("response_p95_us", e.responseP95)
            n.micros("response_p99_us", e.responseP99)
        }
        if incomplete { writer.field("incomplete", true) }
    }

    /// Body of a `service_seen` record.
    public mutating func serviceSeen(_ a: ServiceSeenTracker.Announcement) {
        service(a.service, application: a.application)
        writer.tunnel(a.tunnel)
        writer.time(RecordField.firstSeen.key, a.firstSeenNanos)
        writer.field("reannounce", a.isReannouncement)
    }

    /// Body of an `agent_health` record: the agent's counters plus the emitter's own.
    public mutating func agentHealth(_ h: AgentHealth, emitter s: RecordEmitter.Stats) {
        writer.field("packets_received", h.packetsReceived)
        writer.field("packets_dropped", h.packetsDropped)
        writer.field("packets_dropped_agent", h.packetsDroppedByAgent)
        writer.field("flows_active", h.flowsActive)
        writer.field("flow_evictions", h.flowEvictions)
        writer.field("anomalies", h.anomalies)
        writer.field("store_bytes", h.storeBytes)
        if let api = h.queryAPI { writer.field(RecordField.queryAPI.key, api) }
        writer.key("records")
        writer.beginObject()
        for kind in RecordKind.allCases {
            writer.key(kind.key)
            writer.beginObject()
            writer.field("emitted", s.emitted[kind.index])
            writer.field("dropped", s.dropped[kind.index])
            writer.endObject()
        }
        writer.endObject()
        if let r = h.reassembly {
            writer.key("reassembly")
            writer.beginObject()
            writer.field("segments_held", r.segmentsHeld)
            writer.field("holes_skipped", r.holesSkipped)
            writer.field("hole_bytes", r.holeBytes)
            writer.field("cap_holes", r.capHoles)
            writer.field("holes_inside_bodies", r.holesInsideBodies)
            writer.field("overlap_conflicts", r.overlapConflicts)
            writer.field("message_starts_truncated", r.messageStartsTruncated)
            writer.field("desynchronisations", r.desynchronisations)
            writer.field("bytes_held", UInt64(max(0, r.bytesHeld)))
            writer.field("peak_bytes_held", UInt64(max(0, r.peakBytesHeld)))
            writer.endObject()
        }
        writer.field("txn_sampled_out", s.transactionsSampledOut)
        writer.field("services_tracked", s.servicesTracked)
        writer.field("services_overflow", s.servicesOverflow)
        writer.field("edges_overflow", s.edgesOverflow)
        if let shed = h.shed {
            writer.key("analytics_shed")
            writer.beginObject()
            writer.field("ring_full", shed.ringFull)
            writer.field("too_large", shed.tooLarge)
            writer.field("flow_budget", shed.flowBudget)
            writer.endObject()
        }
        if !h.sinks.isEmpty {
            writer.key("sinks")
            writer.beginArray()
            for sink in h.sinks {
                writer.beginObject()
                writer.field("name", sink.name)
                let counters: KeyValuePairs<StaticString, UInt64> = [
                    "delivered": sink.delivered, "pending": sink.pending, "retried": sink.retried,
                    "dead_lettered": sink.deadLettered, "auth_failures": sink.authFailures,
                ]
                for (key, value) in counters { writer.field(key, value) }
                if let e = sink.lastError { writer.field("last_error", e) }
                writer.endObject()
            }
            writer.endArray()
        }
    }
}
